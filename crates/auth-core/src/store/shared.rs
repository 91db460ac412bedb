//! The shared-store protocol a [`TokenCache`](crate::TokenCache) follows when it has a
//! [`SharedStore`]: take a usable stored token, or fetch under the fleet lock (renewed while
//! the fetch runs, released on every path) and store the result for the others.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::Either;
use secrecy::{ExposeSecret, SecretString};

use super::{SharedStore, StoredToken, TokenStore};
use crate::cache::{CacheConfig, Obtained, same_secret};
use crate::clock::SharedClock;
use crate::error::{AuthError, ErrorKind};
use crate::token::check_token_value;

/// Releases a fleet fetch lock when dropped on any path (a cancelled or timed-out fetch
/// included) unless [`release`](Self::release) already did.
struct LockGuard {
    store: Arc<dyn TokenStore>,
    key: String,
    fence: String,
    armed: bool,
    name: &'static str,
}

impl LockGuard {
    async fn release(mut self) {
        if let Err(e) = self.store.unlock(&self.key, &self.fence).await {
            tracing::warn!(cache = self.name, error = %e, "could not release the fetch lock");
        }
        self.armed = false;
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Cancelled mid-fetch (the fetch timeout fired, or the runtime is going away):
        // release the lock from a task of its own.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let store = self.store.clone();
            let key = std::mem::take(&mut self.key);
            let fence = std::mem::take(&mut self.fence);
            let name = self.name;
            handle.spawn(async move {
                if let Err(e) = store.unlock(&key, &fence).await {
                    tracing::warn!(cache = name, error = %e, "could not release the fetch lock");
                }
            });
        }
    }
}

/// One cache's view of its shared store: the store binding, the staleness rule's
/// configuration and the clock, and the cache's name for logs.
pub(crate) struct Fleet<'a> {
    pub(crate) shared: &'a SharedStore,
    pub(crate) config: &'a CacheConfig,
    pub(crate) clock: &'a SharedClock,
    pub(crate) name: &'static str,
}

impl Fleet<'_> {
    /// Whether a stored token may be used: not one to avoid, a usable header value, a
    /// time-to-live within the caps, and outside the refresh margin by the same rule as the
    /// local cache (without this cache's jitter).
    fn usable(&self, t: &StoredToken, avoid: &[Option<&SecretString>]) -> Option<Obtained> {
        if avoid.iter().flatten().any(|a| same_secret(a, &t.value)) {
            return None;
        }
        check_token_value(t.value.expose_secret()).ok()?;
        let cfg = &self.config;
        let remaining = t.remaining?;
        let slack = Duration::from_secs(1);
        match t.lifetime {
            Some(full) => {
                if full.is_zero()
                    || full > cfg.max_lifetime
                    || remaining > full.saturating_add(slack)
                {
                    return None;
                }
                let (_, ahead) = cfg.timing(Duration::ZERO).before_expiry(full);
                if remaining <= ahead {
                    return None;
                }
                Some(Obtained {
                    value: t.value.clone(),
                    as_of: self.clock.now(),
                    remaining: Some(remaining.min(full)),
                    full: Some(full),
                })
            }
            // A token that does not expire on its own is stored for `max_lifetime`.
            None => {
                if remaining > cfg.max_lifetime.saturating_add(slack) {
                    return None;
                }
                Some(Obtained {
                    value: t.value.clone(),
                    as_of: self.clock.now(),
                    remaining: None,
                    full: None,
                })
            }
        }
    }

    async fn load_usable(
        &self,
        store: &dyn TokenStore,
        key: &str,
        avoid: &[Option<&SecretString>],
    ) -> Result<Option<Obtained>, AuthError> {
        let loaded = store.load(key).await?;
        let usable = loaded.as_ref().and_then(|t| self.usable(t, avoid));
        if loaded.is_some() && usable.is_none() {
            tracing::debug!(
                cache = self.name,
                "stored token is stale, rejected or unusable; treating it as absent"
            );
        }
        Ok(usable)
    }

    pub(crate) async fn obtain(
        &self,
        rejected: Option<&SecretString>,
        refreshing: Option<&SecretString>,
        fetch: impl Future<Output = Result<Obtained, AuthError>>,
    ) -> Result<Obtained, AuthError> {
        let shared = self.shared;
        let store = &shared.store;
        let key = shared.key.as_str();
        if let Some(bad) = rejected {
            store.remove_if(key, bad).await?;
        }
        let avoid = [rejected, refreshing];
        let fence = format!("{:032x}", rand::random::<u128>());
        let deadline = tokio::time::Instant::now() + shared.wait_timeout;
        loop {
            if let Some(t) = self.load_usable(store.as_ref(), key, &avoid).await? {
                tracing::debug!(cache = self.name, "token taken from the shared store");
                return Ok(t);
            }
            if store.try_lock(key, &fence, shared.lock_ttl).await? {
                let guard = LockGuard {
                    store: store.clone(),
                    key: key.to_string(),
                    fence: fence.clone(),
                    armed: true,
                    name: self.name,
                };
                // Re-check: the previous holder may have stored a token just before unlocking.
                match self.load_usable(store.as_ref(), key, &avoid).await {
                    Ok(Some(t)) => {
                        guard.release().await;
                        return Ok(t);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        guard.release().await;
                        return Err(e);
                    }
                }
                tracing::debug!(
                    cache = self.name,
                    "fetch lock taken; fetching for the fleet"
                );
                let fetched = self.fetch_holding_lock(&fence, fetch).await;
                if let Ok(t) = &fetched {
                    self.save_shared(&fence, t).await;
                }
                guard.release().await;
                return fetched;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AuthError::new(
                    ErrorKind::Timeout,
                    "waited too long for another process to fetch the shared token",
                ));
            }
            tokio::time::sleep(shared.poll_interval).await;
        }
    }

    /// Fetches from the source while renewing the fleet lock every third of its
    /// time-to-live, so that a fetch slower than the lock keeps it.
    async fn fetch_holding_lock(
        &self,
        fence: &str,
        fetch: impl Future<Output = Result<Obtained, AuthError>>,
    ) -> Result<Obtained, AuthError> {
        let shared = self.shared;
        let ttl = shared.lock_ttl;
        let every = (ttl / 3).max(Duration::from_millis(10));
        let renew = async {
            loop {
                tokio::time::sleep(every).await;
                match shared.store.renew(&shared.key, fence, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(
                            cache = self.name,
                            "fetch lock lost while fetching; the token may not be shared"
                        );
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(cache = self.name, error = %e, "could not renew the fetch lock");
                    }
                }
            }
        };
        let fetch = std::pin::pin!(fetch);
        let renew = std::pin::pin!(renew);
        match futures::future::select(fetch, renew).await {
            Either::Left((r, _)) => r,
            Either::Right(((), fetch)) => fetch.await,
        }
    }

    async fn save_shared(&self, fence: &str, t: &Obtained) {
        let shared = self.shared;
        let max = self.config.max_lifetime;
        // The life left now, not at the request: the fetch took time.
        let spent = self.clock.now().duration_since(t.as_of).unwrap_or_default();
        let ttl = t
            .remaining
            .map_or(max, |r| r.min(max).saturating_sub(spent));
        if ttl.is_zero() {
            return;
        }
        let stored = StoredToken {
            value: t.value.clone(),
            remaining: Some(ttl),
            lifetime: t.full.map(|f| f.min(max)),
        };
        match shared.store.save(&shared.key, fence, &stored, ttl).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                cache = self.name,
                "fetch lock expired before the token was stored; not shared"
            ),
            Err(e) => tracing::warn!(
                cache = self.name,
                error = %e,
                "could not store the fetched token"
            ),
        }
    }
}
