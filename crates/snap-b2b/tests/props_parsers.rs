//! Property tests of the SNAP parsers of untrusted input: access-token responses (any
//! status, any `Retry-After`, any body), notifications verified with a clock inside the
//! timestamp window (so input reaches the signature, body and signature checks), the
//! `X-TIMESTAMP` parser, and the key loaders.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{ErrorKind, ManualClock};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_snap_b2b::error_from_response;
use tollgate_snap_b2b::sign::{SignatureEncoding, asymmetric_string_to_sign, body_sha256_hex};
use tollgate_snap_b2b::{AccessTokenResponse, DEFAULT_TOKEN_LIFETIME};
use tollgate_snap_b2b::{NotificationError, NotificationVerifier};
use tollgate_snap_b2b::{SnapPrivateKey, SnapPublicKey};
use tollgate_snap_b2b::{TimestampFormat, Zone, parse_timestamp};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");

fn key_file(name: &str) -> String {
    std::fs::read_to_string(format!("{KEYS}{name}")).expect("test key")
}

// ---- token responses --------------------------------------------------------------------

const TOKEN: &str = "eyJzbmFwLXByb3BlcnR5LXRva2VuLXZhbHVlIn0";

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

fn token_body() -> impl Strategy<Value = Vec<u8>> {
    let code = prop_oneof![
        Just("2007300".to_string()),
        Just("4017301".to_string()),
        Just("4017303".to_string()),
        Just("4017300".to_string()),
        Just("5007300".to_string()),
        "[0-9]{7}",
        "[0-9a-z]{0,20}",
    ];
    let expires = prop_oneof![
        (0u64..100_000).prop_map(|n| json!(n.to_string())),
        (0u64..100_000).prop_map(|n| json!(n)),
        Just(json!("-5")),
        Just(json!(1.5)),
        Just(json!(null)),
        Just(json!([])),
        "[a-z ]{0,5}".prop_map(|s| json!(s)),
    ];
    let token = prop_oneof![
        4 => Just(json!(TOKEN)),
        1 => Just(json!("")),
        1 => Just(json!("   ")),
        1 => Just(json!(42)),
    ];
    (
        proptest::option::of(code),
        proptest::option::of("[ -~]{0,16}"),
        proptest::option::of(token),
        proptest::option::of(expires),
        any::<bool>(),
    )
        .prop_map(|(code, msg, token, exp, snake)| {
            let mut m = Map::new();
            let name = |camel: &str, snake_name: &str| {
                if snake {
                    snake_name.to_string()
                } else {
                    camel.to_string()
                }
            };
            if let Some(c) = code {
                m.insert(name("responseCode", "response_code"), json!(c));
            }
            if let Some(t) = msg {
                m.insert(name("responseMessage", "response_message"), json!(t));
            }
            if let Some(t) = token {
                m.insert(name("accessToken", "access_token"), t);
            }
            if let Some(e) = exp {
                m.insert(name("expiresIn", "expires_in"), e);
            }
            Value::Object(m).to_string().into_bytes()
        })
}

/// What the token source does with a response: the error mapping for a failed status,
/// the parsed response otherwise.
fn read_token_response(
    status: StatusCode,
    h: &HeaderMap,
    body: &[u8],
) -> Result<auth_core::FetchedToken, auth_core::AuthError> {
    if !status.is_success() {
        return Err(error_from_response(
            "SNAP access token request",
            status,
            h,
            body,
        ));
    }
    let parsed: AccessTokenResponse = serde_json::from_slice(body).map_err(|_| {
        auth_core::AuthError::new(ErrorKind::InvalidResponse, "not the expected JSON")
    })?;
    parsed.into_token()
}

fn seven_digits(s: &str) -> bool {
    s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A token only from a 2xx answer whose `responseCode` (if any) is a 2xx code, whose
    /// `expiresIn` is a positive number of seconds (or absent) and whose token is not
    /// blank; failed statuses map by the documented table, carry the `Retry-After` hint and
    /// the code; the token is never in an error.
    #[test]
    fn token_responses(
        status in prop_oneof![Just(200u16), Just(401), Just(403), Just(429), Just(504), 200u16..600],
        ra in retry_after(),
        body in prop_oneof![3 => token_body(), 1 => proptest::collection::vec(any::<u8>(), 0..40)],
    ) {
        let status = StatusCode::from_u16(status).expect("status");
        let mut h = HeaderMap::new();
        if let Some(v) = ra.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(http::header::RETRY_AFTER, v);
        }
        let v: Option<Value> = serde_json::from_slice(&body).ok();
        let field = |camel: &str, snake: &str| v.as_ref().and_then(|v| v.get(camel).or_else(|| v.get(snake))).cloned();
        let code = field("responseCode", "response_code").and_then(|c| c.as_str().map(str::to_string));
        match read_token_response(status, &h, &body) {
            Ok(t) => {
                prop_assert!(status.is_success());
                prop_assert!(code.as_deref().is_none_or(|c| seven_digits(c) && c.starts_with('2')));
                prop_assert_eq!(auth_core::ExposeSecret::expose_secret(&t.value), TOKEN);
                let want = match field("expiresIn", "expires_in") {
                    None | Some(Value::Null) => DEFAULT_TOKEN_LIFETIME,
                    Some(Value::String(s)) => Duration::from_secs(s.trim().parse().expect("accepted")),
                    Some(n) => Duration::from_secs(n.as_u64().expect("accepted")),
                };
                prop_assert_eq!(t.lifetime, Some(want));
            }
            Err(e) => {
                prop_assert!(!format!("{} {:?}", e, e).contains(TOKEN), "the error repeats the input");
                if status.is_success() {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{}", e);
                } else {
                    let rejection = code.as_deref().is_some_and(|c| seven_digits(c) && c.starts_with("401") && (c.ends_with("01") || c.ends_with("03")));
                    let want = match status.as_u16() {
                        401 if rejection => ErrorKind::TokenRejected,
                        401 | 403 => ErrorKind::Unauthorized,
                        429 => ErrorKind::RateLimited,
                        504 => ErrorKind::Timeout,
                        500..=599 => ErrorKind::ServerError,
                        _ => ErrorKind::Provider,
                    };
                    prop_assert_eq!(e.kind(), want, "{}", e);
                    if let Some(hint) = seconds_hint(&ra) {
                        prop_assert_eq!(e.retry_after(), Some(hint));
                        prop_assert!(e.is_retryable());
                    }
                    if let Some(c) = code.as_deref().filter(|c| c.len() <= 16 && c.is_ascii()) {
                        prop_assert_eq!(e.provider_code(), Some(c));
                    }
                }
            }
        }
    }
}

// ---- notifications ----------------------------------------------------------------------

const WINDOW: Duration = Duration::from_secs(300);

fn provider() -> &'static (SnapPrivateKey, NotificationVerifierParts) {
    static P: OnceLock<(SnapPrivateKey, NotificationVerifierParts)> = OnceLock::new();
    P.get_or_init(|| {
        let private = SnapPrivateKey::from_pem(
            "provider_private_key",
            &key_file("provider_private_pkcs8.pem"),
        )
        .expect("provider private key");
        let public =
            SnapPublicKey::from_pem("provider_public_key", &key_file("provider_public.pem"))
                .expect("provider public key");
        (private, NotificationVerifierParts { public })
    })
}

struct NotificationVerifierParts {
    public: SnapPublicKey,
}

fn verifier(now: SystemTime) -> NotificationVerifier {
    NotificationVerifier::new(provider().1.public.clone())
        .window(WINDOW)
        .clock(ManualClock::new(now).shared())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[ a-zA-Z0-9éü中\"\\\\/\n\t]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just(Zone::Utc),
        Just(Zone::JAKARTA),
        (-1439i32..=1439).prop_map(Zone::Offset)
    ]
}

/// A clock reading (2001 to 2100) and an `X-TIMESTAMP` within the window of it.
fn clock_and_timestamp() -> impl Strategy<Value = (SystemTime, String)> {
    (
        1_000_000_000_000u64..4_102_444_800_000,
        -(WINDOW.as_millis() as i64 - 1000)..(WINDOW.as_millis() as i64 - 1000),
        zone(),
        any::<bool>(),
    )
        .prop_map(|(now_ms, skew_ms, zone, millis)| {
            let now = UNIX_EPOCH + Duration::from_millis(now_ms);
            let at = UNIX_EPOCH + Duration::from_millis(now_ms.saturating_add_signed(skew_ms));
            (now, TimestampFormat { zone, millis }.format(at))
        })
}

fn sign(method: &str, url: &str, body: &[u8], ts: &str) -> String {
    let minified = tollgate_snap_b2b::minify_json(body).expect("valid JSON");
    let sts = asymmetric_string_to_sign(method, url, &body_sha256_hex(&minified), ts);
    SignatureEncoding::Base64.encode(&provider().0.sign(sts.as_bytes()))
}

/// The one refusal a notification inside the window must get, from the order of checks:
/// an undecodable signature, then a body that is not JSON, then the signature itself.
fn expected_refusal(sig: &str, body: &[u8]) -> NotificationError {
    if SignatureEncoding::Base64.decode(sig).is_none() {
        return NotificationError::MalformedSignature;
    }
    let blank = body
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if !blank && serde_json::from_slice::<Value>(body).is_err() {
        // The offset and reason are the minifier's; only the variant is predicted.
        let any = tollgate_snap_b2b::minify_json(b"{").expect_err("not JSON");
        return NotificationError::InvalidBody(any);
    }
    NotificationError::BadSignature
}

fn same_variant(a: &NotificationError, b: &NotificationError) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Signed by the provider, inside the window, any body layout: verified, with the
    /// compact body and the instant the timestamp names.
    #[test]
    fn signed_notifications_verify(
        (now, ts) in clock_and_timestamp(),
        method in prop_oneof![Just("POST".to_string()), Just("PUT".to_string()), "[A-Z]{3,7}"],
        url in "/[a-z0-9/._-]{0,24}(\\?[a-z0-9=&]{0,10})?",
        v in json_value(),
        pretty in any::<bool>(),
    ) {
        let body = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.expect("json");
        let sig = sign(&method, &url, &body, &ts);
        let ok = verifier(now).verify(&method, &url, &ts, &sig, &body).expect("verifies");
        prop_assert_eq!(&ok.minified_body, &serde_json::to_vec(&v).expect("json"));
        prop_assert_eq!(ok.timestamp, parse_timestamp(&ts).expect("ts"));
    }

    /// One signed part changed — method, URL, timestamp spelling or a value in the body:
    /// a bad signature, never accepted.
    #[test]
    fn tampered_notifications_are_refused(
        (now, ts) in clock_and_timestamp(),
        url in "/[a-z0-9/]{1,16}",
        amount in 0u32..1_000_000,
        part in 0u8..4,
    ) {
        let body = json!({"amount": amount.to_string(), "note": "a  b"}).to_string();
        let sig = sign("POST", &url, body.as_bytes(), &ts);
        let (m, u, t, b) = match part {
            0 => ("PUT".to_string(), url.clone(), ts.clone(), body.clone()),
            1 => ("POST".to_string(), format!("{url}x"), ts.clone(), body.clone()),
            2 => {
                // The same instant, spelled differently.
                let other = if ts.ends_with('Z') {
                    TimestampFormat { zone: Zone::Offset(0), millis: ts.contains('.') }
                } else {
                    TimestampFormat { zone: Zone::Utc, millis: ts.contains('.') }
                };
                let respelled = other.format(parse_timestamp(&ts).expect("ts"));
                ("POST".to_string(), url.clone(), respelled, body.clone())
            }
            _ => ("POST".to_string(), url.clone(), ts.clone(), body.replace("a  b", "a b")),
        };
        let got = verifier(now).verify(&m, &u, &t, &sig, b.as_bytes());
        prop_assert_eq!(got, Err(NotificationError::BadSignature));
    }

    /// Anything else inside the window: refused for the first failing check, in order.
    #[test]
    fn arbitrary_notifications_inside_the_window(
        (now, ts) in clock_and_timestamp(),
        method in ".{0,8}",
        url in ".{0,24}",
        sig in prop_oneof!["[A-Za-z0-9+/]{0,8}={0,2}", "[A-Za-z0-9+/]{340}[AQgw]==", ".{0,40}"],
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..40),
            "[{}\\[\\]\":, 0-9a-z]{0,24}".prop_map(String::into_bytes),
        ],
    ) {
        let got = verifier(now).verify(&method, &url, &ts, &sig, &body).expect_err("not signed");
        let want = expected_refusal(&sig, &body);
        prop_assert!(same_variant(&got, &want), "got {:?}, expected {:?}", got, want);
    }

    /// Outside the window (either way) the timestamp is refused before anything else, with
    /// the exact skew and direction.
    #[test]
    fn notifications_outside_the_window(
        now_s in 1_000_000_000u64..4_102_444_800,
        beyond in 1u64..1_000_000,
        ahead in any::<bool>(),
        zone in zone(),
    ) {
        let skew = WINDOW.as_secs() + beyond;
        let at = if ahead { now_s + skew } else { now_s - skew };
        let ts = TimestampFormat { zone, millis: false }.format(UNIX_EPOCH + Duration::from_secs(at));
        let got = verifier(UNIX_EPOCH + Duration::from_secs(now_s)).verify("POST", "/x", &ts, "!", b"{");
        prop_assert_eq!(got, Err(NotificationError::StaleTimestamp { skew: Duration::from_secs(skew), in_future: ahead }));
    }
}

// ---- X-TIMESTAMP ------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every format the signer writes reads back as the same instant (to the precision
    /// written).
    #[test]
    fn timestamps_round_trip(ms in 0u64..253_402_300_799_000, zone in zone(), millis in any::<bool>()) {
        let t = UNIX_EPOCH + Duration::from_millis(ms);
        let text = TimestampFormat { zone, millis }.format(t);
        let want = if millis { t } else { UNIX_EPOCH + Duration::from_secs(ms / 1000) };
        // A local time past year 9999 cannot be written: the writer clamps it.
        if text.starts_with("9999-12-31") || text.starts_with("0000") {
            return Ok(());
        }
        prop_assert_eq!(parse_timestamp(&text), Ok(want), "{}", text);
    }

    /// A valid timestamp with one character replaced by one the grammar does not allow
    /// there is refused; arbitrary text never panics.
    #[test]
    fn broken_timestamps_are_refused(
        ms in 0u64..4_102_444_800_000,
        zone in zone(),
        pos in any::<prop::sample::Index>(),
        junk in "[a-zA-SU-Y /_]",
        text in ".{0,40}",
    ) {
        let good = TimestampFormat { zone, millis: true }.format(UNIX_EPOCH + Duration::from_millis(ms));
        let i = pos.index(good.len());
        let mut bad = good.clone().into_bytes();
        bad[i] = junk.as_bytes()[0];
        let bad = String::from_utf8(bad).expect("ascii");
        prop_assert!(parse_timestamp(&bad).is_err(), "{:?} accepted", bad);
        if parse_timestamp(&text).is_ok() {
            prop_assert!(text.len() >= 20, "{:?} accepted", text);
        }
    }
}

// ---- keys -------------------------------------------------------------------------------

fn pem_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,80}",
        (
            prop_oneof![
                Just("PRIVATE KEY"),
                Just("RSA PRIVATE KEY"),
                Just("PUBLIC KEY"),
                Just("CERTIFICATE")
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

    /// The key loaders refuse anything that is not a key as an invalid credential naming
    /// the field they were given, without repeating the input.
    #[test]
    fn key_loaders_name_the_field(text in pem_like()) {
        let e = SnapPrivateKey::from_pem("private_key", &text).expect_err("no key in random text");
        prop_assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        prop_assert_eq!(e.field(), Some("private_key"));
        let p = SnapPublicKey::from_pem("provider_public_key", &text).expect_err("no key in random text");
        prop_assert_eq!(p.kind(), ErrorKind::InvalidCredentials);
        prop_assert_eq!(p.field(), Some("provider_public_key"));
        if text.len() >= 24 {
            prop_assert!(!format!("{} {:?} {} {:?}", e, e, p, p).contains(text.as_str()), "the error repeats the input");
        }
    }
}

// ---- symmetric signatures ----------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// HMAC-SHA512 verification (what the local fake checks transactions with): its own tag
    /// verifies; a changed byte, a shorter tag, another message or another key do not.
    #[test]
    fn hmac_tags_verify_only_for_their_message_and_key(
        secret in "[!-~]{1,40}",
        other_secret in "[!-~]{1,40}",
        msg in proptest::collection::vec(any::<u8>(), 0..80),
        flip in 0usize..64,
    ) {
        use tollgate_snap_b2b::sign::HmacKey;
        let key = HmacKey::new(&auth_core::SecretString::from(secret.clone()));
        let tag = key.sign(&msg);
        prop_assert!(key.verify(&msg, &tag));
        let mut bad = tag;
        bad[flip] ^= 0x01;
        prop_assert!(!key.verify(&msg, &bad));
        prop_assert!(!key.verify(&msg, &tag[..63]));
        let mut other_msg = msg.clone();
        other_msg.push(b'x');
        prop_assert!(!key.verify(&other_msg, &tag));
        if other_secret != secret {
            let other = HmacKey::new(&auth_core::SecretString::from(other_secret));
            prop_assert!(!other.verify(&msg, &tag));
        }
    }
}
