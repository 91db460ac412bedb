//! Notification verification: window, tampering, formatting-only changes, headers.

use std::time::Duration;

use auth_core::{ErrorKind, ManualClock};
use http::{HeaderMap, HeaderValue};
use serde_json::Value;
use tollgate_snap_b2b::SnapPublicKey;
use tollgate_snap_b2b::sign::SignatureEncoding;
use tollgate_snap_b2b::{NotificationError, NotificationVerifier};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

fn vector() -> Value {
    let text = std::fs::read_to_string(format!("{DIR}notification.json")).expect("vector");
    serde_json::from_str(&text).expect("json")
}

fn verifier(clock: &ManualClock) -> NotificationVerifier {
    let pem = std::fs::read_to_string(format!("{DIR}keys/provider_public.pem")).expect("key");
    NotificationVerifier::new(SnapPublicKey::from_pem("provider_public_key", &pem).expect("key"))
        .window(Duration::from_secs(60))
        .clock(clock.shared())
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

#[test]
fn window_tampering_and_whitespace() {
    let v = vector();
    let at = v["timestamp_unix"].as_u64().expect("unix");
    let clock = ManualClock::at_unix(at);
    let ver = verifier(&clock);
    let check = |method: &str, ep: &str, ts: &str, sig: &str, body: &[u8]| {
        ver.verify(method, ep, ts, sig, body)
    };
    let (m, ep, ts, sig) = (
        s(&v["method"]),
        s(&v["endpoint_url"]),
        s(&v["timestamp"]),
        s(&v["signature_base64"]),
    );
    let body = s(&v["body"]).as_bytes();
    assert!(check(m, ep, ts, sig, body).is_ok());
    // Re-indented body, same bytes inside strings: still the same minified body.
    let reformatted = s(&v["minified_body"]).replace(",", " ,\n  ");
    assert!(check(m, ep, ts, sig, reformatted.as_bytes()).is_ok());
    // One byte inside a string changed.
    let tampered = s(&v["body"]).replace("10000.00", "90000.00");
    assert_eq!(
        check(m, ep, ts, sig, tampered.as_bytes()),
        Err(NotificationError::BadSignature)
    );
    // Whitespace inside a string is significant.
    let spaced = s(&v["body"]).replace("  123450001", " 123450001");
    assert_eq!(
        check(m, ep, ts, sig, spaced.as_bytes()),
        Err(NotificationError::BadSignature)
    );
    assert_eq!(
        check("PUT", ep, ts, sig, body),
        Err(NotificationError::BadSignature)
    );
    assert_eq!(
        check(m, "/other", ts, sig, body),
        Err(NotificationError::BadSignature)
    );
    assert_eq!(
        check(m, ep, ts, "%%%", body),
        Err(NotificationError::MalformedSignature)
    );
    assert_eq!(
        check(m, ep, "yesterday", sig, body),
        Err(NotificationError::MalformedTimestamp)
    );
    assert!(matches!(
        check(m, ep, ts, sig, b"{not json"),
        Err(NotificationError::InvalidBody(_))
    ));
    // Window edges, both directions.
    clock.advance(Duration::from_secs(60));
    assert!(check(m, ep, ts, sig, body).is_ok());
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        check(m, ep, ts, sig, body),
        Err(NotificationError::StaleTimestamp {
            skew: Duration::from_secs(61),
            in_future: false
        })
    );
    let early = ManualClock::at_unix(at - 61);
    let err = verifier(&early)
        .verify(m, ep, ts, sig, body)
        .expect_err("future");
    assert!(matches!(
        err,
        NotificationError::StaleTimestamp {
            in_future: true,
            ..
        }
    ));
    let auth: auth_core::AuthError = err.into();
    assert_eq!(auth.kind(), ErrorKind::Verification);
}

#[test]
fn headers_and_hex_encoding() {
    let v = vector();
    let clock = ManualClock::at_unix(v["timestamp_unix"].as_u64().expect("unix"));
    let ver = verifier(&clock);
    let body = s(&v["body"]).as_bytes();
    let mut headers = HeaderMap::new();
    assert_eq!(
        ver.verify_headers("POST", s(&v["endpoint_url"]), &headers, body),
        Err(NotificationError::MissingHeader("x-timestamp"))
    );
    headers.insert(
        "X-TIMESTAMP",
        HeaderValue::from_str(s(&v["timestamp"])).expect("hv"),
    );
    assert_eq!(
        ver.verify_headers("POST", s(&v["endpoint_url"]), &headers, body),
        Err(NotificationError::MissingHeader("x-signature"))
    );
    headers.insert(
        "X-SIGNATURE",
        HeaderValue::from_str(s(&v["signature_base64"])).expect("hv"),
    );
    assert!(
        ver.verify_headers("POST", s(&v["endpoint_url"]), &headers, body)
            .is_ok()
    );
    let raw = SignatureEncoding::Base64
        .decode(s(&v["signature_base64"]))
        .expect("b64");
    let hex_ver = verifier(&clock).signature_encoding(SignatureEncoding::Hex);
    assert!(
        hex_ver
            .verify(
                "POST",
                s(&v["endpoint_url"]),
                s(&v["timestamp"]),
                &hex::encode_upper(&raw),
                body
            )
            .is_ok()
    );
}

#[test]
fn a_notification_repeating_a_key_is_refused_though_signed() {
    let body = r#"{"paidAmount":"99999999.00","paidAmount":"10.00"}"#;
    let (v, ts, sig) = signed_notification(body);
    assert_eq!(
        v.verify("POST", PATH, &ts, &sig, body.as_bytes()),
        Err(NotificationError::RepeatedKey)
    );
}

const PATH: &str = "/v1.0/transfer-va/payment";

/// A verifier at 2024-03-01T12:34:56+07:00, and a timestamp and signature the provider's key
/// makes over `body`.
fn signed_notification(body: &str) -> (NotificationVerifier, String, String) {
    let clock = ManualClock::at_unix(1_709_271_296);
    let pem =
        std::fs::read_to_string(format!("{DIR}keys/provider_private_pkcs8.pem")).expect("key");
    let key = tollgate_snap_b2b::SnapPrivateKey::from_pem("provider_key", &pem).expect("key");
    let ts = "2024-03-01T12:34:56+07:00".to_string();
    let hash = tollgate_snap_b2b::sign::body_sha256_hex(body.as_bytes());
    let sts = tollgate_snap_b2b::sign::asymmetric_string_to_sign("POST", PATH, &hash, &ts);
    let sig = SignatureEncoding::Base64.encode(&key.sign(sts.as_bytes()));
    (
        verifier(&clock).body_forms([tollgate_snap_b2b::BodyForm::Raw]),
        ts,
        sig,
    )
}

/// The notification forms of the providers whose notifications are not signed over
/// `METHOD:path:hash:ts` in the minified form, against the vectors computed from their SDKs
/// and docs (`presets.js`, `notifications`), and NICEPay's own published sample.
#[test]
fn provider_notification_forms_verify() {
    use tollgate_snap_b2b::{BodyForm, SecretString, parse_timestamp};
    let text = std::fs::read_to_string(format!("{DIR}presets.json")).expect("vectors");
    let all: Value = serde_json::from_str(&text).expect("json");
    let by = |name: &str| {
        all["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .find(|n| n["provider"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let headers = |n: &Value| {
        let mut h = HeaderMap::new();
        for (k, v) in n["headers"].as_object().expect("headers") {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(s(v)).expect("value"),
            );
        }
        h
    };
    let provider = || {
        let pem = std::fs::read_to_string(format!("{DIR}keys/provider_public.pem")).expect("key");
        SnapPublicKey::from_pem("provider_public_key", &pem).expect("key")
    };
    let jakarta = ManualClock::at_unix(1_709_271_296);

    // NICEPay: RSA over clientId|timestamp; the body is not covered.
    let n = by("nicepay");
    let v = NotificationVerifier::new(provider())
        .client_and_timestamp("10001")
        .clock(jakarta.shared());
    let ok = v
        .verify_headers("POST", s(&n["endpoint_url"]), &headers(&n), b"{\"any\":1}")
        .expect("NICEPay's form verifies");
    assert!(!ok.covers_body);
    let other = NotificationVerifier::new(provider())
        .client_and_timestamp("10002")
        .clock(jakarta.shared());
    assert_eq!(
        other.verify_headers("POST", s(&n["endpoint_url"]), &headers(&n), b"{}"),
        Err(NotificationError::BadSignature),
        "another client id"
    );
    let published = &n["published"];
    let spki = s(&published["public_key_spki_base64"]);
    let lines: Vec<&str> = spki
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64"))
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    let (client, ts) = s(&published["string_to_sign"])
        .split_once('|')
        .expect("client|timestamp");
    let clock = ManualClock::new(parse_timestamp(ts).expect("ts"));
    NotificationVerifier::new(SnapPublicKey::from_pem("nicepay", &pem).expect("key"))
        .client_and_timestamp(client)
        .clock(clock.shared())
        .verify("POST", "/", ts, s(&published["signature"]), b"{}")
        .expect("NICEPay's published sample verifies");

    // BRI: hex HMAC-SHA256 with the client secret over clientId|timestamp, Jakarta time
    // without a zone.
    let n = by("bri");
    let secret = SecretString::from(s(&n["client_secret"]).to_string());
    let ok = NotificationVerifier::hmac_sha256("10001", &secret)
        .clock(jakarta.shared())
        .verify_headers("POST", s(&n["endpoint_url"]), &headers(&n), b"{}")
        .expect("BRI's form verifies");
    assert!(!ok.covers_body);
    let wrong = SecretString::from("another-secret".to_string());
    assert_eq!(
        NotificationVerifier::hmac_sha256("10001", &wrong)
            .clock(jakarta.shared())
            .verify_headers("POST", s(&n["endpoint_url"]), &headers(&n), b"{}"),
        Err(NotificationError::BadSignature)
    );
    let later = ManualClock::at_unix(1_709_271_296 + 3600);
    assert!(matches!(
        NotificationVerifier::hmac_sha256("10001", &secret)
            .clock(later.shared())
            .verify_headers("POST", s(&n["endpoint_url"]), &headers(&n), b"{}"),
        Err(NotificationError::StaleTimestamp { .. })
    ));

    // Winpay: RSA over METHOD:listener-path:hash:ts, the body hashed ASCII-escaped.
    let n = by("winpay");
    let verify = |form: BodyForm| {
        NotificationVerifier::new(provider())
            .clock(jakarta.shared())
            .body_forms([form])
            .verify(
                s(&n["method"]),
                s(&n["endpoint_url"]),
                s(&n["timestamp"]),
                s(&n["signature"]),
                s(&n["body"]).as_bytes(),
            )
    };
    let ok = verify(BodyForm::AsciiEscaped).expect("Winpay's form verifies");
    assert!(ok.covers_body);
    assert_eq!(ok.body_sha256_hex, s(&n["body_sha256_hex"]));
    assert_eq!(
        verify(BodyForm::Minified),
        Err(NotificationError::BadSignature),
        "the raw é is not what Winpay hashed"
    );
}
