//! Every bad input is a typed InvalidCredentials error naming the field, never a panic,
//! never echoing the secret.

use auth_core::ErrorKind;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::{ClientIdentity, TlsConfig};

const SECRET: &str = "S3cr3tK3yValue0123456789";
const HEADER: &str = "vaspCode,accessKey,secretKey,curvePublicKey,curvePrivateKey";

fn csv(row: &str) -> String {
    format!("{HEADER}\n{row}\n")
}

#[test]
fn bad_inputs_table() {
    type Case = (
        &'static str,
        Box<dyn Fn() -> Result<(), auth_core::AuthError>>,
        &'static str,
    );
    let new = |v: &'static str, a: &'static str, s: String| -> Result<(), auth_core::AuthError> {
        GtrCredentials::new(v, a, s).map(|_| ())
    };
    let from_csv = |t: String| -> Result<(), auth_core::AuthError> {
        GtrCredentials::from_api_key_csv_str(&t).map(|_| ())
    };
    let cases: Vec<Case> = vec![
        (
            "empty vaspCode",
            Box::new(move || new("", "ak", SECRET.into())),
            "vaspCode",
        ),
        (
            "empty accessKey",
            Box::new(move || new("v", " ", SECRET.into())),
            "accessKey",
        ),
        (
            "empty secretKey",
            Box::new(move || new("v", "ak", String::new())),
            "secretKey",
        ),
        (
            "CRLF in accessKey",
            Box::new(move || new("v", "ak\r\nX-Evil: 1", SECRET.into())),
            "accessKey",
        ),
        (
            "LF in secretKey",
            Box::new(move || new("v", "ak", format!("{SECRET}\nx"))),
            "secretKey",
        ),
        (
            "non-ASCII secretKey",
            Box::new(move || new("v", "ak", format!("{SECRET}é"))),
            "secretKey",
        ),
        (
            "non-ASCII vaspCode",
            Box::new(move || new("вasp", "ak", SECRET.into())),
            "vaspCode",
        ),
        (
            "control char in secretKey",
            Box::new(move || new("v", "ak", format!("{SECRET}\u{7}"))),
            "secretKey",
        ),
        (
            "trailing space in secretKey",
            Box::new(move || new("v", "ak", format!("{SECRET} "))),
            "secretKey",
        ),
        (
            "empty csv",
            Box::new(move || from_csv(String::new())),
            "api_key.csv",
        ),
        (
            "csv header only",
            Box::new(move || from_csv(format!("{HEADER}\n"))),
            "api_key.csv",
        ),
        (
            "csv missing secretKey column",
            Box::new(move || from_csv(format!("vaspCode,accessKey\nv,{SECRET}\n"))),
            "api_key.csv",
        ),
        (
            "csv short row",
            Box::new(move || from_csv(csv(&format!("v,ak,{SECRET}")))),
            "api_key.csv",
        ),
        (
            "csv unterminated quote",
            Box::new(move || from_csv(csv(&format!("v,ak,\"{SECRET},p,q")))),
            "api_key.csv",
        ),
        (
            "csv text after a closing quote",
            Box::new(move || from_csv(csv(&format!("v,\"ak\"x,{SECRET},p,q")))),
            "api_key.csv",
        ),
        (
            "csv two data rows",
            Box::new(move || from_csv(format!("{HEADER}\nv,ak,{SECRET},p,q\nv,ak,{SECRET},p,q\n"))),
            "api_key.csv",
        ),
        (
            "csv empty secretKey",
            Box::new(move || from_csv(csv("v,ak,,p,q"))),
            "secretKey",
        ),
        (
            "csv non-ASCII secretKey",
            Box::new(move || from_csv(csv(&format!("v,ak,{SECRET}ü,p,q")))),
            "secretKey",
        ),
        (
            "csv quote inside value",
            Box::new(move || from_csv(csv(&format!("v,ak,{SECRET}\"x,p,q")))),
            "api_key.csv",
        ),
        (
            "csv file missing",
            Box::new(|| GtrCredentials::from_api_key_csv("/nonexistent/api_key.csv").map(|_| ())),
            "api_key.csv",
        ),
        (
            "client cert not PEM",
            Box::new(|| {
                ClientIdentity::from_pem(
                    SECRET,
                    "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
                )
                .map(|_| ())
            }),
            "client_certificate",
        ),
        (
            "client key wrong label",
            Box::new(|| {
                ClientIdentity::from_pem(
                    CERT,
                    &format!("-----BEGIN PUBLIC KEY-----\n{SECRET}\n-----END PUBLIC KEY-----\n"),
                )
                .map(|_| ())
            }),
            "client_key",
        ),
        (
            "client key garbage PEM",
            Box::new(|| {
                ClientIdentity::from_pem(
                    CERT,
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                )
                .map(|_| ())
            }),
            "client_key",
        ),
        (
            "client key of another cert",
            Box::new(|| ClientIdentity::from_pem(CERT, OTHER_KEY).map(|_| ())),
            "client_key",
        ),
        (
            "client key on an unsupported curve",
            Box::new(|| ClientIdentity::from_pem(CERT, P521_KEY).map(|_| ())),
            "client_key",
        ),
        (
            "client cert PEM with a key label",
            Box::new(|| ClientIdentity::from_pem(OTHER_KEY, OTHER_KEY).map(|_| ())),
            "client_certificate",
        ),
        (
            "p12 garbage",
            Box::new(|| ClientIdentity::from_pkcs12(SECRET.as_bytes(), SECRET).map(|_| ())),
            "p12",
        ),
        (
            "p12 wrong password",
            Box::new(|| ClientIdentity::from_pkcs12(P12, SECRET).map(|_| ())),
            "p12_password",
        ),
        (
            "ca not PEM",
            Box::new(|| TlsConfig::new().add_ca_pem(SECRET).map(|_| ())),
            "ca_certificate",
        ),
    ];
    assert!(cases.len() >= 10);
    for (name, f, field) in cases {
        let err = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(&f)) {
            Ok(Err(e)) => e,
            Ok(Ok(())) => panic!("{name}: accepted"),
            Err(_) => panic!("{name}: panicked"),
        };
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{name}: {err}");
        assert_eq!(err.field(), Some(field), "{name}: {err}");
        assert!(!err.is_retryable(), "{name}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SECRET), "{name}: secret leaked: {shown}");
        assert!(!shown.contains("S3cr3t"), "{name}: secret leaked: {shown}");
    }
}

const CERT: &str = include_str!("vectors/mtls/client.pem");
const P12: &[u8] = include_bytes!("vectors/mtls/client.p12");
// An unrelated P-256 key (the CA's was deleted; this one is freshly made for the test file).
const OTHER_KEY: &str = include_str!("vectors/mtls/other.key");

const P521_KEY: &str = include_str!("vectors/mtls/p521.key");

#[test]
fn good_inputs_and_redaction() {
    let c = GtrCredentials::from_api_key_csv_str(&csv(&format!("v_1,AK1,{SECRET},pub,priv")))
        .expect("valid csv");
    let dbg = format!("{c:?}");
    assert!(dbg.contains("AK1") && !dbg.contains(SECRET));
    let id = ClientIdentity::from_pem(CERT, include_str!("vectors/mtls/client.key"))
        .expect("pem identity");
    assert_eq!(id.certificate_chain().len(), 1);
    assert!(!format!("{id:?}").contains("BEGIN"));
    let id = ClientIdentity::from_pkcs12(P12, "tollgate-test-password").expect("p12 identity");
    assert_eq!(id.certificate_chain().len(), 2, "leaf + CA from -certfile");
    let legacy = include_bytes!("vectors/mtls/client-legacy.p12");
    ClientIdentity::from_pkcs12(legacy, "tollgate-test-password").expect("legacy p12");
}
