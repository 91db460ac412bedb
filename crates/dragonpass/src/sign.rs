//! Pure JWT signing: no I/O, no clock. Every stage is a public function so it can be
//! checked against the vectors in `tests/vectors/`.
//!
//! A DragonPass self-generated token is a compact JWS:
//!
//! ```text
//! header_json   = {"alg":"HS256","typ":"JWT"}            ("RS256"; optional "kid")
//! claims_json   = {"iss":"<issuer>","exp":<unix seconds>}
//! signing_input = b64url(header_json) + "." + b64url(claims_json)
//! signature     = HMAC-SHA256(secret UTF-8 bytes, signing_input)   or
//!                 RSASSA-PKCS1-v1_5-SHA256(private key, signing_input)
//! token         = signing_input + "." + b64url(signature)
//! ```
//! (`b64url` is base64url without padding.)

use auth_core::jwt;
use auth_core::{AuthError, ErrorKind, ExposeSecret};
use hmac::{Hmac, Mac};
use rsa::signature::{RandomizedSigner as _, SignatureEncoding};
use sha2::Sha256;

use crate::credentials::{RsaSigningKey, SelfSignedCredentials, SigningKey};

pub use auth_core::jwt::{JwtStages, b64url};

/// The JWT algorithms DragonPass accepts for self-generated tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA256 with the account secret.
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and the client's RSA key.
    Rs256,
}

impl Algorithm {
    /// The JOSE name (`"HS256"`, `"RS256"`).
    pub fn name(self) -> &'static str {
        jwt::Algorithm::from(self).name()
    }
}

impl From<Algorithm> for jwt::Algorithm {
    fn from(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Hs256 => jwt::Algorithm::Hs256,
            Algorithm::Rs256 => jwt::Algorithm::Rs256,
        }
    }
}

/// The JOSE header, compact JSON in the order `alg`, `typ`, `kid`.
///
/// ```
/// use tollgate_dragonpass::sign::{header_json, Algorithm};
/// assert_eq!(header_json(Algorithm::Hs256, None), r#"{"alg":"HS256","typ":"JWT"}"#);
/// assert_eq!(header_json(Algorithm::Rs256, Some("k1")), r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
/// ```
pub fn header_json(alg: Algorithm, kid: Option<&str>) -> String {
    jwt::header_json(alg.into(), kid)
}

/// The claims, compact JSON in the order `iss`, `exp`.
///
/// ```
/// assert_eq!(
///     tollgate_dragonpass::sign::claims_json("ISS", 1_700_000_000),
///     r#"{"iss":"ISS","exp":1700000000}"#
/// );
/// ```
pub fn claims_json(issuer: &str, exp: u64) -> String {
    jwt::claims_json(issuer, None, exp)
}

/// `b64url(header_json) + "." + b64url(claims_json)`.
pub fn signing_input(header_b64: &str, claims_b64: &str) -> String {
    jwt::join_segments(header_b64, claims_b64)
}

/// HMAC-SHA256 of `signing_input` keyed with `secret`.
///
/// ```
/// let sig = tollgate_dragonpass::sign::hs256_signature(b"key", "a.b");
/// assert_eq!(sig.len(), 32);
/// ```
pub fn hs256_signature(secret: &[u8], signing_input: &str) -> [u8; 32] {
    // HMAC accepts keys of any length; the error branch cannot be taken.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().into()
}

/// RSASSA-PKCS1-v1_5 SHA-256 signature of `signing_input`, computed with RSA blinding (the
/// private-key operation is randomized against timing side channels, RUSTSEC-2023-0071; the
/// signature itself is deterministic, as PKCS#1 v1.5 is).
pub fn rs256_signature(key: &RsaSigningKey, signing_input: &str) -> Result<Vec<u8>, AuthError> {
    rs256_signature_with_rng(key, signing_input, &mut rand::thread_rng())
}

/// [`rs256_signature`] with the blinding randomness drawn from `rng`.
pub fn rs256_signature_with_rng(
    key: &RsaSigningKey,
    signing_input: &str,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Vec<u8>, AuthError> {
    key.try_sign_with_rng(rng, signing_input.as_bytes())
        .map(|s| s.to_vec())
        .map_err(|_| AuthError::new(ErrorKind::Signing, "RS256 signing failed"))
}

/// Signs a token with `key` for `issuer`, expiring at `exp` (Unix seconds), returning every
/// stage.
///
/// ```
/// use tollgate_dragonpass::SelfSignedCredentials;
/// use tollgate_dragonpass::sign::sign_jwt;
/// let creds = SelfSignedCredentials::hs256("6A909655CF67444A93262A665CDD235F", "60B118779DD14B0990692B51BF8B93DC")?;
/// let stages = sign_jwt(creds.key(), creds.issuer(), creds.key_id(), 1_754_303_100)?;
/// assert_eq!(stages.signature_b64, "cvkfXBS01QE7ruMNE-7dZyiPFQfM6sWzVyjczanN08A");
/// # Ok::<(), tollgate_dragonpass::AuthError>(())
/// ```
pub fn sign_jwt(
    key: &SigningKey,
    issuer: &str,
    kid: Option<&str>,
    exp: u64,
) -> Result<JwtStages, AuthError> {
    let alg = match key {
        SigningKey::Hs256(_) => Algorithm::Hs256,
        SigningKey::Rs256(_) => Algorithm::Rs256,
    };
    jwt::encode(
        header_json(alg, kid),
        claims_json(issuer, exp),
        |input| match key {
            SigningKey::Hs256(secret) => {
                Ok(hs256_signature(secret.expose_secret().as_bytes(), input).to_vec())
            }
            SigningKey::Rs256(k) => rs256_signature(k, input),
        },
    )
}

/// Signs a token with self-signed credentials (see [`sign_jwt`]).
pub fn sign_self_signed(creds: &SelfSignedCredentials, exp: u64) -> Result<JwtStages, AuthError> {
    sign_jwt(creds.key(), creds.issuer(), creds.key_id(), exp)
}
