//! [`BearerAuth`]: what a bearer provider hands its users — a [`BearerSigner`] and the
//! origins it signs for. DragonPass, V5 OpenAPI, Holidu and GTR's login mode are this type
//! over their own token sources, each with its own builder.

use std::fmt;
use std::sync::Arc;

use crate::cache::TokenCache;
use crate::error::AuthError;
use crate::middleware::AuthMiddleware;
use crate::scope::Scope;
use crate::sign::BearerSigner;
use crate::token::{CachedToken, TokenSource};

/// A token source that names its provider's builder, so that `BearerAuth::<S>::builder()`
/// — `HoliduAuth::builder()` — starts it.
pub trait BearerSource: TokenSource {
    /// The provider's builder, which ends in a `BearerAuth<Self>`.
    type Builder: Default;
}

/// A bearer provider's auth: the signer (`Authorization: Bearer <token>` from its cache)
/// and the origins it signs for. Cheap to clone: clones share the cache.
///
/// ```
/// # use tollgate_auth_core::{AuthError, BearerAuth, BearerSigner, FetchContext, FetchedToken, Scope, TokenCache, TokenSource};
/// # struct Src;
/// # impl TokenSource for Src {
/// #     async fn fetch(&self, _: &FetchContext) -> Result<FetchedToken, AuthError> {
/// #         Ok(FetchedToken::new("t", std::time::Duration::from_secs(60)))
/// #     }
/// # }
/// let auth = BearerAuth::new(
///     BearerSigner::new(TokenCache::new(Src), Vec::new()),
///     Scope::origin("https://api.example.com")?,
/// );
/// let mw = auth.clone().middleware();
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build().expect("client");
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// # let _ = client; Ok::<(), AuthError>(())
/// ```
pub struct BearerAuth<S: TokenSource> {
    signer: BearerSigner<S>,
    scope: Scope,
}

impl<S: TokenSource> Clone for BearerAuth<S> {
    fn clone(&self) -> Self {
        BearerAuth {
            signer: self.signer.clone(),
            scope: self.scope.clone(),
        }
    }
}

impl<S: TokenSource + fmt::Debug> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("signer", &self.signer)
            .field("source", self.signer.cache().source())
            .field("scope", &self.scope)
            .finish()
    }
}

impl<S: BearerSource> BearerAuth<S> {
    /// Starts the provider's builder.
    pub fn builder() -> S::Builder {
        S::Builder::default()
    }
}

impl<S: TokenSource> BearerAuth<S> {
    /// Signs with `signer` the requests to `scope` (provider builders call this).
    pub fn new(signer: BearerSigner<S>, scope: Scope) -> Self {
        BearerAuth { signer, scope }
    }

    /// This auth as a `reqwest_middleware` middleware: it signs only requests to its
    /// [`scope`](Self::scope); others pass through unsigned. Build the client under it with
    /// the middleware's [`redirect_policy`](AuthMiddleware::redirect_policy).
    pub fn middleware(self) -> AuthMiddleware<BearerSigner<S>> {
        AuthMiddleware::new(self.signer).with_scope(self.scope)
    }

    /// The signer the middleware runs, to sign a request yourself.
    pub fn signer(&self) -> &BearerSigner<S> {
        &self.signer
    }

    /// The origins the middleware signs for.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The token cache (`peek`, `invalidate`, counters).
    pub fn cache(&self) -> &TokenCache<S> {
        self.signer.cache()
    }

    /// The token cache's state for readiness probes and status pages
    /// ([`TokenCache::health`], see [`crate::health`]).
    pub fn health(&self) -> crate::health::CacheHealth {
        self.signer.cache().health()
    }

    /// The token source (the provider's own settings and calls).
    pub fn source(&self) -> &S {
        self.signer.cache().source()
    }

    /// A valid token: the cached one, or a fresh one.
    pub async fn token(&self) -> Result<Arc<CachedToken>, AuthError> {
        self.signer.cache().token().await
    }
}
