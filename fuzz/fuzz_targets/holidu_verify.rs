//! Holidu JWT verification (`sign::verify`) against the test account's key, at any clock
//! reading and leeway. Must never panic; the only token it may accept is Holidu's genuine
//! example token (a seed), and only at a clock inside its validity; a refusal never repeats
//! the token.
#![no_main]

use std::sync::OnceLock;

use holidu::HoliduCredentials;
use holidu::sign::{Expectations, verify};
use libfuzzer_sys::fuzz_target;

const ACCOUNT: &str = include_str!("../../crates/holidu/tests/vectors/account_info.json");
const EXAMPLE: &str = include_str!("../../crates/holidu/tests/vectors/seed_token.json");

/// The example token from Holidu's seed page, signed with the test account's key.
fn example() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let v: serde_json::Value = serde_json::from_str(EXAMPLE).expect("vector");
        v["token"].as_str().expect("token").to_string()
    })
}

fn creds() -> &'static HoliduCredentials {
    static C: OnceLock<HoliduCredentials> = OnceLock::new();
    C.get_or_init(|| HoliduCredentials::from_account_info_json(ACCOUNT).expect("test account"))
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (clock, rest) = data.split_at(16);
    let now = u64::from_le_bytes(clock[..8].try_into().expect("8 bytes"));
    let leeway = u64::from_le_bytes(clock[8..].try_into().expect("8 bytes"));
    let token = String::from_utf8_lossy(rest);
    let c = creds();
    let expect = Expectations {
        key_id: c.key_id(),
        issuer: c.issuer(),
        now,
        leeway,
    };
    let err = match verify(&token, c.verifying_key(), &expect) {
        Ok(claims) => {
            assert_eq!(token, example(), "a forged JWT was accepted");
            assert!(claims.iat <= now.saturating_add(leeway));
            assert!(now < claims.exp.saturating_add(leeway));
            return;
        }
        Err(e) => e,
    };
    assert_eq!(err.kind(), auth_core::ErrorKind::Verification);
    // A token (no whitespace, 24 characters or more) never appears in the error; an input
    // with spaces could spell part of an English message by itself.
    if token.len() >= 24 && !token.contains(char::is_whitespace) {
        assert!(!format!("{err} {err:?}").contains(token.as_ref()));
    }
});
