use std::fmt;
use std::path::Path;
use std::sync::Arc;

use auth_core::credentials::{pem_label, read_text_file, require_header_safe, unescape_newlines};
use auth_core::{AuthError, ExposeSecret, SecretString};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;

/// Environment variable holding the issuer (`iss`).
pub const ENV_ISSUER: &str = "DRAGONPASS_ISSUER";
/// Environment variable holding the account secret key (HS256) or the token API secret.
pub const ENV_SECRET: &str = "DRAGONPASS_SECRET";
/// Environment variable holding an RSA private key PEM (literal `\n` escapes allowed).
pub const ENV_PRIVATE_KEY: &str = "DRAGONPASS_PRIVATE_KEY";
/// Environment variable holding the path of an RSA private key PEM file.
pub const ENV_PRIVATE_KEY_FILE: &str = "DRAGONPASS_PRIVATE_KEY_FILE";
/// Environment variable holding an optional `kid` for RS256 tokens.
pub const ENV_KEY_ID: &str = "DRAGONPASS_KEY_ID";
/// Environment variable holding the token API `clientId`.
pub const ENV_CLIENT_ID: &str = "DRAGONPASS_CLIENT_ID";
/// Environment variable holding the token API URL.
pub const ENV_TOKEN_URL: &str = "DRAGONPASS_TOKEN_URL";
/// Environment variable holding the program id.
pub const ENV_PROGRAM_ID: &str = "DRAGONPASS_PROGRAM_ID";

/// Every variable [`DragonPassCredentials::from_env`] and [`ProgramId::from_env`] read.
pub const ENV_VARS: &[auth_core::credentials::EnvVar] = &[
    env(
        ENV_CLIENT_ID,
        "token API clientId; when set, tokens come from the token API",
    ),
    env(ENV_TOKEN_URL, "token API URL (with DRAGONPASS_CLIENT_ID)"),
    env(
        ENV_SECRET,
        "token API secret, or the account secret key of HS256 tokens",
    ),
    env(ENV_ISSUER, "issuer (iss) of self-signed tokens"),
    env(
        ENV_PRIVATE_KEY,
        "RSA private key PEM for RS256 tokens (\\n escapes allowed)",
    ),
    env(ENV_PRIVATE_KEY_FILE, "path of that PEM instead"),
    env(ENV_KEY_ID, "optional kid header of RS256 tokens"),
    env(
        ENV_PROGRAM_ID,
        "optional X-Program-ID; a request's own header wins",
    ),
];

const fn env(name: &'static str, help: &'static str) -> auth_core::credentials::EnvVar {
    auth_core::credentials::EnvVar { name, help }
}

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// The RS256 signing key type (RSASSA-PKCS1-v1_5 with SHA-256).
pub type RsaSigningKey = rsa::pkcs1v15::SigningKey<Sha256>;

/// A DragonPass program id, kept as the exact string DragonPass issued.
///
/// Program ids are long digit strings (19 digits in v2, `18943` in the v1 docs); they are
/// never parsed into a number, so no digit can be lost. Accepted: 1 to 32 ASCII digits.
///
/// ```
/// use tollgate_dragonpass::ProgramId;
/// let id = ProgramId::new("1234567890123456789").expect("valid");
/// assert_eq!(id.as_str(), "1234567890123456789");
/// assert!(ProgramId::new("12 34").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProgramId(String);

impl ProgramId {
    /// Validates a program id.
    pub fn new(value: impl Into<String>) -> Result<Self, AuthError> {
        let value = value.into();
        require_header_safe("program_id", &value)?;
        if value.len() > 32 {
            return Err(AuthError::invalid_field(
                "program_id",
                "must be at most 32 digits",
            ));
        }
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthError::invalid_field(
                "program_id",
                "must contain only the digits 0-9",
            ));
        }
        Ok(ProgramId(value))
    }

    /// Reads [`ENV_PROGRAM_ID`] (unset or empty → `None`).
    pub fn from_env() -> Result<Option<Self>, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Option<Self>, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        vars.get(ENV_PROGRAM_ID)?
            .map(|v| ProgramId::new(v).map_err(|e| e.with_field(ENV_PROGRAM_ID)))
            .transpose()
    }

    /// The id as issued.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProgramId").field(&self.0).finish()
    }
}

impl fmt::Display for ProgramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_issuer(field: &'static str, issuer: &str) -> Result<(), AuthError> {
    require_header_safe(field, issuer)?;
    if issuer.trim() != issuer {
        return Err(AuthError::invalid_field(
            field,
            "must not have leading or trailing whitespace",
        ));
    }
    Ok(())
}

/// Checks a secret without ever echoing it: non-empty, no surrounding whitespace (a
/// copy-paste accident that silently changes an HMAC key), no control characters.
fn check_secret(field: &'static str, secret: &str) -> Result<(), AuthError> {
    if secret.trim().is_empty() {
        return Err(AuthError::invalid_field(field, "must not be empty"));
    }
    if secret.trim() != secret {
        return Err(AuthError::invalid_field(
            field,
            "must not have leading or trailing whitespace",
        ));
    }
    if secret.chars().any(char::is_control) {
        return Err(AuthError::invalid_field(
            field,
            "must not contain control characters (CR, LF, tab…)",
        ));
    }
    Ok(())
}

/// The key a self-signed JWT is signed with.
#[derive(Clone)]
pub enum SigningKey {
    /// HS256 with the UTF-8 bytes of the account's secret key string.
    Hs256(SecretString),
    /// RS256 with the client's RSA private key.
    Rs256(Arc<RsaSigningKey>),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningKey::Hs256(_) => f.debug_tuple("Hs256").field(&auth_core::Redacted).finish(),
            SigningKey::Rs256(_) => f.debug_tuple("Rs256").field(&auth_core::Redacted).finish(),
        }
    }
}

/// Parses an RSA private key PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, literal
/// `\n` escapes accepted) and checks it is at least [`MIN_RSA_BITS`] long.
///
/// ```
/// use tollgate_dragonpass::parse_rsa_private_key;
/// let err = parse_rsa_private_key("private_key", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
///     .expect_err("not RSA");
/// assert_eq!(err.field(), Some("private_key"));
/// ```
pub fn parse_rsa_private_key(
    field: &'static str,
    pem: &str,
) -> Result<rsa::RsaPrivateKey, AuthError> {
    let pem = unescape_newlines(pem.trim());
    let label = pem_label(field, &pem, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
    let key = if label == "PRIVATE KEY" {
        rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| {
            let problem = match e {
                rsa::pkcs8::Error::PublicKey(_) | rsa::pkcs8::Error::KeyMalformed => {
                    "is not an RSA private key (wrong key type or malformed PKCS#8)"
                }
                _ => "is not a valid PKCS#8 RSA private key",
            };
            AuthError::invalid_field(field, problem)
        })?
    } else {
        rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
            .map_err(|_| AuthError::invalid_field(field, "is not a valid PKCS#1 RSA private key"))?
    };
    // Counted in bits: a 2047-bit modulus has the same byte length as a 2048-bit one.
    let bits = key.n().bits();
    if bits < MIN_RSA_BITS {
        return Err(AuthError::invalid_field(
            field,
            format!("RSA key is {bits} bits, at least {MIN_RSA_BITS} are required"),
        ));
    }
    Ok(key)
}

/// Credentials for self-generated JWTs: the issuer DragonPass assigned and the signing key.
///
/// ```
/// use tollgate_dragonpass::SelfSignedCredentials;
/// // The example credentials from DragonPass's public documentation.
/// let creds = SelfSignedCredentials::hs256(
///     "6A909655CF67444A93262A665CDD235F",
///     "60B118779DD14B0990692B51BF8B93DC",
/// )
/// .expect("valid");
/// assert_eq!(creds.issuer(), "6A909655CF67444A93262A665CDD235F");
/// assert!(!format!("{creds:?}").contains("60B118779DD14B0990692B51BF8B93DC"));
/// ```
#[derive(Clone)]
pub struct SelfSignedCredentials {
    issuer: String,
    key: SigningKey,
    key_id: Option<String>,
}

impl SelfSignedCredentials {
    /// HS256 with the account's secret key (the UTF-8 bytes of the string are the HMAC key).
    pub fn hs256(issuer: impl Into<String>, secret: impl Into<String>) -> Result<Self, AuthError> {
        let issuer = issuer.into();
        check_issuer("issuer", &issuer)?;
        let secret: String = secret.into();
        check_secret("secret", &secret)?;
        Ok(SelfSignedCredentials {
            issuer,
            key: SigningKey::Hs256(SecretString::from(secret)),
            key_id: None,
        })
    }

    /// RS256 with an RSA private key PEM (PKCS#8 or PKCS#1; literal `\n` escapes accepted).
    pub fn rs256_pem(issuer: impl Into<String>, pem: &str) -> Result<Self, AuthError> {
        let issuer = issuer.into();
        check_issuer("issuer", &issuer)?;
        let key = parse_rsa_private_key("private_key", pem)?;
        Ok(SelfSignedCredentials {
            issuer,
            key: SigningKey::Rs256(Arc::new(RsaSigningKey::new(key))),
            key_id: None,
        })
    }

    /// RS256 with an RSA private key read from a PEM file.
    pub fn rs256_pem_file(
        issuer: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let pem = read_text_file("private_key", path.as_ref())?;
        Self::rs256_pem(issuer, pem.expose_secret())
    }

    /// Adds a `kid` header to the tokens (only if DragonPass asked for one).
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Result<Self, AuthError> {
        let key_id = key_id.into();
        check_issuer("key_id", &key_id)?;
        self.key_id = Some(key_id);
        Ok(self)
    }

    /// Reads [`ENV_ISSUER`] and, for RS256, [`ENV_PRIVATE_KEY`] or [`ENV_PRIVATE_KEY_FILE`]
    /// (plus the optional [`ENV_KEY_ID`]); otherwise [`ENV_SECRET`] for HS256.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let issuer = vars.require(ENV_ISSUER)?;
        let creds = if let Some(pem) = vars.get(ENV_PRIVATE_KEY)? {
            Self::rs256_pem(issuer, &pem)
        } else if let Some(path) = vars.get(ENV_PRIVATE_KEY_FILE)? {
            Self::rs256_pem_file(issuer, path)
        } else {
            let secret = vars.require(ENV_SECRET)?;
            Self::hs256(issuer, secret)
        }?;
        match vars.get(ENV_KEY_ID)? {
            Some(kid) => creds.with_key_id(kid),
            None => Ok(creds),
        }
    }

    /// The issuer (`iss` claim).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The `kid` header, if configured.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }
}

impl fmt::Debug for SelfSignedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfSignedCredentials")
            .field("issuer", &self.issuer)
            .field("key", &self.key)
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// Credentials for the "Generate Access Token" API.
///
/// ```
/// use tollgate_dragonpass::TokenApiCredentials;
/// let creds = TokenApiCredentials::new("DragonPass", "dpSecretKey12345", "https://sandbox.example.com/auth/token")
///     .expect("valid");
/// assert_eq!(creds.client_id(), "DragonPass");
/// assert!(!format!("{creds:?}").contains("dpSecretKey12345"));
/// ```
#[derive(Clone)]
pub struct TokenApiCredentials {
    client_id: String,
    secret: SecretString,
    token_url: url::Url,
}

impl TokenApiCredentials {
    /// Validates `client_id` (printable ASCII), `secret` and `token_url` (absolute `http` or
    /// `https` URL without user info).
    pub fn new(
        client_id: impl Into<String>,
        secret: impl Into<String>,
        token_url: &str,
    ) -> Result<Self, AuthError> {
        let client_id = client_id.into();
        check_issuer("client_id", &client_id)?;
        let secret: String = secret.into();
        check_secret("secret", &secret)?;
        let token_url = parse_url("token_url", token_url)?;
        Ok(TokenApiCredentials {
            client_id,
            secret: SecretString::from(secret),
            token_url,
        })
    }

    /// Reads [`ENV_CLIENT_ID`], [`ENV_SECRET`] and [`ENV_TOKEN_URL`].
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let id = vars.require(ENV_CLIENT_ID)?;
        let secret = vars.require(ENV_SECRET)?;
        let url = vars.require(ENV_TOKEN_URL)?;
        Self::new(id, secret, &url)
    }

    /// The `clientId`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The secret.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The token API URL.
    pub fn token_url(&self) -> &url::Url {
        &self.token_url
    }
}

impl fmt::Debug for TokenApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenApiCredentials")
            .field("client_id", &self.client_id)
            .field("secret", &auth_core::Redacted)
            .field("token_url", &self.token_url.as_str())
            .finish()
    }
}

fn parse_url(field: &'static str, value: &str) -> Result<url::Url, AuthError> {
    require_header_safe(field, value)?;
    let url = url::Url::parse(value)
        .map_err(|_| AuthError::invalid_field(field, "is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AuthError::invalid_field(
            field,
            "must be an http or https URL",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AuthError::invalid_field(
            field,
            "must not contain user info",
        ));
    }
    Ok(url)
}

/// How a client authenticates with DragonPass, validated when the credentials are built.
///
/// - [`SelfSignedCredentials`]: the issuer DragonPass assigned plus either the account's
///   secret key (HS256) or the client's RSA private key (RS256, the v2 recommendation).
/// - [`TokenApiCredentials`]: `clientId` + `secret` for the "Generate Access Token" API and
///   the URL of that API (not published, so always configured).
/// - [`ProgramId`]: the optional program id sent as `X-Program-ID`.
///
/// Every problem is an [`AuthError`] of kind
/// [`InvalidCredentials`](auth_core::ErrorKind::InvalidCredentials) naming the field; no
/// message and no `Debug` output contains a secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DragonPassCredentials {
    /// Self-generated JWTs (HS256 or RS256).
    SelfSigned(SelfSignedCredentials),
    /// Tokens from the "Generate Access Token" API.
    TokenApi(TokenApiCredentials),
}

impl DragonPassCredentials {
    /// Token API credentials when [`ENV_CLIENT_ID`] is set, self-signed ones otherwise (see
    /// [`SelfSignedCredentials::from_env`] and [`TokenApiCredentials::from_env`]).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        if vars.get(ENV_CLIENT_ID)?.is_some() {
            TokenApiCredentials::from_lookup(&lookup).map(DragonPassCredentials::TokenApi)
        } else {
            SelfSignedCredentials::from_lookup(&lookup).map(DragonPassCredentials::SelfSigned)
        }
    }
}

impl From<SelfSignedCredentials> for DragonPassCredentials {
    fn from(c: SelfSignedCredentials) -> Self {
        DragonPassCredentials::SelfSigned(c)
    }
}

impl From<TokenApiCredentials> for DragonPassCredentials {
    fn from(c: TokenApiCredentials) -> Self {
        DragonPassCredentials::TokenApi(c)
    }
}
