//! Pure signing functions (no I/O, no clock, no randomness unless asked for): every stage of
//! GTR's SSO `signedSecretKey` and of the app token, each testable against the docs'
//! worked example (`tests/vectors/seed_vectors.json`).
//!
//! App token, as GTR documents it:
//!
//! ```text
//! vaspSecretKeyHash = hex(sha512(secretKey + vaspCode))                 (once, at construction)
//! secretToken       = hex(sha512(accessKey|vaspSecretKeyHash|nonce|timestamp|expires|verifyType))
//! X-Authorization   = base64(JSON {secretToken, accessKey, algorithm: "hmac-sha512",
//!                                  nonce, timestamp, expires, verifyType})
//! ```
//!
//! `sha512` is the plain hash (not HMAC) despite the `algorithm` name. `timestamp` is the
//! 13-digit UTC epoch in milliseconds, sent as a JSON *string* like GTR's official samples;
//! `expires` (seconds) and `verifyType` are JSON numbers. The JSON is serialized compactly,
//! with the keys in the documented order. The docs' example encodes a hand-formatted JSON
//! text (tabs and newlines); GTR parses the JSON, so whitespace is not significant and the
//! compact form carries the same value.
//!
//! ```
//! use tollgate_gtr::sign;
//! let hash = sign::vasp_secret_key_hash("8adba6ef063be8370fb9a7fb91d7498e905db8640442e1f5be6964", "f93_faj30ae3");
//! let t = sign::app_token(&hash, "2DF9SDJ3RFA93HFA0F93HAB0S93F", "03kadafd039hfa-2dasdf", "1701734400000", 15, 1);
//! assert!(t.secret_token.starts_with("710c776f6048bd6a"));
//! ```

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use http::HeaderName;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// The `algorithm` value GTR expects.
pub const ALGORITHM: &str = "hmac-sha512";
/// The `verifyType` value GTR expects.
pub const VERIFY_TYPE: u32 = 1;
/// The default `expires` (seconds), as GTR's docs recommend.
pub const DEFAULT_EXPIRES_SECS: u64 = 15;
/// The app-token header.
pub const X_AUTHORIZATION: HeaderName = HeaderName::from_static("x-authorization");
/// Length of the nonces [`generate_nonce`] makes.
pub const NONCE_LEN: usize = 32;

/// Lower-case hex of SHA-512 of `input`'s UTF-8 bytes.
pub fn sha512_hex(input: &str) -> String {
    hex::encode(Sha512::digest(input.as_bytes()))
}

/// SSO login: `signedSecretKey = hex(sha512(secretKey))`.
///
/// ```
/// assert_eq!(
///     &tollgate_gtr::sign::signed_secret_key("DFSD0JFN43SGNDSPIAN30IHSIDFN0SAR3BNFA0ISFNBI0N3RNFWE0F")[..16],
///     "6bbb4d21bdb8a072",
/// );
/// ```
pub fn signed_secret_key(secret_key: &str) -> String {
    sha512_hex(secret_key)
}

/// The input of [`vasp_secret_key_hash`]: `secretKey + vaspCode`, in a string wiped when
/// dropped (it contains the secret key).
pub fn vasp_secret_key_hash_input(secret_key: &str, vasp_code: &str) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(secret_key.len() + vasp_code.len()));
    s.push_str(secret_key);
    s.push_str(vasp_code);
    s
}

/// App token: `vaspSecretKeyHash = hex(sha512(secretKey + vaspCode))`.
pub fn vasp_secret_key_hash(secret_key: &str, vasp_code: &str) -> String {
    sha512_hex(&vasp_secret_key_hash_input(secret_key, vasp_code))
}

/// The string hashed into `secretToken`:
/// `accessKey|vaspSecretKeyHash|nonce|timestamp|expires|verifyType`.
pub fn secret_token_input(
    access_key: &str,
    vasp_secret_key_hash: &str,
    nonce: &str,
    timestamp: &str,
    expires: u64,
    verify_type: u32,
) -> String {
    format!("{access_key}|{vasp_secret_key_hash}|{nonce}|{timestamp}|{expires}|{verify_type}")
}

/// The 13-digit millisecond timestamp string of `t` (UTC epoch).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_701_734_400);
/// assert_eq!(tollgate_gtr::sign::timestamp_millis(t), "1701734400000");
/// ```
pub fn timestamp_millis(t: SystemTime) -> String {
    auth_core::clock::unix_millis(t).to_string()
}

/// A fresh nonce: [`NONCE_LEN`] random ASCII alphanumerics (GTR asks for ASCII nonces).
pub fn generate_nonce() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(NONCE_LEN)
        .map(char::from)
        .collect()
}

/// The JSON payload of an app token, with fields in GTR's documented order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppTokenPayload {
    /// `hex(sha512(secret token input))`.
    pub secret_token: String,
    /// The `accessKey`.
    pub access_key: String,
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    /// The per-request nonce.
    pub nonce: String,
    /// 13-digit epoch milliseconds, as a string. Serialized as a JSON string (GTR's Java
    /// sample and shell tools); decoded from a string or a JSON number, kept as its JSON text
    /// (GTR's Go sample sends a number). Whether GTR's server accepts a number is
    /// unverified: no source shows it, so the crate never sends one. Whoever checks the
    /// payload checks the 13 digits, as the fake does.
    #[serde(deserialize_with = "auth_core::envelope::string_or_number")]
    pub timestamp: String,
    /// Validity in seconds.
    pub expires: u64,
    /// Always [`VERIFY_TYPE`].
    pub verify_type: u32,
}

impl fmt::Debug for AppTokenPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTokenPayload")
            .field("secret_token", &auth_core::Redacted)
            .field("access_key", &self.access_key)
            .field("algorithm", &self.algorithm)
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .field("expires", &self.expires)
            .field("verify_type", &self.verify_type)
            .finish()
    }
}

impl AppTokenPayload {
    /// Decodes an `X-Authorization` value (base64 of the JSON payload), as GTR (and this
    /// crate's fake) does. `None` when it is not base64 of a payload-shaped JSON object.
    pub fn decode_header(value: &str) -> Option<AppTokenPayload> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        serde_json::from_slice(&raw).ok()
    }
}

/// Every stage of one app token. `Debug` redacts the secret values.
#[derive(Clone)]
#[non_exhaustive]
pub struct AppTokenStages {
    /// `accessKey|vaspSecretKeyHash|nonce|timestamp|expires|verifyType` (contains the
    /// key hash: secret).
    pub secret_token_input: String,
    /// `hex(sha512(secret_token_input))`.
    pub secret_token: String,
    /// The payload as a value.
    pub payload: AppTokenPayload,
    /// The payload serialized compactly, keys in documented order.
    pub payload_json: String,
    /// `base64(payload_json)`: the `X-Authorization` header value.
    pub header_value: String,
}

impl fmt::Debug for AppTokenStages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTokenStages")
            .field("payload", &self.payload)
            .finish_non_exhaustive()
    }
}

/// Builds every stage of an app token from the precomputed `vaspSecretKeyHash` (see
/// [`vasp_secret_key_hash`]), the `accessKey`, a nonce, the 13-digit timestamp string,
/// `expires` seconds and `verifyType`.
///
/// ```
/// use tollgate_gtr::sign::{app_token, AppTokenPayload};
/// let t = app_token("hash", "ak", "nonce1", "1701734400000", 15, 1);
/// assert_eq!(t.payload_json, r#"{"secretToken":"#.to_string() + &format!("{:?}", t.secret_token)
///     + r#","accessKey":"ak","algorithm":"hmac-sha512","nonce":"nonce1","timestamp":"1701734400000","expires":15,"verifyType":1}"#);
/// assert_eq!(AppTokenPayload::decode_header(&t.header_value), Some(t.payload));
/// ```
pub fn app_token(
    vasp_secret_key_hash: &str,
    access_key: &str,
    nonce: &str,
    timestamp: &str,
    expires: u64,
    verify_type: u32,
) -> AppTokenStages {
    let secret_token_input = secret_token_input(
        access_key,
        vasp_secret_key_hash,
        nonce,
        timestamp,
        expires,
        verify_type,
    );
    let secret_token = sha512_hex(&secret_token_input);
    let payload = AppTokenPayload {
        secret_token: secret_token.clone(),
        access_key: access_key.to_string(),
        algorithm: ALGORITHM.to_string(),
        nonce: nonce.to_string(),
        timestamp: timestamp.to_string(),
        expires,
        verify_type,
    };
    // Serializing a struct of strings and integers cannot fail; fall back to an empty
    // object rather than panicking all the same.
    let payload_json = serde_json::to_string(&payload).unwrap_or_else(|_| "{}".to_string());
    let header_value = base64::engine::general_purpose::STANDARD.encode(payload_json.as_bytes());
    AppTokenStages {
        secret_token_input,
        secret_token,
        payload,
        payload_json,
        header_value,
    }
}

/// Only the `X-Authorization` value of [`app_token`] (the same bytes as its
/// `header_value`), written straight into buffers sized up front instead of going through
/// the payload struct and `serde_json::to_string`: what the signer needs per request.
///
/// ```
/// use tollgate_gtr::sign::{app_token, app_token_header};
/// let full = app_token("hash", "ak", "nonce1", "1701734400000", 15, 1);
/// assert_eq!(app_token_header("hash", "ak", "nonce1", "1701734400000", 15, 1), full.header_value);
/// ```
pub fn app_token_header(
    vasp_secret_key_hash: &str,
    access_key: &str,
    nonce: &str,
    timestamp: &str,
    expires: u64,
    verify_type: u32,
) -> String {
    use std::fmt::Write as _;
    // Holds vaspSecretKeyHash: wiped when dropped.
    let mut input = Zeroizing::new(String::with_capacity(
        access_key.len() + vasp_secret_key_hash.len() + nonce.len() + timestamp.len() + 32,
    ));
    // Writing into a String cannot fail.
    let _ = write!(
        *input,
        "{access_key}|{vasp_secret_key_hash}|{nonce}|{timestamp}|{expires}|{verify_type}"
    );
    let mut secret_token = [0u8; 128];
    if hex::encode_to_slice(Sha512::digest(input.as_bytes()), &mut secret_token).is_err() {
        // 64 bytes always fit 128 hex digits; keep the reference path all the same.
        return app_token(
            vasp_secret_key_hash,
            access_key,
            nonce,
            timestamp,
            expires,
            verify_type,
        )
        .header_value;
    }
    let mut json = Vec::with_capacity(192 + access_key.len() + nonce.len() + timestamp.len());
    json.extend_from_slice(b"{\"secretToken\":\"");
    json.extend_from_slice(&secret_token);
    json.extend_from_slice(b"\",\"accessKey\":");
    // serde_json's string escaping, so the bytes match `serde_json::to_string(&payload)`.
    let escaped = serde_json::to_writer(&mut json, access_key)
        .and_then(|()| {
            json.extend_from_slice(b",\"algorithm\":");
            serde_json::to_writer(&mut json, ALGORITHM)
        })
        .and_then(|()| {
            json.extend_from_slice(b",\"nonce\":");
            serde_json::to_writer(&mut json, nonce)
        })
        .and_then(|()| {
            json.extend_from_slice(b",\"timestamp\":");
            serde_json::to_writer(&mut json, timestamp)
        });
    if escaped.is_err() {
        return app_token(
            vasp_secret_key_hash,
            access_key,
            nonce,
            timestamp,
            expires,
            verify_type,
        )
        .header_value;
    }
    let mut tail = String::with_capacity(48);
    let _ = write!(
        tail,
        ",\"expires\":{expires},\"verifyType\":{verify_type}}}"
    );
    json.extend_from_slice(tail.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&json)
}

/// Checks a nonce the way GTR asks: non-empty printable ASCII without `|` (the separator of
/// the secret token input). [`generate_nonce`] always passes.
pub fn validate_nonce(nonce: &str) -> Result<(), auth_core::AuthError> {
    auth_core::credentials::require_header_safe("nonce", nonce)?;
    if nonce.contains('|') {
        return Err(auth_core::AuthError::invalid_field(
            "nonce",
            "must not contain '|'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod fast_header_tests {
    use super::*;

    #[test]
    fn app_token_header_matches_every_stage_path() {
        let keys = [
            "ak",
            "2DF9SDJ3RFA93HFA0F93HAB0S93F",
            "with \"quote\" and \\ and é",
        ];
        let nonces = ["nonce1", "03kadafd039hfa-2dasdf", &"x".repeat(64)];
        for ak in keys {
            for nonce in nonces {
                for (expires, verify) in [(15, 1), (3600, 7)] {
                    let full = app_token(
                        "hash-of-secret",
                        ak,
                        nonce,
                        "1701734400000",
                        expires,
                        verify,
                    );
                    assert_eq!(
                        app_token_header(
                            "hash-of-secret",
                            ak,
                            nonce,
                            "1701734400000",
                            expires,
                            verify
                        ),
                        full.header_value,
                        "{ak} {nonce} {expires}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_the_secret_key_are_wiped() {
        // The capacity is sized up front, so the string never reallocates (which would leave
        // an unwiped copy behind) and Zeroizing clears the one buffer on drop.
        let mut input = vasp_secret_key_hash_input("secret-key", "vasp");
        assert_eq!(input.as_str(), "secret-keyvasp");
        assert_eq!(input.capacity(), input.len());
        zeroize::Zeroize::zeroize(&mut *input);
        assert!(input.is_empty());
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>(_: &T) {}
        wiped_on_drop(&input);
    }

    #[test]
    fn nonces_are_fresh_ascii() {
        let a = generate_nonce();
        let b = generate_nonce();
        assert_ne!(a, b);
        assert_eq!(a.len(), NONCE_LEN);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(validate_nonce(&a).is_ok());
        assert!(validate_nonce("a|b").is_err());
        assert!(validate_nonce("ключ").is_err());
    }

    #[test]
    fn stages_debug_redacts() {
        let t = app_token("HASHVALUE", "ak", "n", "1", 15, 1);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("HASHVALUE"));
        assert!(!dbg.contains(&t.secret_token));
    }
}
