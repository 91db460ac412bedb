//! [`AuthMiddleware`]: runs a [`Signer`] on every request of a `reqwest_middleware` client.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use reqwest::ResponseBuilderExt;

use crate::scope::Scope;
use crate::sign::{Judgement, MAX_INSPECTED_BODY, Signer};

/// Put this in a request's extensions to send it unsigned (public endpoints).
///
/// ```no_run
/// # async fn demo(client: reqwest_middleware::ClientWithMiddleware) -> reqwest_middleware::Result<()> {
/// use tollgate_auth_core::SkipAuth;
/// let resp = client
///     .get("https://api.example.com/public/status")
///     .with_extension(SkipAuth)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SkipAuth;

/// Signs the requests to its [`Scope`] with `S`; when the server rejects the credential,
/// reports it to the signer and — if the signer says a new signature can help and the
/// request can be replayed (a streaming body cannot) — signs the *unsigned* request afresh
/// and sends it once more. Never more than once: a rejection of the retry is passed to the
/// caller as it is. Errors come back as `reqwest_middleware::Error::Middleware` holding an
/// [`AuthError`](crate::AuthError).
///
/// Requests outside the scope (another host, port or scheme; plain HTTP off loopback) pass
/// through unsigned. A signed request whose answer comes from outside the scope (the
/// client followed a redirect there) is an [`ErrorKind::InvalidResponse`](crate::ErrorKind)
/// error: give the client [`Scope::redirect_policy`] so that signed headers never leave the
/// scope in the first place. [`AuthMiddleware::new`] signs for [`Scope::any`]; provider crates
/// build their middleware with their configured origins.
///
/// ```no_run
/// # fn demo<S: tollgate_auth_core::Signer>(signer: S) -> Result<(), tollgate_auth_core::AuthError> {
/// use reqwest_middleware::ClientBuilder;
/// use tollgate_auth_core::{AuthMiddleware, Scope};
/// let mw = AuthMiddleware::new(signer).with_scope(Scope::origin("https://api.example.com")?);
/// let http = reqwest::Client::builder()
///     .redirect(mw.redirect_policy()) // signed headers never follow a redirect out
///     .build()
///     .expect("client");
/// let client = ClientBuilder::new(http).with(mw).build();
/// # Ok(()) }
/// ```
pub struct AuthMiddleware<S> {
    signer: Arc<S>,
    scope: Arc<Scope>,
    /// `tollgate_requests_signed_total{provider}`, registered when the middleware is built.
    #[cfg(feature = "metrics")]
    signed: metrics::Counter,
}

impl<S> Clone for AuthMiddleware<S> {
    fn clone(&self) -> Self {
        AuthMiddleware {
            signer: self.signer.clone(),
            scope: self.scope.clone(),
            #[cfg(feature = "metrics")]
            signed: self.signed.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AuthMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("signer", &self.signer)
            .field("scope", &self.scope)
            .finish()
    }
}

impl<S: Signer> AuthMiddleware<S> {
    /// Wraps `signer`, signing for [`Scope::any`] (narrow it with
    /// [`with_scope`](Self::with_scope)).
    pub fn new(signer: S) -> Self {
        Self::from_arc(Arc::new(signer))
    }

    /// Wraps a shared signer, signing for [`Scope::any`]. With the feature `metrics`, this
    /// is when the middleware registers `tollgate_requests_signed_total` with the recorder in
    /// force.
    pub fn from_arc(signer: Arc<S>) -> Self {
        AuthMiddleware {
            #[cfg(feature = "metrics")]
            signed: crate::instrument::requests_signed(signer.provider_name()),
            signer,
            scope: Arc::new(Scope::any()),
        }
    }

    /// Signs only requests to `scope`'s origins; others pass through unsigned.
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = Arc::new(scope);
        self
    }

    /// The signer.
    pub fn signer(&self) -> &Arc<S> {
        &self.signer
    }

    /// The origins this middleware signs for.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The redirect policy to build the client under this middleware with: signed requests
    /// never follow a redirect out of the scope ([`Scope::redirect_policy`]).
    pub fn redirect_policy(&self) -> reqwest::redirect::Policy {
        self.scope.redirect_policy()
    }
}

impl<S> AuthMiddleware<S> {
    /// `resp`, if it came from inside the scope. An answer from elsewhere means the client
    /// followed a redirect out of the scope with the signed headers: a typed error, never a
    /// success (build the client with [`Scope::redirect_policy`] so that it does not).
    fn in_scope(&self, resp: Response) -> reqwest_middleware::Result<Response> {
        if self.scope.allows(resp.url()) {
            return Ok(resp);
        }
        let origin = resp.url().origin().ascii_serialization();
        Err(reqwest_middleware::Error::middleware(
            crate::AuthError::new(
                crate::ErrorKind::InvalidResponse,
                format!(
                    "the answer to a signed request came from another origin ({origin}): the \
                     HTTP client followed a redirect out of the signer's scope, and the signed \
                     headers went with it; build the client with \
                     .redirect(scope.redirect_policy())"
                ),
            )
            .with_retryable(false),
        ))
    }
}

/// Lets the signer judge `resp` from its body ([`Judgement::ReadBody`]) when the body is
/// announced to be small, rebuilding the response intact. Returns whether it was rejected.
async fn judge_body<S: Signer>(
    signer: &S,
    resp: Response,
) -> reqwest_middleware::Result<(Response, bool)> {
    // Only a body of announced, bounded length: a stream or a large download is left alone.
    if resp.content_length().is_none_or(|n| n > MAX_INSPECTED_BODY) {
        return Ok((resp, false));
    }
    let status = resp.status();
    let version = resp.version();
    let url = resp.url().clone();
    let headers = resp.headers().clone();
    let body = resp.bytes().await?;
    let rejected = signer.judge(status, &headers, Some(&body)) == Judgement::Reject;
    let mut builder = http::Response::builder()
        .status(status)
        .version(version)
        .url(url);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    let rebuilt = builder
        .body(body)
        .map_err(|e| reqwest_middleware::Error::middleware(RebuildError(e.to_string())))?;
    Ok((Response::from(rebuilt), rejected))
}

#[derive(Debug)]
struct RebuildError(String);
impl fmt::Display for RebuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not rebuild the inspected response: {}", self.0)
    }
}
impl std::error::Error for RebuildError {}

/// Reads and drops a rejected response's body when it is small and announced, so the
/// connection goes back to the pool; anything else is dropped (closing the connection).
async fn drain(resp: Response) {
    if resp
        .content_length()
        .is_some_and(|n| n <= MAX_INSPECTED_BODY)
    {
        let _ = resp.bytes().await;
    }
}

#[async_trait::async_trait]
impl<S: Signer> Middleware for AuthMiddleware<S> {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if extensions.get::<SkipAuth>().is_some() {
            self.signer.pass_unsigned(&mut req)?;
            return next.run(req, extensions).await;
        }
        if !self.scope.allows(req.url()) {
            tracing::debug!(
                origin = %req.url().origin().ascii_serialization(),
                "request outside the signer's scope; sent unsigned"
            );
            self.signer.pass_unsigned(&mut req)?;
            return next.run(req, extensions).await;
        }
        // The retry is signed afresh from the unsigned request: one-time headers (nonces,
        // external ids, timestamps) are never replayed.
        let unsigned = req.try_clone();
        let receipt = self.signer.sign(&mut req).await?;
        #[cfg(feature = "metrics")]
        self.signed.increment(1);
        let resp = self.in_scope(next.clone().run(req, extensions).await?)?;
        // One judgement from status and headers; a body is read only when the signer asks.
        // The common case, an accepted answer, is handed back at once.
        let resp = match self.signer.judge(resp.status(), resp.headers(), None) {
            Judgement::Reject => resp,
            Judgement::ReadBody => match judge_body(&*self.signer, resp).await? {
                (resp, true) => resp,
                (resp, false) => return Ok(resp),
            },
            Judgement::Accept => return Ok(resp),
        };
        let retry_helps = self.signer.on_rejected(&receipt);
        let Some(mut again) = unsigned.filter(|_| retry_helps) else {
            tracing::debug!(status = %resp.status(), retry_helps, "credential rejected; passing the response on");
            return Ok(resp);
        };
        tracing::debug!(status = %resp.status(), "credential rejected; signing afresh and retrying once");
        drain(resp).await;
        self.signer.sign(&mut again).await?;
        #[cfg(feature = "metrics")]
        self.signed.increment(1);
        // A rejection of the retry is not a token problem: the caller sees it as it is.
        self.in_scope(next.run(again, extensions).await?)
    }
}
