//! Tokens and the sources that produce them.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use secrecy::SecretString;

use crate::clock::SharedClock;
use crate::error::AuthError;

/// A token as a [`TokenSource`] hands it over: the secret value and how long it lives,
/// counted from when it is received (never from the server's clock).
pub struct FetchedToken {
    /// The token (a JWT, an opaque access token…).
    pub value: SecretString,
    /// Its lifetime from local receive time; `None` for tokens that do not expire on their
    /// own (they live until [`TokenCache::invalidate`](crate::TokenCache::invalidate)).
    pub lifetime: Option<Duration>,
}

impl FetchedToken {
    /// A token with a known lifetime.
    pub fn new(value: impl Into<String>, lifetime: Duration) -> Self {
        FetchedToken {
            value: SecretString::from(value.into()),
            lifetime: Some(lifetime),
        }
    }

    /// A token that lives until invalidated.
    pub fn without_expiry(value: impl Into<String>) -> Self {
        FetchedToken {
            value: SecretString::from(value.into()),
            lifetime: None,
        }
    }
}

impl fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedToken")
            .field("value", &"[REDACTED]")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// What a token source may look at while fetching.
#[derive(Debug, Clone)]
pub struct FetchContext {
    /// The clock every time decision uses (JWT `iat`, signed timestamps).
    pub clock: SharedClock,
}

/// Where tokens come from: a provider's token endpoint, or a local signer that mints a JWT.
///
/// The cache calls `fetch` at most once at a time per cache, on a task of its own, so an
/// implementation needs no locking of its own.
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a fresh token.
    fn fetch(
        &self,
        cx: &FetchContext,
    ) -> impl Future<Output = Result<FetchedToken, AuthError>> + Send;
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A token held by the cache, with the times that govern it and a ready-made
/// `Authorization: Bearer …` header value.
pub struct CachedToken {
    id: u64,
    value: SecretString,
    bearer: HeaderValue,
    received_at: SystemTime,
    expires_at: Option<SystemTime>,
    refresh_at: Option<SystemTime>,
}

impl CachedToken {
    pub(crate) fn new(
        fetched: FetchedToken,
        received_at: SystemTime,
        refresh_ahead: Duration,
    ) -> Result<Self, AuthError> {
        let bearer = crate::credentials::bearer_header(&fetched.value)?;
        let (expires_at, refresh_at) = match fetched.lifetime {
            Some(life) => {
                // Never refresh earlier than half-way through the lifetime, so a margin
                // larger than the lifetime cannot make every request refresh.
                let ahead = refresh_ahead.min(life / 2);
                (Some(received_at + life), Some(received_at + (life - ahead)))
            }
            None => (None, None),
        };
        Ok(CachedToken {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value: fetched.value,
            bearer,
            received_at,
            expires_at,
            refresh_at,
        })
    }

    /// The token itself (SNAP signs it into each request).
    pub fn secret(&self) -> &SecretString {
        &self.value
    }

    /// `Bearer <token>`, marked sensitive.
    pub fn bearer_header(&self) -> &HeaderValue {
        &self.bearer
    }

    /// When the token was received, by the cache's clock.
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// When the token expires, if it does.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When the cache starts refreshing it in the background.
    pub fn refresh_at(&self) -> Option<SystemTime> {
        self.refresh_at
    }

    /// Whether the token is still usable at `now`.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }

    /// Whether the token should be refreshed at `now` (it may still be valid).
    pub fn needs_refresh_at(&self, now: SystemTime) -> bool {
        self.refresh_at.is_some_and(|r| now >= r)
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &"[REDACTED]")
            .field("received_at", &self.received_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}
