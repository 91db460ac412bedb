//! What a [`TokenCache`](crate::TokenCache) reports about itself for readiness probes:
//! [`TokenCache::health`](crate::TokenCache::health) (also on every provider's auth type:
//! `BearerAuth::health`, `SnapAuth::health`, `GtrAuth::health`).
//!
//! A snapshot, taken under the cache's lock at the cache clock's current time; it never
//! starts a fetch and never contains the token.
//!
//! # A Kubernetes readiness probe
//!
//! A pod is worth traffic while it holds a usable token, or while it has no token yet but
//! has not been failing to get one for long. [`CacheHealth::is_ready`] is that rule, with
//! the grace you choose; serve it on the path the probe reads:
//!
//! ```
//! # use std::time::Duration;
//! # use tollgate_auth_core::health::CacheHealth;
//! /// The status code of `GET /healthz`.
//! fn readiness(health: &CacheHealth) -> u16 {
//!     // Ready with a usable token, or without one for less than 2 minutes of failures.
//!     if health.is_ready(Duration::from_secs(120)) { 200 } else { 503 }
//! }
//! ```
//!
//! ```yaml
//! readinessProbe:
//!   httpGet: { path: /healthz, port: 8080 }
//!   periodSeconds: 10
//!   failureThreshold: 3
//! ```
//!
//! Keep liveness out of it: a provider outage is no reason to restart the pod (the cache
//! recovers by itself once the provider answers again), only to send traffic elsewhere. The
//! crate `tollgate-v5-openapi` has a runnable service, `examples/metrics_server.rs`, that
//! serves `/healthz` this way beside `/metrics`.

use std::time::{Duration, SystemTime};

use crate::error::ErrorKind;

/// What the cache is doing now (see [`CacheHealth::state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheState {
    /// No token and nothing under way: the cache has not been asked yet, or its token
    /// expired while nobody asked. The next request fetches.
    Empty,
    /// A usable token outside its refresh window: requests take it at once.
    Fresh,
    /// A fetch is under way, or the token is due for its refresh ahead of expiry (the next
    /// request starts it). A token may still be usable meanwhile
    /// ([`CacheHealth::usable`]).
    Refreshing,
    /// The last fetch failed and no fetch starts before `until` (exponential backoff, or
    /// the provider's `Retry-After`). Requests keep a still-usable token; without one they
    /// get the failure back at once.
    BackingOff {
        /// When the next fetch may start, by the cache's clock.
        until: SystemTime,
    },
}

impl CacheState {
    /// The state's stable name: `empty`, `fresh`, `refreshing` or `backing_off`.
    pub fn name(&self) -> &'static str {
        match self {
            CacheState::Empty => "empty",
            CacheState::Fresh => "fresh",
            CacheState::Refreshing => "refreshing",
            CacheState::BackingOff { .. } => "backing_off",
        }
    }
}

/// A token cache's state for readiness probes and status pages
/// ([`TokenCache::health`](crate::TokenCache::health)). Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheHealth {
    /// The cache clock's time when the snapshot was taken; the durations below count from
    /// it.
    pub as_of: SystemTime,
    /// What the cache is doing.
    pub state: CacheState,
    /// Whether a request would get a token now without waiting for a fetch.
    pub usable: bool,
    /// Time until the cached token expires (`None`: no token, or one without an expiry;
    /// zero once it has expired).
    pub expires_in: Option<Duration>,
    /// When the cache starts refreshing the cached token (`None`: no token, or one without
    /// an expiry).
    pub refresh_at: Option<SystemTime>,
    /// When the cache stops handing the cached token out (its expiry less the expiry
    /// buffer).
    pub usable_until: Option<SystemTime>,
    /// When the last fetch ended, whatever its outcome.
    pub last_fetch: Option<SystemTime>,
    /// When the last successful fetch ended.
    pub last_success: Option<SystemTime>,
    /// When the current run of failed fetches began (`None` while the last fetch
    /// succeeded, or before any fetch).
    pub failing_since: Option<SystemTime>,
    /// The kind of the last failure in the current run (`None` when not failing).
    pub last_error: Option<ErrorKind>,
    /// Failed fetches in a row (0 after a success).
    pub consecutive_failures: u32,
}

impl CacheHealth {
    /// Whether the cache's last fetch failed and no success followed.
    pub fn is_failing(&self) -> bool {
        self.failing_since.is_some()
    }

    /// How long the current run of failures has lasted (`None` when not failing).
    pub fn failing_for(&self) -> Option<Duration> {
        self.failing_since
            .map(|since| self.as_of.duration_since(since).unwrap_or_default())
    }

    /// The readiness rule: ready while a token is usable; without one, ready unless fetches
    /// have been failing for `grace` or longer (a cold cache that has not fetched yet, or
    /// whose fetch is under way, is ready: its first request fetches).
    ///
    /// `grace` of zero makes any failure without a usable token unready.
    pub fn is_ready(&self, grace: Duration) -> bool {
        if self.usable {
            return true;
        }
        match self.failing_for() {
            None => true,
            Some(for_) => for_ < grace,
        }
    }
}
