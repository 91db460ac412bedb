use std::fmt;
use std::str::FromStr;

use auth_core::{AuthError, ErrorKind};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

/// A SNAP `responseCode`, `HHHSSCC`.
///
/// ```
/// use tollgate_snap_b2b::ResponseCode;
/// let ok: ResponseCode = "2007300".parse().unwrap();
/// assert!(ok.is_success());
/// assert_eq!(ok.service_code(), 73);
/// let bad: ResponseCode = "4012401".parse().unwrap();
/// assert_eq!(bad.http_status(), 401);
/// assert_eq!(bad.case_code(), 1);
/// assert!(bad.is_token_rejection());
/// assert!("40173".parse::<ResponseCode>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode([u8; 7]);

impl ResponseCode {
    /// Builds a code from its parts (`http` 100..=599, `service` and `case` 0..=99).
    pub fn new(http: u16, service: u8, case: u8) -> Option<Self> {
        if !(100..=599).contains(&http) || service > 99 || case > 99 {
            return None;
        }
        let s = format!("{http:03}{service:02}{case:02}");
        s.parse().ok()
    }

    /// The seven digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("0000000")
    }

    fn num(&self, r: std::ops::Range<usize>) -> u16 {
        self.0[r]
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
    }

    /// The HTTP status part (`HHH`).
    pub fn http_status(&self) -> u16 {
        self.num(0..3)
    }

    /// The HTTP status part as a [`StatusCode`], if it is a valid status.
    pub fn status(&self) -> Option<StatusCode> {
        StatusCode::from_u16(self.http_status()).ok()
    }

    /// The service code (`SS`), e.g. 73 for the B2B access token, 24 for VA inquiry.
    pub fn service_code(&self) -> u8 {
        self.num(3..5) as u8
    }

    /// The case code (`CC`).
    pub fn case_code(&self) -> u8 {
        self.num(5..7) as u8
    }

    /// Whether the code reports success (HTTP part 2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status())
    }

    /// Whether the code says the access token was rejected: `401xx01` (invalid token) or
    /// `401xx03` (token not found).
    pub fn is_token_rejection(&self) -> bool {
        self.http_status() == 401 && matches!(self.case_code(), 1 | 3)
    }
}

/// A `responseCode` that is not seven ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a SNAP responseCode is seven digits HHHSSCC")]
pub struct InvalidResponseCode;

impl FromStr for ResponseCode {
    type Err = InvalidResponseCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 7 || !b.iter().all(u8::is_ascii_digit) {
            return Err(InvalidResponseCode);
        }
        let mut raw = [0u8; 7];
        raw.copy_from_slice(b);
        Ok(ResponseCode(raw))
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({})", self.as_str())
    }
}

/// The fields every SNAP response body has (`responseCode`, `responseMessage`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SnapEnvelope {
    /// The seven-digit code, as sent.
    #[serde(rename = "responseCode", alias = "response_code", default)]
    pub response_code: Option<String>,
    /// The provider's description.
    #[serde(rename = "responseMessage", alias = "response_message", default)]
    pub response_message: Option<String>,
}

impl SnapEnvelope {
    /// The parsed code, if present and well formed.
    pub fn code(&self) -> Option<ResponseCode> {
        self.response_code.as_deref().and_then(|c| c.parse().ok())
    }
}

/// Maps a failed SNAP response (non-2xx `status`, `body` possibly a SNAP envelope) to an
/// [`AuthError`]. The kind comes from the HTTP status (it wins over the body): 401/403
/// unauthorized (token rejected for `401xx01`/`401xx03`), 429 rate limited, 504 timeout,
/// other 5xx server error (retryable), anything else a provider error (not retryable). The
/// `responseCode` is attached as the provider code and `responseMessage` is quoted, cleaned
/// by [`clean_message`](auth_core::envelope::clean_message) (control characters removed, at
/// most [`MESSAGE_LIMIT`](auth_core::envelope::MESSAGE_LIMIT) characters, as every provider
/// crate quotes provider text).
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use tollgate_snap_b2b::ErrorKind;
/// use tollgate_snap_b2b::error_from_response;
/// let body = br#"{"responseCode":"5007300","responseMessage":"General Error"}"#;
/// let e = error_from_response("token", StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), body);
/// assert_eq!(e.kind(), ErrorKind::ServerError);
/// assert!(e.is_retryable());
/// assert_eq!(e.provider_code(), Some("5007300"));
/// ```
///
/// SNAP response codes and the mapping of SNAP error envelopes onto [`AuthError`].
///
/// Every SNAP response carries `responseCode`, seven digits `HHHSSCC`: the HTTP status
/// (`HHH`), the service code (`SS`, e.g. `73` for the B2B access token) and a case code
/// (`CC`). When the HTTP status and the body disagree, the HTTP status wins.
pub fn error_from_response(
    context: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> AuthError {
    let envelope: SnapEnvelope = serde_json::from_slice(body).unwrap_or_default();
    let code = envelope.code();
    let mut message = format!("{context}: HTTP {}", status.as_u16());
    if let Some(m) = envelope.response_message.as_deref() {
        message.push_str(&format!(" ({})", auth_core::envelope::clean_message(m)));
    }
    let (kind, retryable) = match status.as_u16() {
        401 if code.is_some_and(|c| c.is_token_rejection()) => (ErrorKind::TokenRejected, false),
        401 | 403 => (ErrorKind::Unauthorized, false),
        429 => (ErrorKind::RateLimited, true),
        504 => (ErrorKind::Timeout, true),
        500..=599 => (ErrorKind::ServerError, true),
        _ => (ErrorKind::Provider, false),
    };
    let err = AuthError::new(kind, message)
        .with_retryable(retryable)
        .with_retry_after_from(Some(headers));
    match (code, envelope.response_code) {
        (Some(c), _) => err.with_provider_code(c.as_str()),
        (None, Some(raw)) if raw.len() <= 16 && raw.is_ascii() => err.with_provider_code(raw),
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_wins_over_body() {
        let body = br#"{"responseCode":"2007300","responseMessage":"Successful"}"#;
        let e = error_from_response("x", StatusCode::UNAUTHORIZED, &HeaderMap::new(), body);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        let body = br#"{"responseCode":"4012401","responseMessage":"Invalid Token (B2B)"}"#;
        let e = error_from_response("x", StatusCode::UNAUTHORIZED, &HeaderMap::new(), body);
        assert_eq!(e.kind(), ErrorKind::TokenRejected);
        assert!(e.to_string().contains("Invalid Token (B2B)"));
        let e = error_from_response("x", StatusCode::CONFLICT, &HeaderMap::new(), b"not json");
        assert_eq!(e.kind(), ErrorKind::Provider);
        assert_eq!(e.provider_code(), None);
    }

    #[test]
    fn codes_round_trip() {
        let c = ResponseCode::new(409, 24, 0).expect("valid");
        assert_eq!(c.as_str(), "4092400");
        assert!(!c.is_success());
        assert!(ResponseCode::new(600, 1, 1).is_none());
        for bad in ["", "200730", "20073000", "200730a", "２００７３００"] {
            assert!(bad.parse::<ResponseCode>().is_err(), "{bad}");
        }
    }
}
