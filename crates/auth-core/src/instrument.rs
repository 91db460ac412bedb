//! The metric handles (feature `metrics`), registered once per cache, middleware and store
//! binding with their label values, so that nothing is formatted or looked up per request.
//! Names and labels: the repository's `docs/metrics.md`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use metrics::{Counter, Gauge, Histogram, SharedString};
use secrecy::SecretString;

use crate::error::{AuthError, ErrorKind};
use crate::store::{SharedStore, StoredToken, TokenStore};

/// `tollgate_token_fetches_total{provider, credential, outcome}`.
pub(crate) const TOKEN_FETCHES: &str = "tollgate_token_fetches_total";
/// `tollgate_token_fetch_seconds{provider, credential}`.
pub(crate) const TOKEN_FETCH_SECONDS: &str = "tollgate_token_fetch_seconds";
/// `tollgate_token_expires_in_seconds{provider, credential}`.
pub(crate) const TOKEN_EXPIRES_IN: &str = "tollgate_token_expires_in_seconds";
/// `tollgate_token_rejections_total{provider, credential}`.
pub(crate) const TOKEN_REJECTIONS: &str = "tollgate_token_rejections_total";
/// `tollgate_requests_signed_total{provider}`.
pub(crate) const REQUESTS_SIGNED: &str = "tollgate_requests_signed_total";
/// `tollgate_store_operations_total{store, op, outcome}`.
pub(crate) const STORE_OPERATIONS: &str = "tollgate_store_operations_total";
/// `tollgate_fleet_lock_waits_total{store}`.
pub(crate) const FLEET_LOCK_WAITS: &str = "tollgate_fleet_lock_waits_total";

/// One cache's handles.
pub(crate) struct CacheMetrics {
    fetch_ok: Counter,
    /// Indexed by `ErrorKind as usize` (the order of [`ErrorKind::ALL`]).
    fetch_failed: [Counter; ErrorKind::ALL.len()],
    fetch_seconds: Histogram,
    expires_in: Gauge,
    rejections: Counter,
}

impl CacheMetrics {
    pub(crate) fn register(provider: &'static str, credential: &str) -> Self {
        let credential = SharedString::from(credential.to_string());
        let fetch = |outcome: &'static str| {
            metrics::counter!(
                TOKEN_FETCHES,
                "provider" => provider,
                "credential" => credential.clone(),
                "outcome" => outcome
            )
        };
        CacheMetrics {
            fetch_ok: fetch("ok"),
            fetch_failed: ErrorKind::ALL.map(|k| fetch(k.name())),
            fetch_seconds: metrics::histogram!(
                TOKEN_FETCH_SECONDS,
                "provider" => provider,
                "credential" => credential.clone()
            ),
            expires_in: metrics::gauge!(
                TOKEN_EXPIRES_IN,
                "provider" => provider,
                "credential" => credential.clone()
            ),
            rejections: metrics::counter!(
                TOKEN_REJECTIONS,
                "provider" => provider,
                "credential" => credential.clone()
            ),
        }
    }

    /// A fetch ended after `took` with `result`, at `now`.
    pub(crate) fn fetched(
        &self,
        result: &Result<std::sync::Arc<crate::token::CachedToken>, AuthError>,
        took: Duration,
        now: SystemTime,
    ) {
        self.fetch_seconds.record(took.as_secs_f64());
        match result {
            Ok(tok) => {
                self.fetch_ok.increment(1);
                self.set_expiry(tok.expires_at(), now);
            }
            Err(e) => self.fetch_failed[e.kind() as usize].increment(1),
        }
    }

    /// The server refused a token.
    pub(crate) fn rejected(&self) {
        self.rejections.increment(1);
    }

    /// The cached token's expiry (`None`: no token, or one that does not expire).
    pub(crate) fn set_expiry(&self, expires_at: Option<SystemTime>, now: SystemTime) {
        let left = expires_at.map_or(0.0, |e| {
            e.duration_since(now).unwrap_or_default().as_secs_f64()
        });
        self.expires_in.set(left);
    }
}

/// Which store operation (the `op` label).
#[derive(Debug, Clone, Copy)]
pub(crate) enum StoreOp {
    Load,
    Save,
    TryLock,
    Renew,
    Unlock,
    RemoveIf,
}

impl StoreOp {
    const ALL: [StoreOp; 6] = [
        StoreOp::Load,
        StoreOp::Save,
        StoreOp::TryLock,
        StoreOp::Renew,
        StoreOp::Unlock,
        StoreOp::RemoveIf,
    ];

    fn name(self) -> &'static str {
        match self {
            StoreOp::Load => "load",
            StoreOp::Save => "save",
            StoreOp::TryLock => "try_lock",
            StoreOp::Renew => "renew",
            StoreOp::Unlock => "unlock",
            StoreOp::RemoveIf => "remove_if",
        }
    }
}

/// A shared store with every call counted (`tollgate_store_operations_total`) and every
/// refused `try_lock` counted as a fleet lock wait, since the cache then waits for the
/// holder's token.
pub(crate) struct CountedStore {
    inner: Arc<dyn TokenStore>,
    /// `[op][0]` ok, `[op][1]` error.
    ops: [[Counter; 2]; StoreOp::ALL.len()],
    lock_waits: Counter,
}

impl CountedStore {
    /// `shared` with its store counted, registered under the store's name.
    pub(crate) fn wrap(mut shared: SharedStore) -> SharedStore {
        let store = shared.store.name();
        shared.store = Arc::new(CountedStore {
            inner: shared.store,
            ops: StoreOp::ALL.map(|op| {
                ["ok", "error"].map(|outcome| {
                    metrics::counter!(
                        STORE_OPERATIONS,
                        "store" => store,
                        "op" => op.name(),
                        "outcome" => outcome
                    )
                })
            }),
            lock_waits: metrics::counter!(FLEET_LOCK_WAITS, "store" => store),
        });
        shared
    }

    fn counted<'a, T: Send + 'a>(
        &'a self,
        op: StoreOp,
        call: BoxFuture<'a, Result<T, AuthError>>,
    ) -> BoxFuture<'a, Result<T, AuthError>> {
        Box::pin(async move {
            let r = call.await;
            self.ops[op as usize][usize::from(r.is_err())].increment(1);
            r
        })
    }
}

impl fmt::Debug for CountedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl TokenStore for CountedStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        self.counted(StoreOp::Load, self.inner.load(key))
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        self.counted(StoreOp::Save, self.inner.save(key, fence, token, ttl))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        let call = self.counted(StoreOp::TryLock, self.inner.try_lock(key, fence, ttl));
        Box::pin(async move {
            let won = call.await;
            if matches!(won, Ok(false)) {
                self.lock_waits.increment(1);
            }
            won
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        self.counted(StoreOp::Renew, self.inner.renew(key, fence, ttl))
    }

    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        self.counted(StoreOp::Unlock, self.inner.unlock(key, fence))
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        self.counted(StoreOp::RemoveIf, self.inner.remove_if(key, value))
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

/// The middleware's handle: `tollgate_requests_signed_total{provider}`.
pub(crate) fn requests_signed(provider: &'static str) -> Counter {
    metrics::counter!(REQUESTS_SIGNED, "provider" => provider)
}
