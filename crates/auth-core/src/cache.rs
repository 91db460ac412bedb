//! The token cache: single-flight fetches, refresh ahead of expiry, backoff, invalidation.

use std::borrow::Cow;
use std::fmt;
#[cfg(feature = "metrics")]
use std::sync::OnceLock;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::clock::{SharedClock, system_clock};
use crate::error::{AuthError, ErrorKind, MAX_RETRY_AFTER};
use crate::health::{CacheHealth, CacheState};
#[cfg(feature = "metrics")]
use crate::instrument::CacheMetrics;
use crate::store::shared::Fleet;
use crate::store::{OnUnavailable, SharedStore};
use crate::token::{CachedToken, FetchContext, Timing, TokenSource};

/// How the cache refreshes and retries.
///
/// Build it from [`CacheConfig::default`] with the `with_*` setters (new settings may be
/// added in minor releases):
///
/// ```
/// use std::time::Duration;
/// use tollgate_auth_core::CacheConfig;
/// let cfg = CacheConfig::default()
///     .with_refresh_margin(Duration::from_secs(120))
///     .with_expiry_buffer(Duration::from_secs(5));
/// assert_eq!(cfg.refresh_margin, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Refresh this long before expiry (default 60 s). Capped at half the token's lifetime.
    pub refresh_margin: Duration,
    /// Up to this much extra, chosen at random per token, is added to the margin so that
    /// many processes do not refresh at the same instant (default 10 s).
    pub jitter: Duration,
    /// Stop handing a token out this long before it expires (default 10 s, at most a
    /// quarter of the token's lifetime): local expiry runs later than the server's by the
    /// fetch latency, so the last seconds of a lifetime are not worth a 401.
    pub expiry_buffer: Duration,
    /// Longest token lifetime believed (default 24 h): a server's larger `expiresIn` is
    /// clamped to it.
    pub max_lifetime: Duration,
    /// First wait after a failed fetch (default 1 s); doubles per failure.
    pub min_backoff: Duration,
    /// Longest wait between failed fetches (default 60 s); a longer `Retry-After` (up to
    /// [`MAX_RETRY_AFTER`]) wins.
    pub max_backoff: Duration,
    /// Bound on one fetch, so a token endpoint that never answers cannot hang callers
    /// (default 30 s, real time).
    pub fetch_timeout: Duration,
    /// At most one refetch caused by a rejected token per this interval (default 10 s):
    /// an endpoint that answers 401 for a reason a new token cannot fix costs one fetch per
    /// interval, not one (or two) per request.
    pub rejection_cooldown: Duration,
    /// Share tokens through a store beyond this cache (other processes, a Redis fleet).
    /// `None` (the default) keeps the token in this process's memory only.
    pub shared: Option<SharedStore>,
    /// The `credential` label of this cache's metrics (feature `metrics`; see the
    /// repository's `docs/metrics.md`): a name you choose for the credential, such as
    /// `"payments-prod"`. Default `"default"`. Never put a secret, a key or a digest of one
    /// here: metrics are read by people and systems that must not see credentials.
    pub metrics_label: Cow<'static, str>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            refresh_margin: Duration::from_secs(60),
            jitter: Duration::from_secs(10),
            expiry_buffer: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(24 * 3600),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(30),
            rejection_cooldown: Duration::from_secs(10),
            shared: None,
            metrics_label: Cow::Borrowed(DEFAULT_METRICS_LABEL),
        }
    }
}

/// The `credential` label of a cache's metrics when none is given
/// ([`CacheConfig::metrics_label`]).
pub const DEFAULT_METRICS_LABEL: &str = "default";

impl CacheConfig {
    /// Sets [`metrics_label`](Self::metrics_label), the `credential` label of this cache's
    /// metrics: a name for the credential, never the credential or a digest of it.
    ///
    /// ```
    /// use tollgate_auth_core::CacheConfig;
    /// let cfg = CacheConfig::default().with_metrics_label("payments-prod");
    /// assert_eq!(cfg.metrics_label, "payments-prod");
    /// assert_eq!(CacheConfig::default().metrics_label, "default");
    /// ```
    #[must_use]
    pub fn with_metrics_label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.metrics_label = label.into();
        self
    }

    /// Shares tokens through `store` (see [`crate::store`]).
    #[must_use]
    pub fn with_shared_store(mut self, store: SharedStore) -> Self {
        self.shared = Some(store);
        self
    }

    /// The default configuration without jitter (deterministic; handy in tests).
    pub fn without_jitter() -> Self {
        Self::default().with_jitter(Duration::ZERO)
    }

    /// Sets [`refresh_margin`](Self::refresh_margin).
    #[must_use]
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Sets [`jitter`](Self::jitter).
    #[must_use]
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets [`expiry_buffer`](Self::expiry_buffer).
    #[must_use]
    pub fn with_expiry_buffer(mut self, buffer: Duration) -> Self {
        self.expiry_buffer = buffer;
        self
    }

    /// Sets [`max_lifetime`](Self::max_lifetime).
    #[must_use]
    pub fn with_max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = max;
        self
    }

    /// Sets [`min_backoff`](Self::min_backoff) and [`max_backoff`](Self::max_backoff).
    #[must_use]
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min);
        self
    }

    /// Sets [`fetch_timeout`](Self::fetch_timeout).
    #[must_use]
    pub fn with_fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Sets [`rejection_cooldown`](Self::rejection_cooldown).
    #[must_use]
    pub fn with_rejection_cooldown(mut self, cooldown: Duration) -> Self {
        self.rejection_cooldown = cooldown;
        self
    }

    /// For a token of full `lifetime`: how long before its expiry a cache stops handing it
    /// out (the expiry buffer, at most a quarter of the lifetime) and how long before its
    /// expiry it is refreshed (the refresh margin without jitter, at most half the lifetime),
    /// as `(usable_before, refresh_before)`. This is also the rule by which a cache reuses a
    /// token from a shared store: only with more than `refresh_before` left.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tollgate_auth_core::CacheConfig;
    /// let (usable, refresh) = CacheConfig::default().before_expiry(Duration::from_secs(7200));
    /// assert_eq!((usable, refresh), (Duration::from_secs(10), Duration::from_secs(60)));
    /// ```
    pub fn before_expiry(&self, lifetime: Duration) -> (Duration, Duration) {
        self.timing(Duration::ZERO).before_expiry(lifetime)
    }

    pub(crate) fn timing(&self, jitter: Duration) -> Timing {
        Timing {
            refresh_ahead: self.refresh_margin.saturating_add(jitter),
            expiry_buffer: self.expiry_buffer,
            max_lifetime: self.max_lifetime,
        }
    }
}

/// Why a flight produced no token.
#[derive(Clone)]
enum FlightError {
    /// The fetch failed: the callers waiting on it get this error.
    Failed(AuthError),
    /// The task running the fetch ended without a result (it panicked, or its runtime shut
    /// down): a caller starts (or joins) a new fetch.
    Dead,
}

type Flight = Shared<BoxFuture<'static, Result<Arc<CachedToken>, FlightError>>>;

struct FlightSlot {
    generation: u64,
    flight: Flight,
    /// Started before the token it might return was rejected: new callers do not join it.
    superseded: bool,
}

struct State {
    current: Option<(u64, Arc<CachedToken>)>,
    flight: Option<FlightSlot>,
    next_generation: u64,
    failures: u32,
    /// No fetch starts before this (failure backoff, `Retry-After`).
    backoff_until: Option<SystemTime>,
    /// The failure that set the backoff, handed to callers without a token meanwhile.
    last_error: Option<AuthError>,
    fetches_started: u64,
    /// The last token the server rejected: never handed out again, never taken back from
    /// a shared store. Cleared once a different token has been fetched.
    rejected: Option<SecretString>,
    /// When a rejection last caused a refetch.
    last_rejection_refetch: Option<SystemTime>,
    /// When the current run of failed fetches began.
    failing_since: Option<SystemTime>,
    /// When the last fetch ended, and the last successful one.
    last_fetch: Option<SystemTime>,
    last_success: Option<SystemTime>,
}

struct Inner<S> {
    source: S,
    clock: SharedClock,
    config: CacheConfig,
    name: &'static str,
    state: Mutex<State>,
    /// The token every caller may take without the lock: a copy of `state.current` while
    /// it is outside its refresh window, `None` otherwise. Written only under `state`'s
    /// lock (so it never disagrees with `current` for longer than a store), read by the
    /// warm path with one atomic load and no lock shared by all callers (bench: no memory
    /// written that all cores share; two tasks sign 1.85–1.98× as fast as one).
    hot: ArcSwapOption<CachedToken>,
    /// The metric handles, registered when the cache is [`named`](TokenCache::named) (or
    /// on first use, for a cache that is not).
    #[cfg(feature = "metrics")]
    metrics: OnceLock<CacheMetrics>,
}

/// Caches the tokens of one credential.
///
/// - **Single-flight**: however many callers arrive while no token is cached, one fetch
///   runs; the others wait for it.
/// - **Fetch ownership**: the fetch runs on a task of its own, so dropping the caller that
///   started it neither cancels it nor loses its result. Each fetch carries a generation
///   and clears exactly its own "in flight" marker when its task ends — with a result, a
///   panic or its runtime's shutdown — so a caller never waits on a dead fetch and a cache
///   used from several runtimes in turn keeps working.
/// - **Refresh ahead**: from `refresh_margin` (+ jitter, at most half the lifetime) before
///   expiry, callers keep getting the still-valid token at once while one background fetch
///   replaces it. A token is not handed out in its last `expiry_buffer`.
/// - **Local expiry**: a token's expiry is its lifetime (clamped to `max_lifetime`)
///   counted by the cache's clock from when its request was sent (the server counts from
///   some moment after that, so a slow answer cannot carry the token past the server's
///   expiry), or for a stored token its store time-to-live from when it was read.
/// - **Failures**: an error is handed to the callers waiting on that fetch; a valid token
///   is never evicted by a failed refresh. After a failure the cache backs off
///   exponentially (at least as long as `Retry-After`): callers with a valid token keep
///   using it, callers without one get the failure back at once (with the time left in
///   [`AuthError::retry_after`]), and one fetch runs per backoff window.
/// - **Rejections**: [`reject`](Self::reject) drops a token the server refused, at most
///   once per `rejection_cooldown`; a fetch already in flight when a token is rejected is
///   not joined by later callers, and the rejected token is never handed out again.
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
            .field("token", &st.current.as_ref().map(|(_, t)| t))
            .field("fetch_in_flight", &st.flight.is_some())
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

    #[cfg(feature = "metrics")]
    fn metrics(&self) -> &CacheMetrics {
        self.metrics
            .get_or_init(|| CacheMetrics::register(self.name, &self.config.metrics_label))
    }

    /// Replaces the cached token (under the lock `st` came from) and its lock-free copy.
    fn set_current(&self, st: &mut State, current: Option<(u64, Arc<CachedToken>)>) {
        self.hot.store(current.as_ref().map(|(_, t)| t.clone()));
        st.current = current;
    }
}

/// A token obtained from the source or the store, before it is cached.
pub(crate) struct Obtained {
    pub(crate) value: SecretString,
    /// The moment `remaining` counts from: when the request to the source was sent (the
    /// server counts the lifetime from some moment after it), or when the store was read.
    pub(crate) as_of: SystemTime,
    /// Life left when received.
    pub(crate) remaining: Option<Duration>,
    /// Full lifetime (longer than `remaining` for a token taken from a store).
    pub(crate) full: Option<Duration>,
}

pub(crate) fn same_secret(a: &SecretString, b: &SecretString) -> bool {
    crate::credentials::constant_time_eq(a.expose_secret().as_bytes(), b.expose_secret().as_bytes())
}

impl<S: TokenSource> Inner<S> {
    /// A fresh token: from the source, or through the shared store when there is one.
    /// `rejected` and `refreshing` are the values that must not come back (the rejected
    /// token, and the token being refreshed).
    async fn obtain(
        &self,
        cx: &FetchContext,
        rejected: Option<SecretString>,
        refreshing: Option<SecretString>,
    ) -> Result<Obtained, AuthError> {
        let Some(shared) = &self.config.shared else {
            return self.fetch_source(cx).await;
        };
        let fleet = Fleet {
            shared,
            config: &self.config,
            clock: &self.clock,
            name: self.name,
        };
        match fleet
            .obtain(
                rejected.as_ref(),
                refreshing.as_ref(),
                self.fetch_source(cx),
            )
            .await
        {
            Err(e) if e.kind() == ErrorKind::StoreUnavailable => match shared.on_unavailable {
                OnUnavailable::FetchLocally => {
                    tracing::warn!(
                        cache = self.name,
                        error = %e,
                        "token store unreachable; fetching in this process"
                    );
                    self.fetch_source(cx).await
                }
                OnUnavailable::Fail => Err(e),
            },
            other => other,
        }
    }

    async fn fetch_source(&self, cx: &FetchContext) -> Result<Obtained, AuthError> {
        let as_of = self.clock.now();
        let f = self.source.fetch(cx).await?;
        Ok(Obtained {
            value: f.value,
            as_of,
            remaining: f.lifetime,
            full: f.lifetime,
        })
    }
}

/// Clears its fetch's "in flight" marker — and only its own — when the fetch task ends in
/// any way, including a panic or the runtime dropping the task.
struct FlightGuard<S: TokenSource> {
    inner: Arc<Inner<S>>,
    generation: u64,
}

impl<S: TokenSource> Drop for FlightGuard<S> {
    fn drop(&mut self) {
        let mut st = self.inner.lock();
        if st
            .flight
            .as_ref()
            .is_some_and(|f| f.generation == self.generation)
        {
            st.flight = None;
        }
    }
}

/// How many times a caller starts a new fetch after finding its fetch dead, before giving
/// up with an internal error.
const DEAD_FLIGHT_RETRIES: usize = 3;

impl<S: TokenSource> TokenCache<S> {
    /// A cache over `source` with the system clock and default configuration.
    pub fn new(source: S) -> Self {
        Self::with_config(source, system_clock(), CacheConfig::default())
    }

    /// A cache with an explicit clock and configuration.
    pub fn with_config(source: S, clock: SharedClock, config: CacheConfig) -> Self {
        // Every store call and lock wait counted where the store is bound, not at each call.
        #[cfg(feature = "metrics")]
        let config = CacheConfig {
            shared: config.shared.map(crate::instrument::CountedStore::wrap),
            ..config
        };
        TokenCache {
            inner: Arc::new(Inner {
                source,
                clock,
                config,
                name: "token",
                state: Mutex::new(State {
                    current: None,
                    flight: None,
                    next_generation: 1,
                    failures: 0,
                    backoff_until: None,
                    last_error: None,
                    fetches_started: 0,
                    rejected: None,
                    last_rejection_refetch: None,
                    failing_since: None,
                    last_fetch: None,
                    last_success: None,
                }),
                hot: ArcSwapOption::empty(),
                #[cfg(feature = "metrics")]
                metrics: OnceLock::new(),
            }),
        }
    }

    /// Names the cache in tracing events and in the `provider` label of its metrics (for
    /// example the provider's name). With the feature `metrics`, this is when the cache
    /// registers its metrics with the recorder in force (install yours before building the
    /// auth); a cache that is not named registers them on first use, as `"token"`.
    ///
    /// A cache that has been cloned already keeps its name.
    #[must_use]
    pub fn named(self, name: &'static str) -> Self {
        let cache = match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.name = name;
                TokenCache {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => TokenCache { inner },
        };
        #[cfg(feature = "metrics")]
        cache.inner.metrics();
        cache
    }

    /// The cache's name ([`named`](Self::named); `"token"` by default).
    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// The cache's state for readiness probes and status pages (see [`crate::health`]):
    /// fresh, refreshing or backing off, the time to expiry, the last fetch, the current run
    /// of failures. Starts no fetch; never contains the token. With the feature `metrics`,
    /// also updates the `tollgate_token_expires_in_seconds` gauge.
    pub fn health(&self) -> CacheHealth {
        let st = self.inner.lock();
        let now = self.inner.clock.now();
        let tok = st.current.as_ref().map(|(_, t)| t);
        let usable = tok.is_some_and(|t| t.is_valid_at(now));
        let backoff = st.backoff_until.filter(|until| now < *until);
        let state = if st.flight.is_some() {
            CacheState::Refreshing
        } else if let Some(until) = backoff {
            CacheState::BackingOff { until }
        } else if usable && tok.is_some_and(|t| t.needs_refresh_at(now)) {
            CacheState::Refreshing
        } else if usable {
            CacheState::Fresh
        } else {
            CacheState::Empty
        };
        let expires_at = tok.and_then(|t| t.expires_at());
        #[cfg(feature = "metrics")]
        self.inner.metrics().set_expiry(expires_at, now);
        CacheHealth {
            as_of: now,
            state,
            usable,
            expires_in: expires_at.map(|e| e.duration_since(now).unwrap_or_default()),
            refresh_at: tok.and_then(|t| t.refresh_at()),
            usable_until: tok.and_then(|t| t.usable_until()),
            last_fetch: st.last_fetch,
            last_success: st.last_success,
            failing_since: st.failing_since,
            last_error: st
                .failing_since
                .and(st.last_error.as_ref())
                .map(AuthError::kind),
            consecutive_failures: st.failures,
        }
    }

    /// The clock this cache reads.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The configuration this cache runs with.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// The token source.
    pub fn source(&self) -> &S {
        &self.inner.source
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// How many fetches this cache has started.
    pub fn fetches_started(&self) -> u64 {
        self.inner.lock().fetches_started
    }

    /// The cached token, if any, without fetching.
    pub fn peek(&self) -> Option<Arc<CachedToken>> {
        self.inner.lock().current.as_ref().map(|(_, t)| t.clone())
    }

    /// A valid token: the cached one, or a fresh one fetched (once, however many callers
    /// ask at the same time).
    ///
    /// Inside a backoff window after a failed fetch, a caller without a valid token gets
    /// that failure back at once, with [`AuthError::retry_after`] set to the time left.
    pub async fn token(&self) -> Result<Arc<CachedToken>, AuthError> {
        // Warm path: a valid token outside its refresh window needs no decision, so it is
        // taken without the lock (every other case goes through the locked path below).
        if let Some(tok) = self.warm() {
            return Ok(tok);
        }
        for _ in 0..DEAD_FLIGHT_RETRIES {
            let flight = {
                let mut st = self.inner.lock();
                let now = self.inner.clock.now();
                if let Some((_, tok)) = &st.current {
                    if tok.is_valid_at(now) {
                        let tok = tok.clone();
                        if tok.needs_refresh_at(now) {
                            // Refresh ahead: from now on callers take the locked path, which
                            // starts (at most) one flight and hands out the valid token.
                            self.inner.hot.store(None);
                        }
                        if tok.needs_refresh_at(now)
                            && st.flight.is_none()
                            && st.backoff_until.is_none_or(|t| now >= t)
                        {
                            tracing::debug!(
                                cache = self.inner.name,
                                "refreshing token ahead of expiry"
                            );
                            // The flight runs on its own task; this caller does not wait.
                            drop(self.start_flight(&mut st, Some(tok.secret().clone())));
                        }
                        return Ok(tok);
                    }
                    tracing::debug!(cache = self.inner.name, "cached token expired");
                }
                match &st.flight {
                    Some(f) if !f.superseded => f.flight.clone(),
                    _ => {
                        if let (Some(until), Some(err)) = (st.backoff_until, &st.last_error)
                            && let Ok(left) = until.duration_since(now)
                            && !left.is_zero()
                        {
                            return Err(err.clone().with_retry_after(left));
                        }
                        self.start_flight(&mut st, None)
                    }
                }
            };
            match flight.await {
                Ok(tok) => return Ok(tok),
                Err(FlightError::Failed(e)) => {
                    // A newer token may have arrived meanwhile (a fetch that superseded ours).
                    let st = self.inner.lock();
                    let now = self.inner.clock.now();
                    if let Some((_, tok)) = st.current.as_ref().filter(|(_, t)| t.is_valid_at(now))
                    {
                        return Ok(tok.clone());
                    }
                    return Err(e);
                }
                Err(FlightError::Dead) => {
                    tracing::warn!(
                        cache = self.inner.name,
                        "token fetch task ended without a result; starting another"
                    );
                }
            }
        }
        Err(AuthError::new(
            ErrorKind::Internal,
            "token fetch tasks keep ending without a result (panicking token source?)",
        ))
    }

    /// The lock-free copy of the cached token, when it is valid at the clock's current time
    /// and not yet due for a refresh.
    #[inline]
    fn warm(&self) -> Option<Arc<CachedToken>> {
        self.with_warm(Arc::clone)
    }

    /// Runs `f` on the lock-free copy of the cached token, when it is valid at the clock's
    /// current time and not yet due for a refresh. Neither a lock nor the token's reference
    /// count is touched, so tasks on different cores reading the same token write no memory
    /// they share (`arc-swap` records the read in a slot of the reading thread).
    #[inline]
    pub(crate) fn with_warm<R>(&self, f: impl FnOnce(&Arc<CachedToken>) -> R) -> Option<R> {
        let hot = self.inner.hot.load();
        let tok = hot.as_ref()?;
        let now = self.inner.clock.now();
        tok.is_warm_at(now).then(|| f(tok))
    }

    /// Drops the cached token unconditionally; the next caller fetches a new one (after
    /// any backoff window in force). A fetch in flight is not joined by later callers.
    pub fn invalidate(&self) {
        let mut st = self.inner.lock();
        self.inner.hot.store(None);
        if let Some((_, old)) = st.current.take() {
            st.rejected = Some(old.secret().clone());
            tracing::debug!(cache = self.inner.name, "token invalidated");
        }
        if let Some(f) = st.flight.as_mut() {
            f.superseded = true;
        }
    }

    /// Drops `token` if it is still the cached one (a newer token fetched by another request
    /// is kept). Returns whether it was dropped. Not rate-limited: see
    /// [`reject`](Self::reject) for the server-rejection path.
    pub fn invalidate_token(&self, token: &CachedToken) -> bool {
        let mut st = self.inner.lock();
        if st
            .current
            .as_ref()
            .is_some_and(|(_, c)| c.id() == token.id())
        {
            Self::drop_rejected(&self.inner, &mut st, token);
            tracing::debug!(cache = self.inner.name, "token invalidated");
            true
        } else {
            false
        }
    }

    /// Reports that the server rejected `token`. Returns whether a retry can get a
    /// different token:
    /// - `token` is no longer the cached one (another request replaced it): `true`;
    /// - it is, and no rejection caused a refetch within `rejection_cooldown`: it is
    ///   dropped (never to be handed out again, nor taken back from a shared store), a
    ///   fetch already in flight is not joined by later callers, and `true`;
    /// - it is, within the cooldown: it is kept and `false` — a stream of rejections costs
    ///   at most one fetch per cooldown.
    pub fn reject(&self, token: &CachedToken) -> bool {
        self.reject_id(token.id())
    }

    /// [`reject`](Self::reject) for the token whose id is `id`.
    pub(crate) fn reject_id(&self, id: u64) -> bool {
        #[cfg(feature = "metrics")]
        self.inner.metrics().rejected();
        let mut st = self.inner.lock();
        let now = self.inner.clock.now();
        let Some(token) = st
            .current
            .as_ref()
            .filter(|(_, c)| c.id() == id)
            .map(|(_, c)| Arc::clone(c))
        else {
            return true;
        };
        let cooling = st.last_rejection_refetch.is_some_and(|last| {
            last.checked_add(self.inner.config.rejection_cooldown)
                .is_some_and(|until| now < until)
        });
        if cooling {
            tracing::debug!(
                cache = self.inner.name,
                "token rejected again within the rejection cooldown; keeping it"
            );
            return false;
        }
        st.last_rejection_refetch = Some(now);
        Self::drop_rejected(&self.inner, &mut st, &token);
        tracing::debug!(cache = self.inner.name, "rejected token invalidated");
        true
    }

    fn drop_rejected(inner: &Inner<S>, st: &mut State, token: &CachedToken) {
        inner.set_current(st, None);
        st.rejected = Some(token.secret().clone());
        if let Some(f) = st.flight.as_mut() {
            f.superseded = true;
        }
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// Waits for a fetch in flight, if any, to finish (its result is ignored).
    pub async fn settle(&self) {
        let flight = self.inner.lock().flight.as_ref().map(|f| f.flight.clone());
        if let Some(f) = flight {
            let _ = f.await;
        }
    }

    fn start_flight(&self, st: &mut State, refreshing: Option<SecretString>) -> Flight {
        st.fetches_started += 1;
        let generation = st.next_generation;
        st.next_generation += 1;
        let rejected = st.rejected.clone();
        let rejected_at_start = rejected.clone();
        let inner = self.inner.clone();
        let guard = FlightGuard {
            inner: inner.clone(),
            generation,
        };
        let span = tracing::debug_span!("token_fetch", cache = inner.name);
        let handle = tokio::spawn(
            async move {
                let _guard = guard;
                let cx = FetchContext {
                    clock: inner.clock.clone(),
                };
                tracing::debug!(cache = inner.name, "fetching token");
                #[cfg(feature = "metrics")]
                let started = std::time::Instant::now();
                // A panicking source is a failed fetch, backed off like any other: left to
                // kill the task, it would read as a dead fetch that every caller restarts.
                let obtain = std::panic::AssertUnwindSafe(inner.obtain(&cx, rejected, refreshing))
                    .catch_unwind()
                    .map(|r| {
                        r.unwrap_or_else(|_| {
                            Err(AuthError::new(
                                ErrorKind::Internal,
                                "the token source panicked while fetching",
                            ))
                        })
                    });
                let fetched = match tokio::time::timeout(inner.config.fetch_timeout, obtain).await {
                    Ok(r) => r,
                    Err(_) => Err(AuthError::new(
                        ErrorKind::Timeout,
                        format!(
                            "token fetch took longer than {:?}",
                            inner.config.fetch_timeout
                        ),
                    )),
                };
                let landed = Self::land(&inner, generation, rejected_at_start, fetched);
                #[cfg(feature = "metrics")]
                inner
                    .metrics()
                    .fetched(&landed, started.elapsed(), inner.clock.now());
                landed
            }
            .instrument(span),
        );
        let flight: Flight = async move {
            match handle.await {
                Ok(r) => r.map_err(FlightError::Failed),
                Err(_) => Err(FlightError::Dead),
            }
        }
        .boxed()
        .shared();
        st.flight = Some(FlightSlot {
            generation,
            flight: flight.clone(),
            superseded: false,
        });
        flight
    }

    /// Records a fetch's outcome in the cache state.
    fn land(
        inner: &Inner<S>,
        generation: u64,
        rejected_at_start: Option<SecretString>,
        fetched: Result<Obtained, AuthError>,
    ) -> Result<Arc<CachedToken>, AuthError> {
        let received_at = inner.clock.now();
        let mut st = inner.lock();
        st.last_fetch = Some(received_at);
        if st
            .flight
            .as_ref()
            .is_some_and(|f| f.generation == generation)
        {
            st.flight = None;
        }
        // A fetch that started before its token was rejected (a refresh in flight at the
        // time) must not bring that token back into the cache. A fetch started after the
        // rejection stands: it is the source's current answer (a self-signed JWT minted in
        // the same second is the same bytes).
        let mut predates_rejection = false;
        let result = fetched.and_then(|o| {
            predates_rejection = st
                .rejected
                .as_ref()
                .is_some_and(|r| same_secret(r, &o.value))
                && !rejected_at_start
                    .as_ref()
                    .is_some_and(|r| same_secret(r, &o.value));
            let jitter = if inner.config.jitter.is_zero() {
                Duration::ZERO
            } else {
                rand::thread_rng().gen_range(Duration::ZERO..=inner.config.jitter)
            };
            CachedToken::new(
                o.value,
                o.remaining,
                o.full,
                o.as_of.min(received_at),
                &inner.config.timing(jitter),
            )
            .map(Arc::new)
        });
        match &result {
            Ok(_) if predates_rejection => {
                tracing::debug!(
                    cache = inner.name,
                    "a fetch older than a rejection returned the rejected token; not cached"
                );
            }
            Ok(tok) => {
                // A fetch that finished late never replaces a newer token.
                if st.current.as_ref().is_none_or(|(g, _)| *g < generation) {
                    inner.set_current(&mut st, Some((generation, tok.clone())));
                }
                st.failures = 0;
                st.backoff_until = None;
                st.last_error = None;
                st.rejected = None;
                st.failing_since = None;
                st.last_success = Some(received_at);
                tracing::debug!(cache = inner.name, "token fetched");
            }
            Err(e) => {
                st.failures = st.failures.saturating_add(1);
                st.failing_since.get_or_insert(received_at);
                let cfg = &inner.config;
                let exp = cfg
                    .min_backoff
                    .saturating_mul(1u32 << st.failures.saturating_sub(1).min(16));
                let mut wait = exp.min(cfg.max_backoff);
                if let Some(after) = e.retry_after() {
                    wait = wait.max(after.min(MAX_RETRY_AFTER));
                }
                st.backoff_until = received_at.checked_add(wait);
                st.last_error = Some(e.clone());
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
}
