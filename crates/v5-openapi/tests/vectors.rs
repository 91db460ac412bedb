//! Stage-by-stage checks against the vectors in `tests/vectors/` (generated
//! independently with python3 hashlib/datetime; see each file's `note`).

use std::time::{Duration, UNIX_EPOCH};

use auth_core::{ExposeSecret, SecretString};
use serde_json::Value;
use tollgate_v5_openapi::V5Credentials;
use tollgate_v5_openapi::sign;
use tollgate_v5_openapi::{ExpireTimeZone, parse_naive_datetime};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("vector file");
    serde_json::from_str(&text).expect("vector JSON")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().expect(k)
}

#[test]
fn token_signature_vectors() {
    let doc = load("token_signature.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    for c in cases {
        let (app_id, secret) = (s(c, "app_id"), s(c, "app_secret"));
        let ts = c["time_stamp"].as_u64().expect("time_stamp");
        let secret_s = SecretString::from(secret.to_string());
        // Stage 1: the string to sign.
        let sts = sign::string_to_sign(app_id, ts, &secret_s);
        assert_eq!(sts.expose_secret(), s(c, "string_to_sign"));
        // Stage 2: the SHA-256 digest.
        assert_eq!(hex::encode(sign::digest(&sts)), s(c, "sha256_hex"));
        // Stage 3: the signature as sent.
        assert_eq!(sign::signature(&sts), s(c, "signature"));
        // Stage 4: the typed request and its exact JSON body.
        let creds = V5Credentials::new(app_id, secret).expect("creds");
        let req = sign::token_request(&creds, ts);
        assert_eq!(req.signature, s(c, "signature"));
        assert_eq!(sign::token_request_body(&req).expect("body"), s(c, "body"));
    }
}

#[test]
fn api_header_vectors() {
    let doc = load("api_headers.json");
    for c in doc["cases"].as_array().expect("cases") {
        let token = SecretString::from(s(c, "token").to_string());
        let headers = sign::api_headers(s(c, "app_id"), &token).expect("headers");
        let want = c["headers"].as_object().expect("headers");
        assert_eq!(headers.len(), want.len());
        for (name, value) in &headers {
            let expected = want[name.as_str()].as_str().expect("value");
            assert_eq!(value.to_str().expect("ascii"), expected, "{name}");
        }
        assert!(
            headers[0].1.is_sensitive(),
            "the bearer header is sensitive"
        );
    }
}

#[test]
fn expire_time_vectors() {
    let doc = load("expire_time.json");
    for c in doc["cases"].as_array().expect("cases") {
        let off = c["offset_seconds"].as_i64().expect("offset") as i32;
        let zone = if off == 0 {
            ExpireTimeZone::Utc
        } else {
            ExpireTimeZone::FixedOffset(off)
        };
        let micros = c["unix_micros"].as_u64().expect("micros");
        assert_eq!(
            parse_naive_datetime(s(c, "expire_time"), zone),
            Some(UNIX_EPOCH + Duration::from_micros(micros)),
            "{c}"
        );
    }
}
