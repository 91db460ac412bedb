//! The callback server of `examples/callback_server.rs` (its `serve`, compiled in here) on
//! [`CallbackTlsConfig`], called over loopback by TLS clients built with this crate: a client
//! certificate issued by the truststore's CA gets the network check answered, a client
//! without a certificate or with one from another CA fails the handshake. Truststores come as
//! PEM and as the `.p12` variants OpenSSL and keytool write (`tests/fixtures/README.md`).

#[path = "../examples/callback_server.rs"]
#[allow(dead_code)]
mod callback_server;

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tollgate_gtr::callback::{CallbackAnswer, CallbackTlsConfig, ServerIdentity};
use tollgate_gtr::{ClientIdentity, ErrorKind, TlsConfig};

const HOST: &str = "vasp-callback.test";
const PASSWORD: &str = "tollgate-test-password";
const FIXTURE_CA: &str = include_str!("vectors/mtls/ca.pem");
const FIXTURE_CLIENT_P12: &[u8] = include_bytes!("vectors/mtls/client.p12");
const NETWORK_CHECK: &str = r#"{"requestId":"nc-1","invokeVaspCode":"vasp1","originatorVasp":"vasp1","beneficiaryVasp":"vasp1","callbackType":0,"callbackData":{}}"#;

struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("ca key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-signed");
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// (certificate PEM, key PEM) issued by `ca`.
fn leaf(ca: &Ca, name: &str, server: bool) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let sans = if server {
        vec![HOST.to_string()]
    } else {
        Vec::new()
    };
    let mut params = CertificateParams::new(sans).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

/// The example's server on loopback, presenting a certificate from `server_ca` and trusting
/// what `trust` adds.
async fn start(server_ca: &Ca, trust: CallbackTlsConfig) -> SocketAddr {
    let (cert, key) = leaf(server_ca, "vasp callback server", true);
    let config = trust
        .identity(ServerIdentity::from_pem(&cert, &key).expect("server identity"))
        .rustls_server_config()
        .expect("server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(callback_server::serve(listener, Arc::new(config)));
    addr
}

/// A client trusting `server_ca`, presenting `identity` if any.
fn client(server_ca: &Ca, identity: Option<ClientIdentity>, addr: SocketAddr) -> reqwest::Client {
    let mut tls = TlsConfig::new()
        .system_roots(false)
        .add_ca_pem(&server_ca.pem)
        .expect("ca");
    if let Some(id) = identity {
        tls = tls.identity(id);
    }
    tls.reqwest_builder()
        .expect("builder")
        .resolve(HOST, addr)
        .build()
        .expect("client")
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    body: &str,
) -> Result<(u16, String), reqwest::Error> {
    let resp = client
        .post(format!("https://{HOST}:{}/", addr.port()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await?))
}

fn pem_identity(ca: &Ca, name: &str) -> ClientIdentity {
    let (cert, key) = leaf(ca, name, false);
    ClientIdentity::from_pem(&cert, &key).expect("client identity")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_check_is_answered_for_a_truststore_issued_client() {
    let pki = ca("callback test CA");
    let addr = start(
        &pki,
        CallbackTlsConfig::new()
            .trust_pem(&pki.pem)
            .expect("truststore"),
    )
    .await;
    let c = client(&pki, Some(pem_identity(&pki, "GTR")), addr);
    let (status, body) = post(&c, addr, NETWORK_CHECK).await.expect("served");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"verifyStatus":100000,"verifyMessage":"Verify Success"}"#
    );

    // Other callbacks reach the example's app; unreadable bodies get 400 with 100001.
    let (status, body) = post(
        &c,
        addr,
        r#"{"callbackType":7,"callbackData":{"txId":"t"}}"#,
    )
    .await
    .expect("served");
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"verifyStatus":100000,"verifyMessage":"received"}"#)
    );
    let (status, body) = post(&c, addr, r#"{"callbackType":"0"}"#)
        .await
        .expect("served");
    assert_eq!(status, 400);
    let answer: CallbackAnswer = serde_json::from_str(&body).expect("answer");
    assert_eq!(answer.verify_status, 100_001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_without_certificate_is_refused() {
    let pki = ca("callback test CA");
    let addr = start(
        &pki,
        CallbackTlsConfig::new()
            .trust_pem(&pki.pem)
            .expect("truststore"),
    )
    .await;
    let err = post(&client(&pki, None, addr), addr, NETWORK_CHECK).await;
    assert!(
        err.is_err(),
        "a client without a certificate was served: {err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_from_another_ca_is_refused() {
    let pki = ca("callback test CA");
    let rogue = ca("rogue CA");
    let addr = start(
        &pki,
        CallbackTlsConfig::new()
            .trust_pem(&pki.pem)
            .expect("truststore"),
    )
    .await;
    let c = client(&pki, Some(pem_identity(&rogue, "not GTR")), addr);
    let err = post(&c, addr, NETWORK_CHECK).await;
    assert!(
        err.is_err(),
        "a foreign client certificate was served: {err:?}"
    );
    // The same server still serves a trusted client.
    let c = client(&pki, Some(pem_identity(&pki, "GTR")), addr);
    assert_eq!(post(&c, addr, NETWORK_CHECK).await.expect("served").0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p12_truststores_from_openssl_and_keytool() {
    let server_ca = ca("callback server CA");
    for (file, bytes) in [
        (
            "truststore.p12",
            &include_bytes!("fixtures/truststore.p12")[..],
        ),
        (
            "truststore-legacy.p12",
            include_bytes!("fixtures/truststore-legacy.p12"),
        ),
        (
            "truststore-3des.p12",
            include_bytes!("fixtures/truststore-3des.p12"),
        ),
        (
            "truststore-keytool.p12",
            include_bytes!("fixtures/truststore-keytool.p12"),
        ),
    ] {
        let trust = CallbackTlsConfig::new()
            .trust_pkcs12(bytes, PASSWORD)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(trust.trusted_certificates().len(), 1, "{file}");
        let addr = start(&server_ca, trust).await;
        // The fixture client certificate (from GTR-style certificate.p12) chains to ca.pem.
        let id = ClientIdentity::from_pkcs12(FIXTURE_CLIENT_P12, PASSWORD).expect("client p12");
        let (status, body) = post(&client(&server_ca, Some(id), addr), addr, NETWORK_CHECK)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(status, 200, "{file}: {body}");

        let err = CallbackTlsConfig::new()
            .trust_pkcs12(bytes, "wrong password")
            .expect_err("wrong password");
        assert_eq!(err.field(), Some("p12_password"), "{file}: {err}");
        assert!(!err.to_string().contains("wrong password"));
    }
}

#[test]
fn truststore_files_by_content() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let pem = CallbackTlsConfig::new()
        .trust_store_file(format!("{dir}/tests/vectors/mtls/ca.pem"), None)
        .expect("pem");
    let p12 = CallbackTlsConfig::new()
        .trust_store_file(
            format!("{dir}/tests/fixtures/truststore.p12"),
            Some(PASSWORD),
        )
        .expect("p12");
    assert_eq!(pem.trusted_certificates(), p12.trusted_certificates());
    assert_eq!(
        CallbackTlsConfig::new()
            .trust_pem(FIXTURE_CA)
            .expect("pem")
            .trusted_certificates(),
        pem.trusted_certificates()
    );

    let jks = CallbackTlsConfig::new()
        .trust_store_file(
            format!("{dir}/tests/fixtures/truststore.jks"),
            Some(PASSWORD),
        )
        .expect_err("jks");
    assert!(jks.to_string().contains("keytool -importkeystore"), "{jks}");
    let no_password = CallbackTlsConfig::new()
        .trust_store_file(format!("{dir}/tests/fixtures/truststore.p12"), None)
        .expect_err("password needed");
    assert_eq!(no_password.field(), Some("p12_password"));
    // An identity file is not a truststore.
    let identity = CallbackTlsConfig::new()
        .trust_pkcs12(FIXTURE_CLIENT_P12, PASSWORD)
        .expect_err("holds a key");
    assert!(identity.to_string().contains("private key"), "{identity}");
    assert_eq!(identity.kind(), ErrorKind::InvalidCredentials);
}

#[test]
fn server_config_needs_identity_and_truststore() {
    let pki = ca("callback test CA");
    let e = CallbackTlsConfig::new()
        .trust_pem(&pki.pem)
        .expect("pem")
        .rustls_server_config()
        .expect_err("no identity");
    assert_eq!(e.field(), Some("server_certificate"));
    let (cert, key) = leaf(&pki, "server", true);
    let e = CallbackTlsConfig::new()
        .identity(ServerIdentity::from_pem(&cert, &key).expect("identity"))
        .rustls_server_config()
        .expect_err("no truststore");
    assert_eq!(e.field(), Some("client_truststore"));
    // Debug shows no key material.
    let cfg = CallbackTlsConfig::new().identity(ServerIdentity::from_pem(&cert, &key).expect("id"));
    let debug = format!("{cfg:?}");
    assert!(
        debug.contains("REDACTED") && !debug.contains("PRIVATE"),
        "{debug}"
    );
}

#[test]
fn from_lookup_reads_the_callback_variables() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let pki = ca("callback test CA");
    let (cert, key) = leaf(&pki, "server", true);
    let tmp = std::env::temp_dir().join(format!("tollgate-callback-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    std::fs::write(tmp.join("server.crt"), cert).expect("write");
    std::fs::write(tmp.join("server.key"), key).expect("write");
    let vars = |name: &'static str| -> Result<Option<String>, tollgate_gtr::AuthError> {
        Ok(match name {
            "GTR_CALLBACK_CERT_PEM" => Some(tmp.join("server.crt").display().to_string()),
            "GTR_CALLBACK_KEY_PEM" => Some(tmp.join("server.key").display().to_string()),
            "GTR_CALLBACK_TRUSTSTORE" => {
                Some(format!("{dir}/tests/fixtures/truststore-legacy.p12"))
            }
            "GTR_CALLBACK_TRUSTSTORE_PASSWORD" => Some(PASSWORD.to_string()),
            _ => None,
        })
    };
    let cfg = CallbackTlsConfig::from_lookup(vars).expect("from lookup");
    assert_eq!(cfg.trusted_certificates().len(), 1);
    cfg.rustls_server_config().expect("server config");
    let _ = std::fs::remove_dir_all(&tmp);
}
