use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use auth_core::clock::unix_seconds;
use auth_core::{AuthError, ErrorKind, ExposeSecret, FetchContext, FetchedToken, TokenSource};
use serde::Serialize;
use serde_json::Value;

use crate::credentials::{SelfSignedCredentials, TokenApiCredentials};
use crate::error::parse_envelope;
use crate::sign::sign_self_signed;
use auth_core::Origin;

/// Lifetime of the token API's tokens, as documented (one hour).
pub const TOKEN_API_LIFETIME: Duration = Duration::from_secs(3600);

/// Default lifetime of self-generated tokens (one hour, the longest the docs suggest).
pub const DEFAULT_SELF_SIGNED_LIFETIME: Duration = Duration::from_secs(3600);

/// The token API's request body. `Debug` hides the secret.
#[derive(Serialize)]
pub struct TokenRequest<'a> {
    /// `clientId`.
    #[serde(rename = "clientId")]
    pub client_id: &'a str,
    /// `secret`.
    pub secret: &'a str,
}

impl fmt::Debug for TokenRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("client_id", &self.client_id)
            .field("secret", &auth_core::Redacted)
            .finish()
    }
}

/// What [`extract_token`] found in a successful response. `Debug` hides the token.
#[derive(Clone)]
pub struct TokenResponse {
    /// The access token.
    pub token: String,
    /// Its lifetime from local receive time.
    pub lifetime: Duration,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token", &auth_core::Redacted)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// Takes the token out of the envelope's `data` — the single place that knows the
/// (undocumented) response shape; see the [type docs](DragonPassTokenSource).
///
/// ```
/// use tollgate_dragonpass::extract_token;
/// let data = serde_json::json!({"accessToken": "eyJ.abc.def", "expiresIn": 3600});
/// let t = extract_token(&data).expect("token");
/// assert_eq!(t.token, "eyJ.abc.def");
/// assert_eq!(t.lifetime.as_secs(), 3600);
/// assert!(extract_token(&serde_json::json!({"other": 1})).is_err());
/// ```
pub fn extract_token(data: &Value) -> Result<TokenResponse, AuthError> {
    let token = match data {
        Value::String(s) => Some(s.as_str()),
        Value::Object(map) => ["accessToken", "token", "access_token"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str)),
        _ => None,
    };
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            "DragonPass token response has no data.accessToken / data.token",
        )
    })?;
    let lifetime = ["expiresIn", "expires_in"]
        .iter()
        .find_map(|k| data.get(*k).and_then(Value::as_u64))
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(TOKEN_API_LIFETIME);
    Ok(TokenResponse {
        token: token.to_string(),
        lifetime,
    })
}

/// Reads the token API's HTTP response (status, headers, body) into a [`TokenResponse`].
/// Implemented for every `Fn(StatusCode, &HeaderMap, &[u8]) -> Result<TokenResponse, AuthError>`;
/// the default is [`default_token_response`].
pub trait TokenResponseParser: Send + Sync + 'static {
    /// Interprets one response.
    fn parse(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<TokenResponse, AuthError>;
}

impl<F> TokenResponseParser for F
where
    F: Fn(http::StatusCode, &http::HeaderMap, &[u8]) -> Result<TokenResponse, AuthError>
        + Send
        + Sync
        + 'static,
{
    fn parse(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<TokenResponse, AuthError> {
        self(status, headers, body)
    }
}

/// The assumed response shape (see the [type docs](DragonPassTokenSource)): the `{"code", "data"}`
/// envelope checked by [`parse_envelope`], then [`extract_token`] on `data`.
pub fn default_token_response(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, AuthError> {
    let data: Value = parse_envelope(Origin::TokenEndpoint, status, headers, body)?;
    extract_token(&data)
}

/// A shared [`TokenResponseParser`]; `Debug` shows no internals.
#[derive(Clone)]
pub struct SharedTokenResponseParser(std::sync::Arc<dyn TokenResponseParser>);

impl SharedTokenResponseParser {
    /// Wraps `parser`.
    pub fn new(parser: impl TokenResponseParser) -> Self {
        SharedTokenResponseParser(std::sync::Arc::new(parser))
    }
}

impl Default for SharedTokenResponseParser {
    fn default() -> Self {
        Self::new(default_token_response)
    }
}

impl fmt::Debug for SharedTokenResponseParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenResponseParser(..)")
    }
}

/// A DragonPass token source: tokens minted locally (self-signed JWTs) or fetched from the
/// "Generate Access Token" API.
///
/// Either way it is a [`TokenSource`] cached by auth-core's
/// [`TokenCache`](auth_core::TokenCache), so a token is signed or fetched once and reused
/// until it is refreshed ahead of expiry.
///
/// # The token API's response (an assumption)
///
/// DragonPass documents the request (`POST {"clientId": ..., "secret": ...}`) and that the
/// token is valid for one hour, but not the path or the response. This crate assumes the
/// provider's usual envelope, `{"code": 0, "data": ...}`, and takes the token from the
/// first of `data.accessToken`, `data.token`, `data.access_token`, or `data` itself when it
/// is a string. When `data.expiresIn` (or `data.expires_in`) is a positive number of seconds
/// it is used as the lifetime, otherwise one hour. All of this lives in
/// [`default_token_response`] (the envelope, then [`extract_token`]).
///
/// If your deployment answers differently, plug in your own reading of the response with
/// `DragonPassAuthBuilder::token_response` (a [`TokenResponseParser`]: any
/// `Fn(StatusCode, &HeaderMap, &[u8]) -> Result<TokenResponse, AuthError>`), without editing
/// the crate. Whatever it returns is still checked (a non-empty, header-safe token) and its
/// errors are scrubbed of the client secret.
pub struct DragonPassTokenSource {
    kind: Kind,
}

enum Kind {
    SelfSigned {
        creds: SelfSignedCredentials,
        lifetime: Duration,
    },
    TokenApi {
        creds: TokenApiCredentials,
        http: reqwest::Client,
        parser: SharedTokenResponseParser,
    },
}

impl fmt::Debug for DragonPassTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::SelfSigned { creds, lifetime } => f
                .debug_struct("DragonPassTokenSource::SelfSigned")
                .field("credentials", creds)
                .field("lifetime", lifetime)
                .finish(),
            Kind::TokenApi { creds, .. } => f
                .debug_struct("DragonPassTokenSource::TokenApi")
                .field("credentials", creds)
                .finish(),
        }
    }
}

impl DragonPassTokenSource {
    /// Mints JWTs locally, each valid for `lifetime`.
    pub fn self_signed(creds: SelfSignedCredentials, lifetime: Duration) -> Self {
        DragonPassTokenSource {
            kind: Kind::SelfSigned { creds, lifetime },
        }
    }

    /// Fetches tokens from the token API with `http` (no middleware of its own), reading
    /// responses with [`default_token_response`].
    pub fn token_api(creds: TokenApiCredentials, http: reqwest::Client) -> Self {
        Self::token_api_with_parser(creds, http, SharedTokenResponseParser::default())
    }

    /// [`token_api`](Self::token_api) reading responses with `parser`.
    pub fn token_api_with_parser(
        creds: TokenApiCredentials,
        http: reqwest::Client,
        parser: SharedTokenResponseParser,
    ) -> Self {
        DragonPassTokenSource {
            kind: Kind::TokenApi {
                creds,
                http,
                parser,
            },
        }
    }

    /// Whether tokens come from the token API.
    pub fn is_token_api(&self) -> bool {
        matches!(self.kind, Kind::TokenApi { .. })
    }

    async fn fetch_from_api(
        creds: &TokenApiCredentials,
        http: &reqwest::Client,
        parser: &SharedTokenResponseParser,
    ) -> Result<FetchedToken, AuthError> {
        let body = serde_json::to_vec(&TokenRequest {
            client_id: creds.client_id(),
            secret: creds.secret().expose_secret(),
        })
        .map_err(|_| AuthError::new(ErrorKind::Internal, "cannot encode the token request"))?;
        let resp = auth_core::transport::send_token_request(
            http.post(creds.token_url().clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(http::header::ACCEPT, "application/json")
                .body(body),
            "DragonPass token request",
        )
        .await?;
        let (status, headers, bytes) = (resp.status, resp.headers, resp.body);
        // The provider's message could in theory echo what we sent: scrub the secret.
        let t = parser
            .0
            .parse(status, &headers, &bytes)
            .map_err(|e| scrub(e, creds.secret().expose_secret()))?;
        if t.token.is_empty()
            || auth_core::credentials::require_header_safe("token", &t.token).is_err()
        {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                "DragonPass token response gave an empty or unusable token",
            ));
        }
        Ok(FetchedToken::new(t.token, t.lifetime))
    }
}

fn scrub(err: AuthError, secret: &str) -> AuthError {
    if secret.is_empty() || !err.message().contains(secret) {
        return err;
    }
    let mut clean = AuthError::new(
        err.kind(),
        err.message().replace(secret, auth_core::REDACTED),
    )
    .with_retryable(err.is_retryable());
    if let Some(code) = err.provider_code() {
        clean = clean.with_provider_code(code);
    }
    if let Some(after) = err.retry_after() {
        clean = clean.with_retry_after(after);
    }
    clean
}

impl TokenSource for DragonPassTokenSource {
    async fn fetch(&self, cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        match &self.kind {
            Kind::SelfSigned { creds, lifetime } => {
                let now = cx.clock.now();
                let exp = unix_seconds(now).saturating_add(lifetime.as_secs());
                let stages = sign_self_signed(creds, exp)?;
                // `exp` is whole seconds: report the exact time left so the cache never
                // holds the token past its `exp`.
                let left = (UNIX_EPOCH + Duration::from_secs(exp))
                    .duration_since(now)
                    .unwrap_or(*lifetime);
                Ok(FetchedToken::new(stages.token, left))
            }
            Kind::TokenApi {
                creds,
                http,
                parser,
            } => Self::fetch_from_api(creds, http, parser).await,
        }
    }
}
