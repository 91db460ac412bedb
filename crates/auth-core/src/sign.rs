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

    /// What the answer to a request this signer signed means: [`Judgement::Accept`] (the
    /// caller's, as it is), [`Judgement::Reject`] (the credential was refused: report it
    /// and maybe retry), or [`Judgement::ReadBody`] (judge again from the body). The
    /// middleware asks first with `body: None`; after `ReadBody` it reads a body announced at
    /// most [`MAX_INSPECTED_BODY`] bytes long and asks again with `Some(body)`, when
    /// `ReadBody` counts as `Accept`. Default: [`judge_by_status`] (HTTP 401 rejects).
    ///
    /// Modelled on reqwest-retry's `RetryableStrategy::handle`: one judgement, with the
    /// default as a free function that overrides can fall back on.
    fn judge(
        &self,
        status: StatusCode,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
    ) -> Judgement {
        let _ = (headers, body);
        judge_by_status(status)
    }

    /// Called once when a request signed with `receipt` was rejected, before any retry
    /// (typically reports the token to the cache, see
    /// [`TokenCache::reject`](crate::TokenCache::reject)). Returns whether signing again
    /// can help; `false` passes the rejection to the caller without a retry. Default: `true`.
    fn on_rejected(&self, _receipt: &Self::Receipt) -> bool {
        true
    }

    /// Called for each request the middleware passes on unsigned (outside its scope, or
    /// marked [`SkipAuth`](crate::SkipAuth)). A signer that lets callers mark requests with
    /// headers meant for it alone (SNAP's customer marker) removes them here, or refuses
    /// the request with an error so that they never reach another server. Default:
    /// nothing.
    fn pass_unsigned(&self, _req: &mut Request) -> Result<(), AuthError> {
        Ok(())
    }

    /// The provider's name, for the `provider` label of the middleware's metrics (feature
    /// `metrics`): a fixed name such as `"snap-b2b"`. Default: `"custom"`.
    fn provider_name(&self) -> &'static str {
        "custom"
    }
}

/// The most of a response body the middleware reads to let a signer judge it
/// ([`Judgement::ReadBody`]): 64 KiB.
pub const MAX_INSPECTED_BODY: u64 = 64 * 1024;

/// What a [`Signer`] makes of the answer to a request it signed ([`Signer::judge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Judgement {
    /// The answer is the caller's, as it is.
    Accept,
    /// The server refused the credential: the middleware calls [`Signer::on_rejected`]
    /// and, when that says a new signature can help and the request can be replayed, signs
    /// the unsigned request afresh and sends it once more.
    Reject,
    /// Judge again from the body (for providers that report a lost session in the body).
    ReadBody,
}

/// The default judgement: HTTP 401 rejects the credential, any other answer is accepted.
///
/// ```
/// use http::StatusCode;
/// use tollgate_auth_core::sign::{Judgement, judge_by_status};
/// assert_eq!(judge_by_status(StatusCode::UNAUTHORIZED), Judgement::Reject);
/// assert_eq!(judge_by_status(StatusCode::FORBIDDEN), Judgement::Accept);
/// ```
#[inline]
pub fn judge_by_status(status: StatusCode) -> Judgement {
    if status == StatusCode::UNAUTHORIZED {
        Judgement::Reject
    } else {
        Judgement::Accept
    }
}

/// `Authorization: Bearer <token>` for `token`, built once per token and marked sensitive.
pub fn bearer_header(token: &CachedToken) -> Result<HeaderValue, AuthError> {
    token.header_with(|t| {
        HeaderValue::try_from(format!("Bearer {t}")).map_err(|_| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "the token cannot be sent in an Authorization header",
            )
        })
    })
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
    rejection_body: Option<RejectionBody>,
}

/// Judges a small response body (a provider that announces a rejected token in the body,
/// with HTTP 200): `true` when it says the token is no longer accepted.
pub type RejectionBody = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

impl<S: TokenSource> Clone for BearerSigner<S> {
    fn clone(&self) -> Self {
        BearerSigner {
            cache: self.cache.clone(),
            extra: self.extra.clone(),
            rejection_body: self.rejection_body.clone(),
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
            .field("judges_bodies", &self.rejection_body.is_some())
            .finish()
    }
}

impl<S: TokenSource> BearerSigner<S> {
    /// A signer over `cache` adding `extra` headers (validated header values) to each
    /// request that does not carry them already.
    pub fn new(cache: TokenCache<S>, extra: Vec<(HeaderName, HeaderValue)>) -> Self {
        BearerSigner {
            cache,
            extra: extra.into(),
            rejection_body: None,
        }
    }

    /// Also treats a response as a token rejection when `judge` says so of its body (small
    /// bodies of non-401 responses only; see [`Judgement::ReadBody`]): for providers that
    /// report a lost session or a rejected token with HTTP 200.
    ///
    /// ```
    /// # use tollgate_auth_core::{AuthError, BearerSigner, FetchContext, FetchedToken, Signer, TokenCache, TokenSource};
    /// # struct Src;
    /// # impl TokenSource for Src {
    /// #     async fn fetch(&self, _: &FetchContext) -> Result<FetchedToken, AuthError> {
    /// #         Ok(FetchedToken::new("t", std::time::Duration::from_secs(60)))
    /// #     }
    /// # }
    /// # let cache = TokenCache::new(Src);
    /// let signer = BearerSigner::new(cache, Vec::new())
    ///     .with_rejection_body(|body| body.windows(7).any(|w| w == b"expired"));
    /// use tollgate_auth_core::sign::Judgement;
    /// let (ok, none) = (http::StatusCode::OK, http::HeaderMap::new());
    /// assert_eq!(signer.judge(ok, &none, None), Judgement::ReadBody);
    /// assert_eq!(signer.judge(ok, &none, Some(br#"{"error":"expired"}"#)), Judgement::Reject);
    /// assert_eq!(signer.judge(ok, &none, Some(b"{}")), Judgement::Accept);
    /// ```
    #[must_use]
    pub fn with_rejection_body(
        mut self,
        judge: impl Fn(&[u8]) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.rejection_body = Some(Arc::new(judge));
        self
    }

    /// The token cache.
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }

    /// Puts `auth` and the extra headers on `req`. An extra header the request already
    /// carries is kept: the extras are defaults (DragonPass's `X-Program-ID` names one of
    /// several programs, and a request may name another).
    #[inline(always)]
    fn insert(&self, req: &mut Request, auth: HeaderValue) {
        let headers = req.headers_mut();
        headers.insert(http::header::AUTHORIZATION, auth);
        for (name, value) in self.extra.iter() {
            headers.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// Which token a [`BearerSigner`] signed a request with: handed back to
/// [`Signer::on_rejected`] when the server rejects that request, so that only that token is
/// dropped (a newer one fetched meanwhile is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerReceipt {
    token_id: u64,
}

impl<S: TokenSource> Signer for BearerSigner<S> {
    type Receipt = BearerReceipt;

    async fn sign(&self, req: &mut Request) -> Result<BearerReceipt, AuthError> {
        // A warm token is read in place (no reference count is touched), with the header
        // this thread's stripe already built. Its result is used up before the slow path's
        // `.await`, so it takes no room in this future.
        if let Some((auth, token_id)) = self
            .cache
            .with_warm(|t| t.built_header().map(|h| (h, t.id())))
            .flatten()
        {
            self.insert(req, auth);
            return Ok(BearerReceipt { token_id });
        }
        // Otherwise the cache decides (refresh, fetch, backoff) and hands out its token; the
        // header is built here (a token that cannot be a header value gets its error).
        let token = self.cache.token().await?;
        self.insert(req, bearer_header(&token)?);
        Ok(BearerReceipt {
            token_id: token.id(),
        })
    }

    /// HTTP 401 rejects; with a [body judge](Self::with_rejection_body), any other answer
    /// is judged from its body.
    #[inline]
    fn judge(
        &self,
        status: StatusCode,
        _headers: &http::HeaderMap,
        body: Option<&[u8]>,
    ) -> Judgement {
        match (&self.rejection_body, body) {
            _ if status == StatusCode::UNAUTHORIZED => Judgement::Reject,
            (None, _) => Judgement::Accept,
            (Some(_), None) => Judgement::ReadBody,
            (Some(judge), Some(body)) if judge(body) => Judgement::Reject,
            (Some(_), Some(_)) => Judgement::Accept,
        }
    }

    fn on_rejected(&self, receipt: &BearerReceipt) -> bool {
        self.cache.reject_id(receipt.token_id)
    }

    /// The cache's [name](TokenCache::named).
    fn provider_name(&self) -> &'static str {
        self.cache.name()
    }
}
