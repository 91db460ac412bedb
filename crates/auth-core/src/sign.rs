//! The provider-facing signing trait and the generic bearer-token signer.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::{HeaderName, HeaderValue, StatusCode};
use reqwest::Request;

use crate::cache::TokenCache;
use crate::error::{AuthError, ErrorKind};
use crate::token::{CachedToken, TokenSource};

/// Signs outgoing requests for one provider.
///
/// `sign` gets the whole request: it adds or replaces headers (always with `insert`, so a
/// request can be signed again for a retry) and may replace an in-memory body (SNAP sends
/// exactly the minified bytes it hashed). A signer that needs the body reads it with
/// [`body_bytes`], which refuses streaming bodies with a clear error; signers that do not
/// look at the body leave streaming bodies untouched.
pub trait Signer: Send + Sync + 'static {
    /// What the signer remembers about a signed request, to be handed back if the server
    /// rejects it (typically the token used). Cheap to keep.
    type Receipt: Send + Sync + 'static;

    /// Signs `req` in place.
    fn sign<'a>(
        &'a self,
        req: &'a mut Request,
    ) -> impl Future<Output = Result<Self::Receipt, AuthError>> + Send + 'a;

    /// Whether a response means "the credential/token used was rejected" (default: HTTP 401).
    fn is_rejection(&self, status: StatusCode, _headers: &http::HeaderMap) -> bool {
        status == StatusCode::UNAUTHORIZED
    }

    /// Called once when a request signed with `receipt` was rejected, before any retry
    /// (typically invalidates the cached token).
    fn on_rejected(&self, _receipt: &Self::Receipt) {}

    /// Whether a rejected request should be signed afresh and sent once more (default:
    /// yes). Signers with nothing to refresh may say no.
    fn retry_on_rejection(&self) -> bool {
        true
    }
}

/// The in-memory body of `req` (empty when there is none). A streaming body is an
/// [`ErrorKind::UnsupportedRequest`] error: signatures that cover the body need its bytes.
pub fn body_bytes(req: &Request) -> Result<&[u8], AuthError> {
    match req.body() {
        None => Ok(&[]),
        Some(b) => b.as_bytes().ok_or_else(|| {
            AuthError::new(
                ErrorKind::UnsupportedRequest,
                "this provider signs the request body, which must be in memory (not a stream)",
            )
        }),
    }
}

/// Puts `Authorization: Bearer <token>` (from a [`TokenCache`]) and fixed extra headers on
/// every request. DragonPass, V5 OpenAPI, Holidu and GTR's login mode are this signer with
/// their own token sources and headers.
pub struct BearerSigner<S: TokenSource> {
    cache: TokenCache<S>,
    extra: Arc<[(HeaderName, HeaderValue)]>,
}

impl<S: TokenSource> Clone for BearerSigner<S> {
    fn clone(&self) -> Self {
        BearerSigner {
            cache: self.cache.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl<S: TokenSource> fmt::Debug for BearerSigner<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerSigner")
            .field("cache", &self.cache)
            .field(
                "extra_headers",
                &self
                    .extra
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<S: TokenSource> BearerSigner<S> {
    /// A signer over `cache` adding `extra` headers (validated header values) to each request.
    pub fn new(cache: TokenCache<S>, extra: Vec<(HeaderName, HeaderValue)>) -> Self {
        BearerSigner {
            cache,
            extra: extra.into(),
        }
    }

    /// The token cache.
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }
}

impl<S: TokenSource> Signer for BearerSigner<S> {
    type Receipt = Arc<CachedToken>;

    async fn sign(&self, req: &mut Request) -> Result<Arc<CachedToken>, AuthError> {
        let token = self.cache.token().await?;
        let headers = req.headers_mut();
        headers.insert(http::header::AUTHORIZATION, token.bearer_header().clone());
        for (name, value) in self.extra.iter() {
            headers.insert(name.clone(), value.clone());
        }
        Ok(token)
    }

    fn on_rejected(&self, receipt: &Arc<CachedToken>) {
        self.cache.invalidate_token(receipt);
    }
}
