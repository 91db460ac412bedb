use std::fmt;

use auth_core::Origin;
use auth_core::{AuthError, ErrorKind};
use serde::{Deserialize, Deserializer, Serialize};

/// A `verifyStatus` code, parsed from a JSON number or a numeric string.
///
/// Each variant's meaning is either "as listed on GTR's errors page" or, where that page
/// could not be checked, "meaning as integrators report it".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerifyStatus {
    /// `100000`: success, as listed on GTR's errors page.
    Success,
    /// `100001`: parameter error / invalid request (meaning as integrators report it).
    ParameterError,
    /// `100003`: quota exceeded (HTTP 402), as listed on GTR's errors page; GTR says to buy
    /// a new subscription, so it is not retryable.
    QuotaExceeded,
    /// `100004`: bad parameters (HTTP 400), as listed on GTR's errors page.
    BadParameters,
    /// `100005`: the request id was used before, as listed on GTR's errors page.
    DuplicateRequestId,
    /// `100006`: GTR server failure (HTTP 500), retry later, as listed on GTR's errors
    /// page; the error carries a 30 s `retry_after`.
    ServerFail,
    /// `100007`: GTR server failure, retry later (meaning as integrators report it).
    ServerFail7,
    /// `100008`: GTR server failure, retry later (meaning as integrators report it).
    ServerFail8,
    /// `100014`: the login session expired, as listed on GTR's errors page.
    SessionExpired,
    /// `100016`: VASP not found / not registered (meaning as integrators report it).
    VaspNotFound,
    /// `100020`: no authentication, as listed on GTR's errors page.
    NoAuth,
    /// `100021`: no login session (logged out, or another login replaced it), as listed on
    /// GTR's errors page.
    NoLoginSession,
    /// `100023`: bad parameters, as listed on GTR's errors page.
    BadParameters23,
    /// `200001`: travel rule data missing or invalid (meaning as integrators report it).
    TravelRuleDataInvalid,
    /// `200002`: the beneficiary VASP is not reachable or declined (meaning as integrators
    /// report it).
    BeneficiaryUnavailable,
    /// `200003`: verification failed (meaning as integrators report it).
    VerificationFailed,
    /// `200007`: duplicate, already processed (meaning as integrators report it).
    AlreadyProcessed,
    /// Any other code.
    Other(u64),
}

impl VerifyStatus {
    /// The code for a number.
    pub fn from_code(code: u64) -> Self {
        match code {
            100000 => VerifyStatus::Success,
            100001 => VerifyStatus::ParameterError,
            100003 => VerifyStatus::QuotaExceeded,
            100004 => VerifyStatus::BadParameters,
            100005 => VerifyStatus::DuplicateRequestId,
            100006 => VerifyStatus::ServerFail,
            100007 => VerifyStatus::ServerFail7,
            100008 => VerifyStatus::ServerFail8,
            100014 => VerifyStatus::SessionExpired,
            100016 => VerifyStatus::VaspNotFound,
            100020 => VerifyStatus::NoAuth,
            100021 => VerifyStatus::NoLoginSession,
            100023 => VerifyStatus::BadParameters23,
            200001 => VerifyStatus::TravelRuleDataInvalid,
            200002 => VerifyStatus::BeneficiaryUnavailable,
            200003 => VerifyStatus::VerificationFailed,
            200007 => VerifyStatus::AlreadyProcessed,
            other => VerifyStatus::Other(other),
        }
    }

    /// The numeric code.
    ///
    /// ```
    /// use tollgate_gtr::VerifyStatus;
    /// assert_eq!(VerifyStatus::from_code(100021).code(), 100021);
    /// assert_eq!(VerifyStatus::NoLoginSession.code(), 100021);
    /// ```
    pub fn code(self) -> u64 {
        match self {
            VerifyStatus::Success => 100000,
            VerifyStatus::ParameterError => 100001,
            VerifyStatus::QuotaExceeded => 100003,
            VerifyStatus::BadParameters => 100004,
            VerifyStatus::DuplicateRequestId => 100005,
            VerifyStatus::ServerFail => 100006,
            VerifyStatus::ServerFail7 => 100007,
            VerifyStatus::ServerFail8 => 100008,
            VerifyStatus::SessionExpired => 100014,
            VerifyStatus::VaspNotFound => 100016,
            VerifyStatus::NoAuth => 100020,
            VerifyStatus::NoLoginSession => 100021,
            VerifyStatus::BadParameters23 => 100023,
            VerifyStatus::TravelRuleDataInvalid => 200001,
            VerifyStatus::BeneficiaryUnavailable => 200002,
            VerifyStatus::VerificationFailed => 200003,
            VerifyStatus::AlreadyProcessed => 200007,
            VerifyStatus::Other(c) => c,
        }
    }

    /// Whether this code means the token (or session) was rejected and a fresh login helps.
    pub fn is_token_rejected(self) -> bool {
        matches!(
            self,
            VerifyStatus::SessionExpired | VerifyStatus::NoAuth | VerifyStatus::NoLoginSession
        )
    }

    /// Whether this is the success code.
    pub fn is_success(self) -> bool {
        self == VerifyStatus::Success
    }
}

impl fmt::Display for VerifyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl Serialize for VerifyStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.code())
    }
}

impl<'de> Deserialize<'de> for VerifyStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        auth_core::envelope::number_or_string(d).map(VerifyStatus::from_code)
    }
}

/// GTR's response envelope.
///
/// ```
/// use tollgate_gtr::{Envelope, VerifyStatus};
/// let e: Envelope<serde_json::Value> = serde_json::from_str(
///     r#"{"data":null,"verifyStatus":"100021","verifyMessage":"no login","success":false}"#,
/// ).unwrap();
/// assert_eq!(e.verify_status, Some(VerifyStatus::NoLoginSession));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The payload (`null` on failures).
    #[serde(default = "Option::default")]
    pub data: Option<T>,
    /// The status code.
    #[serde(rename = "verifyStatus", default)]
    pub verify_status: Option<VerifyStatus>,
    /// GTR's message (informational; never compared).
    #[serde(rename = "verifyMessage", default)]
    pub verify_message: Option<String>,
    /// GTR's `success` flag, `None` when absent: GTR's login reference, its manual-verify
    /// answers and `/api/verify/query` answer success without it. See
    /// [`is_success`](Self::is_success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
}

impl<T> Envelope<T> {
    /// Whether the envelope reports success (the HTTP status is checked separately):
    /// `verifyStatus` 100000 with `success` `true` or absent, or — with no `verifyStatus` —
    /// `success: true`. `success: false` or any other code is a failure.
    ///
    /// ```
    /// use tollgate_gtr::Envelope;
    /// let ok: Envelope<serde_json::Value> = serde_json::from_str(
    ///     r#"{"verifyStatus":100000,"verifyMessage":"Verify Success"}"#,
    /// ).unwrap();
    /// assert!(ok.is_success());
    /// let no: Envelope<serde_json::Value> = serde_json::from_str(
    ///     r#"{"verifyStatus":100000,"success":false}"#,
    /// ).unwrap();
    /// assert!(!no.is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        self.success != Some(false)
            && match self.verify_status {
                Some(code) => code.is_success(),
                None => self.success == Some(true),
            }
    }
}

/// Maps a failed GTR response (HTTP status and, when the body was an envelope, its code) to
/// a typed error. The provider code is attached; the message is GTR's code, never body text.
///
/// Every GTR response is wrapped as an [`Envelope`],
/// `{"data": ..., "verifyStatus": 100000, "verifyMessage": "Verify Success"}`; some answers
/// add `"success": true|false`, GTR's current login reference and verify answers do not.
/// A 2xx answer with `verifyStatus` 100000 is a success whether `success` is present or
/// not; `success: false` or any other code is a failure.
/// `verifyStatus` arrives as a number in most responses and as a string (`"100000"`) in the
/// login example of the docs; both are accepted.
///
/// | code | HTTP | meaning | [`ErrorKind`] | retryable |
/// |---|---|---|---|---|
/// | 100000 | 200 | success | — | — |
/// | 100014 | 401 | login session expired | `TokenRejected` | no (log in again) |
/// | 100020 | 401 | no authentication | `TokenRejected` | no (log in again) |
/// | 100021 | 401 | no login session | `TokenRejected` | no (log in again) |
/// | 100003 | 402 | quota exceeded: buy a new subscription | `RateLimited` | no |
/// | 100006 | 500 | GTR server failure: retry later | `ServerError` | yes, `retry_after` 30 s |
/// | 100007, 100008 | 500 | GTR server failure¹ | `ServerError` | yes |
/// | 100004, 100023 | 400 | bad parameters | `Provider` | no |
/// | 100005 | — | request id duplicated | `Provider` | no |
/// | 100001 | — | parameter error / invalid request¹ | `Provider` | no |
/// | 100016 | — | VASP not found / not registered¹ | `Provider` | no |
/// | 200001 | — | travel rule data missing or invalid¹ | `Provider` | no |
/// | 200002 | — | beneficiary VASP not reachable or declined¹ | `Provider` | no |
/// | 200003 | — | verification failed¹ | `Provider` | no |
/// | 200007 | — | duplicate, already processed¹ | `Provider` | no |
///
/// The codes without a mark are as listed on GTR's errors page. ¹ Meaning as integrators
/// report it (GTR's errors page could not be checked for these). A named code maps the same
/// way whatever the HTTP status it arrives with (GTR also answers failures with HTTP 200).
/// A `Retry-After` header, when the server sends one, is honoured on every error: it
/// replaces the 30 s of 100006 and makes any error retryable after that delay. HTTP 402
/// without an envelope is read as 100003.
///
/// At the login endpoint ([`Origin::TokenEndpoint`]), codes that mean "token rejected" on an
/// API call mean "credentials refused" ([`ErrorKind::Unauthorized`], not retryable), as does
/// HTTP 401/403 without an envelope.
///
/// ```
/// use tollgate_gtr::{ErrorKind, Origin, VerifyStatus, error_from_response};
/// let e = error_from_response(Origin::Api, http::StatusCode::INTERNAL_SERVER_ERROR, None, Some(VerifyStatus::ServerFail));
/// assert_eq!(e.kind(), ErrorKind::ServerError);
/// assert!(e.is_retryable());
/// assert_eq!(e.provider_code(), Some("100006"));
/// let e = error_from_response(Origin::TokenEndpoint, http::StatusCode::UNAUTHORIZED, None, None);
/// assert_eq!(e.kind(), ErrorKind::Unauthorized);
/// ```
pub fn error_from_response(
    origin: Origin,
    status: http::StatusCode,
    headers: Option<&http::HeaderMap>,
    code: Option<VerifyStatus>,
) -> AuthError {
    match origin {
        Origin::Api => api_error("GTR API", status, code, headers),
        Origin::TokenEndpoint => login_error(status, code, headers),
    }
}

fn api_error(
    context: &str,
    status: http::StatusCode,
    code: Option<VerifyStatus>,
    headers: Option<&http::HeaderMap>,
) -> AuthError {
    let Some(code) = code else {
        if status == http::StatusCode::PAYMENT_REQUIRED {
            // GTR answers an exhausted quota with 402; a new subscription is needed.
            return AuthError::new(
                ErrorKind::RateLimited,
                format!("{context}: HTTP 402 (quota exceeded)"),
            )
            .with_retryable(false)
            .with_retry_after_from(headers);
        }
        return AuthError::from_status(context, status, headers);
    };
    let (kind, retryable, retry_after) = match code {
        c if c.is_token_rejected() => (ErrorKind::TokenRejected, false, None),
        // GTR: buy a new subscription; waiting does not help.
        VerifyStatus::QuotaExceeded => (ErrorKind::RateLimited, false, None),
        // "Retry later"; 30 s is the interval reported for this code.
        VerifyStatus::ServerFail => (ErrorKind::ServerError, true, Some(SERVER_FAIL_RETRY)),
        VerifyStatus::ServerFail7 | VerifyStatus::ServerFail8 => {
            (ErrorKind::ServerError, true, None)
        }
        VerifyStatus::BadParameters
        | VerifyStatus::BadParameters23
        | VerifyStatus::DuplicateRequestId
        | VerifyStatus::ParameterError
        | VerifyStatus::VaspNotFound
        | VerifyStatus::TravelRuleDataInvalid
        | VerifyStatus::BeneficiaryUnavailable
        | VerifyStatus::VerificationFailed
        | VerifyStatus::AlreadyProcessed => (ErrorKind::Provider, false, None),
        // A success code on a failed HTTP status, or an unknown code: the status decides.
        _ => {
            return AuthError::from_status(context, status, headers)
                .with_provider_code(code.code().to_string());
        }
    };
    let e = AuthError::new(
        kind,
        format!(
            "{context}: HTTP {}, verifyStatus {}",
            status.as_u16(),
            code.code()
        ),
    )
    .with_retryable(retryable)
    .with_provider_code(code.code().to_string());
    match retry_after {
        Some(after) => e.with_retry_after(after),
        None => e,
    }
    .with_retry_after_from(headers)
}

/// The `retry_after` attached to 100006 (server fail): 30 s, the interval GTR's docs are
/// reported to give for this code ("retry every 30 s"; the errors page itself says "retry
/// later" as far as could be checked).
pub(crate) const SERVER_FAIL_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a GTR API response body: `Ok(data)` when HTTP succeeded and the envelope says
/// success ([`Envelope::is_success`]: `verifyStatus` 100000, with or without `success`),
/// otherwise the typed error of [`error_from_response`]. (Use it on responses you got through
/// the middleware; the middleware itself already retried a 401 once.)
///
/// ```
/// use tollgate_gtr::parse_envelope;
/// let ok: Option<serde_json::Value> = parse_envelope(
///     http::StatusCode::OK, None, br#"{"data":{"n":1},"verifyStatus":100000,"success":true}"#,
/// )?;
/// assert_eq!(ok.unwrap()["n"], 1);
/// let err = parse_envelope::<serde_json::Value>(
///     http::StatusCode::UNAUTHORIZED, None,
///     br#"{"data":null,"verifyStatus":100021,"verifyMessage":"x","success":false}"#,
/// ).unwrap_err();
/// assert_eq!(err.kind(), tollgate_gtr::ErrorKind::TokenRejected);
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
pub fn parse_envelope<T: serde::de::DeserializeOwned>(
    status: http::StatusCode,
    headers: Option<&http::HeaderMap>,
    body: &[u8],
) -> Result<Option<T>, AuthError> {
    match serde_json::from_slice::<Envelope<T>>(body) {
        Ok(env) if status.is_success() && env.is_success() => Ok(env.data),
        Ok(env) => Err(api_error("GTR API", status, env.verify_status, headers)),
        Err(_) if status.is_success() => Err(AuthError::new(
            ErrorKind::InvalidResponse,
            "GTR response is not the expected JSON envelope",
        )),
        Err(_) => Err(api_error("GTR API", status, None, headers)),
    }
}

fn login_error(
    status: http::StatusCode,
    code: Option<VerifyStatus>,
    headers: Option<&http::HeaderMap>,
) -> AuthError {
    let e = api_error("GTR login", status, code, headers);
    if e.kind() == ErrorKind::TokenRejected {
        let mut u = AuthError::new(
            ErrorKind::Unauthorized,
            format!("GTR login refused the credentials: {}", e.message()),
        )
        .with_retryable(false);
        if let Some(c) = e.provider_code() {
            u = u.with_provider_code(c.to_string());
        }
        return u.with_retry_after_from(headers);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn verify_status_accepts_numbers_and_strings() {
        for text in ["100000", "\"100000\""] {
            let v: VerifyStatus = serde_json::from_str(text).expect("parse");
            assert!(v.is_success());
        }
        assert!(serde_json::from_str::<VerifyStatus>("\"abc\"").is_err());
        assert!(serde_json::from_str::<VerifyStatus>("true").is_err());
        assert_eq!(
            serde_json::from_str::<VerifyStatus>("123").expect("parse"),
            VerifyStatus::Other(123)
        );
    }

    #[test]
    fn code_table() {
        let table: [(u16, u64, ErrorKind, bool); 11] = [
            (401, 100021, ErrorKind::TokenRejected, false),
            (401, 100014, ErrorKind::TokenRejected, false),
            (401, 100020, ErrorKind::TokenRejected, false),
            (402, 100003, ErrorKind::RateLimited, false),
            (500, 100006, ErrorKind::ServerError, true),
            (500, 100007, ErrorKind::ServerError, true),
            (500, 100008, ErrorKind::ServerError, true),
            (400, 100004, ErrorKind::Provider, false),
            (400, 100023, ErrorKind::Provider, false),
            (400, 100005, ErrorKind::Provider, false),
            (503, 999999, ErrorKind::ServerError, true),
        ];
        for (status, code, kind, retryable) in table {
            let e = api_error(
                "t",
                StatusCode::from_u16(status).expect("status"),
                Some(VerifyStatus::from_code(code)),
                None,
            );
            assert_eq!(e.kind(), kind, "{code}");
            assert_eq!(e.is_retryable(), retryable, "{code}");
            assert_eq!(e.provider_code(), Some(code.to_string().as_str()));
        }
        let e = api_error("t", StatusCode::PAYMENT_REQUIRED, None, None);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let e = api_error("t", StatusCode::BAD_REQUEST, None, None);
        assert_eq!(e.kind(), ErrorKind::Provider);
    }

    #[test]
    fn login_rejections_are_unauthorized() {
        let e = login_error(StatusCode::UNAUTHORIZED, Some(VerifyStatus::NoAuth), None);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert!(!e.is_retryable());
        assert_eq!(e.provider_code(), Some("100020"));
        let e = login_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(VerifyStatus::ServerFail),
            None,
        );
        assert!(e.is_retryable());
    }
}
