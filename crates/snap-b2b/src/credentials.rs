use std::fmt;
use std::path::{Path, PathBuf};

use auth_core::credentials::{
    ascii_secret, header_value, pem_label, read_text_file, unescape_newlines,
};
use auth_core::{AuthError, ErrorKind, ExposeSecret, SecretString};
use http::HeaderValue;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// Smallest RSA modulus accepted (SNAP mandates RSA-2048).
pub const MIN_RSA_BITS: usize = 2048;

/// An RSA private key for SHA256withRSA (PKCS#1 v1.5) signatures, parsed once.
///
/// Accepts PKCS#8 (`BEGIN PRIVATE KEY`) and PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM, also with
/// literal `\n` escapes as keys arrive from environment variables, and bare base64 DER
/// (PKCS#8 or PKCS#1, no PEM armour) as DANA's SDKs accept. Encrypted keys, EC keys and
/// keys under 2048 bits are refused; errors name the field and never carry the key.
///
/// ```
/// use tollgate_snap_b2b::SnapPrivateKey;
/// let err = SnapPrivateKey::from_pem("private_key", "not a key").unwrap_err();
/// assert_eq!(err.field(), Some("private_key"));
/// ```
#[derive(Clone)]
pub struct SnapPrivateKey {
    signing: SigningKey<Sha256>,
    public: SnapPublicKey,
}

impl SnapPrivateKey {
    /// Parses a PEM (or bare base64 DER) private key; `field` names it in errors.
    pub fn from_pem(field: &'static str, pem: &str) -> Result<Self, AuthError> {
        let pem = zeroize::Zeroizing::new(unescape_newlines(pem.trim()));
        if crate::keys::is_bare(&pem) {
            return Self::from_rsa(field, crate::keys::private_from_base64_der(field, &pem)?);
        }
        let label = pem_label(
            field,
            &pem,
            &[
                "PRIVATE KEY",
                "RSA PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
                "EC PRIVATE KEY",
                "PUBLIC KEY",
                "RSA PUBLIC KEY",
                "CERTIFICATE",
            ],
        )?;
        let key = match label {
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| {
                let problem = match e {
                    rsa::pkcs8::Error::PublicKey(_) | rsa::pkcs8::Error::KeyMalformed => {
                        "is not a valid RSA private key (PKCS#8)"
                    }
                    _ => "is a PKCS#8 key that is not RSA, or malformed",
                };
                AuthError::invalid_field(field, problem)
            })?,
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|_| {
                AuthError::invalid_field(field, "is not a valid RSA private key (PKCS#1)")
            })?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(AuthError::invalid_field(
                    field,
                    "is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)",
                ));
            }
            "EC PRIVATE KEY" => {
                return Err(AuthError::invalid_field(
                    field,
                    "is an EC key; SNAP needs an RSA key",
                ));
            }
            _ => {
                return Err(AuthError::invalid_field(
                    field,
                    "is a public key or certificate, not a private key",
                ));
            }
        };
        Self::from_rsa(field, key)
    }

    fn from_rsa(field: &'static str, key: RsaPrivateKey) -> Result<Self, AuthError> {
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(AuthError::invalid_field(
                field,
                format!("RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"),
            ));
        }
        let public = SnapPublicKey::from_rsa(key.to_public_key());
        Ok(SnapPrivateKey {
            signing: SigningKey::new(key),
            public,
        })
    }

    /// Reads and parses a PEM private key file.
    pub fn from_pem_file(field: &'static str, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let text = read_text_file(field, path.as_ref())?;
        Self::from_pem(field, text.expose_secret())
    }

    /// SHA256withRSA (PKCS#1 v1.5) signature of `message`. The signature is deterministic;
    /// the private-key operation is blinded with a random value against timing attacks.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.signing
            .sign_with_rng(&mut rand::thread_rng(), message)
            .to_vec()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &SnapPublicKey {
        &self.public
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.public.bits()
    }
}

impl fmt::Debug for SnapPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapPrivateKey")
            .field("bits", &self.bits())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// An RSA public key that verifies SHA256withRSA signatures (the provider's key for
/// notifications, or a client's key inside the fake).
///
/// Accepts SPKI (`BEGIN PUBLIC KEY`) and PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM, with literal
/// `\n` escapes too, and bare base64 DER (SPKI or PKCS#1).
#[derive(Clone)]
pub struct SnapPublicKey {
    verifying: VerifyingKey<Sha256>,
    bits: usize,
}

impl SnapPublicKey {
    fn from_rsa(key: RsaPublicKey) -> Self {
        let bits = key.n().bits();
        SnapPublicKey {
            verifying: VerifyingKey::new(key),
            bits,
        }
    }

    /// Parses a PEM (or bare base64 DER) public key; `field` names it in errors.
    pub fn from_pem(field: &'static str, pem: &str) -> Result<Self, AuthError> {
        let pem = unescape_newlines(pem.trim());
        let key = if crate::keys::is_bare(&pem) {
            crate::keys::public_from_base64_der(field, &pem)?
        } else {
            Self::rsa_from_pem(field, &pem)?
        };
        let out = Self::from_rsa(key);
        if out.bits < MIN_RSA_BITS {
            return Err(AuthError::invalid_field(
                field,
                format!(
                    "RSA key has {} bits; at least {MIN_RSA_BITS} are required",
                    out.bits
                ),
            ));
        }
        Ok(out)
    }

    fn rsa_from_pem(field: &'static str, pem: &str) -> Result<RsaPublicKey, AuthError> {
        let label = pem_label(
            field,
            pem,
            &[
                "PUBLIC KEY",
                "RSA PUBLIC KEY",
                "PRIVATE KEY",
                "RSA PRIVATE KEY",
            ],
        )?;
        match label {
            "PUBLIC KEY" => RsaPublicKey::from_public_key_pem(pem).map_err(|_| {
                AuthError::invalid_field(field, "is not an RSA public key (SPKI), or malformed")
            }),
            "RSA PUBLIC KEY" => RsaPublicKey::from_pkcs1_pem(pem).map_err(|_| {
                AuthError::invalid_field(field, "is not a valid RSA public key (PKCS#1)")
            }),
            _ => Err(AuthError::invalid_field(
                field,
                "is a private key; give the public key",
            )),
        }
    }

    /// Reads and parses a PEM public key file.
    pub fn from_pem_file(field: &'static str, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let text = read_text_file(field, path.as_ref())?;
        Self::from_pem(field, text.expose_secret())
    }

    /// Whether `signature` is a valid SHA256withRSA signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match Signature::try_from(signature) {
            Ok(sig) => self.verifying.verify(message, &sig).is_ok(),
            Err(_) => false,
        }
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }
}

impl fmt::Debug for SnapPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapPublicKey")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// Everything a SNAP client is issued at onboarding, validated: the client key, the client
/// secret (HMAC key of symmetric transaction signatures), the RSA private key registered with
/// the provider, and the partner/channel identifiers.
///
/// | field | header / use | required |
/// |---|---|---|
/// | `client_key` | `X-CLIENT-KEY` of the token request, in its signature | yes |
/// | `client_secret` | HMAC-SHA512 key of symmetric transaction signatures | for symmetric signing |
/// | `private_key` | SHA256withRSA of the token request (and asymmetric transactions) | yes |
/// | `partner_id` | `X-PARTNER-ID` | defaults to `client_key` (most providers use the same value) |
/// | `channel_id` | `CHANNEL-ID` | yes |
/// | `origin` | `ORIGIN` | no |
///
/// ```
/// use tollgate_snap_b2b::SnapCredentials;
/// let err = SnapCredentials::builder()
///     .client_key("10001")
///     .client_secret("secret\r\nX-Evil: 1")
///     .private_key_pem("-----BEGIN PRIVATE KEY-----\n...")
///     .channel_id("95221")
///     .build()
///     .unwrap_err();
/// assert_eq!(err.field(), Some("client_secret"));
/// assert!(!err.to_string().contains("Evil"));
/// ```
///
/// Everything is validated when built. Errors name the field and never contain the value.
#[derive(Clone)]
pub struct SnapCredentials {
    client_key: String,
    client_secret: Option<SecretString>,
    private_key: SnapPrivateKey,
    partner_id: HeaderValue,
    channel_id: HeaderValue,
    origin: Option<HeaderValue>,
}

/// Environment variable holding the client key (`X-CLIENT-KEY`).
pub const ENV_CLIENT_KEY: &str = "SNAP_CLIENT_KEY";
/// Environment variable holding the client secret (HMAC-SHA512 key of transactions).
pub const ENV_CLIENT_SECRET: &str = "SNAP_CLIENT_SECRET";
/// Environment variable holding the client's RSA private key PEM.
pub const ENV_PRIVATE_KEY: &str = "SNAP_PRIVATE_KEY";
/// Environment variable holding the path of the client's RSA private key PEM.
pub const ENV_PRIVATE_KEY_FILE: &str = "SNAP_PRIVATE_KEY_FILE";
/// Environment variable holding `X-PARTNER-ID` (default: the client key).
pub const ENV_PARTNER_ID: &str = "SNAP_PARTNER_ID";
/// Environment variable holding `CHANNEL-ID`.
pub const ENV_CHANNEL_ID: &str = "SNAP_CHANNEL_ID";
/// Environment variable holding the optional `ORIGIN` header.
pub const ENV_ORIGIN: &str = "SNAP_ORIGIN";

/// Every variable [`SnapCredentials::from_env`] reads.
pub const ENV_VARS: &[auth_core::credentials::EnvVar] = &[
    env(ENV_CLIENT_KEY, "the client key (X-CLIENT-KEY)"),
    env(
        ENV_PRIVATE_KEY_FILE,
        "path of the client's RSA private key PEM (signs the token request)",
    ),
    env(
        ENV_PRIVATE_KEY,
        "alternatively the PEM itself (\\n escapes allowed)",
    ),
    env(
        ENV_CLIENT_SECRET,
        "the client secret (HMAC-SHA512 key of transaction signatures)",
    ),
    env(ENV_PARTNER_ID, "X-PARTNER-ID (default: the client key)"),
    env(ENV_CHANNEL_ID, "CHANNEL-ID"),
    env(ENV_ORIGIN, "optional ORIGIN header"),
];

const fn env(name: &'static str, help: &'static str) -> auth_core::credentials::EnvVar {
    auth_core::credentials::EnvVar { name, help }
}

impl SnapCredentials {
    /// Starts building credentials.
    pub fn builder() -> SnapCredentialsBuilder {
        SnapCredentialsBuilder::default()
    }

    /// Reads the credentials from environment variables:
    /// `SNAP_CLIENT_KEY`, `SNAP_CLIENT_SECRET` (optional for asymmetric signing),
    /// `SNAP_PRIVATE_KEY` (PEM, `\n` escapes allowed) or `SNAP_PRIVATE_KEY_FILE` (a path),
    /// `SNAP_PARTNER_ID` (optional), `SNAP_CHANNEL_ID`, `SNAP_ORIGIN` (optional).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same variable names through `lookup`
    /// (a config map, a secrets manager, a test fixture). `lookup` returns `Ok(None)` for
    /// an unset variable; empty values count as unset.
    ///
    /// ```
    /// use tollgate_snap_b2b::SnapCredentials;
    /// let err = SnapCredentials::from_lookup(|_| Ok(None)).unwrap_err();
    /// assert_eq!(err.field(), Some("SNAP_CLIENT_KEY"));
    /// ```
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let get = |name| vars.get(name);
        let require = |name| vars.require(name);
        let mut b = SnapCredentials::builder()
            .client_key(require(ENV_CLIENT_KEY)?)
            .channel_id(require(ENV_CHANNEL_ID)?);
        if let Some(s) = get(ENV_CLIENT_SECRET)? {
            b = b.client_secret(s);
        }
        b = match (get(ENV_PRIVATE_KEY)?, get(ENV_PRIVATE_KEY_FILE)?) {
            (Some(pem), _) => b.private_key_pem(pem),
            (None, Some(path)) => b.private_key_file(path),
            (None, None) => {
                return Err(AuthError::invalid_field(
                    ENV_PRIVATE_KEY,
                    "neither SNAP_PRIVATE_KEY nor SNAP_PRIVATE_KEY_FILE is set",
                ));
            }
        };
        if let Some(p) = get(ENV_PARTNER_ID)? {
            b = b.partner_id(p);
        }
        if let Some(o) = get(ENV_ORIGIN)? {
            b = b.origin(o);
        }
        b.build()
    }

    /// The client key (`X-CLIENT-KEY`).
    pub fn client_key(&self) -> &str {
        &self.client_key
    }

    /// The client secret, if configured.
    pub fn client_secret(&self) -> Option<&SecretString> {
        self.client_secret.as_ref()
    }

    /// The RSA private key.
    pub fn private_key(&self) -> &SnapPrivateKey {
        &self.private_key
    }

    /// `X-PARTNER-ID`.
    pub fn partner_id(&self) -> &HeaderValue {
        &self.partner_id
    }

    /// `CHANNEL-ID`.
    pub fn channel_id(&self) -> &HeaderValue {
        &self.channel_id
    }

    /// `ORIGIN`, if configured.
    pub fn origin(&self) -> Option<&HeaderValue> {
        self.origin.as_ref()
    }
}

impl fmt::Debug for SnapCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapCredentials")
            .field("client_key", &self.client_key)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("private_key", &self.private_key)
            .field("partner_id", &self.partner_id)
            .field("channel_id", &self.channel_id)
            .field("origin", &self.origin)
            .finish()
    }
}

enum KeyInput {
    Pem(SecretString),
    File(PathBuf),
    Parsed(Box<SnapPrivateKey>),
}

/// Builder of [`SnapCredentials`]; nothing is checked until [`build`](Self::build).
#[derive(Default)]
pub struct SnapCredentialsBuilder {
    client_key: Option<String>,
    client_secret: Option<SecretString>,
    private_key: Option<KeyInput>,
    partner_id: Option<String>,
    channel_id: Option<String>,
    origin: Option<String>,
}

impl fmt::Debug for SnapCredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapCredentialsBuilder")
            .field("client_key", &self.client_key)
            .field("client_secret", &self.client_secret.is_some())
            .field("private_key", &self.private_key.is_some())
            .finish_non_exhaustive()
    }
}

impl SnapCredentialsBuilder {
    /// `X-CLIENT-KEY` (the merchant / client id issued by the provider).
    #[must_use]
    pub fn client_key(mut self, v: impl Into<String>) -> Self {
        self.client_key = Some(v.into());
        self
    }

    /// The client secret (HMAC key of symmetric transaction signatures).
    #[must_use]
    pub fn client_secret(mut self, v: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(v.into()));
        self
    }

    /// The RSA private key as PEM text (PKCS#8 or PKCS#1; literal `\n` escapes allowed).
    #[must_use]
    pub fn private_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.private_key = Some(KeyInput::Pem(SecretString::from(pem.into())));
        self
    }

    /// The RSA private key as a PEM file, read at [`build`](Self::build).
    #[must_use]
    pub fn private_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.private_key = Some(KeyInput::File(path.into()));
        self
    }

    /// An already parsed private key.
    #[must_use]
    pub fn private_key(mut self, key: SnapPrivateKey) -> Self {
        self.private_key = Some(KeyInput::Parsed(Box::new(key)));
        self
    }

    /// `X-PARTNER-ID` (default: the client key).
    #[must_use]
    pub fn partner_id(mut self, v: impl Into<String>) -> Self {
        self.partner_id = Some(v.into());
        self
    }

    /// `CHANNEL-ID` (e.g. `95221`).
    #[must_use]
    pub fn channel_id(mut self, v: impl Into<String>) -> Self {
        self.channel_id = Some(v.into());
        self
    }

    /// `ORIGIN` (your domain, when the provider asks for it).
    #[must_use]
    pub fn origin(mut self, v: impl Into<String>) -> Self {
        self.origin = Some(v.into());
        self
    }

    /// Validates everything and parses the key.
    pub fn build(self) -> Result<SnapCredentials, AuthError> {
        let client_key = self
            .client_key
            .ok_or_else(|| AuthError::invalid_field("client_key", "is required"))?;
        header_value("client_key", &client_key)?;
        if client_key.contains('|') {
            return Err(AuthError::invalid_field(
                "client_key",
                "must not contain '|' (it separates the signed fields)",
            ));
        }
        let client_secret = match self.client_secret {
            Some(s) => Some(ascii_secret("client_secret", s.expose_secret())?),
            None => None,
        };
        let private_key = match self.private_key {
            None => return Err(AuthError::invalid_field("private_key", "is required")),
            Some(KeyInput::Parsed(k)) => *k,
            Some(KeyInput::Pem(pem)) => {
                SnapPrivateKey::from_pem("private_key", pem.expose_secret())?
            }
            Some(KeyInput::File(path)) => SnapPrivateKey::from_pem_file("private_key", path)?,
        };
        let partner_id = header_value(
            "partner_id",
            self.partner_id.as_deref().unwrap_or(&client_key),
        )?;
        let channel_id = header_value(
            "channel_id",
            self.channel_id
                .as_deref()
                .ok_or_else(|| AuthError::invalid_field("channel_id", "is required"))?,
        )?;
        let origin = match self.origin.as_deref() {
            Some(o) => Some(header_value("origin", o)?),
            None => None,
        };
        Ok(SnapCredentials {
            client_key,
            client_secret,
            private_key,
            partner_id,
            channel_id,
            origin,
        })
    }
}

/// An HMAC key missing where symmetric signing needs one.
pub(crate) fn missing_secret() -> AuthError {
    AuthError::new(
        ErrorKind::InvalidCredentials,
        "is required for symmetric (HMAC-SHA512) transaction signing",
    )
    .with_field("client_secret")
}
