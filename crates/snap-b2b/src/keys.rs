//! Keys given as bare base64 DER (no PEM armour), as DANA's SDKs accept them.

use auth_core::AuthError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

/// Whether `text` has no PEM armour (then it is read as base64 DER).
pub(crate) fn is_bare(text: &str) -> bool {
    !text.contains("-----BEGIN")
}

fn decode(field: &'static str, text: &str) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if compact.is_empty() {
        return Err(AuthError::invalid_field(field, "is empty"));
    }
    STANDARD
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| {
            AuthError::invalid_field(
                field,
                "is neither PEM (-----BEGIN ...) nor base64-encoded DER",
            )
        })
}

/// A private key from base64 DER: PKCS#8 first, then PKCS#1.
pub(crate) fn private_from_base64_der(
    field: &'static str,
    text: &str,
) -> Result<RsaPrivateKey, AuthError> {
    let der = decode(field, text)?;
    RsaPrivateKey::from_pkcs8_der(&der)
        .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
        .map_err(|_| {
            AuthError::invalid_field(
                field,
                "is base64 but not an RSA private key in DER (PKCS#8 or PKCS#1)",
            )
        })
}

/// A public key from base64 DER: SPKI first, then PKCS#1.
pub(crate) fn public_from_base64_der(
    field: &'static str,
    text: &str,
) -> Result<RsaPublicKey, AuthError> {
    let der = decode(field, text)?;
    RsaPublicKey::from_public_key_der(&der)
        .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
        .map_err(|_| {
            AuthError::invalid_field(
                field,
                "is base64 but not an RSA public key in DER (SPKI or PKCS#1)",
            )
        })
}
