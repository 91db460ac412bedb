//! Table-driven bad-input tests: every bad credential is an InvalidCredentials error that
//! names its field, never panics and never echoes the secret.

use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::auth_core::{AuthError, ErrorKind};
use tollgate_dragonpass::{ProgramId, SelfSignedCredentials, TokenApiCredentials};
use tollgate_dragonpass::{PushPublicKey, PushVerifier};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const ISSUER: &str = "6A909655CF67444A93262A665CDD235F";
const SECRET: &str = "60B118779DD14B0990692B51BF8B93DC";
const URL: &str = "https://sandbox.example.com/auth/token";

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect("test key")
}

#[test]
fn bad_inputs_table() {
    let ec = file("ec_p256_private.pem");
    let short = file("rsa1024_private.pem");
    let rsa = file("client_rsa_pkcs8.pem");
    let public = file("client_rsa_public.pem");
    let garbled = rsa.replace("MII", "M!I");
    let truncated: String = rsa.chars().take(300).collect();
    // (case, field, secret value that must not leak, result)
    type Case = (&'static str, &'static str, String, Result<(), AuthError>);
    let ok = |r: Result<SelfSignedCredentials, AuthError>| r.map(|_| ());
    let api = |r: Result<TokenApiCredentials, AuthError>| r.map(|_| ());
    let cases: Vec<Case> = vec![
        (
            "empty issuer",
            "issuer",
            SECRET.into(),
            ok(SelfSignedCredentials::hs256("", SECRET)),
        ),
        (
            "CRLF in issuer",
            "issuer",
            SECRET.into(),
            ok(SelfSignedCredentials::hs256("ISS\r\nX-Evil: 1", SECRET)),
        ),
        (
            "non-ASCII issuer",
            "issuer",
            SECRET.into(),
            ok(SelfSignedCredentials::hs256("émetteur", SECRET)),
        ),
        (
            "empty secret",
            "secret",
            String::new(),
            ok(SelfSignedCredentials::hs256(ISSUER, "")),
        ),
        (
            "whitespace secret",
            "secret",
            "   ".into(),
            ok(SelfSignedCredentials::hs256(ISSUER, "   ")),
        ),
        (
            "secret with trailing newline",
            "secret",
            "s3cr3t-value-xyz".into(),
            ok(SelfSignedCredentials::hs256(ISSUER, "s3cr3t-value-xyz\n")),
        ),
        (
            "secret with CR inside",
            "secret",
            "s3cr3t\rvalue-xyz".into(),
            ok(SelfSignedCredentials::hs256(ISSUER, "s3cr3t\rvalue-xyz")),
        ),
        (
            "EC key for RS256 (wrong type)",
            "private_key",
            ec.clone(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &ec)),
        ),
        (
            "1024-bit RSA key",
            "private_key",
            short.clone(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &short)),
        ),
        (
            "public key instead of private",
            "private_key",
            public.clone(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &public)),
        ),
        (
            "not PEM at all",
            "private_key",
            "definitely-not-a-key".into(),
            ok(SelfSignedCredentials::rs256_pem(
                ISSUER,
                "definitely-not-a-key",
            )),
        ),
        (
            "garbled PEM body",
            "private_key",
            garbled.clone(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &garbled)),
        ),
        (
            "truncated PEM",
            "private_key",
            truncated.clone(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &truncated)),
        ),
        (
            "missing key file",
            "private_key",
            String::new(),
            ok(SelfSignedCredentials::rs256_pem_file(
                ISSUER,
                "/nonexistent/dp.pem",
            )),
        ),
        (
            "CRLF in key id",
            "key_id",
            String::new(),
            ok(SelfSignedCredentials::rs256_pem(ISSUER, &rsa).and_then(|c| c.with_key_id("k\n1"))),
        ),
        (
            "empty client id",
            "client_id",
            "api-secret-123456".into(),
            api(TokenApiCredentials::new("", "api-secret-123456", URL)),
        ),
        (
            "empty api secret",
            "secret",
            String::new(),
            api(TokenApiCredentials::new("client", "", URL)),
        ),
        (
            "relative token url",
            "token_url",
            "api-secret-123456".into(),
            api(TokenApiCredentials::new(
                "client",
                "api-secret-123456",
                "/auth/token",
            )),
        ),
        (
            "ftp token url",
            "token_url",
            "api-secret-123456".into(),
            api(TokenApiCredentials::new(
                "client",
                "api-secret-123456",
                "ftp://example.com/token",
            )),
        ),
        (
            "user info in token url",
            "token_url",
            "api-secret-123456".into(),
            api(TokenApiCredentials::new(
                "client",
                "api-secret-123456",
                "https://u:p@example.com/token",
            )),
        ),
        (
            "program id with letters",
            "program_id",
            String::new(),
            ProgramId::new("12345abc").map(|_| ()),
        ),
        (
            "program id with CRLF",
            "program_id",
            String::new(),
            ProgramId::new("123\r\n456").map(|_| ()),
        ),
        (
            "empty program id",
            "program_id",
            String::new(),
            ProgramId::new("").map(|_| ()),
        ),
        (
            "program id in builder",
            "program_id",
            SECRET.into(),
            DragonPassAuth::builder()
                .credentials(SelfSignedCredentials::hs256(ISSUER, SECRET).expect("creds"))
                .program_id("1.8943e4")
                .build()
                .map(|_| ()),
        ),
        (
            "zero lifetime",
            "token_lifetime",
            SECRET.into(),
            DragonPassAuth::builder()
                .credentials(SelfSignedCredentials::hs256(ISSUER, SECRET).expect("creds"))
                .token_lifetime(std::time::Duration::ZERO)
                .build()
                .map(|_| ()),
        ),
        (
            "no credentials",
            "credentials",
            String::new(),
            DragonPassAuth::builder().build().map(|_| ()),
        ),
        (
            "push key: private key PEM",
            "push_public_key",
            rsa.clone(),
            PushPublicKey::from_pem("k1", &rsa).map(|_| ()),
        ),
        (
            "push key: 1024-bit",
            "push_public_key",
            String::new(),
            PushPublicKey::from_pem("k1", &file("rsa1024_public.pem")).map(|_| ()),
        ),
        (
            "push key: garbled",
            "push_public_key",
            String::new(),
            PushPublicKey::from_pem("k1", &public.replace("MII", "M!I")).map(|_| ()),
        ),
        (
            "push key: empty kid",
            "push_key_id",
            String::new(),
            PushPublicKey::from_pem("", &public).map(|_| ()),
        ),
        (
            "push keys: none",
            "push_keys",
            String::new(),
            PushVerifier::new(vec![]).map(|_| ()),
        ),
    ];
    assert!(cases.len() >= 10);
    for (case, field, secret, result) in cases {
        let err = result.expect_err(case);
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{case}: {err}");
        assert_eq!(err.field(), Some(field), "{case}: {err}");
        assert!(!err.is_retryable(), "{case}");
        let shown = format!("{err} {err:?}");
        if secret.trim().len() >= 6 {
            assert!(
                !shown.contains(secret.trim()),
                "{case}: secret leaked: {shown}"
            );
            // No fragment of a PEM body either.
            if let Some(line) = secret.lines().nth(1) {
                assert!(!shown.contains(line), "{case}: key material leaked");
            }
        }
    }
}

#[test]
fn too_many_or_duplicate_push_keys() {
    let k = |kid: &str, f: &str| PushPublicKey::from_pem(kid, &file(f)).expect("key");
    let err = PushVerifier::new(vec![
        k("a", "push_key1_public.pem"),
        k("b", "push_key2_public.pem"),
        k("c", "push_key3_public.pem"),
    ])
    .expect_err("three keys");
    assert_eq!(err.field(), Some("push_keys"));
    let err = PushVerifier::new(vec![
        k("a", "push_key1_public.pem"),
        k("a", "push_key2_public.pem"),
    ])
    .expect_err("duplicate kid");
    assert_eq!(err.field(), Some("push_keys"));
    let err = PushVerifier::new(vec![k("a", "push_key1_public.pem")])
        .expect("one key")
        .with_leeway(std::time::Duration::from_secs(3600))
        .expect_err("leeway too large");
    assert_eq!(err.field(), Some("leeway"));
}

#[test]
fn good_inputs_and_redacted_debug() {
    let creds = SelfSignedCredentials::hs256(ISSUER, SECRET).expect("seed creds");
    assert!(!format!("{creds:?}").contains(SECRET));
    // Literal \n escapes (env vars, JSON) are accepted for PEM keys.
    let escaped = file("client_rsa_pkcs1.pem").replace('\n', "\\n");
    let rsa = SelfSignedCredentials::rs256_pem(ISSUER, &escaped).expect("escaped PEM");
    let dbg = format!("{rsa:?}");
    assert!(dbg.contains("REDACTED"), "{dbg}");
    let api = TokenApiCredentials::new("DragonPass", "dpSecretKey12345", URL).expect("api");
    assert!(!format!("{api:?}").contains("dpSecretKey12345"));
    // 19-digit program ids are kept exactly (no float rounding).
    let id = ProgramId::new("9007199254740993123").expect("19 digits");
    assert_eq!(id.as_str(), "9007199254740993123");
    PushPublicKey::from_pem("k1", &file("push_key1_public_pkcs1.pem")).expect("PKCS#1 public");
    let from_file =
        SelfSignedCredentials::rs256_pem_file(ISSUER, format!("{DIR}client_rsa_pkcs8.pem"))
            .expect("PEM file loader");
    assert_eq!(from_file.issuer(), ISSUER);
    PushPublicKey::from_pem_file("k2", format!("{DIR}push_key2_public.pem")).expect("file");
}

/// The minimum RSA size is counted in bits: a 2047-bit modulus has as many bytes (256) as a
/// 2048-bit one, and must still be refused, for signing keys and push-event keys alike.
#[test]
fn a_2047_bit_rsa_key_is_refused() {
    let private = include_str!("fixtures/rsa-2047.pem");
    let public = include_str!("fixtures/rsa-2047.pub.pem");
    let err = SelfSignedCredentials::rs256_pem(ISSUER, private).expect_err("2047-bit signing key");
    assert_eq!(err.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(err.field(), Some("private_key"));
    assert!(err.to_string().contains("2047 bits"), "{err}");
    let err = PushPublicKey::from_pem("k1", public).expect_err("2047-bit push key");
    assert_eq!(err.field(), Some("push_public_key"));
    assert!(err.to_string().contains("2047 bits"), "{err}");
    // 2048 bits still pass.
    SelfSignedCredentials::rs256_pem(ISSUER, &file("client_rsa_pkcs8.pem")).expect("2048 bits");
}
