//! Property tests of auth-core's parsers of untrusted input: `Retry-After` (both forms, any
//! header bytes, any clock), the status mapping that carries it, stored fleet values
//! (`StoredToken::decode`) and the token-value check. Each property states the exact answer,
//! computed independently of the code under test.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use tollgate_auth_core::error::{MAX_RETRY_AFTER, retry_after_header_at};
use tollgate_auth_core::store::StoredToken;
use tollgate_auth_core::token::{MAX_TOKEN_LEN, check_token_value};
use tollgate_auth_core::{AuthError, ErrorKind, ExposeSecret, SecretString};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn with_retry_after(value: &[u8]) -> Option<HeaderMap> {
    let v = HeaderValue::from_bytes(value).ok()?;
    let mut h = HeaderMap::new();
    h.insert(http::header::RETRY_AFTER, v);
    Some(h)
}

/// Optional whitespace a server may put around the value.
fn pad() -> impl Strategy<Value = String> {
    "[ \t]{0,2}"
}

/// The latest instant an HTTP-date can name (9999-12-31T23:59:59Z).
const LAST_HTTP_DATE: u64 = 253_402_300_799;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Delay-seconds: any run of digits (beyond u64 included) is that many seconds, capped.
    #[test]
    fn retry_after_digits(digits in "[0-9]{1,30}", l in pad(), r in pad(), now in 0u64..LAST_HTTP_DATE) {
        let h = with_retry_after(format!("{l}{digits}{r}").as_bytes()).expect("valid header");
        let secs = digits.parse::<u128>().expect("digits");
        let want = Duration::from_secs(u64::try_from(secs.min(3600)).expect("small"));
        prop_assert_eq!(retry_after_header_at(&h, at(now)), Some(want));
    }

    /// HTTP-date: the distance from the clock to the date, zero for a past date, capped.
    #[test]
    fn retry_after_http_date(date in 0u64..=LAST_HTTP_DATE, now in 0u64..=LAST_HTTP_DATE) {
        let text = httpdate::fmt_http_date(at(date));
        let h = with_retry_after(text.as_bytes()).expect("valid header");
        let want = Duration::from_secs(date.saturating_sub(now).min(3600));
        prop_assert_eq!(retry_after_header_at(&h, at(now)), Some(want));
    }

    /// Any other value is ignored, never a panic and never more than the cap.
    #[test]
    fn retry_after_arbitrary_bytes(value in proptest::collection::vec(any::<u8>(), 0..40), now in any::<u32>()) {
        let Some(h) = with_retry_after(&value) else { return Ok(()) };
        let got = retry_after_header_at(&h, at(u64::from(now)));
        let text = std::str::from_utf8(&value).ok().filter(|_| h[http::header::RETRY_AFTER].to_str().is_ok());
        match text.map(str::trim) {
            None => prop_assert_eq!(got, None, "non-visible-ASCII header read"),
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                prop_assert!(got.is_some());
            }
            Some(t) => prop_assert_eq!(got.is_some(), httpdate::parse_http_date(t).is_ok(), "{:?}", t),
        }
        prop_assert!(got.is_none_or(|d| d <= MAX_RETRY_AFTER));
    }

    /// Near misses of both forms are ignored (`None`), not read as something else.
    #[test]
    fn retry_after_near_misses(n in 0u32..100_000, form in 0u8..5) {
        let text = match form {
            0 => format!("-{n}"),
            1 => format!("{n}.5"),
            2 => format!("+{n}"),
            3 => format!("{n}s"),
            _ => format!("0x{n:x}"),
        };
        let h = with_retry_after(text.as_bytes()).expect("valid header");
        prop_assert_eq!(retry_after_header_at(&h, at(0)), None, "{}", text);
    }

    /// Every error built from a response carries the header's hint and is then retryable;
    /// without one, the kind's default retryability stands.
    #[test]
    fn status_errors_carry_retry_after(
        status in prop_oneof![Just(401u16), Just(403), Just(429), Just(500), Just(599), 400u16..600],
        secs in proptest::option::of(0u64..100_000),
    ) {
        let status = StatusCode::from_u16(status).expect("status");
        let h = match secs {
            Some(s) => with_retry_after(s.to_string().as_bytes()).expect("header"),
            None => HeaderMap::new(),
        };
        let e = AuthError::from_status("token", status, Some(&h));
        let want_kind = match status.as_u16() {
            401 | 403 => ErrorKind::Unauthorized,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::Provider,
        };
        prop_assert_eq!(e.kind(), want_kind);
        prop_assert_eq!(e.retry_after(), secs.map(|s| Duration::from_secs(s.min(3600))));
        prop_assert_eq!(e.is_retryable(), secs.is_some() || want_kind.default_retryable());
        prop_assert!(e.to_string().contains(&status.as_u16().to_string()));
        let kind_text = match want_kind {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::ServerError => "provider server error",
            _ => "provider error",
        };
        prop_assert!(e.to_string().starts_with(kind_text), "{}", e);
    }

    /// `with_retry_after` clamps whatever it is given.
    #[test]
    fn retry_after_hint_is_clamped(nanos in any::<u64>(), secs in any::<u64>()) {
        let d = Duration::new(secs, u32::try_from(nanos % 1_000_000_000).expect("nanos"));
        let e = AuthError::new(ErrorKind::RateLimited, "x").with_retry_after(d);
        prop_assert_eq!(e.retry_after(), Some(d.min(MAX_RETRY_AFTER)));
    }

    /// Stored values: `encode` then `decode` gives the token back, whatever its bytes
    /// (colons included) and lifetime.
    #[test]
    fn stored_token_round_trip(
        value in "[!-~]{1,40}",
        life_ms in proptest::option::of(any::<u64>()),
        remaining_ms in proptest::option::of(any::<u64>()),
    ) {
        let t = StoredToken {
            value: SecretString::from(value.clone()),
            remaining: remaining_ms.map(Duration::from_millis),
            lifetime: life_ms.map(Duration::from_millis),
        };
        let back = StoredToken::decode(&t.encode(), t.remaining).expect("own encoding decodes");
        prop_assert_eq!(back.value.expose_secret(), value.as_str());
        prop_assert_eq!(back.lifetime, t.lifetime);
        prop_assert_eq!(back.remaining, t.remaining);
    }

    /// Anything a store hands back: never a panic; parsed exactly when it is
    /// `<digits fitting u64, or ->:<non-empty token>`, and then to those parts.
    #[test]
    fn stored_token_decode_arbitrary(
        text in prop_oneof![
            ".{0,30}",
            "(-|[0-9]{0,22}|[a-z ]{0,3}):.{0,12}",
        ],
        remaining in proptest::option::of(any::<u32>()),
    ) {
        let remaining = remaining.map(|ms| Duration::from_millis(u64::from(ms)));
        let got = StoredToken::decode(&text, remaining);
        let want = text.split_once(':').and_then(|(life, value)| {
            if value.is_empty() {
                return None;
            }
            let lifetime = match life {
                "-" => None,
                ms if !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(Duration::from_millis(ms.parse::<u64>().ok()?))
                }
                _ => return None,
            };
            Some((lifetime, value.to_string()))
        });
        match (got, want) {
            (None, None) => {}
            (Some(t), Some((lifetime, value))) => {
                prop_assert_eq!(t.lifetime, lifetime);
                prop_assert_eq!(t.value.expose_secret(), value.as_str());
                prop_assert_eq!(t.remaining, remaining);
            }
            (got, want) => prop_assert!(false, "{:?}: decoded {:?}, expected {:?}", text, got.map(|t| t.lifetime), want.map(|w| w.0)),
        }
    }

    /// A token from a server: accepted exactly when it is 1 to MAX_TOKEN_LEN visible ASCII
    /// characters; refused as an invalid response that never repeats it.
    #[test]
    fn token_value_check(value in prop_oneof![
        "[!-~]{0,64}",
        ".{0,64}",
        "[!-~]{16}[ \t\r\n\u{7f}\u{80}-\u{10ffff}][!-~]{0,16}",
    ]) {
        let ok = !value.is_empty() && value.len() <= MAX_TOKEN_LEN && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
        match check_token_value(&value) {
            Ok(()) => prop_assert!(ok, "{:?} accepted", value),
            Err(e) => {
                prop_assert!(!ok, "{:?} refused", value);
                prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse);
                if value.len() >= 8 {
                    prop_assert!(!format!("{} {:?}", e, e).contains(value.as_str()), "the error repeats the input");
                }
            }
        }
    }
}

#[test]
fn token_value_length_limit_is_exact() {
    // The documented limit: 16 KiB.
    assert!(check_token_value(&"a".repeat(16 * 1024)).is_ok());
    assert!(check_token_value(&"a".repeat(16 * 1024 + 1)).is_err());
    let at_limit = "a".repeat(MAX_TOKEN_LEN);
    assert!(check_token_value(&at_limit).is_ok());
    let over = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(
        check_token_value(&over).expect_err("too long").kind(),
        ErrorKind::InvalidResponse
    );
}

#[test]
fn the_cause_is_kept_as_the_error_source() {
    let cause = std::io::Error::other("connection reset");
    let e = AuthError::new(ErrorKind::Transport, "token request").with_source(cause);
    let source = std::error::Error::source(&e).expect("a source");
    assert_eq!(source.to_string(), "connection reset");
    // Decorating a shared error keeps the cause, as text.
    let shared = e.clone();
    let decorated = shared.with_provider_code("x");
    let source = std::error::Error::source(&decorated).expect("a source");
    assert_eq!(source.to_string(), "connection reset");
    assert!(std::error::Error::source(&AuthError::new(ErrorKind::Internal, "x")).is_none());
}
