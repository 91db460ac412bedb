//! DragonPass push-event verification (RS256 pinned) against a test key. Must never panic
//! and never accept a token the fuzzer made up.
#![no_main]

use dragonpass::PushPublicKey;
use dragonpass::verify_push_token;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const KEY: &str = include_str!("../../crates/dragonpass/tests/vectors/push_key1_public.pem");

fn key() -> &'static PushPublicKey {
    static K: OnceLock<PushPublicKey> = OnceLock::new();
    K.get_or_init(|| PushPublicKey::from_pem("k1", KEY).expect("test key"))
}

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let r = verify_push_token(&token, std::slice::from_ref(key()), 1_700_000_000, 60);
    assert!(r.is_err(), "a forged push event was accepted");
});
