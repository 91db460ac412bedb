//! [`AuthMiddleware`]: runs a [`Signer`] on every request of a `reqwest_middleware` client.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::sign::Signer;

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

/// Signs every request with `S`; when the server rejects the credential, invalidates it and
/// sends the request once more (only if the request can be cloned — a streaming body
/// cannot — and never more than once). Errors come back as
/// `reqwest_middleware::Error::Middleware` holding an [`AuthError`](crate::AuthError).
///
/// ```no_run
/// # fn demo<S: tollgate_auth_core::Signer>(signer: S) {
/// use reqwest_middleware::ClientBuilder;
/// use tollgate_auth_core::AuthMiddleware;
/// let existing = reqwest::Client::new();
/// let client = ClientBuilder::new(existing).with(AuthMiddleware::new(signer)).build();
/// # }
/// ```
pub struct AuthMiddleware<S> {
    signer: Arc<S>,
}

impl<S> Clone for AuthMiddleware<S> {
    fn clone(&self) -> Self {
        AuthMiddleware {
            signer: self.signer.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AuthMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("signer", &self.signer)
            .finish()
    }
}

impl<S: Signer> AuthMiddleware<S> {
    /// Wraps `signer`.
    pub fn new(signer: S) -> Self {
        AuthMiddleware {
            signer: Arc::new(signer),
        }
    }

    /// Wraps a shared signer.
    pub fn from_arc(signer: Arc<S>) -> Self {
        AuthMiddleware { signer }
    }

    /// The signer.
    pub fn signer(&self) -> &Arc<S> {
        &self.signer
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
            return next.run(req, extensions).await;
        }
        let receipt = self.signer.sign(&mut req).await?;
        let retry = if self.signer.retry_on_rejection() {
            req.try_clone()
        } else {
            None
        };
        let resp = next.clone().run(req, extensions).await?;
        if !self.signer.is_rejection(resp.status(), resp.headers()) {
            return Ok(resp);
        }
        self.signer.on_rejected(&receipt);
        let Some(mut again) = retry else {
            tracing::debug!(status = %resp.status(), "credential rejected; request cannot be replayed");
            return Ok(resp);
        };
        tracing::debug!(status = %resp.status(), "credential rejected; signing again and retrying once");
        drop(resp);
        let receipt = self.signer.sign(&mut again).await?;
        let resp = next.run(again, extensions).await?;
        if self.signer.is_rejection(resp.status(), resp.headers()) {
            // Forget the second token too, but do not loop: the caller sees the rejection.
            self.signer.on_rejected(&receipt);
        }
        Ok(resp)
    }
}
