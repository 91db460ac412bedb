//! Pure signing functions (no I/O): every intermediate value of the token request and the
//! headers of an authenticated call, each testable against the vectors in
//! `tests/vectors/`.
//!
//! The token request is signed as
//! `signature = lowercase_hex(sha256(app_id + decimal(time_stamp) + app_secret))`,
//! exactly as the provider's Python sample does (`app_id + str(time_stamp) + app_secret`).
//!
//! ```
//! use tollgate_v5_openapi::{V5Credentials, sign};
//! let creds = V5Credentials::new("demo-app", "demo-secret").expect("valid");
//! let req = sign::token_request(&creds, 1_700_000_000);
//! assert_eq!(req.time_stamp, 1_700_000_000);
//! assert_eq!(req.signature.len(), 64);
//! ```

use auth_core::credentials::{bearer_header, header_value};
use auth_core::{AuthError, ExposeSecret, SecretString};
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::credentials::V5Credentials;
use crate::token::TokenRequest;

/// The header carrying the application id on authenticated calls.
pub const X_APP_ID: HeaderName = HeaderName::from_static("x-app-id");

/// `app_id + decimal(time_stamp) + app_secret`: the string whose SHA-256 is the signature.
/// It contains the secret, hence the [`SecretString`].
pub fn string_to_sign(app_id: &str, time_stamp: u64, app_secret: &SecretString) -> SecretString {
    let secret = app_secret.expose_secret();
    let mut s = String::with_capacity(app_id.len() + 20 + secret.len());
    s.push_str(app_id);
    s.push_str(&time_stamp.to_string());
    s.push_str(secret);
    SecretString::from(s)
}

/// SHA-256 of the string to sign.
pub fn digest(string_to_sign: &SecretString) -> [u8; 32] {
    Sha256::digest(string_to_sign.expose_secret().as_bytes()).into()
}

/// The signature as sent: lowercase hex of [`digest`].
pub fn signature(string_to_sign: &SecretString) -> String {
    hex::encode(digest(string_to_sign))
}

/// The typed token request for `creds` at `time_stamp` (seconds since the Unix epoch).
pub fn token_request(creds: &V5Credentials, time_stamp: u64) -> TokenRequest {
    let sts = string_to_sign(creds.app_id(), time_stamp, creds.app_secret());
    TokenRequest {
        app_id: creds.app_id().to_string(),
        time_stamp,
        signature: signature(&sts),
    }
}

/// The exact JSON body sent to the token endpoint:
/// `{"app_id":"…","time_stamp":<number>,"signature":"…"}`.
pub fn token_request_body(req: &TokenRequest) -> Result<String, AuthError> {
    serde_json::to_string(req).map_err(|_| {
        AuthError::new(
            auth_core::ErrorKind::Internal,
            "cannot serialise the token request",
        )
    })
}

/// The headers of an authenticated call: `Authorization: Bearer <token>` (marked
/// sensitive) and `X-APP-ID: <app_id>`.
///
/// ```
/// use tollgate_v5_openapi::sign::api_headers;
/// use tollgate_v5_openapi::SecretString;
/// let h = api_headers("demo-app", &SecretString::from("tok-1".to_string())).expect("valid");
/// assert_eq!(h[0].1.as_bytes(), b"Bearer tok-1");
/// assert_eq!(h[1].0.as_str(), "x-app-id");
/// ```
pub fn api_headers(
    app_id: &str,
    token: &SecretString,
) -> Result<[(HeaderName, HeaderValue); 2], AuthError> {
    Ok([
        (http::header::AUTHORIZATION, bearer_header(token)?),
        (X_APP_ID, header_value("app_id", app_id)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_concatenates_in_order() {
        let s = string_to_sign("id", 42, &SecretString::from("sec".to_string()));
        assert_eq!(s.expose_secret(), "id42sec");
        // Different time stamps give different signatures.
        let a = signature(&string_to_sign(
            "id",
            42,
            &SecretString::from("sec".to_string()),
        ));
        let b = signature(&string_to_sign(
            "id",
            43,
            &SecretString::from("sec".to_string()),
        ));
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
