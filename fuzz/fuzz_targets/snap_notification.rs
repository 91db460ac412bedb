//! SNAP notification verification: method, EndpointUrl, X-TIMESTAMP, X-SIGNATURE and body
//! (newline-separated) against the provider's test key, with the clock inside the window
//! of whatever timestamp parses (the first byte sets the skew), so input reaches the
//! signature, body and signature checks. Must never panic, never accept a forgery; a
//! refusal inside the window is never about the timestamp.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use auth_core::ManualClock;
use libfuzzer_sys::fuzz_target;
use snap_b2b::SnapPublicKey;
use snap_b2b::parse_timestamp;
use snap_b2b::{NotificationError, NotificationVerifier};

const KEY: &str = include_str!("../../crates/snap-b2b/tests/vectors/keys/provider_public.pem");
const WINDOW: Duration = Duration::from_secs(300);

fn key() -> &'static SnapPublicKey {
    static K: OnceLock<SnapPublicKey> = OnceLock::new();
    K.get_or_init(|| SnapPublicKey::from_pem("key", KEY).expect("test key"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&skew, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(5, '\n');
    let (Some(method), Some(url), Some(ts), Some(sig)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let body = parts.next().unwrap_or_default();
    // The clock: the timestamp's own instant moved by up to the window either way, or a
    // fixed instant (2024-01-01T00:00:00+07:00) for timestamps that do not parse.
    let at = parse_timestamp(ts).unwrap_or(UNIX_EPOCH + Duration::from_secs(1_704_042_000));
    let by = WINDOW.mul_f64(f64::from(skew & 0x7f) / 127.0);
    let now = if skew & 0x80 != 0 {
        at.checked_add(by)
    } else {
        at.checked_sub(by)
    }
    .unwrap_or(at);
    let verifier = NotificationVerifier::new(key().clone())
        .window(WINDOW)
        .clock(ManualClock::new(now).shared());
    let r = verifier.verify(method, url, ts, sig, body.as_bytes());
    match r {
        Ok(_) => panic!("a forged notification was accepted"),
        Err(NotificationError::StaleTimestamp { .. }) => {
            panic!("a timestamp inside the window was refused as stale")
        }
        Err(NotificationError::MalformedTimestamp) => assert!(parse_timestamp(ts).is_err()),
        Err(_) => {}
    }
});
