//! Every bad credential input is a typed error naming the field, never a panic, never an
//! echo of key material.

use auth_core::ErrorKind;
use serde_json::json;
use tollgate_holidu::HoliduCredentials;

fn file(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test file")
}

fn seed() -> serde_json::Value {
    serde_json::from_str(&file("account_info.json")).expect("json")
}

/// account_info.json with one field replaced (or removed with `None`).
fn with(field: &str, value: Option<serde_json::Value>) -> String {
    let mut v = seed();
    match value {
        Some(x) => v[field] = x,
        None => {
            v.as_object_mut().expect("object").remove(field);
        }
    }
    v.to_string()
}

/// A line of base64 from the middle of a PEM (what a leak would contain).
fn key_material(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

#[test]
fn bad_inputs_table() {
    let seed_private = seed()["privateKey"].as_str().expect("pk").to_string();
    let rsa = file("keys/rsa2048_pkcs8.pem");
    let p384 = file("keys/p384_pkcs8.pem");
    let p384_pub = file("keys/p384_public.pem");
    let rsa_pub = file("keys/rsa2048_public.pem");
    let other_pub = file("keys/other_p256_public.pem");
    let sec1 = file("keys/other_p256_sec1.pem");
    let ed = file("keys/ed25519_pkcs8.pem");
    let truncated = seed_private.replace("OF/2NxApJCzGCEDdfSp6VQO30hyh", "");
    let bad_b64 = seed_private.replace(
        "OF/2NxApJCzGCEDdfSp6VQO30hyh",
        "OF/2NxApJCzGCEDdfSp6VQO3!!!!",
    );
    let rsa_label = rsa.replace("PRIVATE KEY", "RSA PRIVATE KEY");

    let cases: Vec<(&str, String, &str, Option<&str>)> = vec![
        (
            "malformed json",
            "{\"keyId\": ".into(),
            "account_info.json",
            None,
        ),
        ("not an object", "[1,2]".into(), "account_info.json", None),
        ("missing keyId", with("keyId", None), "keyId", None),
        ("empty keyId", with("keyId", Some(json!(""))), "keyId", None),
        (
            "crlf keyId",
            with("keyId", Some(json!("k\r\nx"))),
            "keyId",
            None,
        ),
        (
            "non-ascii issuer",
            with("issuer", Some(json!("PARTNÉR"))),
            "issuer",
            None,
        ),
        ("missing issuer", with("issuer", None), "issuer", None),
        (
            "missing privateKey",
            with("privateKey", None),
            "privateKey",
            None,
        ),
        (
            "missing publicKey",
            with("publicKey", None),
            "publicKey",
            None,
        ),
        (
            "privateKey not PEM",
            with("privateKey", Some(json!("hello"))),
            "privateKey",
            Some("PEM"),
        ),
        (
            "RSA key",
            with("privateKey", Some(json!(rsa))),
            "privateKey",
            Some("RSA"),
        ),
        (
            "RSA label",
            with("privateKey", Some(json!(rsa_label))),
            "privateKey",
            Some("RSA"),
        ),
        (
            "P-384 key",
            with("privateKey", Some(json!(p384))),
            "privateKey",
            Some("P-384"),
        ),
        (
            "Ed25519 key",
            with("privateKey", Some(json!(ed))),
            "privateKey",
            Some("Ed25519"),
        ),
        (
            "SEC1 key",
            with("privateKey", Some(json!(sec1))),
            "privateKey",
            Some("PKCS#8"),
        ),
        (
            "truncated key",
            with("privateKey", Some(json!(truncated))),
            "privateKey",
            None,
        ),
        (
            "bad base64",
            with("privateKey", Some(json!(bad_b64))),
            "privateKey",
            Some("malformed"),
        ),
        (
            "public key as private",
            with("privateKey", Some(json!(other_pub))),
            "privateKey",
            None,
        ),
        (
            "mismatched pair",
            with("publicKey", Some(json!(other_pub))),
            "publicKey",
            Some("mismatch"),
        ),
        (
            "P-384 public key",
            with("publicKey", Some(json!(p384_pub))),
            "publicKey",
            Some("P-384"),
        ),
        (
            "RSA public key",
            with("publicKey", Some(json!(rsa_pub))),
            "publicKey",
            Some("RSA"),
        ),
        (
            "private as public",
            with("publicKey", Some(json!(seed_private))),
            "publicKey",
            None,
        ),
    ];
    assert!(cases.len() >= 10);
    let mut secrets = key_material(&seed_private);
    for k in [&rsa, &p384, &sec1, &ed] {
        secrets.extend(key_material(k));
    }
    for (name, json, field, needle) in cases {
        let err = HoliduCredentials::from_account_info_json(&json).expect_err(name);
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{name}: {err}");
        assert_eq!(err.field(), Some(field), "{name}: {err}");
        if let Some(n) = needle {
            assert!(err.to_string().contains(n), "{name}: {err}");
        }
        for text in [err.to_string(), format!("{err:?}")] {
            for s in &secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "{name} leaked key material: {text}"
                );
            }
        }
    }
}

#[test]
fn seed_file_loads_with_escaped_or_real_newlines() {
    let c = HoliduCredentials::from_account_info_json(&file("account_info.json")).expect("seed");
    assert_eq!(c.key_id(), "123e4567-e89b-12d3-a456-556642440000");
    // The same key with literal backslash-n escapes (double-escaped in JSON).
    let mut v = seed();
    for f in ["privateKey", "publicKey"] {
        let pem = v[f].as_str().expect("pem").replace('\n', "\\n");
        v[f] = json!(pem);
    }
    let c2 = HoliduCredentials::from_account_info_json(&v.to_string()).expect("escaped");
    assert_eq!(c.verifying_key(), c2.verifying_key());
    let dbg = format!("{c2:?}");
    assert!(!dbg.contains("MIGHAgEAMBMG"), "{dbg}");
}

#[test]
fn missing_file_names_the_field() {
    let e = HoliduCredentials::from_account_info_file("/nonexistent/account_info.json")
        .expect_err("missing");
    assert_eq!(e.field(), Some("account_info.json"));
}
