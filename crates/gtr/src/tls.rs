//! Mutual TLS: GTR requires the client certificate it issued on every call.
//!
//! Load the identity from `certificate.p12` + its password ([`ClientIdentity::from_pkcs12_file`])
//! or from a PEM certificate (chain) + PEM private key ([`ClientIdentity::from_pem`]), add the
//! CA certificates you need to trust ([`TlsConfig::add_ca_pem`]) and build a
//! `reqwest::Client` ([`TlsConfig::build_client`]) on rustls with the *aws-lc-rs* provider (reqwest's default).
//!
//! GTR's docs reach the UAT host with `curl -k`. This crate offers no way to switch
//! certificate verification off: if a server certificate is not issued by a CA in the
//! system store, add that CA (PEM) explicitly.
//!
//! The `.p12` is read by the pure-Rust `p12-keystore` crate (PBES2/AES as OpenSSL 3
//! writes by default, and the legacy RC2/3DES encryption of `openssl pkcs12 -legacy`).
//! A `native-tls` backend is out of scope: the client is always rustls.
//!
//! ```no_run
//! use tollgate_gtr::tls::{ClientIdentity, TlsConfig};
//! let identity = ClientIdentity::from_pkcs12_file("certificate.p12", "my-p12-password")?;
//! let client: reqwest::Client = TlsConfig::new().identity(identity).build_client()?;
//! # Ok::<(), tollgate_gtr::AuthError>(())
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use auth_core::credentials::{env_var_opt, pem_label, read_binary_file, read_text_file};
use auth_core::{AuthError, ErrorKind, ExposeSecret};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Environment variable: path of the `.p12` client identity.
pub const ENV_P12_PATH: &str = "GTR_CLIENT_P12";
/// Environment variable: the `.p12` password.
pub const ENV_P12_PASSWORD: &str = "GTR_CLIENT_P12_PASSWORD";
/// Environment variable: path of the PEM client certificate (chain).
pub const ENV_CERT_PEM_PATH: &str = "GTR_CLIENT_CERT_PEM";
/// Environment variable: path of the PEM client private key.
pub const ENV_KEY_PEM_PATH: &str = "GTR_CLIENT_KEY_PEM";
/// Environment variable: path of a PEM file of extra CA certificates to trust.
pub const ENV_CA_PEM_PATH: &str = "GTR_CA_PEM";

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A client certificate chain and its private key, checked to belong together.
/// `Debug` shows only the number of certificates.
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        ClientIdentity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl ClientIdentity {
    /// From DER certificates (leaf first) and a DER private key (PKCS#8, PKCS#1 or SEC1).
    /// Fails if the key cannot be used by rustls (aws-lc-rs) or does not match the leaf certificate.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, AuthError> {
        if chain.is_empty() {
            return Err(AuthError::invalid_field(
                "client_certificate",
                "contains no certificate",
            ));
        }
        rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(
            |e| match e {
                rustls::Error::InconsistentKeys(_) => {
                    AuthError::invalid_field("client_key", "does not match the client certificate")
                }
                rustls::Error::InvalidCertificate(_) => AuthError::invalid_field(
                    "client_certificate",
                    "is not a valid X.509 certificate",
                ),
                _ => AuthError::invalid_field(
                    "client_key",
                    "is not a supported private key (RSA, ECDSA P-256/P-384 or Ed25519)",
                ),
            },
        )?;
        Ok(ClientIdentity { chain, key })
    }

    /// From a PEM certificate (optionally followed by its intermediates) and a PEM private
    /// key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, AuthError> {
        pem_label("client_certificate", cert_pem, &["CERTIFICATE"])?;
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AuthError::invalid_field("client_certificate", "is not valid PEM"))?;
        pem_label(
            "client_key",
            key_pem,
            &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
        )?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| {
            AuthError::invalid_field("client_key", "is not a valid PEM private key")
        })?;
        Self::from_der(chain, key)
    }

    /// From PEM files (`certificate.pem` and the private key).
    pub fn from_pem_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let cert = read_text_file("client_certificate", cert_path.as_ref())?;
        let key = read_text_file("client_key", key_path.as_ref())?;
        Self::from_pem(cert.expose_secret(), key.expose_secret())
    }

    /// From the bytes of a PKCS#12 file (`certificate.p12`) and its password. A wrong
    /// password is an [`ErrorKind::InvalidCredentials`] error on field `p12_password`.
    ///
    /// ```
    /// use tollgate_gtr::tls::ClientIdentity;
    /// let err = ClientIdentity::from_pkcs12(b"not a p12", "pw").unwrap_err();
    /// assert_eq!(err.field(), Some("p12"));
    /// ```
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, AuthError> {
        use p12_keystore::{KeyStore, KeyStoreEntry, error::Error as P12Error};
        let store = KeyStore::from_pkcs12(der, password).map_err(|e| match e {
            // The MAC over the contents is keyed by the password; a mismatch (or a failed
            // decryption when there is no MAC) means the password is wrong.
            P12Error::MacError(_) | P12Error::UnpadError => AuthError::invalid_field(
                "p12_password",
                "is wrong (the PKCS#12 integrity check or decryption failed)",
            ),
            P12Error::UnsupportedEncryptionScheme | P12Error::UnsupportedMacAlgorithm => {
                AuthError::invalid_field("p12", "uses an unsupported encryption or MAC algorithm")
            }
            _ => AuthError::invalid_field("p12", "is not a valid PKCS#12 file"),
        })?;
        let mut chains = store.entries().filter_map(|(_, e)| match e {
            KeyStoreEntry::PrivateKeyChain(c) => Some(c),
            _ => None,
        });
        let entry = chains.next().ok_or_else(|| {
            AuthError::invalid_field("p12", "contains no private key with its certificate")
        })?;
        if chains.next().is_some() {
            return Err(AuthError::invalid_field(
                "p12",
                "contains more than one private key (expected one client identity)",
            ));
        }
        let chain = entry
            .chain()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect::<Vec<_>>();
        let key = PrivateKeyDer::try_from(entry.key().to_vec())
            .map_err(|_| AuthError::invalid_field("p12", "holds an unrecognised private key"))?;
        Self::from_der(chain, key)
    }

    /// Reads a `.p12` file and opens it with `password`.
    pub fn from_pkcs12_file(path: impl AsRef<Path>, password: &str) -> Result<Self, AuthError> {
        let der = read_binary_file("p12", path.as_ref())?;
        Self::from_pkcs12(&der, password)
    }

    /// From the environment: `GTR_CLIENT_P12` + `GTR_CLIENT_P12_PASSWORD` (paths/password),
    /// or else `GTR_CLIENT_CERT_PEM` + `GTR_CLIENT_KEY_PEM` (paths).
    pub fn from_env() -> Result<Self, AuthError> {
        if let Some(p12) = env_var_opt(ENV_P12_PATH)? {
            let password = auth_core::credentials::env_secret(ENV_P12_PASSWORD)?;
            return Self::from_pkcs12_file(p12, password.expose_secret());
        }
        match (
            env_var_opt(ENV_CERT_PEM_PATH)?,
            env_var_opt(ENV_KEY_PEM_PATH)?,
        ) {
            (Some(c), Some(k)) => Self::from_pem_files(c, k),
            (Some(_), None) => Err(AuthError::invalid_field(
                ENV_KEY_PEM_PATH,
                "environment variable is not set",
            )),
            _ => Err(AuthError::invalid_field(
                ENV_P12_PATH,
                "environment variable is not set (nor GTR_CLIENT_CERT_PEM)",
            )),
        }
    }

    /// The certificate chain, leaf first.
    pub fn certificate_chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }
}

/// TLS settings for GTR: the client identity, extra trusted CAs and whether the system's
/// CA store is trusted too (default: yes).
///
/// ```no_run
/// use tollgate_gtr::tls::{ClientIdentity, TlsConfig};
/// let id = ClientIdentity::from_pem_files("certificate.pem", "private.key")?;
/// let client = TlsConfig::new()
///     .identity(id)
///     .add_ca_pem_file("uat-ca.pem")?
///     .build_client()?;
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TlsConfig {
    identity: Option<ClientIdentity>,
    extra_roots: Vec<CertificateDer<'static>>,
    system_roots: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsConfig {
    /// No identity, system roots trusted.
    pub fn new() -> Self {
        TlsConfig {
            identity: None,
            extra_roots: Vec::new(),
            system_roots: true,
        }
    }

    /// Presents `identity` to servers that ask for a client certificate (GTR always does).
    #[must_use]
    pub fn identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Trusts the CA certificate(s) in `pem` as well.
    pub fn add_ca_pem(mut self, pem: &str) -> Result<Self, AuthError> {
        pem_label("ca_certificate", pem, &["CERTIFICATE"])?;
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AuthError::invalid_field("ca_certificate", "is not valid PEM"))?;
        let mut probe = rustls::RootCertStore::empty();
        for c in &certs {
            probe.add(c.clone()).map_err(|_| {
                AuthError::invalid_field("ca_certificate", "is not a usable CA certificate")
            })?;
        }
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Trusts the CA certificate(s) in the PEM file at `path` as well.
    pub fn add_ca_pem_file(self, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let pem = read_text_file("ca_certificate", path.as_ref())?;
        self.add_ca_pem(pem.expose_secret())
    }

    /// Whether the operating system's CA store is trusted (default `true`). With `false`,
    /// only the CAs added with [`add_ca_pem`](Self::add_ca_pem) are.
    #[must_use]
    pub fn system_roots(mut self, yes: bool) -> Self {
        self.system_roots = yes;
        self
    }

    /// From the environment: [`ClientIdentity::from_env`] plus an optional `GTR_CA_PEM`.
    pub fn from_env() -> Result<Self, AuthError> {
        let mut cfg = TlsConfig::new().identity(ClientIdentity::from_env()?);
        if let Some(ca) = env_var_opt(ENV_CA_PEM_PATH)? {
            cfg = cfg.add_ca_pem_file(ca)?;
        }
        Ok(cfg)
    }

    /// The rustls configuration (aws-lc-rs provider, TLS 1.2/1.3, HTTP/1.1 ALPN).
    pub fn rustls_client_config(&self) -> Result<rustls::ClientConfig, AuthError> {
        let mut roots = rustls::RootCertStore::empty();
        if self.system_roots {
            let native = rustls_native_certs::load_native_certs();
            if !native.errors.is_empty() {
                tracing::debug!(
                    errors = native.errors.len(),
                    "some system CA certificates could not be loaded"
                );
            }
            roots.add_parsable_certificates(native.certs);
        }
        for c in &self.extra_roots {
            roots.add(c.clone()).map_err(|_| {
                AuthError::invalid_field("ca_certificate", "is not a usable CA certificate")
            })?;
        }
        if roots.is_empty() {
            return Err(AuthError::invalid_field(
                "ca_certificate",
                "no trusted CA: add one, or enable the system CA store",
            ));
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|_| AuthError::new(ErrorKind::Internal, "rustls protocol setup failed"))?
            .with_root_certificates(roots);
        let mut config = match &self.identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|_| {
                    AuthError::invalid_field("client_key", "cannot be used for TLS client auth")
                })?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// A `reqwest::ClientBuilder` using this TLS configuration, for further settings
    /// (timeouts, proxies…).
    pub fn reqwest_builder(&self) -> Result<reqwest::ClientBuilder, AuthError> {
        Ok(reqwest::Client::builder().tls_backend_preconfigured(self.rustls_client_config()?))
    }

    /// A `reqwest::Client` using this TLS configuration.
    pub fn build_client(&self) -> Result<reqwest::Client, AuthError> {
        self.reqwest_builder()?.build().map_err(|e| {
            AuthError::new(ErrorKind::Internal, "cannot build the HTTP client")
                .with_source(e.without_url())
        })
    }
}
