//! The one error type every tollgate crate returns.
//!
//! [`AuthError`] carries an [`ErrorKind`], a retryable flag, the field it concerns (for
//! credential problems), an optional provider code and an optional `Retry-After` hint.
//! Messages are written by this project and never contain secret values.
//!
//! Errors raised inside [`AuthMiddleware`](crate::AuthMiddleware) travel through
//! `reqwest_middleware::Error::Middleware`; get them back with [`AuthError::from_middleware`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The longest wait a `Retry-After` (or [`AuthError::with_retry_after`]) can impose: one
/// hour. Larger values — a server's `Retry-After: 18446744073709551615`, a date years
/// ahead — are clamped to it, so that no number from outside can stall a cache for good
/// or overflow the arithmetic behind it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What went wrong, in broad strokes callers can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A credential or configuration value is missing or malformed (names the field).
    InvalidCredentials,
    /// The provider refused the credentials (wrong secret, unknown client, bad signature).
    Unauthorized,
    /// The provider rejected a token it had issued (expired, revoked, logged out).
    TokenRejected,
    /// The provider asked us to slow down, or a quota is exhausted.
    RateLimited,
    /// The provider failed (5xx or a provider "server error" code).
    ServerError,
    /// The network failed before a response arrived.
    Transport,
    /// A request or token fetch took longer than its configured bound.
    Timeout,
    /// The provider answered something this crate cannot understand.
    InvalidResponse,
    /// The provider answered with an error code of its own that fits no other kind.
    Provider,
    /// The request cannot be signed as given (for example a streaming body where the
    /// signature covers the body).
    UnsupportedRequest,
    /// Producing a signature failed.
    Signing,
    /// Verifying an incoming signature or token failed.
    Verification,
    /// The shared token store (for example Redis) cannot be reached.
    StoreUnavailable,
    /// A bug or an unexpected internal state.
    Internal,
}

/// Which of a provider's endpoints answered: the same status or code means different things
/// on each (a 401 from the token endpoint refuses the credentials; on an API call it rejects
/// the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The endpoint that issues tokens or sessions (token API, login).
    TokenEndpoint,
    /// Any other API call, made with a token.
    Api,
}

impl ErrorKind {
    /// The kind for a failed response's HTTP `status` (or a status-like provider code), as
    /// every provider crate maps it:
    ///
    /// | status | token endpoint | API call |
    /// |---|---|---|
    /// | 429 | `RateLimited` | `RateLimited` |
    /// | 500–599 | `ServerError` | `ServerError` |
    /// | 401, 403 | `Unauthorized` | `TokenRejected` |
    /// | anything else | `Unauthorized` (its only inputs are the credentials) | `Provider` |
    ///
    /// ```
    /// use tollgate_auth_core::{ErrorKind, Origin};
    /// assert_eq!(ErrorKind::for_status(401, Origin::TokenEndpoint), ErrorKind::Unauthorized);
    /// assert_eq!(ErrorKind::for_status(401, Origin::Api), ErrorKind::TokenRejected);
    /// assert_eq!(ErrorKind::for_status(503, Origin::Api), ErrorKind::ServerError);
    /// assert_eq!(ErrorKind::for_status(400, Origin::Api), ErrorKind::Provider);
    /// ```
    pub fn for_status(status: u16, origin: Origin) -> ErrorKind {
        match (status, origin) {
            (429, _) => ErrorKind::RateLimited,
            (500..=599, _) => ErrorKind::ServerError,
            (_, Origin::TokenEndpoint) => ErrorKind::Unauthorized,
            (401 | 403, Origin::Api) => ErrorKind::TokenRejected,
            (_, Origin::Api) => ErrorKind::Provider,
        }
    }

    /// Whether errors of this kind are worth retrying later by default.
    pub fn default_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::ServerError
                | ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::StoreUnavailable
        )
    }

    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::InvalidCredentials,
        ErrorKind::Unauthorized,
        ErrorKind::TokenRejected,
        ErrorKind::RateLimited,
        ErrorKind::ServerError,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::InvalidResponse,
        ErrorKind::Provider,
        ErrorKind::UnsupportedRequest,
        ErrorKind::Signing,
        ErrorKind::Verification,
        ErrorKind::StoreUnavailable,
        ErrorKind::Internal,
    ];

    /// The kind's stable name: its variant in snake_case (`"rate_limited"`,
    /// `"store_unavailable"`). It is the `outcome` label of the
    /// `tollgate_token_fetches_total` metric and the CLI's `status` output, and does not
    /// change between releases.
    ///
    /// ```
    /// use tollgate_auth_core::ErrorKind;
    /// assert_eq!(ErrorKind::ServerError.name(), "server_error");
    /// assert_eq!(ErrorKind::InvalidCredentials.name(), "invalid_credentials");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidCredentials => "invalid_credentials",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::TokenRejected => "token_rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Provider => "provider",
            ErrorKind::UnsupportedRequest => "unsupported_request",
            ErrorKind::Signing => "signing",
            ErrorKind::Verification => "verification",
            ErrorKind::StoreUnavailable => "store_unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidCredentials => "invalid credentials",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::TokenRejected => "token rejected",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::ServerError => "provider server error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidResponse => "invalid response",
            ErrorKind::Provider => "provider error",
            ErrorKind::UnsupportedRequest => "unsupported request",
            ErrorKind::Signing => "signing failed",
            ErrorKind::Verification => "verification failed",
            ErrorKind::StoreUnavailable => "token store unavailable",
            ErrorKind::Internal => "internal error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

struct Inner {
    kind: ErrorKind,
    retryable: bool,
    message: String,
    field: Option<&'static str>,
    provider_code: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The error of every tollgate crate: cheap to clone (shared by every caller that waited
/// on the same token fetch), downcastable from `reqwest_middleware::Error`.
///
/// ```
/// use tollgate_auth_core::{AuthError, ErrorKind};
/// let err = AuthError::invalid_field("client_key", "must not be empty");
/// assert_eq!(err.kind(), ErrorKind::InvalidCredentials);
/// assert_eq!(err.field(), Some("client_key"));
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "invalid credentials: client_key: must not be empty");
/// ```
#[derive(Clone)]
pub struct AuthError {
    inner: Arc<Inner>,
}

impl AuthError {
    /// A new error of `kind`, retryable by the kind's default.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AuthError {
            inner: Arc::new(Inner {
                kind,
                retryable: kind.default_retryable(),
                message: message.into(),
                field: None,
                provider_code: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    /// A credential/configuration problem with the named field. The message must describe
    /// the problem, never repeat the value.
    pub fn invalid_field(field: &'static str, problem: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidCredentials, problem).with_field(field)
    }

    /// Overrides the retryable flag.
    #[must_use]
    pub fn with_retryable(self, retryable: bool) -> Self {
        self.rebuild(|i| i.retryable = retryable)
    }

    /// Attaches the provider's own error code (`"4017300"`, `"100021"`, `"40001"`…).
    #[must_use]
    pub fn with_provider_code(self, code: impl Into<String>) -> Self {
        let code = code.into();
        self.rebuild(|i| i.provider_code = Some(code))
    }

    /// Attaches a `Retry-After` hint (clamped to [`MAX_RETRY_AFTER`]); the token cache waits
    /// at least this long before the next attempt.
    #[must_use]
    pub fn with_retry_after(self, after: Duration) -> Self {
        let after = after.min(MAX_RETRY_AFTER);
        self.rebuild(|i| i.retry_after = Some(after))
    }

    /// Honours a `Retry-After` header (delay-seconds or HTTP-date, see
    /// [`retry_after_header`]), if `headers` carry one: attaches the hint and marks the error
    /// retryable. Provider error mappers call this once on every error built from an HTTP
    /// response.
    #[must_use]
    pub fn with_retry_after_from(self, headers: Option<&http::HeaderMap>) -> Self {
        match headers.and_then(retry_after_header) {
            Some(after) => self.with_retry_after(after).with_retryable(true),
            None => self,
        }
    }

    /// Attaches the field this error concerns.
    #[must_use]
    pub fn with_field(self, field: &'static str) -> Self {
        self.rebuild(|i| i.field = Some(field))
    }

    /// Attaches an underlying cause. Only pass errors whose text cannot contain secrets.
    #[must_use]
    pub fn with_source(self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.rebuild(move |i| i.source = Some(Box::new(source)))
    }

    fn rebuild(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            f(inner);
            return self;
        }
        // Shared already: copy what can be copied; the source is kept as text.
        let i = &self.inner;
        let mut copy = Inner {
            kind: i.kind,
            retryable: i.retryable,
            message: i.message.clone(),
            field: i.field,
            provider_code: i.provider_code.clone(),
            retry_after: i.retry_after,
            source: i
                .source
                .as_ref()
                .map(|s| Box::new(SourceText(s.to_string())) as Box<_>),
        };
        f(&mut copy);
        AuthError {
            inner: Arc::new(copy),
        }
    }

    /// The broad kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whether retrying the same operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// The human-readable description (no secrets).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The credential or configuration field concerned, if any.
    pub fn field(&self) -> Option<&'static str> {
        self.inner.field
    }

    /// The provider's own error code, if it sent one.
    pub fn provider_code(&self) -> Option<&str> {
        self.inner.provider_code.as_deref()
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Finds an `AuthError` inside an error returned by a `reqwest_middleware` client.
    ///
    /// ```
    /// use tollgate_auth_core::{AuthError, ErrorKind};
    /// let mw: reqwest_middleware::Error =
    ///     reqwest_middleware::Error::middleware(AuthError::new(ErrorKind::Timeout, "token fetch"));
    /// let found = AuthError::from_middleware(&mw).expect("an AuthError inside");
    /// assert!(found.is_retryable());
    /// ```
    pub fn from_middleware(err: &reqwest_middleware::Error) -> Option<&AuthError> {
        match err {
            reqwest_middleware::Error::Middleware(e) => e.downcast_ref::<AuthError>(),
            reqwest_middleware::Error::Reqwest(_) => None,
        }
    }

    /// Maps a transport error from `reqwest` (timeouts and connection failures are
    /// retryable).
    pub fn from_reqwest(context: &str, err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            ErrorKind::Timeout
        } else if err.is_decode() || err.is_body() {
            ErrorKind::InvalidResponse
        } else {
            ErrorKind::Transport
        };
        let retryable = !matches!(kind, ErrorKind::InvalidResponse);
        AuthError::new(kind, format!("{context}: {kind}"))
            .with_retryable(retryable)
            .with_source(err.without_url())
    }

    /// Maps an HTTP status from a token endpoint or API to an error of the fitting kind:
    /// 401/403 → unauthorized, 429 → rate limited, 5xx → server error (retryable), other
    /// → provider error. `Retry-After` in seconds is honoured.
    pub fn from_status(
        context: &str,
        status: http::StatusCode,
        headers: Option<&http::HeaderMap>,
    ) -> Self {
        let kind = match status.as_u16() {
            401 | 403 => ErrorKind::Unauthorized,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::Provider,
        };
        AuthError::new(kind, format!("{context}: HTTP {}", status.as_u16()))
            .with_retry_after_from(headers)
    }
}

/// Parses a `Retry-After` header in either RFC 9110 form — delay-seconds (`120`) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, measured from the system clock) — clamped to
/// [`MAX_RETRY_AFTER`]. A value in neither form is ignored (`None`).
///
/// ```
/// use std::time::Duration;
/// use tollgate_auth_core::error::{MAX_RETRY_AFTER, retry_after_header};
/// let mut h = http::HeaderMap::new();
/// h.insert("retry-after", "120".parse().unwrap());
/// assert_eq!(retry_after_header(&h), Some(Duration::from_secs(120)));
/// h.insert("retry-after", "18446744073709551616".parse().unwrap());
/// assert_eq!(retry_after_header(&h), Some(MAX_RETRY_AFTER));
/// h.insert("retry-after", "soon".parse().unwrap());
/// assert_eq!(retry_after_header(&h), None);
/// ```
pub fn retry_after_header(headers: &http::HeaderMap) -> Option<Duration> {
    retry_after_header_at(headers, SystemTime::now())
}

/// [`retry_after_header`] with an explicit "now" for the HTTP-date form (a date in the past
/// means "retry now": zero).
pub fn retry_after_header_at(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: too many of them for a u64 is still "a very long time".
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[derive(Debug)]
struct SourceText(String);
impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for SourceText {}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{}: ", i.kind)?;
        if let Some(field) = i.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&i.message)?;
        if let Some(code) = &i.provider_code {
            write!(f, " (provider code {code})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("AuthError")
            .field("kind", &i.kind)
            .field("retryable", &i.retryable)
            .field("field", &i.field)
            .field("message", &i.message)
            .field("provider_code", &i.provider_code)
            .field("retry_after", &i.retry_after)
            .field("source", &i.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<AuthError> for reqwest_middleware::Error {
    fn from(e: AuthError) -> Self {
        reqwest_middleware::Error::middleware(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_in_order_with_a_distinct_name() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "ErrorKind::ALL is in declaration order");
            assert!(
                kind.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn shared_errors_can_still_be_decorated() {
        let e = AuthError::new(ErrorKind::ServerError, "boom");
        let shared = e.clone();
        let e2 = e.with_provider_code("5007300").with_retryable(false);
        assert_eq!(e2.provider_code(), Some("5007300"));
        assert!(!e2.is_retryable());
        assert!(shared.is_retryable());
        assert_eq!(shared.provider_code(), None);
    }

    #[test]
    fn status_mapping() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        let e = AuthError::from_status("token", http::StatusCode::SERVICE_UNAVAILABLE, Some(&h));
        assert_eq!(e.kind(), ErrorKind::ServerError);
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = AuthError::from_status("token", http::StatusCode::UNAUTHORIZED, None);
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert!(!e.is_retryable());
    }

    #[test]
    fn retry_after_from_headers_marks_retryable() {
        let mut h = http::HeaderMap::new();
        let plain = AuthError::new(ErrorKind::Unauthorized, "no").with_retry_after_from(Some(&h));
        assert_eq!(plain.retry_after(), None);
        assert!(!plain.is_retryable());
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("12"),
        );
        let e = AuthError::new(ErrorKind::Provider, "busy").with_retry_after_from(Some(&h));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
        assert!(e.is_retryable());
        assert_eq!(
            AuthError::new(ErrorKind::Provider, "x")
                .with_retry_after_from(None)
                .retry_after(),
            None
        );
    }

    #[test]
    fn huge_retry_after_is_clamped_not_a_panic() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(retry_after_header(&h), Some(MAX_RETRY_AFTER));
        let e = AuthError::new(ErrorKind::RateLimited, "x").with_retry_after(Duration::MAX);
        assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn retry_after_http_date_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 07:26:40 GMT
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after_header_at(&h, now),
            Some(Duration::from_secs(80))
        );
        // A date in the past: retry now.
        let later = now + Duration::from_secs(3600);
        assert_eq!(retry_after_header_at(&h, later), Some(Duration::ZERO));
        // Years ahead: clamped.
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("Fri, 31 Dec 9999 23:59:59 GMT"),
        );
        assert_eq!(retry_after_header_at(&h, now), Some(MAX_RETRY_AFTER));
        for bad in ["", "-5", "1.5", "tomorrow"] {
            h.insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_str(bad).expect("value"),
            );
            assert_eq!(retry_after_header_at(&h, now), None, "{bad:?}");
        }
    }

    #[test]
    fn middleware_round_trip() {
        let mw: reqwest_middleware::Error =
            AuthError::invalid_field("secret", "must not be empty").into();
        let back = AuthError::from_middleware(&mw).expect("downcast");
        assert_eq!(back.field(), Some("secret"));
    }
}
