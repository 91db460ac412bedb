//! Property tests of the GTR parsers of untrusted input: API envelopes (`check_envelope`)
//! and login responses under any status, `Retry-After` and body; `api_key.csv`; PKCS#12
//! and PEM client identities.

use std::time::Duration;

use auth_core::ExposeSecret;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_gtr::ClientIdentity;
use tollgate_gtr::ErrorKind;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::parse_login_response;
use tollgate_gtr::{Envelope, VerifyStatus, check_envelope};

const JWT: &str = "eyJndHItbG9naW4tcHJvcGVydHktand0In0.e30.c2ln";

fn retry_after() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        "[0-9]{20,24}",
        "[a-zA-Z ,:0-9-]{0,24}",
    ])
}

fn headers(ra: &Option<String>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(v) = ra.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(http::header::RETRY_AFTER, v);
    }
    h
}

fn seconds_hint(ra: &Option<String>) -> Option<Duration> {
    let t = ra.as_deref()?.trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| Duration::from_secs(t.parse::<u64>().unwrap_or(u64::MAX).min(3600)))
}

fn envelope_body() -> impl Strategy<Value = Vec<u8>> {
    let status = prop_oneof![
        Just(json!(100000)),
        Just(json!("100000")),
        prop_oneof![
            Just(100021u64),
            Just(100014),
            Just(100020),
            Just(100003),
            Just(100006),
            Just(100001),
            100000u64..100100
        ]
        .prop_map(|n| json!(n)),
        Just(json!("abc")),
        Just(json!(true)),
    ];
    let data = prop_oneof![
        Just(Value::Null),
        Just(json!({"jwt": JWT, "vaspCode": "v"})),
        Just(json!({"n": 1})),
        Just(json!("x")),
    ];
    (
        proptest::option::of(status),
        proptest::option::of(data),
        proptest::option::of(any::<bool>()),
        proptest::option::of("[ -~]{0,12}"),
    )
        .prop_map(|(s, d, ok, msg)| {
            let mut m = Map::new();
            if let Some(s) = s {
                m.insert("verifyStatus".into(), s);
            }
            if let Some(d) = d {
                m.insert("data".into(), d);
            }
            if let Some(ok) = ok {
                m.insert("success".into(), json!(ok));
            }
            if let Some(msg) = msg {
                m.insert("verifyMessage".into(), json!(msg));
            }
            Value::Object(m).to_string().into_bytes()
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => envelope_body(),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        Just(200u16),
        Just(401),
        Just(402),
        Just(429),
        Just(503),
        200u16..600
    ]
    .prop_map(|s| StatusCode::from_u16(s).expect("status"))
}

/// GTR's success rule, read from the raw JSON: a 2xx answer whose `verifyStatus` is 100000
/// (number or string) is a success whether `success` is present or not; `success: false`
/// or any other code is not; without a code, `success: true` decides.
fn is_documented_success(status: StatusCode, body: &[u8]) -> bool {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let code = match m.get("verifyStatus") {
        None => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => return false,
    };
    let success = m.get("success").and_then(Value::as_bool);
    status.is_success()
        && success != Some(false)
        && match code {
            Some(c) => c == "100000",
            None => success == Some(true),
        }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// API envelopes: data exactly for a 2xx success envelope (see
    /// [`is_documented_success`]); otherwise an invalid response (2xx, not an envelope) or
    /// the mapped error carrying GTR's code and, on a failed status, the `Retry-After` hint.
    #[test]
    fn api_envelopes(status in status(), ra in retry_after(), body in body()) {
        let h = headers(&ra);
        let env = serde_json::from_slice::<Envelope<Value>>(&body).ok();
        let result = check_envelope::<Value>(status, Some(&h), &body);
        prop_assert_eq!(result.is_ok(), is_documented_success(status, &body), "{}", String::from_utf8_lossy(&body));
        match result {
            Ok(data) => {
                let env = env.expect("an envelope");
                prop_assert!(env.verify_status.is_none_or(VerifyStatus::is_success));
                prop_assert_eq!(data, env.data);
            }
            Err(e) => {
                match &env {
                    None if status.is_success() => prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse),
                    None => {}
                    Some(env) => {
                        if let Some(code) = env.verify_status {
                            prop_assert_eq!(e.provider_code().map(str::to_string), Some(code.code().to_string()));
                            if code.is_token_rejected() {
                                prop_assert_eq!(e.kind(), ErrorKind::TokenRejected);
                            }
                        }
                    }
                }
                if !status.is_success() && let Some(hint) = seconds_hint(&ra) {
                    prop_assert_eq!(e.retry_after(), Some(hint), "{}", e);
                    prop_assert!(e.is_retryable());
                }
            }
        }
    }

    /// Login responses: the JWT exactly from a 2xx success envelope with data; a refusal is
    /// never "token rejected" (there is no token yet), never repeats the JWT, and carries
    /// the `Retry-After` hint on a failed status.
    #[test]
    fn login_responses(status in status(), ra in retry_after(), body in body()) {
        let h = headers(&ra);
        let result = parse_login_response(status, Some(&h), &body);
        let has_jwt = serde_json::from_slice::<Value>(&body)
            .is_ok_and(|v| v["data"]["jwt"].as_str() == Some(JWT));
        prop_assert_eq!(result.is_ok(), is_documented_success(status, &body) && has_jwt, "{}", String::from_utf8_lossy(&body));
        match result {
            Ok(d) => {
                prop_assert!(status.is_success());
                prop_assert_eq!(d.jwt.as_str(), JWT);
            }
            Err(e) => {
                prop_assert_ne!(e.kind(), ErrorKind::TokenRejected);
                prop_assert!(!format!("{} {:?}", e, e).contains(JWT), "the error repeats the input");
                if !status.is_success() && let Some(hint) = seconds_hint(&ra) {
                    prop_assert_eq!(e.retry_after(), Some(hint), "{}", e);
                }
            }
        }
    }
}

fn field() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{1,24}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A well-formed `api_key.csv` (columns in any order, named in camelCase or as GTR's
    /// pages name them, extra columns, quoting, CRLF, BOM) gives back exactly its values.
    #[test]
    fn api_key_csv_round_trip(
        vasp in field(), access in field(), secret in field(),
        order in Just([0usize, 1, 2, 3]).prop_shuffle(),
        crlf in any::<bool>(), bom in any::<bool>(), quote in any::<bool>(),
        snake in proptest::array::uniform3(any::<bool>()),
    ) {
        let names = [
            if snake[0] { "vasp_code" } else { "vaspCode" },
            if snake[1] { "access_key" } else { "accessKey" },
            if snake[2] { "secret_key" } else { "secretKey" },
            "curvePublicKey",
        ];
        let values = [vasp.as_str(), access.as_str(), secret.as_str(), "pub"];
        let q = |s: &str| if quote { format!("\"{s}\"") } else { s.to_string() };
        let nl = if crlf { "\r\n" } else { "\n" };
        let header: Vec<_> = order.iter().map(|&i| names[i].to_string()).collect();
        let row: Vec<_> = order.iter().map(|&i| q(values[i])).collect();
        let text = format!("{}{}{nl}{}{nl}", if bom { "\u{feff}" } else { "" }, header.join(","), row.join(","));
        let c = GtrCredentials::from_api_key_csv_str(&text).expect("valid csv");
        prop_assert_eq!(c.vasp_code(), vasp.as_str());
        prop_assert_eq!(c.access_key(), access.as_str());
        prop_assert_eq!(c.secret_key().expose_secret(), secret.as_str());
    }

    /// Anything else: an invalid credential that never repeats the input.
    #[test]
    fn api_key_csv_arbitrary(text in prop_oneof![
        ".{0,80}",
        "vaspCode,accessKey,secretKey\n[ -~\n\",]{0,60}",
    ]) {
        if let Err(e) = GtrCredentials::from_api_key_csv_str(&text) {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
            prop_assert!(e.field().is_some(), "{}", e);
            if text.len() >= 24 {
                prop_assert!(!format!("{} {:?}", e, e).contains(text.as_str()), "the error repeats the input");
            }
        }
    }

    /// PKCS#12 and PEM identities from arbitrary bytes: an invalid credential, never a panic.
    #[test]
    fn client_identities_arbitrary(
        der in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::collection::vec(any::<u8>(), 0..200).prop_map(|mut v| { v.splice(0..0, [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]); v }),
        ],
        pem in "[ -~\n]{0,120}",
    ) {
        let e = ClientIdentity::from_pkcs12(&der, "changeit").expect_err("no identity in random bytes");
        prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        let p = ClientIdentity::from_pem(&pem, &pem).expect_err("no identity in random text");
        prop_assert_eq!(p.kind(), ErrorKind::InvalidCredentials);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The app token's timestamp is the clock reading in whole milliseconds, in decimal.
    #[test]
    fn timestamp_millis_is_the_clock_in_milliseconds(ms in 0u64..4_102_444_800_000, sub in 0u32..1_000_000) {
        let t = std::time::UNIX_EPOCH + Duration::from_millis(ms) + Duration::from_nanos(u64::from(sub));
        prop_assert_eq!(tollgate_gtr::sign::timestamp_millis(t), ms.to_string());
    }
}
