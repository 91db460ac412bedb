//! Every bad credential input is a typed error naming the field, never a panic, and never
//! echoes the secret.

use auth_core::ErrorKind;
use tollgate_snap_b2b::{SnapCredentials, SnapPrivateKey, SnapPublicKey};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");

fn key(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect("key file")
}

const SECRET: &str = "s3cr3t-value-that-must-not-leak";

struct Case {
    what: &'static str,
    client_key: &'static str,
    secret: String,
    pem: String,
    channel: &'static str,
    partner: Option<&'static str>,
    origin: Option<&'static str>,
    field: &'static str,
}

fn base(what: &'static str, field: &'static str) -> Case {
    Case {
        what,
        client_key: "10001",
        secret: SECRET.to_string(),
        pem: key("client_private_pkcs8.pem"),
        channel: "95221",
        partner: None,
        origin: None,
        field,
    }
}

#[test]
fn bad_inputs_table() {
    let good = key("client_private_pkcs8.pem");
    let cases = vec![
        Case {
            client_key: "",
            ..base("empty client key", "client_key")
        },
        Case {
            client_key: "100\r\n01",
            ..base("CR/LF in client key", "client_key")
        },
        Case {
            client_key: "klién",
            ..base("non-ASCII client key", "client_key")
        },
        Case {
            client_key: "10|01",
            ..base("separator in client key", "client_key")
        },
        Case {
            secret: String::new(),
            ..base("empty secret", "client_secret")
        },
        Case {
            secret: format!("{SECRET}\nX-Injected: 1"),
            ..base("LF in secret", "client_secret")
        },
        Case {
            secret: format!("{SECRET}é"),
            ..base("non-ASCII secret", "client_secret")
        },
        Case {
            pem: String::new(),
            ..base("empty key", "private_key")
        },
        Case {
            pem: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".to_string(),
            ..base("not PEM", "private_key")
        },
        Case {
            pem: good.replace("MII", "MJJ"),
            ..base("corrupted PEM body", "private_key")
        },
        Case {
            pem: key("ec_p256_pkcs8.pem"),
            ..base("EC key (wrong key type)", "private_key")
        },
        Case {
            pem: key("small_1024_pkcs8.pem"),
            ..base("1024-bit RSA key", "private_key")
        },
        Case {
            pem: key("client_public.pem"),
            ..base("public key instead of private", "private_key")
        },
        Case {
            pem: good.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
            ..base("encrypted key", "private_key")
        },
        Case {
            pem: good.replace("-----BEGIN PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----"),
            ..base("certificate label", "private_key")
        },
        Case {
            channel: "",
            ..base("empty channel id", "channel_id")
        },
        Case {
            channel: "952\n21",
            ..base("LF in channel id", "channel_id")
        },
        Case {
            partner: Some("pärtner"),
            ..base("non-ASCII partner id", "partner_id")
        },
        Case {
            origin: Some("example.com\r\nX: y"),
            ..base("CR/LF in origin", "origin")
        },
    ];
    assert!(cases.len() >= 10);
    for c in cases {
        let mut b = SnapCredentials::builder()
            .client_key(c.client_key)
            .client_secret(c.secret.clone())
            .private_key_pem(c.pem.clone())
            .channel_id(c.channel);
        if let Some(p) = c.partner {
            b = b.partner_id(p);
        }
        if let Some(o) = c.origin {
            b = b.origin(o);
        }
        let err = b.build().expect_err(c.what);
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{}", c.what);
        assert_eq!(err.field(), Some(c.field), "{}: {err}", c.what);
        let texts = [err.to_string(), format!("{err:?}")];
        for t in &texts {
            assert!(!t.contains(SECRET), "{}: secret leaked in {t}", c.what);
            assert!(!t.contains("MII"), "{}: key material leaked in {t}", c.what);
        }
    }
}

#[test]
fn missing_fields_are_named() {
    let pem = key("client_private_pkcs8.pem");
    let err = SnapCredentials::builder()
        .private_key_pem(pem.clone())
        .channel_id("1")
        .build()
        .expect_err("no client key");
    assert_eq!(err.field(), Some("client_key"));
    let err = SnapCredentials::builder()
        .client_key("1")
        .channel_id("1")
        .build()
        .expect_err("no key");
    assert_eq!(err.field(), Some("private_key"));
    let err = SnapCredentials::builder()
        .client_key("1")
        .private_key_pem(pem)
        .build()
        .expect_err("no channel");
    assert_eq!(err.field(), Some("channel_id"));
    let err = SnapCredentials::builder()
        .client_key("1")
        .private_key_file("/nonexistent/key.pem")
        .channel_id("1")
        .build()
        .expect_err("no file");
    assert_eq!(err.field(), Some("private_key"));
}

#[test]
fn debug_redacts_and_defaults_apply() {
    let creds = SnapCredentials::builder()
        .client_key("10001")
        .client_secret(SECRET)
        .private_key_file(format!("{DIR}client_private_pkcs1.pem"))
        .channel_id("95221")
        .build()
        .expect("valid");
    assert_eq!(
        creds.partner_id(),
        "10001",
        "partner id defaults to client key"
    );
    let dbg = format!("{creds:?}");
    assert!(!dbg.contains(SECRET));
    assert!(!dbg.contains("MII"));
    assert!(dbg.contains("REDACTED"));
}

#[test]
fn public_key_errors() {
    for (what, pem) in [
        ("private key", key("provider_private_pkcs8.pem")),
        (
            "garbage",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----".into(),
        ),
        ("empty", String::new()),
    ] {
        let err = SnapPublicKey::from_pem("provider_public_key", &pem).expect_err(what);
        assert_eq!(err.field(), Some("provider_public_key"), "{what}");
    }
    let escaped = key("provider_public.pem").trim().replace('\n', "\\n");
    assert!(SnapPublicKey::from_pem("k", &escaped).is_ok());
    assert!(SnapPrivateKey::from_pem("k", &key("client_private_pkcs1.pem")).is_ok());
}

#[test]
fn environment_style_lookup() {
    use std::collections::HashMap;
    let escaped = key("client_private_pkcs8.pem").trim().replace('\n', "\\n");
    let full: HashMap<&str, String> = [
        ("SNAP_CLIENT_KEY", "10001".to_string()),
        ("SNAP_CLIENT_SECRET", SECRET.to_string()),
        ("SNAP_PRIVATE_KEY", escaped),
        ("SNAP_CHANNEL_ID", "95221".to_string()),
        ("SNAP_PARTNER_ID", "P-1".to_string()),
        ("SNAP_ORIGIN", "merchant.example".to_string()),
    ]
    .into_iter()
    .collect();
    let lookup =
        |vars: HashMap<&'static str, String>| move |name: &'static str| Ok(vars.get(name).cloned());
    let creds = SnapCredentials::from_lookup(lookup(full.clone())).expect("complete");
    assert_eq!(creds.partner_id(), "P-1");
    assert_eq!(
        creds.origin().map(|o| o.as_bytes()),
        Some(&b"merchant.example"[..])
    );

    let mut by_file = full.clone();
    by_file.remove("SNAP_PRIVATE_KEY");
    by_file.insert(
        "SNAP_PRIVATE_KEY_FILE",
        format!("{DIR}client_private_pkcs1.pem"),
    );
    assert!(SnapCredentials::from_lookup(lookup(by_file)).is_ok());

    for (missing, field) in [
        ("SNAP_CLIENT_KEY", "SNAP_CLIENT_KEY"),
        ("SNAP_CHANNEL_ID", "SNAP_CHANNEL_ID"),
        ("SNAP_PRIVATE_KEY", "SNAP_PRIVATE_KEY"),
    ] {
        let mut vars = full.clone();
        vars.remove(missing);
        let err = SnapCredentials::from_lookup(lookup(vars)).expect_err(missing);
        assert_eq!(err.field(), Some(field));
    }
    let mut blank = full.clone();
    blank.insert("SNAP_CLIENT_KEY", "   ".to_string());
    let err = SnapCredentials::from_lookup(lookup(blank)).expect_err("blank");
    assert_eq!(err.field(), Some("SNAP_CLIENT_KEY"));
    let mut bad_secret = full;
    bad_secret.insert("SNAP_CLIENT_SECRET", format!("{SECRET}\r\n"));
    let err = SnapCredentials::from_lookup(lookup(bad_secret)).expect_err("crlf");
    assert_eq!(err.field(), Some("client_secret"));
    assert!(!format!("{err} {err:?}").contains(SECRET));
}
