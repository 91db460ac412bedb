//! The bad-input corpus (this crate's `tests/corpus/`, see its `manifest.json`): every DragonPass
//! entry fails with the expected kind and field, and nothing panics.

use http::{HeaderMap, StatusCode};
use testkit::corpus::{Got, run};
use tollgate_dragonpass::extract_token;
use tollgate_dragonpass::{Origin, parse_envelope};
use tollgate_dragonpass::{ProgramId, parse_rsa_private_key};
use tollgate_dragonpass::{PushPublicKey, verify_push_token};

const PUSH_KEY: &str = include_str!("vectors/push_key1_public.pem");

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn corpus() {
    let key = PushPublicKey::from_pem("k1", PUSH_KEY).expect("test key");
    let n = run(CORPUS, "dragonpass", |case| {
        let text = case.text();
        match case.loader.as_str() {
            "rsa_private_key" => Got::auth(parse_rsa_private_key("private_key", &text)),
            "push_public_key" => Got::auth(PushPublicKey::from_pem("k1", &text)),
            "program_id" => Got::auth(ProgramId::new(text)),
            "token_response" => Got::auth(
                parse_envelope::<serde_json::Value>(
                    Origin::TokenEndpoint,
                    StatusCode::OK,
                    &HeaderMap::new(),
                    &case.bytes,
                )
                .and_then(|data| extract_token(&data)),
            ),
            "push_token" => Got::auth(verify_push_token(
                &text,
                std::slice::from_ref(&key),
                1_700_000_000,
                60,
            )),
            other => panic!("unknown loader {other}"),
        }
    });
    assert!(n >= 25, "{n}");
}
