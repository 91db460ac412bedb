use std::fmt;
use std::path::Path;

use auth_core::credentials::{pem_label, read_text_file, require_header_safe, unescape_newlines};
use auth_core::{AuthError, ExposeSecret};
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::der::SecretDocument;
use p256::pkcs8::spki::{Document, ObjectIdentifier, SubjectPublicKeyInfoRef};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, PrivateKeyInfo};
use serde::Deserialize;

/// Environment variable with the path of `account_info.json` (as the `tollgate` CLI reads it)
/// or, when the value starts with `{`, the JSON document itself.
pub const ENV_ACCOUNT_INFO: &str = "HOLIDU_ACCOUNT_INFO";
/// Environment variable with the path of `account_info.json`.
pub const ENV_ACCOUNT_INFO_FILE: &str = "HOLIDU_ACCOUNT_INFO_FILE";
/// Environment variable with the key id (when the fields are given one by one).
pub const ENV_KEY_ID: &str = "HOLIDU_KEY_ID";
/// Environment variable with the issuer.
pub const ENV_ISSUER: &str = "HOLIDU_ISSUER";
/// Environment variable with the PKCS#8 PEM private key (`\n` escapes allowed).
pub const ENV_PRIVATE_KEY: &str = "HOLIDU_PRIVATE_KEY";
/// Environment variable with the public key PEM (optional).
pub const ENV_PUBLIC_KEY: &str = "HOLIDU_PUBLIC_KEY";

/// Every variable [`HoliduCredentials::from_env`] reads.
pub const ENV_VARS: &[auth_core::credentials::EnvVar] = &[
    env(
        ENV_ACCOUNT_INFO,
        "path of account_info.json, or the JSON itself (starts with '{')",
    ),
    env(ENV_ACCOUNT_INFO_FILE, "path of account_info.json"),
    env(ENV_KEY_ID, "keyId (JWT kid), without account_info.json"),
    env(ENV_ISSUER, "issuer (iss), without account_info.json"),
    env(
        ENV_PRIVATE_KEY,
        "EC P-256 private key PEM, without account_info.json",
    ),
    env(ENV_PUBLIC_KEY, "optional matching public key PEM"),
];

const fn env(name: &'static str, help: &'static str) -> auth_core::credentials::EnvVar {
    auth_core::credentials::EnvVar { name, help }
}

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// A readable name for a key algorithm / curve OID.
fn oid_name(oid: &ObjectIdentifier) -> &'static str {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10045.2.1" => "EC",
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        _ => "an unsupported algorithm",
    }
}

/// Checks an algorithm identifier is id-ecPublicKey on P-256.
fn require_p256(
    field: &'static str,
    oid: ObjectIdentifier,
    params: Option<ObjectIdentifier>,
) -> Result<(), AuthError> {
    if oid != OID_EC_PUBLIC_KEY {
        return Err(AuthError::invalid_field(
            field,
            format!(
                "is a {} key; Holidu needs an EC P-256 key (ES256)",
                oid_name(&oid)
            ),
        ));
    }
    match params {
        Some(curve) if curve == OID_P256 => Ok(()),
        Some(curve) => Err(AuthError::invalid_field(
            field,
            format!(
                "is an EC key on {}; Holidu needs P-256 (ES256)",
                oid_name(&curve)
            ),
        )),
        None => Err(AuthError::invalid_field(
            field,
            "is an EC key without a named curve; Holidu needs P-256 (ES256)",
        )),
    }
}

/// Parses a PKCS#8 PEM private key and checks it is P-256.
pub(crate) fn parse_private_key(field: &'static str, pem: &str) -> Result<SigningKey, AuthError> {
    let pem = unescape_newlines(pem);
    let label = pem_label(
        field,
        &pem,
        &[
            "PRIVATE KEY",
            "EC PRIVATE KEY",
            "RSA PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
        ],
    )?;
    match label {
        "PRIVATE KEY" => {}
        "EC PRIVATE KEY" => {
            return Err(AuthError::invalid_field(
                field,
                "is a SEC1 \"EC PRIVATE KEY\"; convert it to PKCS#8 \
                 (openssl pkcs8 -topk8 -nocrypt)",
            ));
        }
        "RSA PRIVATE KEY" => {
            return Err(AuthError::invalid_field(
                field,
                "is an RSA key; Holidu needs an EC P-256 key (ES256)",
            ));
        }
        _ => {
            return Err(AuthError::invalid_field(
                field,
                "is an encrypted PKCS#8 key; give the unencrypted key",
            ));
        }
    }
    let (_, doc) = SecretDocument::from_pem(pem.trim())
        .map_err(|_| AuthError::invalid_field(field, "is malformed PEM (bad base64 or framing)"))?;
    let info: PrivateKeyInfo<'_> = doc
        .decode_msg()
        .map_err(|_| AuthError::invalid_field(field, "is not a valid PKCS#8 structure"))?;
    let params = info.algorithm.parameters_oid().ok();
    require_p256(field, info.algorithm.oid, params)?;
    SigningKey::from_pkcs8_der(doc.as_bytes())
        .map_err(|_| AuthError::invalid_field(field, "is not a valid P-256 private key"))
}

/// Parses an SPKI PEM public key and checks it is P-256.
pub(crate) fn parse_public_key(field: &'static str, pem: &str) -> Result<VerifyingKey, AuthError> {
    let pem = unescape_newlines(pem);
    pem_label(field, &pem, &["PUBLIC KEY"])?;
    let (_, doc) = Document::from_pem(pem.trim())
        .map_err(|_| AuthError::invalid_field(field, "is malformed PEM (bad base64 or framing)"))?;
    let spki: SubjectPublicKeyInfoRef<'_> = doc
        .decode_msg()
        .map_err(|_| AuthError::invalid_field(field, "is not a valid SubjectPublicKeyInfo"))?;
    let params = spki.algorithm.parameters_oid().ok();
    require_p256(field, spki.algorithm.oid, params)?;
    VerifyingKey::from_public_key_der(doc.as_bytes())
        .map_err(|_| AuthError::invalid_field(field, "is not a valid P-256 public key"))
}

/// Validated Holidu credentials from `account_info.json` (`keyId`, `issuer`, `privateKey`,
/// `publicKey`): the key id (`kid`), the issuer (`iss`) and the P-256 key pair. The private key is held as a parsed [`SigningKey`], which is zeroized on drop and
/// never shown by `Debug`.
///
/// ```
/// use tollgate_holidu::HoliduCredentials;
/// let json = std::fs::read_to_string(concat!(
///     env!("CARGO_MANIFEST_DIR"),
///     "/tests/vectors/account_info.json"
/// ))
/// .expect("file");
/// let creds = HoliduCredentials::from_account_info_json(&json).expect("valid");
/// assert_eq!(creds.issuer(), "NEW_PARTNER");
/// assert!(!format!("{creds:?}").contains("BEGIN"));
/// ```
///
/// The private key must be a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of a P-256 (prime256v1)
/// key; literal `\n` escapes, as found when the JSON was written by hand or the key was put
/// in an environment variable, are turned into newlines first. An RSA key, a key on another
/// curve (P-384, P-521, secp256k1…), an Ed25519 key, a SEC1 `EC PRIVATE KEY` or a public key
/// that does not belong to the private key are each reported with a clear
/// [`InvalidCredentials`](auth_core::ErrorKind::InvalidCredentials) error naming the field.
/// No error repeats key material.
#[derive(Clone)]
pub struct HoliduCredentials {
    key_id: String,
    issuer: String,
    signing_key: SigningKey,
    verifying_key: VerifyingKey,
}

impl fmt::Debug for HoliduCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HoliduCredentials")
            .field("key_id", &self.key_id)
            .field("issuer", &self.issuer)
            .field("private_key", &auth_core::Redacted)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountInfo {
    key_id: Option<String>,
    issuer: Option<String>,
    private_key: Option<String>,
    public_key: Option<String>,
}

impl HoliduCredentials {
    /// Builds credentials from the four values. `public_key_pem` is optional; when given,
    /// it must be the public half of `private_key_pem`.
    pub fn new(
        key_id: impl Into<String>,
        issuer: impl Into<String>,
        private_key_pem: &str,
        public_key_pem: Option<&str>,
    ) -> Result<Self, AuthError> {
        let key_id = key_id.into();
        let issuer = issuer.into();
        require_header_safe("keyId", &key_id)?;
        require_header_safe("issuer", &issuer)?;
        let signing_key = parse_private_key("privateKey", private_key_pem)?;
        let verifying_key = *signing_key.verifying_key();
        if let Some(pem) = public_key_pem {
            let given = parse_public_key("publicKey", pem)?;
            if given != verifying_key {
                return Err(AuthError::invalid_field(
                    "publicKey",
                    "does not belong to privateKey (mismatched key pair)",
                ));
            }
        }
        Ok(HoliduCredentials {
            key_id,
            issuer,
            signing_key,
            verifying_key,
        })
    }

    /// Builds credentials from an already parsed P-256 key (for keys kept in a KMS-backed
    /// store, or generated in tests).
    pub fn from_signing_key(
        key_id: impl Into<String>,
        issuer: impl Into<String>,
        signing_key: SigningKey,
    ) -> Result<Self, AuthError> {
        let key_id = key_id.into();
        let issuer = issuer.into();
        require_header_safe("keyId", &key_id)?;
        require_header_safe("issuer", &issuer)?;
        let verifying_key = *signing_key.verifying_key();
        Ok(HoliduCredentials {
            key_id,
            issuer,
            signing_key,
            verifying_key,
        })
    }

    /// Parses the `account_info.json` document Holidu hands out at onboarding. All four
    /// fields are required. Parse errors report only line and column.
    pub fn from_account_info_json(json: &str) -> Result<Self, AuthError> {
        let info: AccountInfo = serde_json::from_str(json).map_err(|e| {
            AuthError::invalid_field(
                "account_info.json",
                format!(
                    "is not a valid account_info document ({:?} error at line {}, column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let missing = |f: &'static str| AuthError::invalid_field(f, "is missing");
        let key_id = info.key_id.ok_or_else(|| missing("keyId"))?;
        let issuer = info.issuer.ok_or_else(|| missing("issuer"))?;
        let private_key = info.private_key.ok_or_else(|| missing("privateKey"))?;
        let public_key = info.public_key.ok_or_else(|| missing("publicKey"))?;
        Self::new(key_id, issuer, &private_key, Some(&public_key))
    }

    /// Reads `account_info.json` from `path`.
    pub fn from_account_info_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let text = read_text_file("account_info.json", path.as_ref())?;
        Self::from_account_info_json(text.expose_secret())
    }

    /// Reads credentials from the environment, first found wins:
    /// `HOLIDU_ACCOUNT_INFO` (the path of `account_info.json`, or the JSON document itself
    /// when the value starts with `{`), `HOLIDU_ACCOUNT_INFO_FILE` (its path), or
    /// `HOLIDU_KEY_ID` + `HOLIDU_ISSUER` + `HOLIDU_PRIVATE_KEY` (+ optional
    /// `HOLIDU_PUBLIC_KEY`).
    ///
    /// ```no_run
    /// let creds = tollgate_holidu::HoliduCredentials::from_env()?;
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        if let Some(value) = vars.get(ENV_ACCOUNT_INFO)? {
            return if value.trim_start().starts_with('{') {
                Self::from_account_info_json(&value)
            } else {
                Self::from_account_info_file(value.trim())
            };
        }
        if let Some(path) = vars.get(ENV_ACCOUNT_INFO_FILE)? {
            return Self::from_account_info_file(path);
        }
        let key_id = vars.require(ENV_KEY_ID)?;
        let issuer = vars.require(ENV_ISSUER)?;
        let private_key = vars.require(ENV_PRIVATE_KEY)?;
        let public_key = vars.get(ENV_PUBLIC_KEY)?;
        Self::new(key_id, issuer, &private_key, public_key.as_deref())
    }

    /// The key id, sent as the JWT header's `kid`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The issuer, sent as the `iss` claim.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key (for verifying tokens).
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// The private key. Handle with care: whoever has it can sign as you.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }
}
