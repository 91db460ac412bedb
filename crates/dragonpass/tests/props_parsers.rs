//! Property tests of every DragonPass parser of untrusted input: token-endpoint and API
//! responses (any status, any `Retry-After`, any body), push-event tokens (checked against
//! an independent model of the verifier's checks, so each refusal names the check that
//! fired), RSA and push keys, and program ids.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_dragonpass::auth_core::ErrorKind;
use tollgate_dragonpass::sign::{b64url, hs256_signature, rs256_signature, signing_input};
use tollgate_dragonpass::{
    DEFAULT_MAX_AGE, DEFAULT_MAX_LIFETIME, PushPublicKey, verify_push_token,
};
use tollgate_dragonpass::{Envelope, Origin, parse_envelope};
use tollgate_dragonpass::{ProgramId, RsaSigningKey, parse_rsa_private_key};
use tollgate_dragonpass::{TOKEN_API_LIFETIME, extract_token};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const NOW: u64 = 1_754_300_000;
const LEEWAY: u64 = 30;

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect("test key")
}

// ---- responses ------------------------------------------------------------------------

/// `Retry-After` as servers send it (seconds), as they should not (words) or not at all.
fn retry_after() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        "[0-9]{20,24}",
        "[a-zA-Z ,:0-9-]{0,24}",
    ])
}

fn headers(ra: &Option<String>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(v) = ra
        && let Ok(v) = HeaderValue::from_str(v)
    {
        h.insert(http::header::RETRY_AFTER, v);
    }
    h
}

/// The delay the header asks for when it is in delay-seconds form.
fn seconds_hint(ra: &Option<String>) -> Option<Duration> {
    let t = ra.as_deref()?.trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| Duration::from_secs(t.parse::<u64>().unwrap_or(u64::MAX).min(3600)))
}

const TOKEN: &str = "eyJ0b2tlbi12YWx1ZS1mb3ItcHJvcGVydGllcyJ9";

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z0-9 ]{0,8}".prop_map(Value::String),
    ]
}

/// Envelopes of every shape: success and error codes as numbers or strings, data as a
/// string, an object with the token under any of its names, or anything else.
fn envelope_body() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        Just(json!(0)),
        Just(json!("0")),
        prop_oneof![
            Just(401u64),
            Just(403),
            Just(429),
            Just(500),
            Just(503),
            1u64..100_000
        ]
        .prop_map(|n| json!(n)),
        (1u64..100_000).prop_map(|n| json!(n.to_string())),
        json_scalar(),
    ];
    let data = prop_oneof![
        Just(None),
        Just(Some(json!(TOKEN))),
        (
            prop_oneof![
                Just("accessToken"),
                Just("token"),
                Just("access_token"),
                Just("other")
            ],
            prop_oneof![Just(json!(TOKEN)), Just(json!("")), json_scalar()],
            proptest::option::of((
                prop_oneof![Just("expiresIn"), Just("expires_in")],
                json_scalar()
            )),
        )
            .prop_map(|(k, v, exp)| {
                let mut m = Map::new();
                m.insert(k.to_string(), v);
                if let Some((ek, ev)) = exp {
                    m.insert(ek.to_string(), ev);
                }
                Some(Value::Object(m))
            }),
        json_scalar().prop_map(Some),
    ];
    (
        proptest::option::of(code),
        proptest::option::of("[ -~]{0,12}"),
        data,
    )
        .prop_map(|(code, msg, data)| {
            let mut m = Map::new();
            if let Some(c) = code {
                m.insert("code".into(), c);
            }
            if let Some(t) = msg {
                m.insert("message".into(), json!(t));
            }
            if let Some(d) = data {
                m.insert("data".into(), d);
            }
            Value::Object(m).to_string().into_bytes()
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => envelope_body(),
        1 => proptest::collection::vec(any::<u8>(), 0..48),
        1 => "[{}\\[\\]\":,0-9a-z ]{0,32}".prop_map(String::into_bytes),
    ]
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![Just(200u16), Just(401), Just(403), Just(429), 200u16..600]
        .prop_map(|s| StatusCode::from_u16(s).expect("status"))
}

/// The kind the documented mapping gives a failed response with this status and code.
fn mapped_kind(origin: Origin, status: StatusCode, code: Option<&str>) -> ErrorKind {
    let numeric = code.and_then(|c| c.parse::<u64>().ok());
    let is = |n: u16| status.as_u16() == n || numeric == Some(u64::from(n));
    if is(429) {
        ErrorKind::RateLimited
    } else if status.is_server_error() || numeric.is_some_and(|c| (500..=599).contains(&c)) {
        ErrorKind::ServerError
    } else if origin == Origin::Api && (is(401) || is(403)) {
        ErrorKind::TokenRejected
    } else if origin == Origin::Api {
        ErrorKind::Provider
    } else {
        ErrorKind::Unauthorized
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any response at either endpoint: a token only from a 2xx `code 0` envelope with a
    /// non-empty token (and then exactly that token and lifetime); otherwise the kind of the
    /// documented table, the `Retry-After` hint on every failed status, and never the token
    /// in the error.
    #[test]
    fn responses_map_to_the_documented_error(
        api in any::<bool>(),
        status in status(),
        ra in retry_after(),
        body in body(),
    ) {
        let origin = if api { Origin::Api } else { Origin::TokenEndpoint };
        let h = headers(&ra);
        let got = parse_envelope::<Value>(origin, status, &h, &body).and_then(|d| extract_token(&d));
        let env = serde_json::from_slice::<Envelope<Value>>(&body).ok();
        match (&got, &env) {
            (Ok(t), Some(env)) => {
                prop_assert!(status.is_success() && env.is_success());
                let data = env.data.as_ref().expect("data");
                let want = match data {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(m) => ["accessToken", "token", "access_token"]
                        .iter()
                        .find_map(|k| m.get(*k).and_then(Value::as_str)),
                    _ => None,
                };
                prop_assert_eq!(Some(t.token.as_str()), want);
                prop_assert!(!t.token.is_empty());
                let secs = ["expiresIn", "expires_in"].iter()
                    .find_map(|k| data.get(*k).and_then(Value::as_u64))
                    .filter(|s| *s > 0);
                prop_assert_eq!(t.lifetime, secs.map_or(TOKEN_API_LIFETIME, Duration::from_secs));
            }
            (Ok(_), None) => prop_assert!(false, "a body that is no envelope gave a token"),
            (Err(e), _) => {
                prop_assert!(!format!("{} {:?}", e, e).contains(TOKEN), "the error repeats the token");
                let failed = !status.is_success() || env.as_ref().is_some_and(|e| !e.is_success());
                if !failed {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{}", e);
                } else if let Some(env) = &env {
                    prop_assert_eq!(e.kind(), mapped_kind(origin, status, Some(&env.code)), "{}", e);
                    if env.code.len() <= 64 && !env.code.chars().any(char::is_control) {
                        prop_assert_eq!(e.provider_code(), Some(env.code.as_str()));
                    }
                } else {
                    let want = match status.as_u16() {
                        401 | 403 => ErrorKind::Unauthorized,
                        429 => ErrorKind::RateLimited,
                        500..=599 => ErrorKind::ServerError,
                        _ => ErrorKind::Provider,
                    };
                    prop_assert_eq!(e.kind(), want, "{}", e);
                }
                if !status.is_success() {
                    let hint = seconds_hint(&ra);
                    if hint.is_some() {
                        prop_assert_eq!(e.retry_after(), hint, "{}", e);
                        prop_assert!(e.is_retryable());
                    }
                }
            }
        }
    }
}

// ---- push events ----------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Sig {
    /// RS256 with the configured key `k1`.
    K1,
    /// RS256 with a key that is not configured.
    K3,
    /// A valid `k1` signature with its last byte changed.
    Flipped,
    /// HMAC-SHA256 keyed with the configured public key's PEM (algorithm confusion).
    HmacWithPublicKey,
    /// Not base64url.
    NotBase64,
}

#[derive(Debug, Clone)]
struct PushCase {
    alg: Option<Value>,
    kid: Option<Value>,
    crit: bool,
    iss: Option<Value>,
    iat: Option<Value>,
    exp: Option<Value>,
    nbf: Option<Value>,
    sig: Sig,
}

fn date() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(prop_oneof![
        4 => (-200_000i64..200_000).prop_map(|d| json!(NOW as i64 + d)),
        1 => (-400i64..400).prop_map(|d| json!(NOW as i64 + d)),
        1 => Just(json!("soon")),
        1 => Just(json!(-5)),
        1 => Just(json!(NOW as f64 + 0.5)),
    ])
}

fn push_case() -> impl Strategy<Value = PushCase> {
    (
        proptest::option::of(prop_oneof![
            4 => Just(json!("RS256")),
            1 => Just(json!("HS256")),
            1 => Just(json!("none")),
            1 => Just(json!("RS512")),
            1 => Just(json!("rs256")),
            1 => Just(json!(256)),
        ]),
        proptest::option::of(prop_oneof![4 => Just(json!("k1")), 1 => Just(json!("k2")), 1 => Just(json!(1))]),
        prop::bool::weighted(0.1),
        proptest::option::of(prop_oneof![6 => Just(json!("dragonpass")), 1 => Just(json!("other")), 1 => Just(json!(7))]),
        date(),
        date(),
        date(),
        prop_oneof![
            6 => Just(Sig::K1),
            1 => Just(Sig::K3),
            1 => Just(Sig::Flipped),
            1 => Just(Sig::HmacWithPublicKey),
            1 => Just(Sig::NotBase64),
        ],
    )
        .prop_map(|(alg, kid, crit, iss, iat, exp, nbf, sig)| PushCase {
            alg,
            kid,
            crit,
            iss,
            iat,
            exp,
            nbf,
            sig,
        })
}

struct Keys {
    k1: RsaSigningKey,
    k3: RsaSigningKey,
    public_pem: String,
    verifier_key: PushPublicKey,
}

fn keys() -> &'static Keys {
    static K: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let private = |n: u8| {
            RsaSigningKey::new(
                parse_rsa_private_key("k", &file(&format!("push_key{n}_private.pem")))
                    .expect("key"),
            )
        };
        let public_pem = file("push_key1_public.pem");
        Keys {
            k1: private(1),
            k3: private(3),
            verifier_key: PushPublicKey::from_pem("k1", &public_pem).expect("public key"),
            public_pem,
        }
    })
}

fn build(c: &PushCase) -> String {
    let mut h = Map::new();
    if let Some(a) = &c.alg {
        h.insert("alg".into(), a.clone());
    }
    if let Some(k) = &c.kid {
        h.insert("kid".into(), k.clone());
    }
    if c.crit {
        h.insert("crit".into(), json!(["exp"]));
    }
    let mut cl = Map::new();
    for (name, v) in [
        ("iss", &c.iss),
        ("iat", &c.iat),
        ("exp", &c.exp),
        ("nbf", &c.nbf),
    ] {
        if let Some(v) = v {
            cl.insert(name.into(), v.clone());
        }
    }
    cl.insert("eventType".into(), json!("ORDER_USED"));
    let input = signing_input(
        &b64url(Value::Object(h).to_string()),
        &b64url(Value::Object(cl).to_string()),
    );
    let k = keys();
    let sig = match c.sig {
        Sig::K1 => b64url(rs256_signature(&k.k1, &input).expect("sign")),
        Sig::K3 => b64url(rs256_signature(&k.k3, &input).expect("sign")),
        Sig::Flipped => {
            let mut s = rs256_signature(&k.k1, &input).expect("sign");
            if let Some(last) = s.last_mut() {
                *last ^= 1;
            }
            b64url(s)
        }
        Sig::HmacWithPublicKey => b64url(hs256_signature(k.public_pem.as_bytes(), &input)),
        Sig::NotBase64 => "!!not*base64!!".to_string(),
    };
    format!("{input}.{sig}")
}

/// The checks of the verifier's documentation, in its order: the reason a token must be
/// refused for, or `None` when it must be accepted.
fn expected_refusal(c: &PushCase) -> Option<&'static str> {
    match c.alg.as_ref() {
        None => return Some("header has no alg"),
        Some(Value::String(a)) if a == "RS256" => {}
        Some(Value::String(_)) => return Some("algorithm not allowed"),
        Some(_) => return Some("header has no alg"),
    }
    if c.crit {
        return Some("critical header extensions");
    }
    match c.kid.as_ref() {
        Some(Value::String(k)) if k == "k1" => {}
        Some(Value::String(_)) => return Some("unknown kid"),
        _ => return Some("header has no kid"),
    }
    match c.sig {
        Sig::K1 => {}
        Sig::NotBase64 => return Some("signature is not base64url"),
        Sig::K3 | Sig::Flipped | Sig::HmacWithPublicKey => return Some("bad signature"),
    }
    if c.iss != Some(json!("dragonpass")) {
        return Some("wrong issuer");
    }
    let num = |v: &Option<Value>, name: &'static str| -> Result<Option<u64>, &'static str> {
        match v {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f.floor() as u64))
                .map(Some)
                .ok_or(name),
        }
    };
    let iat = match num(&c.iat, "iat is not a NumericDate") {
        Ok(v) => v,
        Err(why) => return Some(why),
    };
    if iat.is_some_and(|iat| iat > NOW + LEEWAY) {
        return Some("issued in the future");
    }
    match num(&c.exp, "exp is not a NumericDate") {
        Err(why) => return Some(why),
        Ok(Some(exp)) => {
            if NOW >= exp + LEEWAY {
                return Some("expired");
            }
            let (base, skew) = iat.map_or((NOW, LEEWAY), |i| (i, 0));
            if exp.saturating_sub(base) > DEFAULT_MAX_LIFETIME.as_secs() + skew {
                return Some("exp too far in the future");
            }
        }
        Ok(None) => match iat {
            None => return Some("no exp claim (and no iat"),
            Some(iat) if NOW >= iat + DEFAULT_MAX_AGE.as_secs() + LEEWAY => return Some("too old"),
            Some(_) => {}
        },
    }
    match num(&c.nbf, "nbf is not a NumericDate") {
        Err(why) => Some(why),
        Ok(Some(nbf)) if nbf > NOW + LEEWAY => Some("not valid yet"),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Generated push tokens (every header, claim and signature variation): accepted
    /// exactly when the model accepts them, otherwise refused for the model's reason.
    #[test]
    fn push_tokens_are_judged_check_by_check(c in push_case()) {
        let token = build(&c);
        let got = verify_push_token(&token, std::slice::from_ref(&keys().verifier_key), NOW, LEEWAY);
        match (expected_refusal(&c), got) {
            (None, Ok(ev)) => {
                prop_assert_eq!(ev.kid.as_str(), "k1");
                prop_assert_eq!(ev.claims.get("eventType"), Some(&json!("ORDER_USED")));
            }
            (None, Err(e)) => prop_assert!(false, "refused a valid token: {} ({:?})", e, c),
            (Some(why), Ok(_)) => prop_assert!(false, "accepted a token to refuse for {:?}: {:?}", why, c),
            (Some(why), Err(e)) => {
                prop_assert_eq!(e.kind(), ErrorKind::Verification);
                prop_assert!(!e.is_retryable());
                prop_assert!(e.message().contains(why), "expected {:?}, got {}", why, e);
            }
        }
    }

    /// Arbitrary text, and arbitrary text shaped like a JWS: refused as a verification
    /// failure, never a panic, and the error never repeats the token.
    #[test]
    fn arbitrary_push_tokens_are_refused(
        token in prop_oneof![
            ".{0,80}",
            "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,40}",
            "eyJ[A-Za-z0-9_-]{0,60}\\.eyJ[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,40}",
        ]
    ) {
        let e = verify_push_token(&token, std::slice::from_ref(&keys().verifier_key), NOW, LEEWAY)
            .expect_err("nothing made up verifies");
        prop_assert_eq!(e.kind(), ErrorKind::Verification);
        if token.len() >= 24 {
            prop_assert!(!format!("{} {:?}", e, e).contains(token.as_str()), "the error repeats the input");
        }
    }
}

// ---- keys and ids -----------------------------------------------------------------------

/// Text a key file might hold: anything, or PEM armour around anything.
fn pem_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        (
            prop_oneof![
                Just("PRIVATE KEY"),
                Just("RSA PRIVATE KEY"),
                Just("PUBLIC KEY"),
                Just("RSA PUBLIC KEY"),
                Just("EC PRIVATE KEY"),
                Just("CERTIFICATE"),
            ],
            "[A-Za-z0-9+/=\n]{0,120}",
        )
            .prop_map(|(label, body)| format!(
                "-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
            )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Key loaders refuse anything that is not a key as an invalid credential naming the
    /// field, without repeating the input.
    #[test]
    fn key_loaders_name_the_field(text in pem_like()) {
        let e = parse_rsa_private_key("private_key", &text).expect_err("no key in random text");
        prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        prop_assert_eq!(e.field(), Some("private_key"));
        let p = PushPublicKey::from_pem("k1", &text).expect_err("no key in random text");
        prop_assert_eq!(p.kind(), ErrorKind::InvalidCredentials);
        prop_assert_eq!(p.field(), Some("push_public_key"));
        if text.len() >= 24 {
            prop_assert!(!format!("{} {:?} {} {:?}", e, e, p, p).contains(text.as_str()), "the error repeats the input");
        }
    }

    /// Program ids: accepted exactly when they are 1 to 32 ASCII digits.
    #[test]
    fn program_ids(id in prop_oneof!["[0-9]{0,40}", ".{0,12}", "[0-9]{3}[^0-9][0-9]{3}"]) {
        let valid = !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit());
        match ProgramId::new(id.clone()) {
            Ok(p) => {
                prop_assert!(valid, "{:?} accepted", id);
                prop_assert_eq!(p.as_str(), id.as_str());
            }
            Err(e) => {
                prop_assert!(!valid, "{:?} refused", id);
                prop_assert_eq!(e.field(), Some("program_id"));
            }
        }
    }
}

/// The JOSE names written into the header of self-signed tokens.
#[test]
fn algorithm_names() {
    use tollgate_dragonpass::sign::Algorithm;
    assert_eq!(Algorithm::Hs256.name(), "HS256");
    assert_eq!(Algorithm::Rs256.name(), "RS256");
}
