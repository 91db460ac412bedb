//! The token cache: single-flight fetches, refresh ahead of expiry, backoff, invalidation.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::clock::{SharedClock, system_clock};
use crate::error::{AuthError, ErrorKind};
use crate::store::{OnUnavailable, SharedStore, StoredToken};
use crate::token::FetchedToken;
use crate::token::{CachedToken, FetchContext, TokenSource};

/// How the cache refreshes and retries.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Refresh this long before expiry (default 60 s). Capped at half the token's lifetime.
    pub refresh_margin: Duration,
    /// Up to this much extra, chosen at random per token, is added to the margin so that
    /// many processes do not refresh at the same instant (default 10 s).
    pub jitter: Duration,
    /// First wait after a failed background refresh (default 1 s); doubles per failure.
    pub min_backoff: Duration,
    /// Longest wait between failed background refreshes (default 60 s).
    pub max_backoff: Duration,
    /// Bound on one fetch, so a token endpoint that never answers cannot hang callers
    /// (default 30 s, real time).
    pub fetch_timeout: Duration,
    /// Share tokens through a store beyond this cache (other processes, a Redis fleet).
    /// `None` (the default) keeps the token in this process's memory only.
    pub shared: Option<SharedStore>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            refresh_margin: Duration::from_secs(60),
            jitter: Duration::from_secs(10),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(30),
            shared: None,
        }
    }
}

impl CacheConfig {
    /// Shares tokens through `store` (see [`crate::store`]).
    #[must_use]
    pub fn with_shared_store(mut self, store: SharedStore) -> Self {
        self.shared = Some(store);
        self
    }

    /// The default configuration without jitter (deterministic; handy in tests).
    pub fn without_jitter() -> Self {
        CacheConfig {
            jitter: Duration::ZERO,
            ..Self::default()
        }
    }
}

type Flight = Shared<BoxFuture<'static, Result<Arc<CachedToken>, AuthError>>>;

struct State {
    current: Option<Arc<CachedToken>>,
    inflight: Option<Flight>,
    failures: u32,
    next_background_attempt: Option<SystemTime>,
    fetches_started: u64,
    /// The last token the server rejected: never taken back from a shared store.
    rejected: Option<SecretString>,
}

struct Inner<S> {
    source: S,
    clock: SharedClock,
    config: CacheConfig,
    name: &'static str,
    state: Mutex<State>,
}

/// Caches the tokens of one credential.
///
/// - **Single-flight**: however many callers arrive while no token is cached, one fetch
///   runs; the others wait for it and re-check the cache when they wake.
/// - **Cancellation-safe**: the fetch runs on a task of its own, so dropping the caller that
///   started it neither cancels it nor loses its result.
/// - **Refresh ahead**: from `refresh_margin` (+ jitter) before expiry, callers keep getting
///   the still-valid token at once while one background fetch replaces it.
/// - **Local expiry**: a token's expiry is its lifetime counted from the cache's clock when
///   it was received.
/// - **Failures**: an error is handed to the callers waiting on that fetch and never stored;
///   a valid token is never evicted by a failed refresh; background refreshes back off
///   exponentially (honouring `Retry-After`).
/// - [`invalidate`](Self::invalidate) drops a token the server rejected.
///
/// Cloning is cheap; clones share the cache. Must be used inside a Tokio runtime.
pub struct TokenCache<S: TokenSource> {
    inner: Arc<Inner<S>>,
}

impl<S: TokenSource> Clone for TokenCache<S> {
    fn clone(&self) -> Self {
        TokenCache {
            inner: self.inner.clone(),
        }
    }
}

impl<S: TokenSource> fmt::Debug for TokenCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.lock();
        f.debug_struct("TokenCache")
            .field("name", &self.inner.name)
            .field("token", &st.current)
            .field("fetch_in_flight", &st.inflight.is_some())
            .field("failures", &st.failures)
            .finish()
    }
}

impl<S> Inner<S> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent under every early return, so a poisoned lock (a panic
        // elsewhere while holding it) is safe to keep using.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S: TokenSource> Inner<S> {
    /// A fresh token: from the source, or through the shared store when there is one.
    async fn obtain(
        &self,
        cx: &FetchContext,
        rejected: Option<SecretString>,
    ) -> Result<FetchedToken, AuthError> {
        let Some(shared) = &self.config.shared else {
            return self.source.fetch(cx).await;
        };
        match self.obtain_shared(shared, cx, rejected).await {
            Err(e) if e.kind() == ErrorKind::StoreUnavailable => match shared.on_unavailable {
                OnUnavailable::FetchLocally => {
                    tracing::warn!(
                        cache = self.name,
                        error = %e,
                        "token store unreachable; fetching in this process"
                    );
                    self.source.fetch(cx).await
                }
                OnUnavailable::Fail => Err(e),
            },
            other => other,
        }
    }

    async fn obtain_shared(
        &self,
        shared: &SharedStore,
        cx: &FetchContext,
        rejected: Option<SecretString>,
    ) -> Result<FetchedToken, AuthError> {
        let store = &shared.store;
        let key = shared.key.as_str();
        if let Some(bad) = &rejected {
            store.remove_if(key, bad).await?;
        }
        let usable = |t: &StoredToken| -> Option<FetchedToken> {
            if rejected
                .as_ref()
                .is_some_and(|r| r.expose_secret() == t.value.expose_secret())
            {
                return None;
            }
            let now = self.clock.now();
            let lifetime = match t.expires_at {
                None => None,
                Some(exp) => {
                    let left = exp.duration_since(now).ok()?;
                    // Inside the refresh margin counts as stale fleet-wide.
                    if left <= self.config.refresh_margin {
                        return None;
                    }
                    Some(left)
                }
            };
            Some(FetchedToken {
                value: t.value.clone(),
                lifetime,
            })
        };
        let fence = format!("{:032x}", rand::random::<u128>());
        let deadline = tokio::time::Instant::now() + shared.wait_timeout;
        loop {
            if let Some(t) = store.load(key).await?.as_ref().and_then(usable) {
                tracing::debug!(cache = self.name, "token taken from the shared store");
                return Ok(t);
            }
            if store.try_lock(key, &fence, shared.lock_ttl).await? {
                // Re-check: the previous holder may have stored a token just before unlocking.
                if let Some(t) = store.load(key).await?.as_ref().and_then(usable) {
                    store.unlock(key, &fence).await?;
                    return Ok(t);
                }
                tracing::debug!(
                    cache = self.name,
                    "fetch lock taken; fetching for the fleet"
                );
                let fetched = self.source.fetch(cx).await;
                let result = match fetched {
                    Ok(f) => {
                        let now = self.clock.now();
                        let stored = StoredToken {
                            value: f.value.clone(),
                            expires_at: f.lifetime.map(|l| now + l),
                        };
                        match store.save(key, &fence, &stored, f.lifetime).await {
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
                        Ok(f)
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = store.unlock(key, &fence).await {
                    tracing::warn!(cache = self.name, error = %e, "could not release the fetch lock");
                }
                return result;
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
}

impl<S: TokenSource> TokenCache<S> {
    /// A cache over `source` with the system clock and default configuration.
    pub fn new(source: S) -> Self {
        Self::with_config(source, system_clock(), CacheConfig::default())
    }

    /// A cache with an explicit clock and configuration.
    pub fn with_config(source: S, clock: SharedClock, config: CacheConfig) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                source,
                clock,
                config,
                name: "token",
                state: Mutex::new(State {
                    current: None,
                    inflight: None,
                    failures: 0,
                    next_background_attempt: None,
                    fetches_started: 0,
                    rejected: None,
                }),
            }),
        }
    }

    /// Names the cache in tracing events (for example the provider's name).
    #[must_use]
    pub fn named(self, name: &'static str) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.name = name;
                TokenCache {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => TokenCache { inner },
        }
    }

    /// The clock this cache reads.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The token source.
    pub fn source(&self) -> &S {
        &self.inner.source
    }

    /// How many fetches this cache has started.
    pub fn fetches_started(&self) -> u64 {
        self.inner.lock().fetches_started
    }

    /// The cached token, if any, without fetching.
    pub fn peek(&self) -> Option<Arc<CachedToken>> {
        self.inner.lock().current.clone()
    }

    /// A valid token: the cached one, or a fresh one fetched (once, however many callers
    /// ask at the same time).
    pub async fn token(&self) -> Result<Arc<CachedToken>, AuthError> {
        let flight = {
            let mut st = self.inner.lock();
            let now = self.inner.clock.now();
            if let Some(tok) = &st.current {
                if tok.is_valid_at(now) {
                    let tok = tok.clone();
                    if tok.needs_refresh_at(now) && st.inflight.is_none() {
                        let due = st.next_background_attempt.is_none_or(|t| now >= t);
                        if due {
                            tracing::debug!(
                                cache = self.inner.name,
                                "refreshing token ahead of expiry"
                            );
                            // The flight runs on its own task; this caller does not wait for it.
                            drop(self.start_flight(&mut st));
                        }
                    }
                    return Ok(tok);
                }
                tracing::debug!(cache = self.inner.name, "cached token expired");
            }
            match &st.inflight {
                Some(f) => f.clone(),
                None => self.start_flight(&mut st),
            }
        };
        let result = flight.await;
        // Re-check after waking: a newer token may have arrived meanwhile.
        let st = self.inner.lock();
        let now = self.inner.clock.now();
        if let Some(tok) = st.current.as_ref().filter(|t| t.is_valid_at(now)) {
            return Ok(tok.clone());
        }
        result
    }

    /// Drops the cached token unconditionally; the next caller fetches a new one.
    pub fn invalidate(&self) {
        let mut st = self.inner.lock();
        if let Some(old) = st.current.take() {
            st.rejected = Some(old.secret().clone());
            tracing::debug!(cache = self.inner.name, "token invalidated");
        }
        st.next_background_attempt = None;
    }

    /// Drops `token` if it is still the cached one (a newer token fetched by another request
    /// is kept). Returns whether it was dropped.
    pub fn invalidate_token(&self, token: &CachedToken) -> bool {
        let mut st = self.inner.lock();
        if st.current.as_ref().is_some_and(|c| c.id() == token.id()) {
            st.current = None;
            st.rejected = Some(token.secret().clone());
            st.next_background_attempt = None;
            tracing::debug!(cache = self.inner.name, "rejected token invalidated");
            true
        } else {
            false
        }
    }

    /// Waits for a fetch in flight, if any, to finish (its result is ignored).
    pub async fn settle(&self) {
        let flight = self.inner.lock().inflight.clone();
        if let Some(f) = flight {
            let _ = f.await;
        }
    }

    fn start_flight(&self, st: &mut State) -> Flight {
        st.fetches_started += 1;
        let rejected = st.rejected.clone();
        let inner = self.inner.clone();
        let span = tracing::debug_span!("token_fetch", cache = inner.name);
        let handle = tokio::spawn(
            async move {
                let cx = FetchContext {
                    clock: inner.clock.clone(),
                };
                tracing::debug!(cache = inner.name, "fetching token");
                let fetched = match tokio::time::timeout(
                    inner.config.fetch_timeout,
                    inner.obtain(&cx, rejected),
                )
                .await
                {
                    Ok(r) => r,
                    Err(_) => Err(AuthError::new(
                        ErrorKind::Timeout,
                        format!(
                            "token fetch took longer than {:?}",
                            inner.config.fetch_timeout
                        ),
                    )),
                };
                let received_at = inner.clock.now();
                let result = fetched.and_then(|f| {
                    let jitter = if inner.config.jitter.is_zero() {
                        Duration::ZERO
                    } else {
                        rand::thread_rng().gen_range(Duration::ZERO..=inner.config.jitter)
                    };
                    CachedToken::new(f, received_at, inner.config.refresh_margin + jitter)
                        .map(Arc::new)
                });
                let mut st = inner.lock();
                st.inflight = None;
                match &result {
                    Ok(tok) => {
                        st.current = Some(tok.clone());
                        st.failures = 0;
                        st.next_background_attempt = None;
                        tracing::debug!(cache = inner.name, "token fetched");
                    }
                    Err(e) => {
                        st.failures = st.failures.saturating_add(1);
                        let exp = inner
                            .config
                            .min_backoff
                            .saturating_mul(1u32 << st.failures.saturating_sub(1).min(16));
                        let mut wait = exp.min(inner.config.max_backoff);
                        if let Some(after) = e.retry_after() {
                            wait = wait.max(after);
                        }
                        st.next_background_attempt = Some(received_at + wait);
                        tracing::warn!(
                            cache = inner.name,
                            error = %e,
                            retryable = e.is_retryable(),
                            failures = st.failures,
                            backoff = ?wait,
                            "token fetch failed"
                        );
                    }
                }
                result
            }
            .instrument(span),
        );
        let inner = self.inner.clone();
        let flight: Flight = async move {
            match handle.await {
                Ok(r) => r,
                Err(_) => {
                    // The fetch panicked: clear the flight so the next caller starts anew.
                    inner.lock().inflight = None;
                    Err(AuthError::new(
                        ErrorKind::Internal,
                        "token fetch task ended without a result",
                    ))
                }
            }
        }
        .boxed()
        .shared();
        st.inflight = Some(flight.clone());
        flight
    }
}
