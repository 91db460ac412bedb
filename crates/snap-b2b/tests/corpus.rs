//! The bad-input corpus (this crate's `tests/corpus/`, see its `manifest.json`): every SNAP entry (keys,
//! bodies, notifications, token responses) fails with the expected kind, nothing panics.

use auth_core::ManualClock;
use testkit::corpus::{Got, run};
use tollgate_snap_b2b::AccessTokenResponse;
use tollgate_snap_b2b::NotificationVerifier;
use tollgate_snap_b2b::minify_json;
use tollgate_snap_b2b::{SnapPrivateKey, SnapPublicKey};

const PROVIDER_PUBLIC: &str = include_str!("vectors/keys/provider_public.pem");

/// The first word of a `Debug` rendering: the variant name.
fn variant(debug: String) -> String {
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn corpus() {
    // 2024-01-01T00:00:00+07:00
    let clock = ManualClock::at_unix(1_704_042_000);
    let verifier = NotificationVerifier::new(
        SnapPublicKey::from_pem("key", PROVIDER_PUBLIC).expect("test key"),
    )
    .clock(clock.shared());
    let n = run(CORPUS, "snap-b2b", |case| {
        let text = case.text();
        match case.loader.as_str() {
            "private_key" => Got::auth(SnapPrivateKey::from_pem("key", &text)),
            "public_key" => Got::auth(SnapPublicKey::from_pem("key", &text)),
            "minify" => match minify_json(&case.bytes) {
                Ok(_) => Got::Accepted,
                Err(e) => Got::Refused {
                    kind: "MinifyError".into(),
                    field: None,
                    message: e.reason.to_string(),
                },
            },
            "notification" => {
                let n: serde_json::Value = serde_json::from_str(&text).expect("case JSON");
                let s = |k: &str| n[k].as_str().expect("string field").to_string();
                match verifier.verify(
                    &s("method"),
                    &s("url"),
                    &s("timestamp"),
                    &s("signature"),
                    s("body").as_bytes(),
                ) {
                    Ok(_) => Got::Accepted,
                    Err(e) => Got::Refused {
                        kind: variant(format!("{e:?}")),
                        field: None,
                        message: e.to_string(),
                    },
                }
            }
            "token_response" => match serde_json::from_slice::<AccessTokenResponse>(&case.bytes) {
                // What the token source maps a non-JSON 2xx body to.
                Err(_) => Got::Refused {
                    kind: "InvalidResponse".into(),
                    field: None,
                    message: "not an access-token response".into(),
                },
                Ok(r) => Got::auth(r.lifetime().and_then(|_| r.into_token())),
            },
            other => panic!("unknown loader {other}"),
        }
    });
    assert!(n >= 25, "{n}");
}
