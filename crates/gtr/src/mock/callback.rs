//! Conformance rows for the callback side ([`crate::callback`]): a loopback HTTPS server on
//! [`CallbackTlsConfig::rustls_server_config`] and [`callback::handle`], called by clients
//! built with this crate's [`TlsConfig`] the way GTR calls a VASP.
//!
//! The server is plain `std` (one thread per connection, rustls's blocking stream), so the
//! library needs no async server for its own fake; `examples/callback_server.rs` shows the
//! same configuration on tokio + hyper.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use testkit::conformance::{Outcome, ScenarioResult};

use crate::callback::{
    self, CallbackAnswer, CallbackEnvelope, CallbackTlsConfig, CallbackType, INVALID_REQUEST,
    MAX_BODY_BYTES, ServerIdentity,
};
use crate::tls::{ClientIdentity, TlsConfig};

/// Host name in the loopback callback server's certificate.
pub const CALLBACK_HOST: &str = "vasp-callback.test";

/// `(certificate PEM, key PEM)`.
type Pem = (String, String);

/// A CA, a server and a client certificate it issued, and a client certificate from another
/// CA, generated with rcgen (valid from now on; nothing is written to disk).
struct Pki {
    ca: String,
    server: Pem,
    client: Pem,
    rogue_client: Pem,
}

fn ca(name: &str) -> Result<(String, Issuer<'static, KeyPair>), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), Issuer::new(params, key)))
}

fn leaf(issuer: &Issuer<'static, KeyPair>, name: &str, server: bool) -> Result<Pem, rcgen::Error> {
    let key = KeyPair::generate()?;
    let sans = if server {
        vec![CALLBACK_HOST.to_string()]
    } else {
        Vec::new()
    };
    let mut params = CertificateParams::new(sans)?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = params.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl Pki {
    fn generate() -> Result<Self, rcgen::Error> {
        let (ca_pem, issuer) = ca("GTR callback test CA")?;
        let (_, rogue) = ca("rogue CA")?;
        Ok(Pki {
            server: leaf(&issuer, "vasp callback server", true)?,
            client: leaf(&issuer, "GTR callback client", false)?,
            rogue_client: leaf(&rogue, "rogue client", false)?,
            ca: ca_pem,
        })
    }
}

/// A loopback HTTPS callback server; stops when dropped.
struct LoopbackServer {
    addr: SocketAddr,
    refused: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

impl LoopbackServer {
    fn start(config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let refused = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (refused2, stop2) = (refused.clone(), stop.clone());
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(tcp) = tcp else { continue };
                let (config, refused) = (config.clone(), refused2.clone());
                std::thread::spawn(move || serve_connection(tcp, config, &refused));
            }
        });
        Ok(LoopbackServer {
            addr,
            refused,
            stop,
        })
    }
}

/// One HTTP/1.1 exchange over TLS: the callback body handed to [`callback::handle`].
fn serve_connection(tcp: TcpStream, config: Arc<rustls::ServerConfig>, refused: &AtomicU64) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            refused.fetch_add(1, Ordering::SeqCst);
            return;
        }
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 16 * 1024 {
            return;
        }
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let reply = if len > MAX_BODY_BYTES {
        // Not read: handle() refuses anything this large.
        callback::handle(&vec![b' '; MAX_BODY_BYTES + 1], |_| {
            CallbackAnswer::success()
        })
    } else {
        let mut body = buf.split_off(head_end);
        while body.len() < len {
            match tls.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        body.truncate(len);
        // The rows send only network checks: anything reaching the app is a failure.
        callback::handle(&body, |_| {
            CallbackAnswer::failure(INVALID_REQUEST, "not a network check")
        })
    };
    let json = reply.body();
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status.as_u16(),
        reply.status.canonical_reason().unwrap_or(""),
        json.len()
    );
    let _ = tls.write_all(head.as_bytes());
    let _ = tls.write_all(&json);
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// The rows' setup: certificates, the server, and a client factory.
struct Setup {
    pki: Pki,
    server: LoopbackServer,
}

impl Setup {
    fn new() -> Result<Self, String> {
        let pki = Pki::generate().map_err(|e| format!("certificate generation failed: {e}"))?;
        let identity = ServerIdentity::from_pem(&pki.server.0, &pki.server.1)
            .map_err(|e| format!("server identity: {e}"))?;
        let config = CallbackTlsConfig::new()
            .identity(identity)
            .trust_pem(&pki.ca)
            .and_then(|c| c.rustls_server_config())
            .map_err(|e| format!("server configuration: {e}"))?;
        let server = LoopbackServer::start(Arc::new(config))
            .map_err(|e| format!("cannot start the loopback server: {e}"))?;
        Ok(Setup { pki, server })
    }

    /// A client trusting the test CA for the server, presenting `identity` if any.
    fn client(&self, identity: Option<&Pem>) -> Result<reqwest::Client, String> {
        let mut tls = TlsConfig::new()
            .system_roots(false)
            .add_ca_pem(&self.pki.ca)
            .map_err(|e| format!("client CA: {e}"))?;
        if let Some((cert, key)) = identity {
            tls = tls.identity(
                ClientIdentity::from_pem(cert, key).map_err(|e| format!("client identity: {e}"))?,
            );
        }
        tls.reqwest_builder()
            .map_err(|e| format!("client TLS: {e}"))?
            .resolve(CALLBACK_HOST, self.server.addr)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("client: {e}"))
    }

    /// Posts a network check as GTR sends it.
    async fn post_network_check(
        &self,
        client: &reqwest::Client,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut envelope = CallbackEnvelope::new(CallbackType::NetworkCheck, serde_json::json!({}));
        envelope.request_id = Some("conformance-network-check".into());
        envelope.invoke_vasp_code = Some(super::FAKE_VASP_CODE.into());
        envelope.originator_vasp = Some(super::FAKE_VASP_CODE.into());
        envelope.beneficiary_vasp = Some(super::FAKE_VASP_CODE.into());
        client
            .post(format!(
                "https://{CALLBACK_HOST}:{}/callback",
                self.server.addr.port()
            ))
            .header("content-type", "application/json")
            .body(envelope.to_json())
            .send()
            .await
    }

    async fn client_certificate_required(&self) -> Result<Outcome, String> {
        // The control: a certificate issued by the truststore's CA gets through.
        let good = self.client(Some(&self.pki.client))?;
        let resp = self
            .post_network_check(&good)
            .await
            .map_err(|e| format!("a trusted client certificate was refused: {e}"))?;
        if resp.status() != 200 {
            return Err(format!("trusted client answered HTTP {}", resp.status()));
        }
        let before = self.server.refused.load(Ordering::SeqCst);
        for (what, identity) in [
            ("no client certificate", None),
            (
                "a client certificate from another CA",
                Some(&self.pki.rogue_client),
            ),
        ] {
            if let Ok(resp) = self.post_network_check(&self.client(identity)?).await {
                return Ok(Outcome::Fail(format!(
                    "a client with {what} was served: HTTP {}",
                    resp.status()
                )));
            }
        }
        // The refusals were the server's handshake failures (not, say, a client-side error).
        for _ in 0..500 {
            if self.server.refused.load(Ordering::SeqCst) >= before + 2 {
                return Ok(Outcome::Pass);
            }
            tokio_free_sleep().await;
        }
        Ok(Outcome::Fail(format!(
            "the server refused {} of the 2 handshakes",
            self.server.refused.load(Ordering::SeqCst) - before
        )))
    }

    async fn network_check_answered(&self) -> Result<Outcome, String> {
        let client = self.client(Some(&self.pki.client))?;
        let resp = self
            .post_network_check(&client)
            .await
            .map_err(|e| format!("network check not delivered: {e}"))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("answer body: {e}"))?;
        let answer: CallbackAnswer = serde_json::from_slice(&body).map_err(|_| {
            format!("HTTP {status}: the answer is not {{verifyStatus, verifyMessage}}")
        })?;
        if status == 200 && answer == CallbackAnswer::success() {
            Ok(Outcome::Pass)
        } else {
            Ok(Outcome::Fail(format!(
                "HTTP {status}, verifyStatus {}, verifyMessage {:?}",
                answer.verify_status, answer.verify_message
            )))
        }
    }
}

/// Yields for about 10 ms without needing a particular async runtime.
async fn tokio_free_sleep() {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// The callback rows of `cargo xtask conformance` (reported with `gtr-sso`):
/// - `gtr-callback: client certificate required`: a client with a certificate issued by the
///   truststore's CA is served, while a client with no certificate and one with a
///   certificate from another CA fail the TLS handshake (counted by the server);
/// - `gtr-callback: network check answered`: a network check (`callbackType` 0) is answered
///   HTTP 200 `{"verifyStatus":100000,"verifyMessage":"Verify Success"}`.
pub async fn run_callback_rows() -> Vec<ScenarioResult> {
    let row = |scenario, outcome: Result<Outcome, String>| ScenarioResult {
        scenario,
        outcome: outcome.unwrap_or_else(Outcome::Fail),
        fetches: 0,
    };
    match Setup::new() {
        Ok(setup) => vec![
            row(
                "gtr-callback: client certificate required",
                setup.client_certificate_required().await,
            ),
            row(
                "gtr-callback: network check answered",
                setup.network_check_answered().await,
            ),
        ],
        Err(why) => vec![
            row(
                "gtr-callback: client certificate required",
                Err(why.clone()),
            ),
            row("gtr-callback: network check answered", Err(why)),
        ],
    }
}
