//! Stage-by-stage checks against the vectors in `tests/vectors/` (generated
//! independently by `generate.py` with Python's hashlib/hmac and the openssl CLI).

use std::time::{Duration, UNIX_EPOCH};

use auth_core::{ManualClock, SecretString};
use serde_json::Value;
use tollgate_snap_b2b::NotificationVerifier;
use tollgate_snap_b2b::minify_json;
use tollgate_snap_b2b::sign::{
    EndpointBase, EndpointUrlMode, HmacKey, SignatureEncoding, asymmetric_string_to_sign,
    body_sha256_hex, endpoint_url, sign_asymmetric, sign_symmetric, symmetric_string_to_sign,
    token_signature, token_string_to_sign,
};
use tollgate_snap_b2b::{GrantTypeField, Profile};
use tollgate_snap_b2b::{SnapPrivateKey, SnapPublicKey};
use tollgate_snap_b2b::{TimestampFormat, Zone, parse_timestamp};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}{name}")).expect("vector file");
    serde_json::from_str(&text).expect("vector json")
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}keys/{name}")).expect("key file")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string field")
}

#[test]
fn timestamps_format_and_parse() {
    let cases = load("timestamps.json");
    let cases = cases.as_array().expect("array");
    assert!(cases.len() >= 8);
    for c in cases {
        let ms = c["unix_millis"].as_u64().expect("ms");
        let off = c["offset_minutes"].as_i64().expect("off") as i32;
        let zone = if off == 0 {
            Zone::Utc
        } else {
            Zone::Offset(off)
        };
        let fmt = TimestampFormat {
            zone,
            millis: c["millis"].as_bool().expect("millis"),
        };
        let t = UNIX_EPOCH + Duration::from_millis(ms);
        let expected = s(&c["formatted"]);
        assert_eq!(fmt.format(t), expected, "{c}");
        let back = parse_timestamp(expected).expect("parse");
        let precision = if fmt.millis { ms } else { ms / 1000 * 1000 };
        assert_eq!(back, UNIX_EPOCH + Duration::from_millis(precision), "{c}");
    }
}

#[test]
fn token_signature_stages_with_every_key_form() {
    let v = load("token_signature.json");
    let sts = token_string_to_sign(s(&v["client_key"]), s(&v["timestamp"]));
    assert_eq!(sts, s(&v["string_to_sign"]));
    let pkcs8 = key_text("client_private_pkcs8.pem");
    let pkcs1 = key_text("client_private_pkcs1.pem");
    let escaped = pkcs8.trim().replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    for (form, pem) in [("pkcs8", &pkcs8), ("pkcs1", &pkcs1), ("escaped", &escaped)] {
        let key = SnapPrivateKey::from_pem("private_key", pem).expect(form);
        assert_eq!(key.bits(), 2048);
        let b64 = token_signature(
            &key,
            s(&v["client_key"]),
            s(&v["timestamp"]),
            SignatureEncoding::Base64,
        );
        assert_eq!(b64, s(&v["signature_base64"]), "{form}");
        let hex = token_signature(
            &key,
            s(&v["client_key"]),
            s(&v["timestamp"]),
            SignatureEncoding::Hex,
        );
        assert_eq!(hex, s(&v["signature_hex"]), "{form}");
    }
    let mut profile = Profile::aspi();
    assert_eq!(profile.token_request_body(), s(&v["body_grant_type"]));
    profile.grant_type = GrantTypeField::SnakeCase;
    assert_eq!(profile.token_request_body(), s(&v["body_grant_type_snake"]));
}

#[test]
fn transaction_stages() {
    let v = load("transactions.json");
    let secret = SecretString::from(s(&v["client_secret"]).to_string());
    let hmac = HmacKey::new(&secret);
    let token = s(&v["access_token"]);
    let key = SnapPrivateKey::from_pem("private_key", &key_text("client_private_pkcs8.pem"))
        .expect("key");
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for c in cases {
        let name = s(&c["name"]);
        let url = url::Url::parse(s(&c["url"])).expect("url");
        let ep = endpoint_url(
            &url,
            EndpointUrlMode::PathAndQuery,
            EndpointBase::FullPath,
            "",
        );
        assert_eq!(ep, s(&c["endpoint_url"]), "{name}");
        assert_eq!(
            endpoint_url(&url, EndpointUrlMode::PathOnly, EndpointBase::FullPath, ""),
            s(&c["endpoint_url_without_query"]),
            "{name}"
        );
        let body = s(&c["body"]).as_bytes();
        let minified = minify_json(body).expect("minify");
        assert_eq!(minified, s(&c["minified_body"]).as_bytes(), "{name}");
        let hash = body_sha256_hex(&minified);
        assert_eq!(hash, s(&c["body_sha256_hex"]), "{name}");
        let ts = s(&c["timestamp"]);
        let method = s(&c["method"]);
        assert_eq!(
            symmetric_string_to_sign(method, &ep, token, &hash, ts),
            s(&c["string_to_sign"]),
            "{name}"
        );
        let sym = sign_symmetric(
            &hmac,
            method,
            &ep,
            token,
            body,
            ts,
            SignatureEncoding::Base64,
        )
        .expect("sign");
        assert_eq!(sym.minified_body, minified);
        assert_eq!(sym.body_sha256_hex, hash);
        assert_eq!(sym.string_to_sign, s(&c["string_to_sign"]));
        assert_eq!(sym.signature, s(&c["signature_base64"]), "{name}");
        assert!(!format!("{sym:?}").contains(token), "Debug hides the token");
        let sym_hex = sign_symmetric(&hmac, method, &ep, token, body, ts, SignatureEncoding::Hex)
            .expect("sign");
        assert_eq!(sym_hex.signature, s(&c["signature_hex"]), "{name}");

        assert_eq!(
            asymmetric_string_to_sign(method, &ep, &hash, ts),
            s(&c["asymmetric_string_to_sign"])
        );
        let asym =
            sign_asymmetric(&key, method, &ep, body, ts, SignatureEncoding::Base64).expect("sign");
        assert_eq!(
            asym.signature,
            s(&c["asymmetric_signature_base64"]),
            "{name}"
        );
    }
}

#[test]
fn notification_vector_verifies() {
    let v = load("notification.json");
    let pub_spki = key_text("provider_public.pem");
    let pub_pkcs1 = key_text("provider_public_pkcs1.pem");
    let clock = ManualClock::at_unix(v["timestamp_unix"].as_u64().expect("unix"));
    for pem in [&pub_spki, &pub_pkcs1] {
        let key = SnapPublicKey::from_pem("provider_public_key", pem).expect("public key");
        let verifier = NotificationVerifier::new(key).clock(clock.shared());
        let ok = verifier
            .verify(
                s(&v["method"]),
                s(&v["endpoint_url"]),
                s(&v["timestamp"]),
                s(&v["signature_base64"]),
                s(&v["body"]).as_bytes(),
            )
            .expect("verifies");
        assert_eq!(ok.minified_body, s(&v["minified_body"]).as_bytes());
        assert_eq!(ok.body_sha256_hex, s(&v["body_sha256_hex"]));
    }
}

#[test]
fn minify_vectors() {
    let v = load("minify.json");
    for c in v["valid"].as_array().expect("valid") {
        let out = minify_json(s(&c["input"]).as_bytes()).expect("valid input");
        assert_eq!(out, s(&c["output"]).as_bytes(), "{c}");
    }
    let invalid = v["invalid"].as_array().expect("invalid");
    assert!(invalid.len() >= 10);
    for c in invalid {
        let err = minify_json(s(c).as_bytes()).expect_err(s(c));
        assert!(!err.reason.is_empty());
    }
}
