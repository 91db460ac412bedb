//! Pure ES256 JWT functions (no I/O, no clock): every stage of the token — header JSON,
//! claims JSON, their base64url forms, the signing input, the signature — and the crate's
//! own verifier, checked against the seed page's example token in
//! `tests/vectors/seed_token.json`.
//!
//! The header is `{"alg":"ES256","typ":"JWT","kid":…}` (in that order, as on the seed
//! page) and the claims `{"iss":…,"iat":…,"exp":…}`. ECDSA signatures here are *hedged*
//! (RFC 6979 plus fresh randomness), so two tokens minted in the same second differ;
//! compare tokens by verifying them, not by bytes.
//!
//! ```
//! use tollgate_holidu::sign;
//! assert_eq!(
//!     sign::header_json("k-1"),
//!     r#"{"alg":"ES256","typ":"JWT","kid":"k-1"}"#
//! );
//! assert_eq!(
//!     sign::claims_json("NEW_PARTNER", 1511900000, 1511903600),
//!     r#"{"iss":"NEW_PARTNER","iat":1511900000,"exp":1511903600}"#
//! );
//! ```

use std::fmt;
use std::time::Duration;

use auth_core::jwt::{self, Algorithm, Jws, JwtError};
use auth_core::{AuthError, ErrorKind, SecretString};
use p256::ecdsa::signature::{RandomizedSigner, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};
use serde::Deserialize;

use crate::credentials::HoliduCredentials;

/// The longest validity Holidu accepts: `exp - iat` at most one hour.
pub const MAX_LIFETIME: Duration = Duration::from_secs(3600);

/// The JWT header: `{"alg":"ES256","typ":"JWT","kid":"<key_id>"}`.
pub fn header_json(key_id: &str) -> String {
    jwt::header_json(Algorithm::Es256, Some(key_id))
}

/// The claims: `{"iss":"<issuer>","iat":<iat>,"exp":<exp>}` (Unix seconds).
pub fn claims_json(issuer: &str, iat: u64, exp: u64) -> String {
    jwt::claims_json(issuer, Some(iat), exp)
}

/// Base64url without padding, as JWT segments use.
pub fn b64url(bytes: &[u8]) -> String {
    jwt::b64url(bytes)
}

/// `base64url(header) "." base64url(claims)`: the bytes the signature covers.
pub fn signing_input(header_json: &str, claims_json: &str) -> String {
    jwt::join_segments(
        &b64url(header_json.as_bytes()),
        &b64url(claims_json.as_bytes()),
    )
}

/// ES256 over `signing_input`: SHA-256 then ECDSA P-256, as raw `r || s` (64 bytes, the
/// JWS form). `rng` adds hedging entropy to the RFC 6979 nonce.
pub fn sign_es256(
    key: &SigningKey,
    signing_input: &str,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<[u8; 64], AuthError> {
    let sig: Signature = key
        .try_sign_with_rng(rng, signing_input.as_bytes())
        .map_err(|_| AuthError::new(ErrorKind::Signing, "ES256 signing failed"))?;
    Ok(sig.to_bytes().into())
}

/// Checks a JWT lifetime: more than zero and at most [`MAX_LIFETIME`].
pub fn check_lifetime(lifetime: Duration) -> Result<u64, AuthError> {
    if lifetime < Duration::from_secs(1) {
        return Err(AuthError::invalid_field(
            "token_lifetime",
            "must be at least one second",
        ));
    }
    if lifetime > MAX_LIFETIME {
        return Err(AuthError::invalid_field(
            "token_lifetime",
            "must be at most 3600 s: Holidu rejects tokens valid for more than an hour",
        ));
    }
    Ok(lifetime.as_secs())
}

/// Every stage of one minted token.
#[derive(Clone)]
#[non_exhaustive]
pub struct MintedJwt {
    /// The header JSON.
    pub header_json: String,
    /// The claims JSON.
    pub claims_json: String,
    /// `base64url(header).base64url(claims)`.
    pub signing_input: String,
    /// The raw `r || s` signature.
    pub signature: [u8; 64],
    /// `iat` (Unix seconds).
    pub iat: u64,
    /// `exp` (Unix seconds).
    pub exp: u64,
    /// The compact JWT, `signing_input "." base64url(signature)`.
    pub token: SecretString,
}

impl fmt::Debug for MintedJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedJwt")
            .field("header_json", &self.header_json)
            .field("claims_json", &self.claims_json)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("token", &auth_core::Redacted)
            .finish()
    }
}

/// Mints a token for `creds` issued at `iat` (Unix seconds) and valid for `lifetime`
/// (rejected above [`MAX_LIFETIME`]).
///
/// ```
/// # let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/account_info.json")).expect("file");
/// # let creds = tollgate_holidu::HoliduCredentials::from_account_info_json(&json).expect("valid");
/// use std::time::Duration;
/// use tollgate_holidu::sign;
/// let jwt = sign::mint(&creds, 1_700_000_000, Duration::from_secs(3600), &mut rand::rngs::OsRng)
///     .expect("minted");
/// assert_eq!(jwt.exp - jwt.iat, 3600);
/// assert!(sign::mint(&creds, 0, Duration::from_secs(3601), &mut rand::rngs::OsRng).is_err());
/// ```
pub fn mint(
    creds: &HoliduCredentials,
    iat: u64,
    lifetime: Duration,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<MintedJwt, AuthError> {
    let secs = check_lifetime(lifetime)?;
    let exp = iat.saturating_add(secs);
    let stages = jwt::encode(
        header_json(creds.key_id()),
        claims_json(creds.issuer(), iat, exp),
        |input| sign_es256(creds.signing_key(), input, rng),
    )?;
    Ok(MintedJwt {
        header_json: stages.header_json,
        claims_json: stages.claims_json,
        signing_input: stages.signing_input,
        signature: stages.signature,
        iat,
        exp,
        token: SecretString::from(stages.token),
    })
}

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
}

/// What [`verify`] expects of a token.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// The `kid` the header must carry.
    pub key_id: &'a str,
    /// The `iss` the claims must carry.
    pub issuer: &'a str,
    /// The current time (Unix seconds).
    pub now: u64,
    /// Tolerated clock difference: `iat` may be this far in the future, and the token is
    /// still accepted this long after `exp`.
    pub leeway: u64,
}

fn rejected(err: JwtError) -> AuthError {
    err.into_auth_error("JWT rejected")
}

fn fail(why: &str) -> AuthError {
    rejected(JwtError::new(why.to_string()))
}

/// Verifies a compact ES256 JWT the way Holidu does: structure, `alg == ES256` (and no
/// `crit` header), `kid`, the
/// signature with `key`, `iss`, `exp > iat`, `exp - iat <= 3600`, `iat` not in the future
/// and `exp` not passed (both within `leeway`). Errors are
/// [`Verification`](ErrorKind::Verification) and say which check failed.
pub fn verify(
    token: &str,
    key: &VerifyingKey,
    expect: &Expectations<'_>,
) -> Result<Claims, AuthError> {
    let jws = Jws::decode(token, Algorithm::Es256).map_err(rejected)?;
    if jws.kid() != Some(expect.key_id) {
        return Err(fail("unknown kid"));
    }
    let claims = jws
        .verify(|signed, sig| {
            let sig = Signature::from_slice(sig)
                .map_err(|_| JwtError::new("signature is not 64 bytes r||s"))?;
            key.verify(signed, &sig)
                .map_err(|_| JwtError::new("bad signature"))
        })
        .map_err(rejected)?;
    let claims: Claims = serde_json::from_slice(&claims)
        .map_err(|_| fail("claims are not the expected JSON (iss, iat, exp)"))?;
    if claims.iss != expect.issuer {
        return Err(fail("unknown iss"));
    }
    if claims.exp <= claims.iat {
        return Err(fail("exp is not after iat"));
    }
    if claims.exp - claims.iat > MAX_LIFETIME.as_secs() {
        return Err(fail("validity (exp - iat) is more than one hour"));
    }
    if claims.iat > expect.now.saturating_add(expect.leeway) {
        return Err(fail("iat is in the future"));
    }
    if expect.now >= claims.exp.saturating_add(expect.leeway) {
        return Err(fail("token expired"));
    }
    Ok(claims)
}
