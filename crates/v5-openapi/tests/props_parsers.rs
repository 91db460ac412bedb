//! Property tests of the V5 parsers of untrusted input: the `{code, msg, data}` envelope of
//! the token endpoint and of API calls under any status, `Retry-After` and body; the
//! `expire_time` date parser; the credential JSON.

use std::time::{Duration, UNIX_EPOCH};

use auth_core::{ErrorKind, ExposeSecret};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_v5_openapi::V5Credentials;
use tollgate_v5_openapi::{Envelope, Origin, parse_envelope};
use tollgate_v5_openapi::{ExpireTimeZone, TokenData, parse_naive_datetime};

const TOKEN: &str = "v5-property-token-value-0123456789";
const REJECTION_CODES: &[i64] = &[40101, 40102];

fn retry_after() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        "[0-9]{20,24}",
        "[a-zA-Z ,:0-9-]{0,24}",
    ])
}

fn seconds_hint(ra: &Option<String>) -> Option<Duration> {
    let t = ra.as_deref()?.trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| Duration::from_secs(t.parse::<u64>().unwrap_or(u64::MAX).min(3600)))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        Just(json!(0)),
        Just(json!("0")),
        prop_oneof![Just(40101i64), Just(40102), Just(40003), any::<i64>()].prop_map(|n| json!(n)),
        (1i64..100_000).prop_map(|n| json!(n.to_string())),
        Just(json!(true)),
        Just(json!(1.5)),
    ];
    let data = prop_oneof![
        Just(Value::Null),
        Just(json!({"token": TOKEN, "expire_time": "2030-01-01T00:00:00"})),
        Just(json!({"token": TOKEN})),
        Just(json!({"other": 1})),
        Just(json!("x")),
    ];
    let env = (
        proptest::option::of(code),
        proptest::option::of("[ -~]{0,12}"),
        proptest::option::of(data),
    )
        .prop_map(|(c, msg, d)| {
            let mut m = Map::new();
            if let Some(c) = c {
                m.insert("code".into(), c);
            }
            if let Some(t) = msg {
                m.insert("msg".into(), json!(t));
            }
            if let Some(d) = d {
                m.insert("data".into(), d);
            }
            Value::Object(m).to_string().into_bytes()
        });
    prop_oneof![3 => env, 1 => proptest::collection::vec(any::<u8>(), 0..40)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any response at either endpoint: data only for a 2xx `code 0` envelope with data (or
    /// an API call whose type accepts none); otherwise the kind of the documented table, the
    /// code, and — "in every case" — the `Retry-After` hint; never the token in an error.
    #[test]
    fn envelopes(
        api in any::<bool>(),
        status in prop_oneof![Just(200u16), Just(401), Just(403), Just(429), Just(500), 200u16..600],
        ra in retry_after(),
        body in body(),
    ) {
        let endpoint = if api { Origin::Api } else { Origin::TokenEndpoint };
        let status = StatusCode::from_u16(status).expect("status");
        let mut h = HeaderMap::new();
        if let Some(v) = ra.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(http::header::RETRY_AFTER, v);
        }
        // The envelope as the parser reads it (its `data` typed as the caller asked).
        let code = if api {
            serde_json::from_slice::<Envelope<Option<TokenData>>>(&body).ok().map(|e| e.code)
        } else {
            serde_json::from_slice::<Envelope<TokenData>>(&body).ok().map(|e| e.code)
        };
        let got = if api {
            parse_envelope::<Option<TokenData>>(endpoint, status, &h, &body, REJECTION_CODES).map(|d| d.map(|t| t.token))
        } else {
            parse_envelope::<TokenData>(endpoint, status, &h, &body, REJECTION_CODES).map(|t| Some(t.token))
        };
        match got {
            Ok(token) => {
                prop_assert!(status.is_success() && code == Some(0));
                if let Some(t) = token {
                    prop_assert_eq!(t.as_str(), TOKEN);
                } else {
                    prop_assert!(api);
                }
            }
            Err(e) => {
                prop_assert!(!format!("{} {:?}", e, e).contains(TOKEN), "the error repeats the input");
                let s = status.as_u16();
                match code {
                    Some(code) if code != 0 => {
                        let want = match (s, endpoint) {
                            (500..=599, _) => ErrorKind::ServerError,
                            (429, _) => ErrorKind::RateLimited,
                            (401 | 403, Origin::Api) => ErrorKind::TokenRejected,
                            (_, Origin::Api) if REJECTION_CODES.contains(&code) => ErrorKind::TokenRejected,
                            (_, Origin::TokenEndpoint) => ErrorKind::Unauthorized,
                            (_, Origin::Api) => ErrorKind::Provider,
                        };
                        prop_assert_eq!(e.kind(), want, "{}", e);
                        prop_assert_eq!(e.provider_code().map(str::to_string), Some(code.to_string()));
                    }
                    _ if status.is_success() => prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{}", e),
                    _ => {
                        let want = match s {
                            401 | 403 if api => ErrorKind::TokenRejected,
                            401 | 403 => ErrorKind::Unauthorized,
                            429 => ErrorKind::RateLimited,
                            500..=599 => ErrorKind::ServerError,
                            _ => ErrorKind::Provider,
                        };
                        prop_assert_eq!(e.kind(), want, "{}", e);
                    }
                }
                if let Some(hint) = seconds_hint(&ra).filter(|_| !status.is_success() || code.is_some_and(|c| c != 0)) {
                    prop_assert_eq!(e.retry_after(), Some(hint), "{}", e);
                    prop_assert!(e.is_retryable());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Dates as the server writes them (either separator, 0 to 9 fraction digits, a leap
    /// second) in any fixed zone: the instant they name, or `None` before the epoch.
    #[test]
    fn expire_time_round_trip(
        days in 0i64..2_932_896,
        secs_of_day in 0u32..86_401,
        frac in "[0-9]{0,9}",
        space in any::<bool>(),
        offset in prop_oneof![Just(0i32), -86_399i32..86_400],
    ) {
        let date = time::Date::from_julian_day(2_440_588 + i32::try_from(days).expect("days")).expect("date");
        let (h, m, s) = if secs_of_day == 86_400 { (23, 59, 60) } else { (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60) };
        if date.year() > 9999 {
            return Ok(());
        }
        let text = format!(
            "{:04}-{:02}-{:02}{}{h:02}:{m:02}:{s:02}{}",
            date.year(), u8::from(date.month()), date.day(),
            if space { ' ' } else { 'T' },
            if frac.is_empty() { String::new() } else { format!(".{frac}") },
        );
        let zone = if offset == 0 { ExpireTimeZone::Utc } else { ExpireTimeZone::FixedOffset(offset) };
        let micros: i64 = format!("{frac:0<6}")[..6].parse().expect("digits");
        let local = days * 86_400 + i64::from(secs_of_day);
        let total = (local - i64::from(offset)) * 1_000_000 + micros;
        let want = u64::try_from(total).ok().map(|us| UNIX_EPOCH + Duration::from_micros(us));
        prop_assert_eq!(parse_naive_datetime(&text, zone), want, "{}", text);
    }

    /// Anything else never panics, and text that cannot be a date is `None`.
    #[test]
    fn expire_time_arbitrary(text in prop_oneof![".{0,30}", "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:]{8}[.0-9a-z]{0,4}"], offset in any::<i32>()) {
        let got = parse_naive_datetime(&text, ExpireTimeZone::FixedOffset(offset));
        if got.is_some() {
            let b = text.trim().as_bytes();
            prop_assert!(b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[13] == b':' && b[16] == b':', "{:?}", text);
        }
    }

    /// Credential JSON: the values back when both are present (under either name); an
    /// invalid credential naming a field, never repeating the input, otherwise.
    #[test]
    fn credentials_json(
        id in proptest::option::of("[A-Za-z0-9_-]{1,20}"),
        secret in proptest::option::of("[!-~]{1,30}"),
        aliases in any::<bool>(),
        junk in ".{0,40}",
        use_junk in prop::bool::weighted(0.3),
    ) {
        let text = if use_junk {
            junk.clone()
        } else {
            let (a, b) = if aliases { ("user_id", "user_api_secret") } else { ("app_id", "app_secret") };
            let mut m = Map::new();
            if let Some(i) = &id { m.insert(a.into(), json!(i)); }
            if let Some(s) = &secret { m.insert(b.into(), json!(s)); }
            Value::Object(m).to_string()
        };
        match V5Credentials::from_json_str(&text) {
            Ok(c) => {
                prop_assert!(!use_junk || serde_json::from_str::<Value>(&text).is_ok());
                if !use_junk {
                    prop_assert_eq!(Some(c.app_id()), id.as_deref());
                    prop_assert_eq!(Some(c.app_secret().expose_secret()), secret.as_deref());
                }
            }
            Err(e) => {
                prop_assert!(use_junk || id.is_none() || secret.is_none(), "{}", e);
                prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
                prop_assert!(e.field().is_some());
                if let Some(s) = secret.as_deref().filter(|s| s.len() >= 8) {
                    prop_assert!(!format!("{} {:?}", e, e).contains(s), "the error repeats the input");
                }
            }
        }
    }
}
