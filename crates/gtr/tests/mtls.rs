//! Mutual TLS against a real TLS server on loopback that requires a client certificate.
//!
//! The server (tokio-rustls + a minimal HTTP/1.1 responder) trusts, for client
//! certificates, a CA generated here with rcgen and the committed OpenSSL fixture CA
//! (`tests/vectors/mtls/ca.pem`, which signed the fixture `client.p12`). Its own server
//! certificate is issued by the rcgen CA for `gtr.test`, which the client trusts explicitly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::ErrorKind;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tollgate_gtr::AppTokenAuth;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::{ClientIdentity, TlsConfig};

const FIXTURE_CA: &str = include_str!("vectors/mtls/ca.pem");
const FIXTURE_P12: &[u8] = include_bytes!("vectors/mtls/client.p12");
const FIXTURE_LEGACY_P12: &[u8] = include_bytes!("vectors/mtls/client-legacy.p12");
const FIXTURE_P12_PASSWORD: &str = "tollgate-test-password";
const HOST: &str = "gtr.test";

struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("ca key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
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

struct Server {
    addr: SocketAddr,
    ok: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
}

async fn start_server(server_ca: &Ca, client_cas: &[&str]) -> Server {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for pem in client_cas {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(c.expect("ca der")).expect("add ca");
        }
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let (cert_pem, key_pem) = leaf(server_ca, "gtr test server", true);
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("server chain");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("server key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let ok = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let (ok2, refused2) = (ok.clone(), refused.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, ok, refused) = (acceptor.clone(), ok2.clone(), refused2.clone());
            tokio::spawn(async move {
                let mut tls = match acceptor.accept(tcp).await {
                    Ok(s) => s,
                    Err(_) => {
                        refused.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                };
                ok.fetch_add(1, Ordering::SeqCst);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                let body = if head.contains("\r\nx-authorization: ") {
                    "x-authorization: yes"
                } else {
                    "x-authorization: no"
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server { addr, ok, refused }
}

fn client(tls: TlsConfig, addr: SocketAddr) -> reqwest::Client {
    tls.reqwest_builder()
        .expect("builder")
        .resolve(HOST, addr)
        .build()
        .expect("client")
}

fn url(addr: SocketAddr) -> String {
    format!("https://{HOST}:{}/api/status", addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_accepts_the_right_identity_and_refuses_others() {
    let server_ca = ca("tollgate test server/client CA");
    let rogue_ca = ca("rogue CA");
    let server = start_server(&server_ca, &[&server_ca.pem, FIXTURE_CA]).await;
    let trust = || {
        TlsConfig::new()
            .system_roots(false)
            .add_ca_pem(&server_ca.pem)
            .expect("ca pem")
    };

    // 1. The right identity from PEM (issued by the trusted CA): 200.
    let (cert, key) = leaf(&server_ca, "good client", false);
    let id = ClientIdentity::from_pem(&cert, &key).expect("pem identity");
    let resp = client(trust().identity(id), server.addr)
        .get(url(server.addr))
        .send()
        .await
        .expect("right identity gets through");
    assert_eq!(resp.status(), 200);
    assert_eq!(server.ok.load(Ordering::SeqCst), 1);

    // 2. The right identity from OpenSSL-made .p12 files (modern and legacy encryption).
    for p12 in [FIXTURE_P12, FIXTURE_LEGACY_P12] {
        let id = ClientIdentity::from_pkcs12(p12, FIXTURE_P12_PASSWORD).expect("p12 identity");
        let resp = client(trust().identity(id), server.addr)
            .get(url(server.addr))
            .send()
            .await
            .expect("p12 identity gets through");
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(server.ok.load(Ordering::SeqCst), 3);
    assert_eq!(server.refused.load(Ordering::SeqCst), 0);

    // 3. No identity: the handshake is refused.
    let err = client(trust(), server.addr)
        .get(url(server.addr))
        .send()
        .await;
    assert!(err.is_err(), "no identity must be refused: {err:?}");
    // 4. A certificate from another CA: refused.
    let (cert, key) = leaf(&rogue_ca, "rogue client", false);
    let id = ClientIdentity::from_pem(&cert, &key).expect("rogue identity parses");
    let err = client(trust().identity(id), server.addr)
        .get(url(server.addr))
        .send()
        .await;
    assert!(err.is_err(), "foreign identity must be refused: {err:?}");
    // The server saw two refused handshakes and no new successful one.
    wait_for(|| server.refused.load(Ordering::SeqCst) == 2).await;
    assert_eq!(server.ok.load(Ordering::SeqCst), 3);

    // 5. The client does not trust a server whose CA it was not given.
    let (cert, key) = leaf(&server_ca, "good client", false);
    let id = ClientIdentity::from_pem(&cert, &key).expect("pem identity");
    let untrusting = TlsConfig::new()
        .system_roots(false)
        .add_ca_pem(&rogue_ca.pem)
        .expect("ca")
        .identity(id);
    let err = client(untrusting, server.addr)
        .get(url(server.addr))
        .send()
        .await;
    assert!(err.is_err(), "unknown server CA must be refused: {err:?}");
    // And without any trusted CA there is no client at all (never "accept anything").
    let e = TlsConfig::new()
        .system_roots(false)
        .build_client()
        .expect_err("no roots");
    assert_eq!(e.field(), Some("ca_certificate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_token_over_mutual_tls() {
    let server_ca = ca("tollgate test CA");
    let server = start_server(&server_ca, &[FIXTURE_CA]).await;
    let id = ClientIdentity::from_pkcs12(FIXTURE_P12, FIXTURE_P12_PASSWORD).expect("p12");
    let http = client(
        TlsConfig::new()
            .system_roots(false)
            .add_ca_pem(&server_ca.pem)
            .expect("ca")
            .identity(id),
        server.addr,
    );
    let creds = GtrCredentials::new("vasp_1", "AK1", "secret-key-1").expect("creds");
    let signed = reqwest_middleware::ClientBuilder::new(http)
        .with(
            AppTokenAuth::builder()
                .credentials(creds)
                .base_url(url(server.addr))
                .build()
                .expect("auth")
                .middleware(),
        )
        .build();
    let resp = signed.get(url(server.addr)).send().await.expect("call");
    assert_eq!(resp.text().await.expect("body"), "x-authorization: yes");
}

#[test]
fn wrong_p12_password_is_a_clear_typed_error() {
    for p12 in [FIXTURE_P12, FIXTURE_LEGACY_P12] {
        let err = ClientIdentity::from_pkcs12(p12, "not-the-password").expect_err("wrong password");
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(err.field(), Some("p12_password"));
        assert!(err.to_string().contains("wrong"), "{err}");
        assert!(!err.to_string().contains("not-the-password"));
    }
    let err =
        ClientIdentity::from_pkcs12_file("/nonexistent/certificate.p12", "x").expect_err("missing");
    assert_eq!(err.field(), Some("p12"));
}

/// The server counts a refused handshake on its own task; give it a moment (bounded
/// polling with yields, no fixed sleeps).
async fn wait_for(cond: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    assert!(cond(), "condition not reached");
}
