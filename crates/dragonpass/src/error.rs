use auth_core::envelope::{clean_message, clean_text};
use auth_core::{AuthError, ErrorKind};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The DragonPass response envelope.
///
/// `code` is kept as a string whatever JSON type the provider used (`0`, `"0"`, `40001`), so a
/// large numeric code can never lose precision. `message` also accepts the key `msg`.
///
/// ```
/// use tollgate_dragonpass::Envelope;
/// let env: Envelope<serde_json::Value> =
///     serde_json::from_str(r#"{"code":0,"message":"success","data":{"programId":"1234567890123456789"}}"#)
///         .expect("valid envelope");
/// assert!(env.is_success());
/// assert_eq!(env.data.expect("data")["programId"], "1234567890123456789");
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<T> {
    /// `"0"` on success, the provider's error code otherwise.
    #[serde(deserialize_with = "auth_core::envelope::string_or_number")]
    pub code: String,
    /// The provider's human-readable message (`message` or `msg`), if any.
    #[serde(default, alias = "msg")]
    pub message: Option<String>,
    /// The payload (absent or `null` on most errors).
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// Whether `code` means success (`0`).
    pub fn is_success(&self) -> bool {
        self.code == "0"
    }
}

use auth_core::Origin;

/// Maps a DragonPass failure onto an [`AuthError`] carrying the provider code.
///
/// Every DragonPass response is a JSON [`Envelope`] `{"code": 0, "message": "...", "data": {...}}`;
/// `code` `0` is success, anything else is an error. The public pages do not list the error
/// codes, so the mapping below is deliberately conservative.
///
/// The HTTP status is looked at first, then the envelope `code` (which DragonPass, like many
/// envelope APIs, may send with HTTP 200):
///
/// | status or code | kind | retryable |
/// |---|---|---|
/// | 429 | [`ErrorKind::RateLimited`] | yes (honours `Retry-After`) |
/// | 500–599 | [`ErrorKind::ServerError`] | yes |
/// | 401, 403 at the token endpoint | [`ErrorKind::Unauthorized`] | no |
/// | 401, 403 on an API call | [`ErrorKind::TokenRejected`] | no |
/// | any other non-zero code at the token endpoint | [`ErrorKind::Unauthorized`] (its only inputs are the credentials) | no |
/// | any other non-zero code on an API call | [`ErrorKind::Provider`] | no |
///
/// `message` is the provider's text; it is included in the error with control characters
/// removed and truncated to [`MESSAGE_LIMIT`](auth_core::envelope::MESSAGE_LIMIT) (200)
/// characters (the code to 64). Callers that send secrets must scrub them from it first.
///
/// ```
/// use tollgate_dragonpass::{error_from_response, Origin};
/// use tollgate_dragonpass::ErrorKind;
/// let e = error_from_response(Origin::TokenEndpoint, http::StatusCode::INTERNAL_SERVER_ERROR, None, "500", None);
/// assert_eq!(e.kind(), ErrorKind::ServerError);
/// assert!(e.is_retryable());
/// assert_eq!(e.provider_code(), Some("500"));
/// ```
pub fn error_from_response(
    origin: Origin,
    status: StatusCode,
    headers: Option<&HeaderMap>,
    code: &str,
    message: Option<&str>,
) -> AuthError {
    // DragonPass may put an HTTP-like status in the envelope code (with HTTP 200): the
    // status and the code are both read, and the more specific kind wins.
    let by_status = ErrorKind::for_status(status.as_u16(), origin);
    let by_code = code
        .parse::<u16>()
        .ok()
        .map(|c| ErrorKind::for_status(c, origin));
    let kind = [
        ErrorKind::RateLimited,
        ErrorKind::ServerError,
        ErrorKind::TokenRejected,
    ]
    .into_iter()
    .find(|k| by_status == *k || by_code == Some(*k))
    .unwrap_or(by_status);
    let what = match origin {
        Origin::TokenEndpoint => "DragonPass token request",
        Origin::Api => "DragonPass API call",
    };
    // Provider text goes into errors and logs: control characters removed (no forged log
    // lines or terminal escapes), length capped.
    let code = clean_text(code, 64);
    let mut text = format!("{what} failed: HTTP {}, code {code}", status.as_u16());
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        text.push_str(": ");
        text.push_str(&clean_message(m));
    }
    AuthError::new(kind, text)
        .with_provider_code(code)
        .with_retry_after_from(headers)
}

/// Checks a DragonPass response and returns its `data`.
///
/// A body that is not an envelope is an [`ErrorKind::InvalidResponse`] on success statuses
/// and the status's own error otherwise; a non-zero `code` (or an error status) goes through
/// [`error_from_response`]; a success without `data` is an [`ErrorKind::InvalidResponse`].
///
/// ```
/// use tollgate_dragonpass::{parse_envelope, Origin};
/// let body = br#"{"code":40001,"message":"invalid parameter","data":null}"#;
/// let err = parse_envelope::<serde_json::Value>(Origin::Api, http::StatusCode::OK, &http::HeaderMap::new(), body)
///     .expect_err("non-zero code");
/// assert_eq!(err.provider_code(), Some("40001"));
/// ```
pub fn parse_envelope<T: DeserializeOwned>(
    origin: Origin,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, AuthError> {
    let env: Envelope<T> = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(_) if !status.is_success() => {
            let context = match origin {
                Origin::TokenEndpoint => "DragonPass token request",
                Origin::Api => "DragonPass API call",
            };
            return Err(AuthError::from_status(context, status, Some(headers)));
        }
        Err(_) => {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                "DragonPass response is not a {\"code\",\"data\"} envelope of the expected shape",
            ));
        }
    };
    if !status.is_success() || !env.is_success() {
        return Err(error_from_response(
            origin,
            status,
            Some(headers),
            &env.code,
            env.message.as_deref(),
        ));
    }
    env.data.ok_or_else(|| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            "DragonPass response has code 0 but no data",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_text_loses_its_control_characters() {
        let e = error_from_response(
            Origin::Api,
            StatusCode::BAD_REQUEST,
            None,
            "4001\r\n",
            Some("bad\r\nX-Injected: 1\u{1b}[31m red\u{7f}\ttab\0"),
        );
        let text = e.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("badX-Injected: 1[31m redtab"), "{text:?}");
    }

    #[test]
    fn mapping_table() {
        let h = HeaderMap::new();
        let cases: &[(Origin, u16, &str, ErrorKind, bool)] = &[
            (
                Origin::TokenEndpoint,
                500,
                "500",
                ErrorKind::ServerError,
                true,
            ),
            (
                Origin::TokenEndpoint,
                200,
                "503",
                ErrorKind::ServerError,
                true,
            ),
            (
                Origin::TokenEndpoint,
                401,
                "401",
                ErrorKind::Unauthorized,
                false,
            ),
            (
                Origin::TokenEndpoint,
                200,
                "10001",
                ErrorKind::Unauthorized,
                false,
            ),
            (
                Origin::TokenEndpoint,
                429,
                "429",
                ErrorKind::RateLimited,
                true,
            ),
            (Origin::Api, 401, "401", ErrorKind::TokenRejected, false),
            (Origin::Api, 200, "40001", ErrorKind::Provider, false),
            (Origin::Api, 502, "1", ErrorKind::ServerError, true),
        ];
        for (origin, status, code, kind, retryable) in cases {
            let s = StatusCode::from_u16(*status).expect("status");
            let e = error_from_response(*origin, s, Some(&h), code, Some("msg"));
            assert_eq!(e.kind(), *kind, "{origin:?} {status} {code}");
            assert_eq!(e.is_retryable(), *retryable, "{origin:?} {status} {code}");
            assert_eq!(e.provider_code(), Some(*code));
        }
    }

    #[test]
    fn string_and_numeric_codes() {
        let h = HeaderMap::new();
        let ok: serde_json::Value = parse_envelope(
            Origin::Api,
            StatusCode::OK,
            &h,
            br#"{"code":"0","msg":"ok","data":{"id":"1234567890123456789"}}"#,
        )
        .expect("string code 0 is success");
        assert_eq!(ok["id"], "1234567890123456789");
        let e = parse_envelope::<serde_json::Value>(Origin::Api, StatusCode::OK, &h, b"<html>")
            .expect_err("not json");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = parse_envelope::<serde_json::Value>(
            Origin::Api,
            StatusCode::BAD_GATEWAY,
            &h,
            b"<html>",
        )
        .expect_err("gateway");
        assert!(e.is_retryable());
        let e = parse_envelope::<serde_json::Value>(
            Origin::Api,
            StatusCode::OK,
            &h,
            br#"{"code":0,"data":null}"#,
        )
        .expect_err("no data");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    }
}
