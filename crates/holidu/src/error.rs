use auth_core::envelope::clean_message;
use auth_core::{AuthError, ErrorKind};
use serde::{Deserialize, Serialize};

/// The error body (Spring style) this crate reads and its fake sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status repeated.
    #[serde(default)]
    pub status: Option<u16>,
    /// The status' reason phrase.
    #[serde(default)]
    pub error: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The typed error for a non-success Holidu response (see the table below). The
/// body's `message`, if any, is appended, cleaned by [`clean_message`] (control characters
/// removed, at most [`MESSAGE_LIMIT`](auth_core::envelope::MESSAGE_LIMIT) characters).
///
/// Holidu does not publish the body of its error responses. This crate reads (and its fake
/// answers) the common Spring-style shape `{"status": 401, "error": "Unauthorized",
/// "message": "…"}`; any other body is tolerated and only the HTTP status is used:
///
/// | HTTP status | kind | retryable |
/// |---|---|---|
/// | 401 | [`TokenRejected`](ErrorKind::TokenRejected) (the JWT was refused: key, `kid`, `iss`, lifetime or clock) | no |
/// | 403 | [`Unauthorized`](ErrorKind::Unauthorized) | no |
/// | 429 | [`RateLimited`](ErrorKind::RateLimited) | yes |
/// | 5xx | [`ServerError`](ErrorKind::ServerError) | yes |
/// | other 4xx | [`Provider`](ErrorKind::Provider) | no |
///
/// ```
/// use tollgate_holidu::error_from_response;
/// use tollgate_holidu::ErrorKind;
/// let e = error_from_response(
///     http::StatusCode::UNAUTHORIZED,
///     &http::HeaderMap::new(),
///     br#"{"status":401,"error":"Unauthorized","message":"JWT rejected: unknown kid"}"#,
/// );
/// assert_eq!(e.kind(), ErrorKind::TokenRejected);
/// assert!(e.message().contains("unknown kid"));
/// ```
pub fn error_from_response(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
) -> AuthError {
    let base = AuthError::from_status("Holidu API", status, Some(headers));
    let kind = match status.as_u16() {
        401 => ErrorKind::TokenRejected,
        _ => base.kind(),
    };
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .map(|m| format!(": {}", clean_message(&m)))
        .unwrap_or_default();
    let mut e = AuthError::new(kind, format!("{}{detail}", base.message()))
        .with_retryable(base.is_retryable());
    if let Some(after) = base.retry_after() {
        e = e.with_retry_after(after);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, StatusCode};

    #[test]
    fn mapping_table() {
        let h = HeaderMap::new();
        for (status, kind, retry) in [
            (401, ErrorKind::TokenRejected, false),
            (403, ErrorKind::Unauthorized, false),
            (429, ErrorKind::RateLimited, true),
            (500, ErrorKind::ServerError, true),
            (503, ErrorKind::ServerError, true),
            (404, ErrorKind::Provider, false),
        ] {
            let e =
                error_from_response(StatusCode::from_u16(status).expect("status"), &h, b"<html>");
            assert_eq!(e.kind(), kind, "{status}");
            assert_eq!(e.is_retryable(), retry, "{status}");
        }
        let mut h = HeaderMap::new();
        h.insert("retry-after", http::HeaderValue::from_static("5"));
        let e = error_from_response(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(5)));
    }
}
