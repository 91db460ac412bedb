//! SNAP notification verification: method, EndpointUrl, X-TIMESTAMP, X-SIGNATURE and body
//! (newline-separated) against the provider's test key. Must never panic, never accept.
#![no_main]

use auth_core::ManualClock;
use libfuzzer_sys::fuzz_target;
use snap_b2b::SnapPublicKey;
use snap_b2b::NotificationVerifier;
use std::sync::OnceLock;

const KEY: &str = include_str!("../../crates/snap-b2b/tests/vectors/keys/provider_public.pem");

fn verifier() -> &'static NotificationVerifier {
    static V: OnceLock<NotificationVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let key = SnapPublicKey::from_pem("key", KEY).expect("test key");
        // 2024-01-01T00:00:00+07:00
        NotificationVerifier::new(key).clock(ManualClock::at_unix(1_704_042_000).shared())
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(5, '\n');
    let (Some(method), Some(url), Some(ts), Some(sig)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let body = parts.next().unwrap_or_default();
    let r = verifier().verify(method, url, ts, sig, body.as_bytes());
    assert!(r.is_err(), "a forged notification was accepted");
});
