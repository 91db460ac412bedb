//! The HTTP side of token requests: the client every provider uses by default, and the
//! rules every token request follows whatever client it runs on.
//!
//! - **No redirects.** A token request carries a secret (a client secret, a signature, a
//!   signed login). [`token_client`] never follows redirects, a client you give a provider
//!   builder is built by [`token_client_from`] with redirects forced off, and
//!   [`send_token_request`] treats a 3xx answer as a typed error — and refuses the answer
//!   of a client that followed one anyway.
//! - **Timeouts.** Connect 10 s, whole request 30 s; [`send_token_request`] ends at
//!   [`REQUEST_TIMEOUT`] on any client, one built without timeouts included.
//! - **Bounded bodies.** A token response is read up to [`MAX_TOKEN_RESPONSE`] bytes
//!   (64 KiB); more is an [`ErrorKind::InvalidResponse`] error.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};

use crate::error::{AuthError, ErrorKind};

/// The most of a token response read (64 KiB).
pub const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

/// Connect timeout of [`token_client`].
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whole-request timeout of [`token_client`].
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A builder for the token-request client: redirects off, [`CONNECT_TIMEOUT`],
/// [`REQUEST_TIMEOUT`]. The TLS backend is the one the provider crate's features enable
/// (`rustls` by default).
pub fn token_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
}

/// Builds a token-request client from a caller's `builder`, forcing
/// `redirect(Policy::none())` on it: whatever else the caller set (proxy, TLS, timeouts)
/// stays.
pub fn token_client_from(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, AuthError> {
    builder
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            AuthError::new(
                ErrorKind::Internal,
                format!("cannot build the token HTTP client: {}", e.without_url()),
            )
        })
}

/// The client provider crates use for token requests unless given one.
pub fn token_client() -> Result<reqwest::Client, AuthError> {
    token_client_builder().build().map_err(|e| {
        AuthError::new(
            ErrorKind::Internal,
            format!("cannot build the token HTTP client: {e}"),
        )
    })
}

/// A token endpoint's answer, read whole (up to a cap).
#[derive(Debug)]
pub struct TokenHttpResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// Sends a token request built by `request` and reads the answer up to
/// [`MAX_TOKEN_RESPONSE`] bytes. `what` names the request in errors ("DragonPass token
/// request").
///
/// Errors: transport failures as [`AuthError::from_reqwest`]; a 3xx answer, or a client
/// that followed a redirect, as a non-retryable [`ErrorKind::InvalidResponse`]; a body over
/// the cap as [`ErrorKind::InvalidResponse`]; no complete answer within
/// [`REQUEST_TIMEOUT`], whatever the client's own timeouts, as [`ErrorKind::Timeout`].
pub async fn send_token_request(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<TokenHttpResponse, AuthError> {
    // The client may be the caller's, built without timeouts: this deadline holds anyway.
    tokio::time::timeout(REQUEST_TIMEOUT, send_and_read(request, what))
        .await
        .unwrap_or_else(|_| {
            Err(AuthError::new(
                ErrorKind::Timeout,
                format!("{what}: no complete answer within {REQUEST_TIMEOUT:?}"),
            ))
        })
}

async fn send_and_read(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<TokenHttpResponse, AuthError> {
    let (client, request) = request.build_split();
    let request = request.map_err(|e| AuthError::from_reqwest(what, e))?;
    let sent_to = request.url().clone();
    let resp = client
        .execute(request)
        .await
        .map_err(|e| AuthError::from_reqwest(what, e))?;
    if resp.status().is_redirection() {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            format!(
                "{what}: the server answered HTTP {} (a redirect); token requests never \
                 follow redirects, so set the token URL to where the endpoint really is",
                resp.status().as_u16()
            ),
        )
        .with_retryable(false));
    }
    if resp.url() != &sent_to {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            format!(
                "{what}: the HTTP client followed a redirect; token requests must not \
                 (build the client with token_client_from)"
            ),
        )
        .with_retryable(false));
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = read_capped(resp, MAX_TOKEN_RESPONSE, what).await?;
    Ok(TokenHttpResponse {
        status,
        headers,
        body,
    })
}

/// Reads `resp`'s body, failing with [`ErrorKind::InvalidResponse`] as soon as it exceeds
/// `limit` bytes (announced or received).
pub async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
    what: &str,
) -> Result<Bytes, AuthError> {
    let too_big = || {
        AuthError::new(
            ErrorKind::InvalidResponse,
            format!("{what}: the response body is larger than {limit} bytes"),
        )
        .with_retryable(false)
    };
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(too_big());
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| AuthError::from_reqwest(what, e))?
    {
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(too_big());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
