//! GTR callbacks: the inbound side, where GTR calls the VASP.
//!
//! GTR posts every callback to the URL configured in its dashboard, over **mutual TLS**: GTR
//! presents a client certificate, which the VASP's server checks against the
//! `client-truststore` of its key bundle. The body is one envelope,
//! `{requestId, invokeVaspCode, originatorVasp, beneficiaryVasp, callbackType, callbackData}`
//! ([`CallbackEnvelope`]), and GTR expects `{verifyStatus, verifyMessage[, data]}` back
//! ([`CallbackAnswer`]) quickly: GTR's pages give 2 s (address and TXID verification; later a
//! timeout) and 30 s (its integration test cases). `callbackType` 0 is a periodic **network
//! check**, which must be answered with success: [`handle`] answers it itself and hands
//! every other callback to the application.
//!
//! This module brings no server framework. It gives:
//! - [`CallbackTlsConfig`]: the server's identity (certificate chain + key, PEM or `.p12`,
//!   with the loaders of [`ClientIdentity`]) and the truststore (`.pem`, or a
//!   certificates-only `.p12` with its password), turned into a rustls
//!   [`ServerConfig`](rustls::ServerConfig) that **requires** a client certificate chaining
//!   to the truststore (rustls's `WebPkiClientVerifier`, aws-lc-rs provider, as the rest of
//!   the crate). A Java `.jks` truststore is not read; convert it once with
//!   `keytool -importkeystore -srckeystore truststore.jks -srcstoretype JKS -destkeystore
//!   truststore.p12 -deststoretype PKCS12`.
//! - [`CallbackEnvelope::parse`]: the untrusted body as a typed envelope, or a typed
//!   [`CallbackError`] (never a panic; bodies over [`MAX_BODY_BYTES`] are refused).
//! - [`CallbackAnswer`]: the answer, with constructors for GTR's codes.
//! - [`handle`]: parse, answer the network check, call the application for the rest, and
//!   give the HTTP status and JSON body to send.
//!
//! Wire it to any HTTP server; `examples/callback_server.rs` does it with tokio-rustls and
//! hyper.
//!
//! ```no_run
//! use tollgate_gtr::callback::{self, CallbackAnswer, CallbackTlsConfig, CallbackType, ServerIdentity};
//! # fn demo(body: &[u8]) -> Result<(), tollgate_gtr::AuthError> {
//! // Once, at start-up: the TLS acceptor's configuration.
//! let tls = CallbackTlsConfig::new()
//!     .identity(ServerIdentity::from_pem_files("callback.crt", "callback.key")?)
//!     .trust_store_file("client-truststore.p12", Some("truststore-password"))?
//!     .rustls_server_config()?;
//! // Per request, with the body read (at most `callback::MAX_BODY_BYTES`):
//! let reply = callback::handle(body, |envelope| match envelope.callback_type {
//!     CallbackType::TxIdNotify => CallbackAnswer::success_with_message("TX ID Received"),
//!     // …look the address or transaction up, within GTR's 2 s…
//!     _ => CallbackAnswer::failure(100001, "callback type not supported"),
//! });
//! let (status, json) = (reply.status, reply.body());
//! # let _ = (tls, status, json); Ok(()) }
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use auth_core::credentials::{pem_label, read_binary_file};
use auth_core::{AuthError, ErrorKind, ExposeSecret};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tls::ClientIdentity;

/// The server's own identity: a certificate chain and its private key, loaded and checked
/// exactly like a client identity (PEM, `.p12` incl. legacy encryption, DER). The key is
/// never shown by `Debug` and its loading copies are wiped.
pub type ServerIdentity = ClientIdentity;

/// Largest callback body [`CallbackEnvelope::parse`] accepts (1 MiB): GTR's envelopes are a
/// few kilobytes, encrypted PII included. Servers should stop reading past it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `verifyStatus` of a success.
pub const VERIFY_SUCCESS: i64 = 100_000;
/// `verifyMessage` of [`CallbackAnswer::success`] (and so of the network-check answer).
pub const VERIFY_SUCCESS_MESSAGE: &str = "Verify Success";
/// `verifyStatus` for a request the VASP cannot read (what GTR's own sample callback server
/// answers for an empty or invalid body).
pub const INVALID_REQUEST: i64 = 100_001;
/// `verifyStatus` of "address not found" (address verification, `callbackType` 6).
pub const ADDRESS_NOT_FOUND: i64 = 200_001;
/// `verifyStatus` of "txId and address/tag not found" (TXID verification, `callbackType` 9).
pub const TX_NOT_FOUND: i64 = 200_007;

/// Environment variable: path of the truststore GTR's client certificates must chain to
/// (`.pem`, or a certificates-only `.p12`).
pub const ENV_TRUSTSTORE_PATH: &str = "GTR_CALLBACK_TRUSTSTORE";
/// Environment variable: the password of a `.p12` truststore.
pub const ENV_TRUSTSTORE_PASSWORD: &str = "GTR_CALLBACK_TRUSTSTORE_PASSWORD";
/// Environment variable: path of the server's `.p12` identity.
pub const ENV_SERVER_P12_PATH: &str = "GTR_CALLBACK_P12";
/// Environment variable: the password of the server's `.p12` identity.
pub const ENV_SERVER_P12_PASSWORD: &str = "GTR_CALLBACK_P12_PASSWORD";
/// Environment variable: path of the server's PEM certificate (chain).
pub const ENV_SERVER_CERT_PEM_PATH: &str = "GTR_CALLBACK_CERT_PEM";
/// Environment variable: path of the server's PEM private key.
pub const ENV_SERVER_KEY_PEM_PATH: &str = "GTR_CALLBACK_KEY_PEM";

const TRUSTSTORE: &str = "client_truststore";

/// TLS for the callback server: the server's identity and the truststore that GTR's client
/// certificate must chain to. `Debug` shows counts only.
///
/// ```no_run
/// use tollgate_gtr::callback::{CallbackTlsConfig, ServerIdentity};
/// let config: rustls::ServerConfig = CallbackTlsConfig::new()
///     .identity(ServerIdentity::from_pkcs12_file("callback-server.p12", "p12-password")?)
///     .trust_pem_file("client-truststore.pem")?
///     .rustls_server_config()?;
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
#[derive(Clone, Default)]
pub struct CallbackTlsConfig {
    identity: Option<ServerIdentity>,
    trusted: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for CallbackTlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackTlsConfig")
            .field("identity", &self.identity)
            .field("trusted_certificates", &self.trusted.len())
            .finish()
    }
}

impl CallbackTlsConfig {
    /// No identity, nothing trusted (both are needed before
    /// [`rustls_server_config`](Self::rustls_server_config)).
    pub fn new() -> Self {
        Self::default()
    }

    /// The certificate chain and key the server presents to GTR.
    #[must_use]
    pub fn identity(mut self, identity: ServerIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Trusts the CA certificate(s) in `pem` for client certificates.
    pub fn trust_pem(self, pem: &str) -> Result<Self, AuthError> {
        pem_label(TRUSTSTORE, pem, &["CERTIFICATE"])?;
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AuthError::invalid_field(TRUSTSTORE, "is not valid PEM"))?;
        self.trust_certificates(certs)
    }

    /// [`trust_pem`](Self::trust_pem) with the PEM file at `path`.
    pub fn trust_pem_file(self, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let pem = auth_core::credentials::read_text_file(TRUSTSTORE, path.as_ref())?;
        self.trust_pem(pem.expose_secret())
    }

    /// Trusts the certificates of a certificates-only PKCS#12 truststore (Java keytool's
    /// `-storetype PKCS12`, `openssl pkcs12 -export -nokeys`, legacy encryption included),
    /// opened with `password`. A file holding a private key is refused (an identity, not a
    /// truststore); a wrong password is an error on field `p12_password`.
    pub fn trust_pkcs12(self, der: &[u8], password: &str) -> Result<Self, AuthError> {
        let certs = crate::p12::certificates(der, password)?;
        if certs.is_empty() {
            return Err(AuthError::invalid_field(TRUSTSTORE, "holds no certificate"));
        }
        self.trust_certificates(certs.into_iter().map(CertificateDer::from).collect())
    }

    /// Trusts the truststore file at `path`, by its content: PEM text, or else a PKCS#12
    /// file opened with `password` (which it then needs). A Java KeyStore (`.jks`/JCEKS) is
    /// refused with the `keytool` command that converts it to PKCS#12.
    pub fn trust_store_file(
        self,
        path: impl AsRef<Path>,
        password: Option<&str>,
    ) -> Result<Self, AuthError> {
        let bytes = read_binary_file(TRUSTSTORE, path.as_ref())?;
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if bytes[start..].starts_with(b"-----BEGIN ") {
            let pem = std::str::from_utf8(&bytes)
                .map_err(|_| AuthError::invalid_field(TRUSTSTORE, "is not UTF-8 PEM"))?;
            return self.trust_pem(pem);
        }
        if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE; 4]) {
            return Err(AuthError::invalid_field(
                TRUSTSTORE,
                "is a Java KeyStore (JKS), which this crate does not read: convert it with \
                 `keytool -importkeystore -srckeystore truststore.jks -srcstoretype JKS \
                 -destkeystore truststore.p12 -deststoretype PKCS12`",
            ));
        }
        let password = password.ok_or_else(|| {
            AuthError::invalid_field(
                "p12_password",
                "is needed: the truststore is not PEM, so it is read as PKCS#12",
            )
        })?;
        self.trust_pkcs12(&bytes, password)
    }

    fn trust_certificates(
        mut self,
        certs: Vec<CertificateDer<'static>>,
    ) -> Result<Self, AuthError> {
        if certs.is_empty() {
            return Err(AuthError::invalid_field(TRUSTSTORE, "holds no certificate"));
        }
        let mut probe = rustls::RootCertStore::empty();
        for c in &certs {
            probe.add(c.clone()).map_err(|_| {
                AuthError::invalid_field(
                    TRUSTSTORE,
                    "holds a certificate unusable as a trust anchor",
                )
            })?;
        }
        self.trusted.extend(certs);
        Ok(self)
    }

    /// From the environment: the truststore `GTR_CALLBACK_TRUSTSTORE` (path; `.p12` with
    /// `GTR_CALLBACK_TRUSTSTORE_PASSWORD`) and the server identity `GTR_CALLBACK_P12` +
    /// `GTR_CALLBACK_P12_PASSWORD`, or else `GTR_CALLBACK_CERT_PEM` + `GTR_CALLBACK_KEY_PEM`.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup`, which
    /// returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let identity = if let Some(p12) = vars.get(ENV_SERVER_P12_PATH)? {
            let password = vars.secret(ENV_SERVER_P12_PASSWORD)?;
            ServerIdentity::from_pkcs12_file(p12, password.expose_secret())?
        } else {
            let cert = vars.get(ENV_SERVER_CERT_PEM_PATH)?.ok_or_else(|| {
                AuthError::invalid_field(
                    ENV_SERVER_P12_PATH,
                    "environment variable is not set (nor GTR_CALLBACK_CERT_PEM)",
                )
            })?;
            ServerIdentity::from_pem_files(cert, vars.require(ENV_SERVER_KEY_PEM_PATH)?)?
        };
        let store = vars.require(ENV_TRUSTSTORE_PATH)?;
        let password = vars
            .get(ENV_TRUSTSTORE_PASSWORD)?
            .map(auth_core::SecretString::from);
        Self::new()
            .identity(identity)
            .trust_store_file(store, password.as_ref().map(|p| p.expose_secret()))
    }

    /// The trusted certificates, in the order added.
    pub fn trusted_certificates(&self) -> &[CertificateDer<'static>] {
        &self.trusted
    }

    /// The rustls server configuration: TLS 1.2/1.3 on aws-lc-rs, the identity, ALPN
    /// `http/1.1`, and a client-certificate verifier (`WebPkiClientVerifier`) over the
    /// truststore that **refuses** a handshake without a client certificate, or with one
    /// that does not chain to a trusted certificate, is outside its validity period or lacks
    /// the client-authentication usage. Fails without an identity or a trusted certificate.
    /// (The verifier reads X.509 v3 client certificates; v1 ones are refused.)
    pub fn rustls_server_config(&self) -> Result<rustls::ServerConfig, AuthError> {
        let identity = self.identity.as_ref().ok_or_else(|| {
            AuthError::invalid_field(
                "server_certificate",
                "is not set (CallbackTlsConfig::identity)",
            )
        })?;
        if self.trusted.is_empty() {
            return Err(AuthError::invalid_field(
                TRUSTSTORE,
                "is empty: GTR's client certificate must chain to a trusted certificate",
            ));
        }
        let mut roots = rustls::RootCertStore::empty();
        for c in &self.trusted {
            roots.add(c.clone()).map_err(|_| {
                AuthError::invalid_field(
                    TRUSTSTORE,
                    "holds a certificate unusable as a trust anchor",
                )
            })?;
        }
        let provider = crate::tls::provider();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|_| {
            AuthError::new(
                ErrorKind::Internal,
                "cannot build the client certificate verifier",
            )
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| AuthError::new(ErrorKind::Internal, "rustls protocol setup failed"))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(FixedServerCert(identity.certified_key())));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// Always presents the one server identity.
#[derive(Debug)]
struct FixedServerCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for FixedServerCert {
    fn resolve(
        &self,
        _client_hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// What a callback is about: `callbackType`. Codes without a name here are
/// [`Other`](Self::Other) (GTR's sources also show 4, 10 and 12, whose meaning its pages do
/// not state); build values with [`from_code`](Self::from_code), which never gives `Other`
/// for a named code, and compare codes with [`code`](Self::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallbackType {
    /// 0: GTR's periodic network check; answer with success ([`handle`] does).
    NetworkCheck,
    /// 6: pre-transaction address verification: does the beneficiary address belong to you?
    AddressVerification,
    /// 7: the initiator's blockchain transaction id, for your records.
    TxIdNotify,
    /// 9: post-transaction TXID verification: is this transaction yours?
    TxIdVerification,
    /// 13: the counterparty's address or TXID verification result.
    VerificationResultNotify,
    /// 15: the counterparty's PII verification result.
    PiiVerificationResultNotify,
    /// 17: the travel rule ended (cancelled or rejected).
    TravelRuleEnd,
    /// 18: an unhosted wallet's ownership verification result.
    WalletVerifyResult,
    /// Any other code.
    Other(i64),
}

impl CallbackType {
    /// The type of `code`.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::NetworkCheck,
            6 => Self::AddressVerification,
            7 => Self::TxIdNotify,
            9 => Self::TxIdVerification,
            13 => Self::VerificationResultNotify,
            15 => Self::PiiVerificationResultNotify,
            17 => Self::TravelRuleEnd,
            18 => Self::WalletVerifyResult,
            other => Self::Other(other),
        }
    }

    /// The numeric `callbackType`.
    pub fn code(self) -> i64 {
        match self {
            Self::NetworkCheck => 0,
            Self::AddressVerification => 6,
            Self::TxIdNotify => 7,
            Self::TxIdVerification => 9,
            Self::VerificationResultNotify => 13,
            Self::PiiVerificationResultNotify => 15,
            Self::TravelRuleEnd => 17,
            Self::WalletVerifyResult => 18,
            Self::Other(code) => code,
        }
    }
}

impl Serialize for CallbackType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

/// One callback from GTR. Unknown top-level fields are ignored.
///
/// Parsing is strict where GTR's samples agree: `callbackType` is a JSON integer (0 or more;
/// never a string or a float in any of GTR's pages, scripts or sample servers), the VASP codes
/// and `requestId` are strings when present, `callbackData` is an object when present, and a
/// field given twice is an error. The string fields are optional (GTR's reference marks them
/// so, and a network check must not be refused for lacking one).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallbackEnvelope {
    /// `requestId`: the travel rule's request id (the same in every callback about it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `invokeVaspCode`: the VASP this callback is for (route on it when several VASPs share
    /// one endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke_vasp_code: Option<String>,
    /// `originatorVasp`: the VASP the assets move from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator_vasp: Option<String>,
    /// `beneficiaryVasp`: the VASP the assets move to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beneficiary_vasp: Option<String>,
    /// `callbackType`.
    pub callback_type: CallbackType,
    /// `callbackData`: an object whose shape depends on the type (`Null` when absent).
    pub callback_data: Value,
}

/// The envelope as read, before its fields are checked. Derived so that a duplicated field
/// is an error; `Option<Value>` takes `null` as absent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    request_id: Option<Value>,
    invoke_vasp_code: Option<Value>,
    originator_vasp: Option<Value>,
    beneficiary_vasp: Option<Value>,
    callback_type: Option<Value>,
    callback_data: Option<Value>,
}

fn optional_string(v: Option<Value>, field: &'static str) -> Result<Option<String>, CallbackError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CallbackError::InvalidField {
            field,
            expected: "a string",
        }),
    }
}

impl CallbackEnvelope {
    /// An envelope of `callback_type` with `callback_data` and no ids (for tests and fakes;
    /// set the public fields as needed).
    pub fn new(callback_type: CallbackType, callback_data: Value) -> Self {
        CallbackEnvelope {
            request_id: None,
            invoke_vasp_code: None,
            originator_vasp: None,
            beneficiary_vasp: None,
            callback_type,
            callback_data,
        }
    }

    /// Reads a callback body (untrusted): a JSON object of at most [`MAX_BODY_BYTES`]. Errors
    /// never quote the body.
    ///
    /// ```
    /// use tollgate_gtr::callback::{CallbackEnvelope, CallbackError, CallbackType};
    /// let e = CallbackEnvelope::parse(br#"{"requestId":"r1","invokeVaspCode":"me","callbackType":0,"callbackData":{}}"#)?;
    /// assert_eq!(e.callback_type, CallbackType::NetworkCheck);
    /// assert_eq!(
    ///     CallbackEnvelope::parse(br#"{"callbackType":"0"}"#),
    ///     Err(CallbackError::InvalidField { field: "callbackType", expected: "a non-negative integer" }),
    /// );
    /// # Ok::<(), CallbackError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, CallbackError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(CallbackError::TooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        // A derived struct would also take a JSON array; GTR sends an object.
        match body
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            Some(b'{') => {}
            None => return Err(CallbackError::Empty),
            Some(_) => {
                // Malformed JSON is reported as such; well-formed non-objects as NotAnObject.
                return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                    Ok(_) => Err(CallbackError::NotAnObject),
                    Err(e) => Err(CallbackError::InvalidJson {
                        line: e.line(),
                        column: e.column(),
                    }),
                };
            }
        }
        let raw: RawEnvelope = serde_json::from_slice(body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => CallbackError::DuplicateField,
            _ => CallbackError::InvalidJson {
                line: e.line(),
                column: e.column(),
            },
        })?;
        let callback_type = match raw.callback_type {
            None => return Err(CallbackError::MissingField("callbackType")),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(code) if code >= 0 => CallbackType::from_code(code),
                _ => {
                    return Err(CallbackError::InvalidField {
                        field: "callbackType",
                        expected: "a non-negative integer",
                    });
                }
            },
            Some(_) => {
                return Err(CallbackError::InvalidField {
                    field: "callbackType",
                    expected: "a non-negative integer",
                });
            }
        };
        let callback_data = match raw.callback_data {
            None => Value::Null,
            Some(v @ Value::Object(_)) => v,
            Some(_) => {
                return Err(CallbackError::InvalidField {
                    field: "callbackData",
                    expected: "an object",
                });
            }
        };
        Ok(CallbackEnvelope {
            request_id: optional_string(raw.request_id, "requestId")?,
            invoke_vasp_code: optional_string(raw.invoke_vasp_code, "invokeVaspCode")?,
            originator_vasp: optional_string(raw.originator_vasp, "originatorVasp")?,
            beneficiary_vasp: optional_string(raw.beneficiary_vasp, "beneficiaryVasp")?,
            callback_type,
            callback_data,
        })
    }

    /// Whether this is GTR's network check (`callbackType` 0).
    pub fn is_network_check(&self) -> bool {
        self.callback_type.code() == 0
    }

    /// The envelope as GTR sends it (compact JSON).
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, integers and a JSON value: serialization cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Why a callback body was refused. `Display` names the problem, never the body's content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// The body is larger than `limit` bytes.
    TooLarge {
        /// The limit ([`MAX_BODY_BYTES`]).
        limit: usize,
    },
    /// The body is empty (or whitespace).
    Empty,
    /// The body is not JSON; the position of the first error.
    InvalidJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The body is JSON, but not an object.
    NotAnObject,
    /// A field of the envelope appears twice.
    DuplicateField,
    /// A required field is absent or `null`.
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    InvalidField {
        /// The field's name in the envelope.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "callback body larger than {limit} bytes"),
            Self::Empty => f.write_str("empty callback body"),
            Self::InvalidJson { line, column } => {
                write!(
                    f,
                    "callback body is not JSON (line {line}, column {column})"
                )
            }
            Self::NotAnObject => f.write_str("callback body is not a JSON object"),
            Self::DuplicateField => f.write_str("a callback field appears twice"),
            Self::MissingField(field) => write!(f, "{field} cannot be null"),
            Self::InvalidField { field, expected } => write!(f, "{field} must be {expected}"),
        }
    }
}

impl std::error::Error for CallbackError {}

impl CallbackError {
    /// The HTTP status to answer with: 413 for [`TooLarge`](Self::TooLarge), else 400.
    pub fn http_status(&self) -> http::StatusCode {
        match self {
            Self::TooLarge { .. } => http::StatusCode::PAYLOAD_TOO_LARGE,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }

    /// The answer body: [`INVALID_REQUEST`] with this error's message.
    pub fn answer(&self) -> CallbackAnswer {
        CallbackAnswer::failure(INVALID_REQUEST, self.to_string())
    }
}

/// The VASP's answer to a callback: `{verifyStatus, verifyMessage[, data]}`.
///
/// ```
/// use tollgate_gtr::callback::CallbackAnswer;
/// assert_eq!(
///     CallbackAnswer::success().to_json(),
///     br#"{"verifyStatus":100000,"verifyMessage":"Verify Success"}"#,
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallbackAnswer {
    /// `verifyStatus`: [`VERIFY_SUCCESS`] or one of GTR's failure codes.
    pub verify_status: i64,
    /// `verifyMessage`.
    pub verify_message: String,
    /// `data`, for the callback types that return some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl CallbackAnswer {
    /// Success: `{"verifyStatus":100000,"verifyMessage":"Verify Success"}`.
    pub fn success() -> Self {
        Self::success_with_message(VERIFY_SUCCESS_MESSAGE)
    }

    /// Success with another message (GTR's pages use e.g. `"success"`, `"TX ID Received"`).
    pub fn success_with_message(message: impl Into<String>) -> Self {
        Self::failure(VERIFY_SUCCESS, message)
    }

    /// Any `verifyStatus` with its message (meant for failures: [`ADDRESS_NOT_FOUND`],
    /// [`TX_NOT_FOUND`], [`INVALID_REQUEST`]…).
    pub fn failure(verify_status: i64, message: impl Into<String>) -> Self {
        CallbackAnswer {
            verify_status,
            verify_message: message.into(),
            data: None,
        }
    }

    /// [`ADDRESS_NOT_FOUND`]: `"address not found"`.
    pub fn address_not_found() -> Self {
        Self::failure(ADDRESS_NOT_FOUND, "address not found")
    }

    /// [`TX_NOT_FOUND`]: `"txId and address/tag not found"`.
    pub fn tx_not_found() -> Self {
        Self::failure(TX_NOT_FOUND, "txId and address/tag not found")
    }

    /// Adds `data` to the answer.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Whether `verifyStatus` is [`VERIFY_SUCCESS`].
    pub fn is_success(&self) -> bool {
        self.verify_status == VERIFY_SUCCESS
    }

    /// The answer as compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // An integer, a string and a JSON value: serialization cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The answer to GTR's network check (`callbackType` 0): success. (A production integration
/// answered it with an error until February 2026: the check is easy to overlook.)
pub fn answer_network_check() -> CallbackAnswer {
    CallbackAnswer::success()
}

/// What to send back: the HTTP status and the answer (`Content-Type: application/json`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CallbackReply {
    /// 200 for an answered callback (success or not: GTR reads `verifyStatus`), 400/413 for
    /// a body that could not be read.
    pub status: http::StatusCode,
    /// The answer.
    pub answer: CallbackAnswer,
}

impl CallbackReply {
    /// The response body (compact JSON).
    pub fn body(&self) -> Vec<u8> {
        self.answer.to_json()
    }
}

/// Handles one callback body: a network check is answered with success here, every other
/// callback is passed to `app`, and a body that cannot be read gets a 400/413 with
/// [`INVALID_REQUEST`]. `app` should answer within GTR's 2 s.
///
/// ```
/// use tollgate_gtr::callback::{self, CallbackAnswer};
/// let reply = callback::handle(br#"{"callbackType":0,"callbackData":{}}"#, |_| unreachable!());
/// assert_eq!(reply.status, 200);
/// assert_eq!(reply.answer, CallbackAnswer::success());
/// let reply = callback::handle(b"{", |_| unreachable!());
/// assert_eq!(reply.status, 400);
/// ```
pub fn handle(body: &[u8], app: impl FnOnce(CallbackEnvelope) -> CallbackAnswer) -> CallbackReply {
    match CallbackEnvelope::parse(body) {
        Ok(envelope) if envelope.is_network_check() => CallbackReply {
            status: http::StatusCode::OK,
            answer: answer_network_check(),
        },
        Ok(envelope) => CallbackReply {
            status: http::StatusCode::OK,
            answer: app(envelope),
        },
        Err(e) => {
            tracing::debug!(error = %e, "refused a GTR callback body");
            CallbackReply {
                status: e.http_status(),
                answer: e.answer(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [0, 4, 6, 7, 9, 10, 12, 13, 15, 17, 18, 99] {
            assert_eq!(CallbackType::from_code(code).code(), code);
        }
        assert_eq!(CallbackType::from_code(4), CallbackType::Other(4));
    }

    #[test]
    fn errors_do_not_quote_the_body() {
        let e = CallbackEnvelope::parse(br#"{"callbackType":"secret-ish"}"#).expect_err("string");
        assert!(!e.to_string().contains("secret-ish"));
        let e = CallbackEnvelope::parse(br#"{"callbackType":0,"requestId":["pii"]}"#)
            .expect_err("array");
        assert!(!e.to_string().contains("pii"));
    }

    #[test]
    fn shapes() {
        assert_eq!(CallbackEnvelope::parse(b"  "), Err(CallbackError::Empty));
        assert_eq!(
            CallbackEnvelope::parse(b"[0]"),
            Err(CallbackError::NotAnObject)
        );
        assert!(matches!(
            CallbackEnvelope::parse(b"[0"),
            Err(CallbackError::InvalidJson { .. })
        ));
        assert_eq!(
            CallbackEnvelope::parse(br#"{"callbackType":0,"callbackType":6}"#),
            Err(CallbackError::DuplicateField)
        );
        assert_eq!(
            CallbackEnvelope::parse(br#"{"callbackType":null}"#),
            Err(CallbackError::MissingField("callbackType"))
        );
        assert!(CallbackEnvelope::parse(br#"{"callbackType":6.0}"#).is_err());
        assert!(CallbackEnvelope::parse(br#"{"callbackType":-1}"#).is_err());
        assert!(CallbackEnvelope::parse(br#"{"callbackType":0,"callbackData":[]}"#).is_err());
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            CallbackEnvelope::parse(&big),
            Err(CallbackError::TooLarge {
                limit: MAX_BODY_BYTES
            })
        );
        // Unknown fields (GTR's sample server also sends `callbackScenario`) are ignored.
        let e = CallbackEnvelope::parse(br#"{"callbackType":7,"callbackScenario":"x"}"#)
            .expect("extra field");
        assert_eq!(e.callback_type, CallbackType::TxIdNotify);
        assert_eq!(e.callback_data, Value::Null);
    }

    #[test]
    fn envelope_round_trips() {
        let mut e = CallbackEnvelope::new(CallbackType::Other(12), serde_json::json!({"a": 1}));
        e.request_id = Some("r".into());
        assert_eq!(CallbackEnvelope::parse(&e.to_json()), Ok(e));
    }
}
