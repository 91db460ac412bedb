//! Mutual TLS with what real deployments hand a user: X.509 v1 client certificates
//! (`openssl x509 -req` without extensions), the server's own certificate as the only trust
//! anchor (a pinned, CA-issued leaf), `.p12` files in the variants OpenSSL and Java write, and
//! a `reqwest::ClientBuilder` the user already configured.
//!
//! The loopback server (tokio-rustls, TLS 1.3 unless a test asks for 1.2) accepts exactly the client certificates it is
//! given and checks the client's handshake signature against that certificate's public key:
//! webpki refuses v1 certificates, a real GTR front end (OpenSSL) does not.

use std::net::SocketAddr;
use std::sync::Arc;

use auth_core::ErrorKind;
use cms::cert::x509::der::{Decode, Encode};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::DigitallySignedStruct;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tollgate_gtr::{ClientIdentity, TlsConfig};

const V1_CERT: &str = include_str!("fixtures/client-v1.pem");
const V1_KEY: &str = include_str!("fixtures/client-v1.key");
const V1_P12: &[u8] = include_bytes!("fixtures/client-v1.p12");
const PASSWORD: &str = "tollgate-test-password";
const HOST: &str = "gtr.test";

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

/// A server certificate (PEM) and key (PEM) for `host`, issued by `ca`; `expired` puts its
/// validity period in 2000.
fn server_leaf(ca: &Ca, host: &str, expired: bool) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut params = CertificateParams::new(vec![host.to_string()]).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "gtr test server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 12, 31);
    }
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

fn spki_of(cert: &CertificateDer<'_>) -> Vec<u8> {
    cms::cert::x509::Certificate::from_der(cert.as_ref())
        .expect("certificate")
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .expect("spki")
}

/// Accepts exactly the listed client certificates (any X.509 version).
#[derive(Debug)]
struct ExactClientCerts {
    certs: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ClientCertVerifier for ExactClientCerts {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::General("unknown client certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let spki = SubjectPublicKeyInfoDer::from(spki_of(cert));
        let raw = webpki::RawPublicKeyEntity::try_from(&spki)
            .map_err(|_| rustls::Error::General("bad key".into()))?;
        let algs = self
            .provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .find(|(s, _)| *s == dss.scheme)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        if algs
            .iter()
            .any(|a| raw.verify_signature(*a, message, dss.signature()).is_ok())
        {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(rustls::Error::General("bad signature".into()))
        }
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let spki = SubjectPublicKeyInfoDer::from(spki_of(cert));
        rustls::crypto::verify_tls13_signature_with_raw_key(
            message,
            &spki,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A loopback HTTPS server presenting `server_cert`/`server_key` and requiring one of
/// `client_certs`. Answers every request with 200 and the `x-probe` header it received.
async fn start_server(
    server_cert: &str,
    server_key: &str,
    client_certs: &[CertificateDer<'static>],
) -> SocketAddr {
    start_server_on(
        server_cert,
        server_key,
        client_certs,
        &rustls::version::TLS13,
    )
    .await
}

async fn start_server_on(
    server_cert: &str,
    server_key: &str,
    client_certs: &[CertificateDer<'static>],
    version: &'static rustls::SupportedProtocolVersion,
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(ExactClientCerts {
        certs: client_certs.to_vec(),
        provider: provider.clone(),
    });
    let chain = CertificateDer::pem_slice_iter(server_cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("server chain");
    let key = PrivateKeyDer::from_pem_slice(server_key.as_bytes()).expect("server key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                let probe = head
                    .lines()
                    .find_map(|l| l.strip_prefix("x-probe: "))
                    .unwrap_or("none")
                    .trim()
                    .to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{probe}",
                    probe.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn v1_cert_der() -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(V1_CERT.as_bytes()).expect("v1 pem")
}

async fn get(tls: &TlsConfig, addr: SocketAddr) -> Result<String, reqwest::Error> {
    let client = tls
        .reqwest_builder()
        .expect("builder")
        .resolve(HOST, addr)
        .build()
        .expect("client");
    client
        .get(format!("https://{HOST}:{}/api/status", addr.port()))
        .send()
        .await?
        .text()
        .await
}

#[test]
fn the_fixture_client_certificate_is_x509_v1() {
    // Version is the optional [0] field of TBSCertificate; absent means v1.
    let cert = cms::cert::x509::Certificate::from_der(v1_cert_der().as_ref()).expect("parse");
    assert_eq!(cert.tbs_certificate.version, cms::cert::x509::Version::V1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_client_certificate_connects_from_pem_and_p12() {
    let server_ca = ca("server CA");
    let (cert, key) = server_leaf(&server_ca, HOST, false);
    let addr = start_server(&cert, &key, &[v1_cert_der()]).await;
    let trust = || {
        TlsConfig::new()
            .system_roots(false)
            .add_ca_pem(&server_ca.pem)
            .expect("ca")
    };

    let from_pem = ClientIdentity::from_pem(V1_CERT, V1_KEY).expect("v1 certificate from PEM");
    assert_eq!(from_pem.certificate_chain()[0], v1_cert_der());
    let body = get(&trust().identity(from_pem), addr)
        .await
        .expect("v1 PEM identity gets through");
    assert_eq!(body, "none");

    let from_p12 = ClientIdentity::from_pkcs12(V1_P12, PASSWORD).expect("v1 certificate from p12");
    assert_eq!(from_p12.certificate_chain()[0], v1_cert_der());
    get(&trust().identity(from_p12), addr)
        .await
        .expect("v1 p12 identity gets through");

    // Without an identity the server refuses the handshake.
    assert!(get(&trust(), addr).await.is_err());
}

#[test]
fn a_v1_certificate_with_a_foreign_key_is_refused() {
    let other = KeyPair::generate().expect("key").serialize_pem();
    let err = ClientIdentity::from_pem(V1_CERT, &other).expect_err("mismatch");
    assert_eq!(err.field(), Some("client_key"));
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_certificate_is_the_only_trust_anchor() {
    let server_ca = ca("server CA, never given to the client");
    let (cert, key) = server_leaf(&server_ca, HOST, false);
    let addr = start_server(&cert, &key, &[v1_cert_der()]).await;
    let id = || ClientIdentity::from_pem(V1_CERT, V1_KEY).expect("identity");

    // Pinned leaf, no CA, no system store: connects.
    let pinned = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&cert)
        .expect("pin")
        .identity(id());
    assert_eq!(get(&pinned, addr).await.expect("pinned leaf"), "none");

    // Another certificate from the same CA, pinned instead: refused (the issuer grants nothing).
    let (other_cert, _) = server_leaf(&server_ca, HOST, false);
    let wrong_pin = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&other_cert)
        .expect("pin")
        .identity(id());
    assert!(get(&wrong_pin, addr).await.is_err(), "other leaf pinned");

    // The CA given as a CA root beside the wrong pin: still refused (a pin restricts; the
    // roots are not consulted once a pin is configured).
    let ca_and_pin = TlsConfig::new()
        .system_roots(false)
        .add_ca_pem(&server_ca.pem)
        .expect("ca")
        .pin_server_certificate_pem(&other_cert)
        .expect("pin")
        .identity(id());
    assert!(
        get(&ca_and_pin, addr).await.is_err(),
        "CA root beside a wrong pin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_certificate_is_still_checked_for_validity_and_host_name() {
    let server_ca = ca("server CA");
    let id = || ClientIdentity::from_pem(V1_CERT, V1_KEY).expect("identity");

    let (expired, key) = server_leaf(&server_ca, HOST, true);
    let addr = start_server(&expired, &key, &[v1_cert_der()]).await;
    let cfg = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&expired)
        .expect("pin")
        .identity(id());
    let err = get(&cfg, addr)
        .await
        .expect_err("expired pinned certificate");
    assert!(format!("{err:?}").contains("Expired"), "{err:?}");

    let (elsewhere, key) = server_leaf(&server_ca, "other.test", false);
    let addr = start_server(&elsewhere, &key, &[v1_cert_der()]).await;
    let cfg = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&elsewhere)
        .expect("pin")
        .identity(id());
    let err = get(&cfg, addr)
        .await
        .expect_err("pinned certificate for another host");
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
}

#[test]
fn pinning_refuses_what_is_not_a_certificate() {
    let err = TlsConfig::new()
        .pin_server_certificate_pem(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect_err("garbage");
    assert_eq!(err.field(), Some("server_certificate"));
}

#[test]
fn pkcs12_variants_load() {
    let expected = v1_cert_der();
    for (name, der) in [
        ("client-v1.p12", V1_P12),
        (
            "pbes2-des-ede3-cbc.p12",
            include_bytes!("fixtures/pbes2-des-ede3-cbc.p12").as_slice(),
        ),
        (
            "keypbe-none.p12",
            include_bytes!("fixtures/keypbe-none.p12").as_slice(),
        ),
        (
            "pbe-none.p12",
            include_bytes!("fixtures/pbe-none.p12").as_slice(),
        ),
        (
            "mac-sha384.p12",
            include_bytes!("fixtures/mac-sha384.p12").as_slice(),
        ),
        (
            "mac-sha512.p12",
            include_bytes!("fixtures/mac-sha512.p12").as_slice(),
        ),
    ] {
        let id = ClientIdentity::from_pkcs12(der, PASSWORD)
            .unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        assert_eq!(id.certificate_chain()[0], expected, "{name}");
        // And a wrong password is named as such for every variant with a MAC.
        let err = ClientIdentity::from_pkcs12(der, "wrong").expect_err(name);
        assert_eq!(err.field(), Some("p12_password"), "{name}: {err}");
    }
}

#[test]
fn pkcs12_variants_that_are_refused_name_their_algorithm() {
    for (name, der, algorithm) in [
        (
            "mac-md5.p12",
            include_bytes!("fixtures/mac-md5.p12").as_slice(),
            "MD5",
        ),
        (
            "pbe-sha1-rc4-128.p12",
            include_bytes!("fixtures/pbe-sha1-rc4-128.p12").as_slice(),
            "RC4",
        ),
    ] {
        let err = ClientIdentity::from_pkcs12(der, PASSWORD).expect_err(name);
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{name}");
        assert_eq!(err.field(), Some("p12"), "{name}");
        let msg = err.to_string();
        assert!(msg.contains("unsupported"), "{name}: {msg}");
        assert!(msg.contains(algorithm), "{name}: {msg}");
        assert!(!msg.contains("not a valid PKCS#12"), "{name}: {msg}");
        assert!(!msg.contains(PASSWORD));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_settings_apply_to_the_users_own_client_builder() {
    let server_ca = ca("server CA");
    let (cert, key) = server_leaf(&server_ca, HOST, false);
    let addr = start_server(&cert, &key, &[v1_cert_der()]).await;
    let tls = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&cert)
        .expect("pin")
        .identity(ClientIdentity::from_pem(V1_CERT, V1_KEY).expect("identity"));

    // The user's builder: a resolver override and a default header, set before and after.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-probe", "users-header".parse().expect("header"));
    let users = reqwest::Client::builder().resolve(HOST, addr);
    let client = tls
        .apply_to(users)
        .expect("apply")
        .default_headers(headers)
        .build()
        .expect("client");
    let body = client
        .get(format!("https://{HOST}:{}/api/status", addr.port()))
        .send()
        .await
        .expect("mutual TLS through the user's builder")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "users-header");
}

/// GTR's own samples pin TLS 1.2: pins and v1 client certificates work there too (the
/// handshake signatures are verified with the pinned / presented public keys).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinning_and_v1_client_certificates_over_tls12() {
    let server_ca = ca("server CA");
    let (cert, key) = server_leaf(&server_ca, HOST, false);
    let addr = start_server_on(&cert, &key, &[v1_cert_der()], &rustls::version::TLS12).await;
    let cfg = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&cert)
        .expect("pin")
        .identity(ClientIdentity::from_pkcs12(V1_P12, PASSWORD).expect("identity"));
    assert_eq!(get(&cfg, addr).await.expect("TLS 1.2"), "none");
    let (other, _) = server_leaf(&server_ca, HOST, false);
    let wrong = TlsConfig::new()
        .system_roots(false)
        .pin_server_certificate_pem(&other)
        .expect("pin")
        .identity(ClientIdentity::from_pkcs12(V1_P12, PASSWORD).expect("identity"));
    assert!(get(&wrong, addr).await.is_err());
}

/// A damaged `.p12` is a typed error, never a panic.
#[test]
fn damaged_pkcs12_files_are_typed_errors() {
    let files: [&[u8]; 4] = [
        V1_P12,
        include_bytes!("fixtures/keypbe-none.p12"),
        include_bytes!("fixtures/mac-sha512.p12"),
        include_bytes!("fixtures/pbes2-des-ede3-cbc.p12"),
    ];
    for der in files {
        for cut in (0..der.len()).step_by(7) {
            let err = ClientIdentity::from_pkcs12(&der[..cut], PASSWORD).expect_err("truncated");
            assert!(matches!(err.field(), Some("p12" | "p12_password")), "{err}");
        }
        for at in (0..der.len()).step_by(5) {
            let mut bad = der.to_vec();
            bad[at] ^= 0x41;
            if let Err(err) = ClientIdentity::from_pkcs12(&bad, PASSWORD) {
                assert!(
                    matches!(
                        err.field(),
                        Some("p12" | "p12_password" | "client_certificate" | "client_key")
                    ),
                    "{err}"
                );
            }
        }
    }
}

/// A pin restricts: with a pin configured, a server certificate that matches no pin is
/// refused even when it chains to a trusted root (here a CA added with `add_ca_pem`, the
/// stand-in for the system store), and the pinned certificate still connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_refuses_another_ca_issued_certificate_for_the_right_host() {
    let server_ca = ca("trusted server CA");
    let (served, key) = server_leaf(&server_ca, HOST, false);
    let addr = start_server(&served, &key, &[v1_cert_der()]).await;
    let id = || ClientIdentity::from_pem(V1_CERT, V1_KEY).expect("identity");

    // Without a pin, the CA root alone validates the served certificate.
    let ca_only = TlsConfig::new()
        .system_roots(false)
        .add_ca_pem(&server_ca.pem)
        .expect("ca")
        .identity(id());
    get(&ca_only, addr)
        .await
        .expect("CA-validated without pins");

    // A different certificate (same CA, same host) is pinned: the served one is refused,
    // although it chains to the trusted root and names the right host.
    let (pinned_other, _) = server_leaf(&server_ca, HOST, false);
    for system_roots in [false, true] {
        let cfg = TlsConfig::new()
            .system_roots(system_roots)
            .add_ca_pem(&server_ca.pem)
            .expect("ca")
            .pin_server_certificate_pem(&pinned_other)
            .expect("pin")
            .identity(id());
        let err = get(&cfg, addr)
            .await
            .expect_err("a certificate matching no pin must be refused");
        assert!(err.is_connect(), "refused in the handshake: {err:?}");
    }

    // The served certificate pinned (beside the CA and the system store): connects.
    let right_pin = TlsConfig::new()
        .add_ca_pem(&server_ca.pem)
        .expect("ca")
        .pin_server_certificate_pem(&served)
        .expect("pin")
        .identity(id());
    assert_eq!(get(&right_pin, addr).await.expect("pinned"), "none");

    // Pinned among others: any pin matching is enough.
    let bundle = format!("{pinned_other}{served}");
    let among = TlsConfig::new()
        .pin_server_certificate_pem(&bundle)
        .expect("pins")
        .identity(id());
    assert_eq!(get(&among, addr).await.expect("one of the pins"), "none");
}
