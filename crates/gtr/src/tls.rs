use std::fmt;
use std::path::Path;
use std::sync::Arc;

use auth_core::credentials::{pem_label, read_binary_file, read_text_file};
use auth_core::{AuthError, ErrorKind, ExposeSecret};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use zeroize::Zeroizing;

/// Environment variable: path of the `.p12` client identity.
pub const ENV_P12_PATH: &str = "GTR_CLIENT_P12";
/// Environment variable: the `.p12` password.
pub const ENV_P12_PASSWORD: &str = "GTR_CLIENT_P12_PASSWORD";
/// Environment variable: path of the PEM client certificate (chain).
pub const ENV_CERT_PEM_PATH: &str = "GTR_CLIENT_CERT_PEM";
/// Environment variable: path of the PEM client private key.
pub const ENV_KEY_PEM_PATH: &str = "GTR_CLIENT_KEY_PEM";
/// Environment variable: path of a PEM file of extra CA certificates to trust, added to the
/// trusted roots ([`TlsConfig::add_ca_pem`]).
pub const ENV_CA_PEM_PATH: &str = "GTR_CA_PEM";
/// Environment variable: path of a PEM file of server certificates to pin
/// ([`TlsConfig::pin_server_certificate_pem`]): once set, only these server certificates
/// are accepted.
pub const ENV_SERVER_CERT_PEM_PATH: &str = "GTR_SERVER_CERT_PEM";

/// The first private key in `pem` (PKCS#8, PKCS#1 or SEC1), in a buffer wiped on drop.
fn first_private_key(pem: &str) -> Option<(SectionKind, Zeroizing<Vec<u8>>)> {
    let mut rest = pem.as_bytes();
    loop {
        match rustls::pki_types::pem::from_buf(&mut rest) {
            Ok(Some((kind, der))) => {
                let der = Zeroizing::new(der);
                if matches!(
                    kind,
                    SectionKind::PrivateKey
                        | SectionKind::RsaPrivateKey
                        | SectionKind::EcPrivateKey
                ) {
                    return Some((kind, der));
                }
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

/// The crypto provider of every TLS configuration this crate builds (aws-lc-rs).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// What this crate reads from a certificate, with a parser that accepts X.509 v1 (webpki
/// refuses v1, which `openssl x509 -req` issues without an extensions file).
struct CertInfo {
    spki: Vec<u8>,
    not_before: u64,
    not_after: u64,
    common_name: Option<String>,
}

fn cert_info(der: &[u8]) -> Option<CertInfo> {
    use cms::cert::x509::der::{Decode, Encode};
    let cert = cms::cert::x509::Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let common_name = tbs
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == const_oid_cn())
        .and_then(|atv| {
            use cms::cert::x509::der::asn1::{Ia5StringRef, PrintableStringRef, Utf8StringRef};
            let v = &atv.value;
            v.decode_as::<Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    v.decode_as::<PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_string())
                })
                .or_else(|_| {
                    v.decode_as::<Ia5StringRef<'_>>()
                        .map(|s| s.as_str().to_string())
                })
                .ok()
        });
    Some(CertInfo {
        spki: tbs.subject_public_key_info.to_der().ok()?,
        not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
        not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        common_name,
    })
}

fn const_oid_cn() -> cms::cert::x509::der::asn1::ObjectIdentifier {
    cms::cert::x509::der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3")
}

/// A client certificate chain and its private key, checked to belong together.
/// `Debug` shows only the number of certificates.
///
/// The key is held only as the crypto provider's loaded key (aws-lc-rs, which clears key
/// memory when it frees it); the DER copies this crate makes while loading (from PEM or
/// `.p12`) are wiped when dropped. X.509 v1 certificates are accepted.
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<dyn rustls::sign::SigningKey>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.chain.len())
            .field("key", &auth_core::Redacted)
            .finish()
    }
}

impl ClientIdentity {
    /// From DER certificates (leaf first) and a DER private key (PKCS#8, PKCS#1 or SEC1).
    /// Fails if the key cannot be used by rustls (aws-lc-rs) or does not match the leaf
    /// certificate. X.509 v1 certificates are accepted. `key` is dropped as given (its
    /// buffer is not wiped): prefer [`from_pem`](Self::from_pem) or
    /// [`from_pkcs12`](Self::from_pkcs12), whose copies are.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, AuthError> {
        Self::from_key_ref(chain, &key)
    }

    fn from_key_ref(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, AuthError> {
        let Some(leaf) = chain.first() else {
            return Err(AuthError::invalid_field(
                "client_certificate",
                "contains no certificate",
            ));
        };
        let info = cert_info(leaf).ok_or_else(|| {
            AuthError::invalid_field("client_certificate", "is not a valid X.509 certificate")
        })?;
        let signing = rustls::crypto::aws_lc_rs::sign::any_supported_type(key).map_err(|_| {
            AuthError::invalid_field(
                "client_key",
                "is not a supported private key (RSA, ECDSA P-256/P-384 or Ed25519)",
            )
        })?;
        // The same consistency check rustls makes, on the public key read without webpki.
        if let Some(public) = signing.public_key()
            && public.as_ref() != info.spki.as_slice()
        {
            return Err(AuthError::invalid_field(
                "client_key",
                "does not match the client certificate",
            ));
        }
        Ok(ClientIdentity {
            chain,
            key: signing,
        })
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
        let (kind, der) = first_private_key(key_pem).ok_or_else(|| {
            AuthError::invalid_field("client_key", "is not a valid PEM private key")
        })?;
        let key = match kind {
            SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(der.as_slice().into()),
            SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(der.as_slice().into()),
            _ => PrivateKeyDer::Pkcs8(der.as_slice().into()),
        };
        Self::from_key_ref(chain, &key)
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
    /// use tollgate_gtr::ClientIdentity;
    /// let err = ClientIdentity::from_pkcs12(b"not a p12", "pw").unwrap_err();
    /// assert_eq!(err.field(), Some("p12"));
    /// ```
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, AuthError> {
        use p12_keystore::{KeyStore, KeyStoreEntry, error::Error as P12Error};
        // Verifies the MAC (SHA-1 … SHA-512), shrouds unencrypted key bags and names any
        // algorithm that cannot be read; p12-keystore then decrypts and builds the chain.
        let normalized = zeroize::Zeroizing::new(crate::p12::normalize(der, password)?);
        let store = KeyStore::from_pkcs12(&normalized, password).map_err(|e| match e {
            // The MAC was verified above; a failed decryption means the password is wrong
            // (files without a MAC only fail here).
            P12Error::MacError(_) | P12Error::UnpadError | P12Error::Pkcs5Error(_) => {
                AuthError::invalid_field(
                    "p12_password",
                    "is wrong (the PKCS#12 integrity check or decryption failed)",
                )
            }
            P12Error::UnsupportedEncryptionScheme => AuthError::invalid_field(
                "p12",
                "uses an unsupported encryption algorithm inside its encrypted contents",
            ),
            P12Error::UnsupportedMacAlgorithm => {
                AuthError::invalid_field("p12", "uses an unsupported MAC algorithm")
            }
            P12Error::UnsupportedCertificateType => {
                AuthError::invalid_field("p12", "holds a certificate type other than X.509")
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
        // Borrowed from the store: no further copy of the key.
        let key = PrivateKeyDer::try_from(entry.key())
            .map_err(|_| AuthError::invalid_field("p12", "holds an unrecognised private key"))?;
        Self::from_key_ref(chain, &key)
    }

    /// Reads a `.p12` file and opens it with `password`.
    pub fn from_pkcs12_file(path: impl AsRef<Path>, password: &str) -> Result<Self, AuthError> {
        // Wiped on drop: a file with an unencrypted key bag holds the key in the clear.
        let der = Zeroizing::new(read_binary_file("p12", path.as_ref())?);
        Self::from_pkcs12(&der, password)
    }

    /// From the environment: `GTR_CLIENT_P12` + `GTR_CLIENT_P12_PASSWORD` (paths/password),
    /// or else `GTR_CLIENT_CERT_PEM` + `GTR_CLIENT_KEY_PEM` (paths).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        if let Some(p12) = vars.get(ENV_P12_PATH)? {
            let password = vars.secret(ENV_P12_PASSWORD)?;
            return Self::from_pkcs12_file(p12, password.expose_secret());
        }
        match (vars.get(ENV_CERT_PEM_PATH)?, vars.get(ENV_KEY_PEM_PATH)?) {
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

    /// The chain and the loaded key, as rustls presents them (a client or a server identity).
    pub(crate) fn certified_key(&self) -> Arc<rustls::sign::CertifiedKey> {
        Arc::new(rustls::sign::CertifiedKey::new(
            self.chain.clone(),
            self.key.clone(),
        ))
    }
}

/// TLS settings for GTR, which requires the client certificate it issued on every call: the
/// client identity, extra trusted CAs, pinned server certificates and whether the system's CA
/// store is trusted too (default: yes).
///
/// ```no_run
/// use tollgate_gtr::{ClientIdentity, TlsConfig};
/// let id = ClientIdentity::from_pem_files("certificate.pem", "private.key")?;
/// let client = TlsConfig::new()
///     .identity(id)
///     .add_ca_pem_file("uat-ca.pem")?
///     .build_client()?;
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
///
/// Load the identity from `certificate.p12` + its password ([`ClientIdentity::from_pkcs12_file`])
/// or from a PEM certificate (chain) + PEM private key ([`ClientIdentity::from_pem`]), add the
/// CA certificates you need to trust ([`TlsConfig::add_ca_pem`]) and build a
/// `reqwest::Client` ([`TlsConfig::build_client`]) on rustls with the *aws-lc-rs* provider (reqwest's default).
///
/// GTR's docs reach the UAT host with `curl -k`. This crate offers no way to switch
/// certificate verification off: if a server certificate is not issued by a CA in the
/// system store, either add that CA (PEM) to the trusted roots ([`TlsConfig::add_ca_pem`]:
/// any certificate it issues for the host is then accepted), or pin the server's own
/// certificate ([`TlsConfig::pin_server_certificate_pem`]: the "GTR server trust
/// certificate" that Java integrations put in a trust store). The two differ: a CA widens
/// what is trusted, a pin narrows it — once any pin is configured, only the pinned
/// certificates (or their public keys) are accepted and the CA roots, the system store
/// included, are no longer consulted.
///
/// To keep a `reqwest::ClientBuilder` you already configured, use [`TlsConfig::apply_to`].
///
/// X.509 v1 client certificates (what `openssl x509 -req` issues without an extensions
/// file) are accepted. The `.p12` is read by the pure-Rust `p12-keystore` crate plus a
/// front end of this crate: PBES2 with AES or des-ede3-cbc (PBKDF2 with any HMAC-SHA-1/2
/// PRF), the legacy PBES1 RC2-40/3DES of `openssl pkcs12 -legacy` and Java keytool,
/// unencrypted key bags (`-keypbe NONE`), and SHA-1/224/256/384/512 MACs. Anything else is
/// refused with an error naming the algorithm. A `native-tls` backend is out of scope: the
/// client is always rustls.
///
/// ```no_run
/// use tollgate_gtr::{ClientIdentity, TlsConfig};
/// let identity = ClientIdentity::from_pkcs12_file("certificate.p12", "my-p12-password")?;
/// let client: reqwest::Client = TlsConfig::new().identity(identity).build_client()?;
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TlsConfig {
    identity: Option<ClientIdentity>,
    extra_roots: Vec<CertificateDer<'static>>,
    pinned: Vec<Pin>,
    system_roots: bool,
}

/// A pinned server certificate: its DER and its public key.
#[derive(Clone)]
struct Pin {
    der: CertificateDer<'static>,
    spki: Vec<u8>,
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(..)")
    }
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
            pinned: Vec::new(),
            system_roots: true,
        }
    }

    /// Presents `identity` to servers that ask for a client certificate (GTR always does).
    #[must_use]
    pub fn identity(mut self, identity: ClientIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// Adds the CA certificate(s) in `pem` to the trusted roots: any server certificate that
    /// chains to one of them (or to the system store, if enabled) and names the host is
    /// accepted. This widens trust; to restrict a connection to one known server certificate,
    /// pin it with [`pin_server_certificate_pem`](Self::pin_server_certificate_pem) instead.
    /// Once any pin is configured, the roots (these and the system store) are not consulted.
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

    /// [`add_ca_pem`](Self::add_ca_pem) with the PEM file at `path`.
    pub fn add_ca_pem_file(self, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let pem = read_text_file("ca_certificate", path.as_ref())?;
        self.add_ca_pem(pem.expose_secret())
    }

    /// Pins the server certificate(s) in `pem`: from then on **only** a server presenting
    /// exactly one of the pinned certificates (or a certificate with the same public key) is
    /// accepted, provided the certificate is within its validity period and issued for the
    /// host name of the URL; nothing about its issuer is checked. A server certificate that
    /// matches no pin is refused even if it chains to a trusted root — the system store or a
    /// CA added with [`add_ca_pem`](Self::add_ca_pem): with pins configured, the roots are
    /// not consulted at all. Calling this again adds more pins (any one of them matching is
    /// enough), e.g. the current and the next certificate during a rotation.
    ///
    /// This is the "GTR server trust certificate" `.pem` that Java integrations load into a
    /// trust store: a CA-issued leaf, not a root. To *add* trust in a CA instead (every
    /// certificate it issues for the host accepted), use [`add_ca_pem`](Self::add_ca_pem)
    /// without pinning. X.509 v1 server certificates are accepted; having no subject
    /// alternative names, they match their common name. The handshake signature is still
    /// verified against the pinned public key.
    pub fn pin_server_certificate_pem(mut self, pem: &str) -> Result<Self, AuthError> {
        pem_label("server_certificate", pem, &["CERTIFICATE"])?;
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AuthError::invalid_field("server_certificate", "is not valid PEM"))?;
        for der in certs {
            let info = cert_info(&der).ok_or_else(|| {
                AuthError::invalid_field("server_certificate", "is not a valid X.509 certificate")
            })?;
            self.pinned.push(Pin {
                der,
                spki: info.spki,
            });
        }
        Ok(self)
    }

    /// [`pin_server_certificate_pem`](Self::pin_server_certificate_pem) with the PEM file at
    /// `path`.
    pub fn pin_server_certificate_pem_file(
        self,
        path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let pem = read_text_file("server_certificate", path.as_ref())?;
        self.pin_server_certificate_pem(pem.expose_secret())
    }

    /// Whether the operating system's CA store is trusted (default `true`). With `false`,
    /// only the CAs added with [`add_ca_pem`](Self::add_ca_pem) are. Without effect once a
    /// server certificate is pinned (pins alone decide then).
    #[must_use]
    pub fn system_roots(mut self, yes: bool) -> Self {
        self.system_roots = yes;
        self
    }

    /// From the environment: [`ClientIdentity::from_env`] plus an optional `GTR_CA_PEM`
    /// (CA certificates added to the trusted roots) and an optional `GTR_SERVER_CERT_PEM`
    /// (pinned server certificates: when set, only these are accepted).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let mut cfg = TlsConfig::new().identity(ClientIdentity::from_lookup(&lookup)?);
        if let Some(ca) = vars.get(ENV_CA_PEM_PATH)? {
            cfg = cfg.add_ca_pem_file(ca)?;
        }
        if let Some(pins) = vars.get(ENV_SERVER_CERT_PEM_PATH)? {
            cfg = cfg.pin_server_certificate_pem_file(pins)?;
        }
        Ok(cfg)
    }

    /// The CA roots: the system store (if enabled) and the added CAs; an error if empty.
    fn root_store(&self) -> Result<rustls::RootCertStore, AuthError> {
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
                "no trusted CA: add one, pin the server certificate, or enable the system CA store",
            ));
        }
        Ok(roots)
    }

    /// The rustls configuration (aws-lc-rs provider, TLS 1.2/1.3, HTTP/1.1 ALPN).
    ///
    /// With pins configured, server certificates are checked against the pins only: the CA
    /// roots (system store and [`add_ca_pem`](Self::add_ca_pem)) are not consulted, so a
    /// certificate that matches no pin is refused whoever issued it.
    pub fn rustls_client_config(&self) -> Result<rustls::ClientConfig, AuthError> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|_| AuthError::new(ErrorKind::Internal, "rustls protocol setup failed"))?;
        let builder = if self.pinned.is_empty() {
            builder.with_root_certificates(self.root_store()?)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedServerVerifier {
                    pins: self.pinned.clone(),
                    provider,
                }))
        };
        let mut config = match &self.identity {
            Some(id) => {
                builder.with_client_cert_resolver(Arc::new(FixedClientCert(id.certified_key())))
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// A `reqwest::ClientBuilder` using this TLS configuration, for further settings
    /// (timeouts, proxies…). The same as [`apply_to`](Self::apply_to) on a new builder.
    pub fn reqwest_builder(&self) -> Result<reqwest::ClientBuilder, AuthError> {
        self.apply_to(reqwest::Client::builder())
    }

    /// Applies this TLS configuration (client identity, extra CAs, pinned server
    /// certificates) to a `reqwest::ClientBuilder` you already configured, keeping its other
    /// settings (timeouts, proxies, default headers, resolver overrides, pools…).
    ///
    /// The builder's TLS backend becomes a preconfigured rustls one: reqwest's own TLS
    /// options on that builder (`add_root_certificate`, `identity`,
    /// `danger_accept_invalid_certs`, `tls_built_in_root_certs`…) no longer apply; set their
    /// equivalents here.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tollgate_gtr::{ClientIdentity, TlsConfig};
    /// let mine = reqwest::Client::builder()
    ///     .timeout(Duration::from_secs(20))
    ///     .user_agent("my-vasp/1.0");
    /// let client = TlsConfig::new()
    ///     .identity(ClientIdentity::from_pkcs12_file("certificate.p12", "my-p12-password")?)
    ///     .pin_server_certificate_pem_file("gtr-server.pem")?
    ///     .apply_to(mine)?
    ///     .build()
    ///     .expect("client");
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn apply_to(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, AuthError> {
        Ok(builder.tls_backend_preconfigured(self.rustls_client_config()?))
    }

    /// A `reqwest::Client` using this TLS configuration.
    pub fn build_client(&self) -> Result<reqwest::Client, AuthError> {
        self.reqwest_builder()?.build().map_err(|e| {
            AuthError::new(ErrorKind::Internal, "cannot build the HTTP client")
                .with_source(e.without_url())
        })
    }
}

/// Always presents the one client identity.
#[derive(Debug)]
struct FixedClientCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for FixedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Server certificate verification with pins: a pinned certificate (or public key) is
/// checked for its validity period and host name only; any other certificate is refused,
/// whoever issued it (CA roots are not consulted once a pin is configured).
#[derive(Debug)]
struct PinnedServerVerifier {
    pins: Vec<Pin>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinnedServerVerifier {
    fn check_pinned(
        info: &CertInfo,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let now = now.as_secs();
        if now < info.not_before {
            return Err(CertificateError::NotValidYet.into());
        }
        if now > info.not_after {
            return Err(CertificateError::Expired.into());
        }
        let name_ok = match webpki::EndEntityCert::try_from(end_entity) {
            Ok(ee) => ee.verify_is_valid_for_subject_name(server_name).is_ok(),
            // X.509 v1: no extensions, so no subject alternative names; the common name is
            // all there is.
            Err(_) => match (server_name, &info.common_name) {
                (ServerName::DnsName(dns), Some(cn)) => dns.as_ref().eq_ignore_ascii_case(cn),
                _ => false,
            },
        };
        if name_ok {
            Ok(())
        } else {
            Err(CertificateError::NotValidForName.into())
        }
    }

    fn verify_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.provider.signature_verification_algorithms;
        if webpki::EndEntityCert::try_from(cert).is_ok() {
            return if tls13 {
                rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
            } else {
                rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
            };
        }
        // A pinned v1 certificate: verify with its public key as a raw key.
        let info = cert_info(cert).ok_or(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ))?;
        let spki = rustls::pki_types::SubjectPublicKeyInfoDer::from(info.spki.as_slice());
        if tls13 {
            return rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, algs);
        }
        let raw = webpki::RawPublicKeyEntity::try_from(&spki)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let candidates = algs
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        if candidates
            .iter()
            .any(|alg| raw.verify_signature(*alg, message, dss.signature()).is_ok())
        {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(CertificateError::BadSignature.into())
        }
    }
}

impl ServerCertVerifier for PinnedServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(info) = cert_info(end_entity)
            && self
                .pins
                .iter()
                .any(|p| p.der.as_ref() == end_entity.as_ref() || p.spki == info.spki)
        {
            Self::check_pinned(&info, end_entity, server_name, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        // Not pinned: refused even if it would chain to a trusted root. UnknownIssuer is the
        // closest rustls reason (no trust anchor vouches for it here).
        Err(CertificateError::UnknownIssuer.into())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
