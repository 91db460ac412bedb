//! Property tests of the Holidu parsers of untrusted input: JWT verification (checked
//! against an independent model of its checks, so each refusal names the check that
//! fired), error responses under any status and `Retry-After`, and `account_info.json`.

use std::sync::OnceLock;
use std::time::Duration;

use auth_core::ErrorKind;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_holidu::HoliduCredentials;
use tollgate_holidu::error_from_response;
use tollgate_holidu::sign::{self, Expectations, b64url, signing_input};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const NOW: u64 = 1_754_300_000;
const LEEWAY: u64 = 30;

fn creds() -> &'static HoliduCredentials {
    static C: OnceLock<HoliduCredentials> = OnceLock::new();
    C.get_or_init(|| {
        let json = std::fs::read_to_string(format!("{DIR}account_info.json")).expect("file");
        HoliduCredentials::from_account_info_json(&json).expect("valid")
    })
}

#[derive(Debug, Clone)]
struct Case {
    alg: Value,
    kid_ok: bool,
    crit: bool,
    iss_ok: bool,
    iat: Value,
    exp: Value,
    sig: u8,
}

fn num() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (-8_000i64..8_000).prop_map(|d| json!(NOW as i64 + d)),
        1 => Just(json!("x")),
        1 => Just(json!(-1)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![6 => Just(json!("ES256")), 1 => Just(json!("RS256")), 1 => Just(json!("none")), 1 => Just(json!("ES384"))],
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.85),
        num(),
        num(),
        prop_oneof![6 => Just(0u8), 1 => Just(1), 1 => Just(2), 1 => Just(3)],
    )
        .prop_map(|(alg, kid_ok, crit, iss_ok, iat, exp, sig)| Case { alg, kid_ok, crit, iss_ok, iat, exp, sig })
}

fn build(c: &Case) -> String {
    let k = creds();
    let mut h = Map::new();
    h.insert("alg".into(), c.alg.clone());
    h.insert(
        "kid".into(),
        json!(if c.kid_ok { k.key_id() } else { "other-kid" }),
    );
    if c.crit {
        h.insert("crit".into(), json!(["exp"]));
    }
    let claims =
        json!({"iss": if c.iss_ok { k.issuer() } else { "OTHER" }, "iat": c.iat, "exp": c.exp});
    let input = signing_input(&Value::Object(h).to_string(), &claims.to_string());
    let sig = sign::sign_es256(k.signing_key(), &input, &mut rand::rngs::OsRng).expect("sign");
    let sig = match c.sig {
        0 => b64url(&sig),
        1 => {
            let mut s = sig;
            s[63] ^= 1;
            b64url(&s)
        }
        2 => b64url(&sig[..63]),
        _ => "%%".to_string(),
    };
    format!("{input}.{sig}")
}

/// Holidu's checks in the verifier's documented order.
fn expected_refusal(c: &Case) -> Option<&'static str> {
    if c.alg != json!("ES256") {
        return Some("algorithm not allowed");
    }
    if c.crit {
        return Some("critical header extensions");
    }
    if !c.kid_ok {
        return Some("unknown kid");
    }
    match c.sig {
        0 => {}
        1 => return Some("bad signature"),
        2 => return Some("signature is not 64 bytes"),
        _ => return Some("signature is not base64url"),
    }
    let (Some(iat), Some(exp)) = (c.iat.as_u64(), c.exp.as_u64()) else {
        return Some("claims are not the expected JSON");
    };
    if !c.iss_ok {
        return Some("unknown iss");
    }
    if exp <= iat {
        return Some("exp is not after iat");
    }
    if exp - iat > 3600 {
        return Some("more than one hour");
    }
    if iat > NOW + LEEWAY {
        return Some("iat is in the future");
    }
    if NOW >= exp + LEEWAY {
        return Some("token expired");
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Generated tokens: accepted exactly when the model accepts them (with their claims),
    /// otherwise refused as a verification failure for the model's reason.
    #[test]
    fn tokens_are_judged_check_by_check(c in case()) {
        let token = build(&c);
        let k = creds();
        let expect = Expectations { key_id: k.key_id(), issuer: k.issuer(), now: NOW, leeway: LEEWAY };
        match (expected_refusal(&c), sign::verify(&token, k.verifying_key(), &expect)) {
            (None, Ok(claims)) => {
                prop_assert_eq!(Some(claims.iat), c.iat.as_u64());
                prop_assert_eq!(Some(claims.exp), c.exp.as_u64());
            }
            (None, Err(e)) => prop_assert!(false, "refused a valid token: {} ({:?})", e, c),
            (Some(why), Ok(_)) => prop_assert!(false, "accepted a token to refuse for {:?}: {:?}", why, c),
            (Some(why), Err(e)) => {
                prop_assert_eq!(e.kind(), ErrorKind::Verification);
                prop_assert!(e.message().contains(why), "expected {:?}, got {}", why, e);
            }
        }
    }

    /// Arbitrary text, JWS-shaped or not: refused, never a panic, never repeated.
    #[test]
    fn arbitrary_tokens_are_refused(token in prop_oneof![
        ".{0,80}",
        "eyJ[A-Za-z0-9_-]{0,60}\\.eyJ[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,90}",
    ], now in any::<u64>(), leeway in any::<u64>()) {
        let k = creds();
        let expect = Expectations { key_id: k.key_id(), issuer: k.issuer(), now, leeway };
        let e = sign::verify(&token, k.verifying_key(), &expect).expect_err("nothing made up verifies");
        prop_assert_eq!(e.kind(), ErrorKind::Verification);
        if token.len() >= 24 {
            prop_assert!(!format!("{} {:?}", e, e).contains(token.as_str()), "the error repeats the input");
        }
    }

    /// Error responses: the kind of the documented table, the `Retry-After` hint, the
    /// body's message cleaned of control characters.
    #[test]
    fn error_responses(
        status in prop_oneof![Just(401u16), Just(403), Just(429), 400u16..600],
        ra in proptest::option::of((0u64..100_000).prop_map(|n| n.to_string())),
        msg in proptest::option::of("[ -~\r\n\u{1b}]{0,40}"),
        raw in proptest::collection::vec(any::<u8>(), 0..30),
        json_body in any::<bool>(),
    ) {
        let status = StatusCode::from_u16(status).expect("status");
        let mut h = HeaderMap::new();
        if let Some(v) = &ra {
            h.insert(http::header::RETRY_AFTER, HeaderValue::from_str(v).expect("digits"));
        }
        let body = if json_body {
            json!({"status": status.as_u16(), "error": "x", "message": msg}).to_string().into_bytes()
        } else {
            raw
        };
        let e = error_from_response(status, &h, &body);
        let want = match status.as_u16() {
            401 => ErrorKind::TokenRejected,
            403 => ErrorKind::Unauthorized,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::Provider,
        };
        prop_assert_eq!(e.kind(), want);
        let hint = ra.map(|s| Duration::from_secs(s.parse::<u64>().expect("digits").min(3600)));
        prop_assert_eq!(e.retry_after(), hint);
        prop_assert_eq!(e.is_retryable(), hint.is_some() || matches!(want, ErrorKind::RateLimited | ErrorKind::ServerError));
        prop_assert!(!e.to_string().chars().any(char::is_control), "{:?}", e.to_string());
    }

    /// `account_info.json`: anything but a complete document is an invalid credential that
    /// names a field and never repeats the input.
    #[test]
    fn account_info_arbitrary(
        text in prop_oneof![
            ".{0,60}",
            (proptest::option::of("[ -~]{0,12}"), proptest::option::of("[ -~]{0,12}"), proptest::option::of("[ -~\n]{0,40}"), proptest::option::of("[ -~\n]{0,40}"))
                .prop_map(|(k, i, p, q)| {
                    let mut m = Map::new();
                    if let Some(k) = k { m.insert("keyId".into(), json!(k)); }
                    if let Some(i) = i { m.insert("issuer".into(), json!(i)); }
                    if let Some(p) = p { m.insert("privateKey".into(), json!(p)); }
                    if let Some(q) = q { m.insert("publicKey".into(), json!(q)); }
                    Value::Object(m).to_string()
                }),
        ]
    ) {
        let e = HoliduCredentials::from_account_info_json(&text).expect_err("no key in random text");
        prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        prop_assert!(e.field().is_some(), "{}", e);
        if text.len() >= 24 {
            prop_assert!(!format!("{} {:?}", e, e).contains(text.as_str()), "the error repeats the input");
        }
    }
}
