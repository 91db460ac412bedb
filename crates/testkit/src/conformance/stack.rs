//! The middleware a user stacks around tollgate's, for the `stack:` rows: a retry placed
//! outside the auth middleware (added first), as `reqwest-retry` is in a real client.

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

/// `inner` (a client with the provider's auth attached) with a retry in front of it: every
/// attempt goes through `inner`'s whole stack again, so it is signed afresh.
pub(crate) fn retry_outside(inner: ClientWithMiddleware) -> Result<ClientWithMiddleware, String> {
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| format!("building the outer client failed: {e}"))?;
    Ok(ClientBuilder::new(http)
        .with(RetryServerErrorOnce)
        .with(Through(inner))
        .build())
}

/// `reqwest-retry`'s `RetryTransientMiddleware` cut down to what the row needs: a 5xx
/// answer is retried once, at once (testkit does not depend on `reqwest-retry`).
struct RetryServerErrorOnce;

#[async_trait::async_trait]
impl Middleware for RetryServerErrorOnce {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let again = req.try_clone();
        let resp = next.clone().run(req, extensions).await?;
        match again {
            Some(again) if resp.status().is_server_error() => next.run(again, extensions).await,
            _ => Ok(resp),
        }
    }
}

/// Sends through another client's whole middleware stack: what lies below this layer is
/// that client's auth middleware and transport.
struct Through(ClientWithMiddleware);

#[async_trait::async_trait]
impl Middleware for Through {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        self.0.execute_with_extensions(req, extensions).await
    }
}

/// `reqwest-retry`'s `RetryTransientMiddleware` as services configure it, but retrying at
/// once (1 ms), so that no test waits on real time (feature `reqwest-retry`).
#[cfg(feature = "reqwest-retry")]
pub fn reqwest_retry()
-> reqwest_retry::RetryTransientMiddleware<reqwest_retry::policies::ExponentialBackoff> {
    let policy = reqwest_retry::policies::ExponentialBackoff::builder()
        .retry_bounds(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(1),
        )
        .build_with_max_retries(2);
    reqwest_retry::RetryTransientMiddleware::new_with_policy(policy)
}

/// A client in the order the README shows: [`reqwest_retry()`] added first, so it sits outside
/// `mw` and every attempt is signed afresh (feature `reqwest-retry`).
#[cfg(feature = "reqwest-retry")]
pub fn reqwest_retry_outside<S: tollgate_auth_core::Signer>(
    mw: tollgate_auth_core::AuthMiddleware<S>,
) -> Result<ClientWithMiddleware, reqwest::Error> {
    let http = reqwest::Client::builder()
        .redirect(mw.redirect_policy())
        .build()?;
    Ok(ClientBuilder::new(http)
        .with(reqwest_retry())
        .with(mw)
        .build())
}
