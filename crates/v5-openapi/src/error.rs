use auth_core::{AuthError, ErrorKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use auth_core::Origin;

/// The provider's response envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<T> {
    /// `0` on success.
    #[serde(deserialize_with = "auth_core::envelope::number_or_string")]
    pub code: i64,
    /// A human-readable message (never compared).
    #[serde(default)]
    pub msg: Option<String>,
    /// The payload on success.
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// Keeps the provider's message short and printable for our error text.
fn clean_msg(msg: Option<&str>) -> String {
    let m = auth_core::envelope::clean_message(msg.unwrap_or(""));
    if m.is_empty() {
        "(no message)".into()
    } else {
        m
    }
}

/// The error for a non-zero `code` of the `{code, msg, data}` [`Envelope`].
///
/// `code == 0` is success. Any other code is an error carrying the code
/// ([`AuthError::provider_code`]) and the provider's `msg` in the message; `msg` text is
/// never compared. The provider does not publish its codes, so the kind is decided by the
/// HTTP status and by which endpoint answered:
///
/// | HTTP status | endpoint | kind | retryable |
/// |---|---|---|---|
/// | 5xx | any | [`ServerError`](ErrorKind::ServerError) | yes |
/// | 429 | any | [`RateLimited`](ErrorKind::RateLimited) | yes |
/// | 401/403, or a code in the configured rejection codes | API | [`TokenRejected`](ErrorKind::TokenRejected) | no |
/// | any other | token | [`Unauthorized`](ErrorKind::Unauthorized) (the request holds only credentials) | no |
/// | any other | API | [`Provider`](ErrorKind::Provider) | no |
///
/// A `Retry-After` header (seconds) is honoured in every case.
///
/// ```
/// use tollgate_v5_openapi::{Origin, error_from_response};
/// use tollgate_v5_openapi::ErrorKind;
/// let e = error_from_response(Origin::TokenEndpoint, http::StatusCode::OK, None, 40003, Some("bad sign"), &[]);
/// assert_eq!(e.kind(), ErrorKind::Unauthorized);
/// assert_eq!(e.provider_code(), Some("40003"));
/// ```
pub fn error_from_response(
    origin: Origin,
    status: http::StatusCode,
    headers: Option<&http::HeaderMap>,
    code: i64,
    msg: Option<&str>,
    rejection_codes: &[i64],
) -> AuthError {
    let s = status.as_u16();
    let kind = match ErrorKind::for_status(s, origin) {
        ErrorKind::Provider if rejection_codes.contains(&code) => ErrorKind::TokenRejected,
        kind => kind,
    };
    let context = match origin {
        Origin::TokenEndpoint => "V5 token request",
        Origin::Api => "V5 API call",
    };
    AuthError::new(
        kind,
        format!("{context}: HTTP {s}, code {code}: {}", clean_msg(msg)),
    )
    .with_provider_code(code.to_string())
    .with_retry_after_from(headers)
}

/// The error for a failed HTTP status without an error `code` (a body that is no envelope,
/// or `code` 0): the status decides as in the table of [`error_from_response`] (401/403 on an API call is a
/// rejected token), and `Retry-After` is honoured.
fn status_error(
    origin: Origin,
    context: &str,
    status: http::StatusCode,
    headers: &http::HeaderMap,
) -> AuthError {
    let e = AuthError::from_status(context, status, Some(headers));
    if origin == Origin::Api && matches!(status.as_u16(), 401 | 403) {
        return AuthError::new(ErrorKind::TokenRejected, e.message().to_string())
            .with_retry_after_from(Some(headers));
    }
    e
}

/// Reads a response body as an envelope and returns its `data`, or the typed error.
///
/// On an API call, `code` 0 with `data: null` or without `data` is a success when `T` accepts
/// null (`()`, `Option<_>`, `serde_json::Value`) and an [`ErrorKind::InvalidResponse`]
/// otherwise; the token origin always needs its `data`.
pub fn parse_envelope<T: DeserializeOwned>(
    origin: Origin,
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
    rejection_codes: &[i64],
) -> Result<T, AuthError> {
    let context = match origin {
        Origin::TokenEndpoint => "V5 token response",
        Origin::Api => "V5 API response",
    };
    let env: Envelope<T> = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(_) if !status.is_success() => {
            return Err(status_error(origin, context, status, headers));
        }
        Err(_) => {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                format!("{context}: not a {{code, msg, data}} envelope"),
            ));
        }
    };
    if env.code != 0 {
        return Err(error_from_response(
            origin,
            status,
            Some(headers),
            env.code,
            env.msg.as_deref(),
            rejection_codes,
        ));
    }
    if !status.is_success() {
        return Err(status_error(origin, context, status, headers));
    }
    match (env.data, origin) {
        (Some(data), _) => Ok(data),
        // An API call that succeeds with `data: null` or no `data` is a success: whether
        // that is acceptable is the caller's type (`()`, `Option<_>`, `serde_json::Value`
        // take it; a struct does not).
        (None, Origin::Api) => T::deserialize(serde_json::Value::Null).map_err(|_| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                format!("{context}: code 0 without data, where data was expected"),
            )
        }),
        (None, Origin::TokenEndpoint) => Err(AuthError::new(
            ErrorKind::InvalidResponse,
            format!("{context}: code 0 without data"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{TokenData, VerifyData};
    use http::{HeaderMap, StatusCode};

    #[test]
    fn mapping_table() {
        let h = HeaderMap::new();
        let cases: &[(Origin, u16, &str, ErrorKind, bool)] = &[
            (
                Origin::TokenEndpoint,
                200,
                r#"{"code":40003,"msg":"x","data":null}"#,
                ErrorKind::Unauthorized,
                false,
            ),
            (
                Origin::TokenEndpoint,
                500,
                r#"{"code":50000,"msg":"x"}"#,
                ErrorKind::ServerError,
                true,
            ),
            (
                Origin::TokenEndpoint,
                503,
                "<html>",
                ErrorKind::ServerError,
                true,
            ),
            (
                Origin::TokenEndpoint,
                429,
                r#"{"code":"42900","msg":"slow"}"#,
                ErrorKind::RateLimited,
                true,
            ),
            (
                Origin::Api,
                401,
                r#"{"code":40101,"msg":"x"}"#,
                ErrorKind::TokenRejected,
                false,
            ),
            (Origin::Api, 401, "", ErrorKind::TokenRejected, false),
            (
                Origin::Api,
                200,
                r#"{"code":12345,"msg":"x"}"#,
                ErrorKind::Provider,
                false,
            ),
            (
                Origin::Api,
                200,
                r#"{"code":77,"msg":"x"}"#,
                ErrorKind::TokenRejected,
                false,
            ),
            (
                Origin::TokenEndpoint,
                200,
                r#"{"code":0,"msg":"ok"}"#,
                ErrorKind::InvalidResponse,
                false,
            ),
            (
                Origin::TokenEndpoint,
                200,
                "not json",
                ErrorKind::InvalidResponse,
                false,
            ),
        ];
        for (ep, status, body, kind, retry) in cases {
            let st = StatusCode::from_u16(*status).expect("status");
            let err =
                parse_envelope::<VerifyData>(*ep, st, &h, body.as_bytes(), &[77]).expect_err(body);
            assert_eq!(err.kind(), *kind, "{body}: {err}");
            assert_eq!(err.is_retryable(), *retry, "{body}: {err}");
        }
    }

    /// `{"code":0,"msg":"success.","data":null}` (or no `data`) from an API call is a
    /// success for callers that expect no data (`()`, `Option<T>`, `serde_json::Value`); the
    /// token endpoint still needs its data.
    #[test]
    fn api_success_without_data_is_success() {
        let h = HeaderMap::new();
        for body in [
            r#"{"code":0,"msg":"success.","data":null}"#,
            r#"{"code":0,"msg":"success."}"#,
        ] {
            let b = body.as_bytes();
            parse_envelope::<()>(Origin::Api, StatusCode::OK, &h, b, &[]).expect(body);
            let none: Option<VerifyData> =
                parse_envelope(Origin::Api, StatusCode::OK, &h, b, &[]).expect(body);
            assert!(none.is_none());
            let v: serde_json::Value =
                parse_envelope(Origin::Api, StatusCode::OK, &h, b, &[]).expect(body);
            assert!(v.is_null());
            // A caller that asked for a data structure gets the typed error, not a panic.
            let e = parse_envelope::<VerifyData>(Origin::Api, StatusCode::OK, &h, b, &[])
                .expect_err(body);
            assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            // The token endpoint needs its data.
            let e = parse_envelope::<TokenData>(Origin::TokenEndpoint, StatusCode::OK, &h, b, &[])
                .expect_err(body);
            assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            let e = parse_envelope::<Option<TokenData>>(
                Origin::TokenEndpoint,
                StatusCode::OK,
                &h,
                b,
                &[],
            )
            .expect_err(body);
            assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        }
    }

    #[test]
    fn success_returns_data_and_code_is_kept() {
        let h = HeaderMap::new();
        let d: TokenData = parse_envelope(
            Origin::TokenEndpoint,
            StatusCode::OK,
            &h,
            br#"{"code":0,"msg":"success.","data":{"token":"t","expire_time":"2023-11-10T18:43:23.232093"}}"#,
            &[],
        )
        .expect("ok");
        assert_eq!(d.token, "t");
        let e = parse_envelope::<TokenData>(
            Origin::TokenEndpoint,
            StatusCode::OK,
            &h,
            br#"{"code":40002,"msg":"unknown\napp"}"#,
            &[],
        )
        .expect_err("error");
        assert_eq!(e.provider_code(), Some("40002"));
        assert!(e.message().contains("unknownapp"));
    }
}
