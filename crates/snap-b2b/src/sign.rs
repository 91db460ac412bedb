//! Pure SNAP signing functions: no I/O, no clock. Every intermediate value is public so it
//! can be checked stage by stage against vectors.
//!
//! - Access token: `X-SIGNATURE = enc(SHA256withRSA(private key, clientKey + "|" + X-TIMESTAMP))`.
//! - Symmetric transaction: `X-SIGNATURE = enc(HMAC-SHA512(clientSecret,
//!   METHOD:EndpointUrl:AccessToken:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP))`.
//! - Asymmetric transaction / notification: `enc(SHA256withRSA(key,
//!   METHOD:EndpointUrl:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP))`.
//!
//! `enc` is base64 (standard alphabet, padded) by default, hex for the providers that want it.

use std::fmt;

use auth_core::{ExposeSecret, SecretString};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use crate::credentials::SnapPrivateKey;
use crate::minify::{MinifiedBody, MinifyError, minify_and_hash};

/// How signature bytes are written into `X-SIGNATURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Standard base64 with padding (the SNAP specification; default).
    #[default]
    Base64,
    /// Lowercase hex (a few providers).
    Hex,
}

impl SignatureEncoding {
    /// Encodes signature bytes.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            SignatureEncoding::Base64 => STANDARD.encode(bytes),
            SignatureEncoding::Hex => hex::encode(bytes),
        }
    }

    /// [`encode`](Self::encode) appended to `out`.
    pub(crate) fn encode_into(self, bytes: &[u8], out: &mut Vec<u8>) {
        let at = out.len();
        match self {
            SignatureEncoding::Base64 => {
                out.resize(at + base64::encoded_len(bytes.len(), true).unwrap_or(0), 0);
                let written = STANDARD.encode_slice(bytes, &mut out[at..]).unwrap_or(0);
                out.truncate(at + written);
            }
            SignatureEncoding::Hex => {
                out.resize(at + 2 * bytes.len(), 0);
                if hex::encode_to_slice(bytes, &mut out[at..]).is_err() {
                    out.truncate(at);
                }
            }
        }
    }

    /// Decodes a received signature (hex is accepted in either case).
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            SignatureEncoding::Base64 => STANDARD.decode(text.trim()).ok(),
            SignatureEncoding::Hex => hex::decode(text.trim()).ok(),
        }
    }
}

/// Which part of the request URL is signed as `EndpointUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EndpointUrlMode {
    /// Path and query string as sent, e.g. `/snap/v1.0/balance-inquiry?accountNo=1`
    /// (default; the specification signs the relative URL).
    #[default]
    PathAndQuery,
    /// The path only; the query string is left out of the signature (some providers).
    PathOnly,
}

/// The `EndpointUrl` of a request: its path (as percent-encoded in the URL, i.e. as sent)
/// and, in [`EndpointUrlMode::PathAndQuery`], `?` and the query.
///
/// ```
/// use tollgate_snap_b2b::sign::{endpoint_url, EndpointUrlMode};
/// let url = url::Url::parse("https://h.example/snap/v1.0/x?a=1&b=2").unwrap();
/// assert_eq!(endpoint_url(&url, EndpointUrlMode::PathAndQuery), "/snap/v1.0/x?a=1&b=2");
/// assert_eq!(endpoint_url(&url, EndpointUrlMode::PathOnly), "/snap/v1.0/x");
/// ```
pub fn endpoint_url(url: &Url, mode: EndpointUrlMode) -> String {
    match (mode, url.query()) {
        (EndpointUrlMode::PathAndQuery, Some(q)) => format!("{}?{}", url.path(), q),
        _ => url.path().to_string(),
    }
}

/// The string signed in the access token request: `clientKey|timestamp`.
pub fn token_string_to_sign(client_key: &str, timestamp: &str) -> String {
    format!("{client_key}|{timestamp}")
}

/// The `X-SIGNATURE` of the access token request.
///
/// ```no_run
/// # fn demo(key: &tollgate_snap_b2b::SnapPrivateKey) {
/// use tollgate_snap_b2b::sign::{token_signature, SignatureEncoding};
/// let sig = token_signature(key, "10001", "2020-01-01T00:00:00+07:00", SignatureEncoding::Base64);
/// # }
/// ```
pub fn token_signature(
    key: &SnapPrivateKey,
    client_key: &str,
    timestamp: &str,
    encoding: SignatureEncoding,
) -> String {
    encoding.encode(&key.sign(token_string_to_sign(client_key, timestamp).as_bytes()))
}

/// `lowercase(hex(SHA-256(body)))` of an already minified body.
///
/// ```
/// // SNAP hashes an absent body as the empty string.
/// assert_eq!(
///     tollgate_snap_b2b::sign::body_sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn body_sha256_hex(minified_body: &[u8]) -> String {
    hex::encode(Sha256::digest(minified_body))
}

/// `METHOD:EndpointUrl:AccessToken:bodyHash:timestamp` (the token without `Bearer `).
pub fn symmetric_string_to_sign(
    method: &str,
    endpoint_url: &str,
    access_token: &str,
    body_sha256_hex: &str,
    timestamp: &str,
) -> String {
    format!("{method}:{endpoint_url}:{access_token}:{body_sha256_hex}:{timestamp}")
}

/// `METHOD:EndpointUrl:bodyHash:timestamp` (asymmetric transactions and notifications).
pub fn asymmetric_string_to_sign(
    method: &str,
    endpoint_url: &str,
    body_sha256_hex: &str,
    timestamp: &str,
) -> String {
    format!("{method}:{endpoint_url}:{body_sha256_hex}:{timestamp}")
}

/// The client secret prepared as an HMAC-SHA512 key (the key schedule is computed once and
/// cloned per request).
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha512>);

impl HmacKey {
    /// Prepares `secret` (its UTF-8 bytes) as the key.
    pub fn new(secret: &SecretString) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <Hmac<Sha512> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        HmacKey(mac)
    }

    /// HMAC-SHA512 of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA512 of the concatenation of `parts` (the string to sign is fed piece by
    /// piece, never assembled).
    pub(crate) fn sign_parts(&self, parts: &[&[u8]]) -> [u8; 64] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC-SHA512 of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey([REDACTED])")
    }
}

/// The minified body and `lowercase(hex(SHA-256))` of it, from one fused pass.
fn minified_and_hex(body: &[u8]) -> Result<(Vec<u8>, String), MinifyError> {
    let mut out = Vec::new();
    let (minified, hash) = minify_and_hash(body, &mut out, 0)?;
    let minified = match minified {
        MinifiedBody::InputPrefix(len) => body[..len].to_vec(),
        MinifiedBody::Written { from } => {
            out.drain(..from);
            out
        }
    };
    Ok((minified, hex::encode(hash)))
}

/// Every stage of a transaction signature.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionSignature {
    /// The signed `EndpointUrl`.
    pub endpoint_url: String,
    /// The exact body bytes to send (the minified body).
    pub minified_body: Vec<u8>,
    /// `lowercase(hex(SHA-256(minified_body)))`.
    pub body_sha256_hex: String,
    /// The string that was signed (contains the access token in symmetric mode).
    pub string_to_sign: String,
    /// The `X-SIGNATURE` value.
    pub signature: String,
}

impl fmt::Debug for TransactionSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionSignature")
            .field("endpoint_url", &self.endpoint_url)
            .field("body_len", &self.minified_body.len())
            .field("body_sha256_hex", &self.body_sha256_hex)
            .field("string_to_sign", &"[REDACTED: contains the access token]")
            .field("signature", &self.signature)
            .finish()
    }
}

/// Signs a transaction symmetrically: minifies `body`, hashes it, builds the string to sign
/// and computes the HMAC-SHA512.
///
/// ```
/// use tollgate_snap_b2b::sign::{sign_symmetric, HmacKey, SignatureEncoding};
/// let key = HmacKey::new(&"secret".to_string().into());
/// let s = sign_symmetric(&key, "POST", "/v1.0/x", "tok", b"{ \"a\" : 1 }",
///     "2020-01-01T00:00:00+07:00", SignatureEncoding::Base64).unwrap();
/// assert_eq!(s.minified_body, b"{\"a\":1}");
/// assert!(s.string_to_sign.starts_with("POST:/v1.0/x:tok:"));
/// ```
pub fn sign_symmetric(
    key: &HmacKey,
    method: &str,
    endpoint_url: &str,
    access_token: &str,
    body: &[u8],
    timestamp: &str,
    encoding: SignatureEncoding,
) -> Result<TransactionSignature, MinifyError> {
    let (minified_body, body_sha256_hex) = minified_and_hex(body)?;
    let string_to_sign = symmetric_string_to_sign(
        method,
        endpoint_url,
        access_token,
        &body_sha256_hex,
        timestamp,
    );
    let signature = encoding.encode(&key.sign(string_to_sign.as_bytes()));
    Ok(TransactionSignature {
        endpoint_url: endpoint_url.to_string(),
        minified_body,
        body_sha256_hex,
        string_to_sign,
        signature,
    })
}

/// Signs a transaction asymmetrically (SHA256withRSA, no access token in the string).
pub fn sign_asymmetric(
    key: &SnapPrivateKey,
    method: &str,
    endpoint_url: &str,
    body: &[u8],
    timestamp: &str,
    encoding: SignatureEncoding,
) -> Result<TransactionSignature, MinifyError> {
    let (minified_body, body_sha256_hex) = minified_and_hex(body)?;
    let string_to_sign =
        asymmetric_string_to_sign(method, endpoint_url, &body_sha256_hex, timestamp);
    let signature = encoding.encode(&key.sign(string_to_sign.as_bytes()));
    Ok(TransactionSignature {
        endpoint_url: endpoint_url.to_string(),
        minified_body,
        body_sha256_hex,
        string_to_sign,
        signature,
    })
}
