//! Token stores: where a [`TokenCache`](crate::TokenCache) shares its tokens beyond one
//! process.
//!
//! Without a store (the default, `CacheConfig::shared == None`) each cache keeps its token in
//! the process's memory and fetches it once per process. Give the cache a [`SharedStore`] and
//! every cache bound to the same store and key — in this process or in any other — shares one
//! token: one of them fetches under a lock while the others wait for the stored token.
//!
//! - [`MemoryStore`]: an in-process store (several caches in one process; tests).
//! - `RedisStore` (feature `redis`): a fleet of processes on one Redis.
//! - `FileStore` (feature `file-store`): processes on one host, through files in a private
//!   directory (the `tollgate` command line shares tokens between its runs this way).
//!
//! # Semantics
//! - The lock has an expiry and a random fencing value: a holder that dies mid-fetch blocks
//!   the others only until the lock expires, and a holder whose lock expired cannot overwrite
//!   the token stored by its successor.
//! - One staleness rule for the local cache and the store: a stored token is reused while
//!   it is outside the refresh margin (`CacheConfig::refresh_margin`, capped at half the
//!   token's full lifetime, as locally) and the expiry buffer. A cache that reaches its own
//!   (jittered) refresh time does not take its own token back from the store: the first
//!   process to reach its refresh time fetches, the others find the fresh token.
//! - The lock is released on every exit path of a fetch (success, failure, timeout,
//!   cancellation) and renewed while the fetch runs, so it lasts as long as the fetch and
//!   no longer.
//! - Stored values are untrusted: one that cannot be parsed, is not a usable header value,
//!   has no time-to-live or claims more than `CacheConfig::max_lifetime` is treated as
//!   absent and overwritten by the next fetch. The remaining life is the store's own
//!   time-to-live, so clock skew between hosts does not matter.
//! - When the store cannot be reached, [`OnUnavailable`] decides: fetch in this process (with
//!   a warning) or fail with a retryable [`ErrorKind::StoreUnavailable`] error.
//!
//! # Security
//! The stored value is a bearer secret. Anyone who can read the store can call the provider
//! as you. Protect it like the credential itself: a Redis ACL user limited to the key prefix
//! (`~tollgate:*`), TLS (`rediss://` URLs; enable the `redis` crate's `tokio-rustls-comp`
//! feature in your application), and no persistence to shared disks if you can avoid it.
//! tollgate never logs the stored value.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::clock::SharedClock;
use crate::error::{AuthError, ErrorKind};

#[cfg(feature = "file-store")]
mod file_store;
#[cfg(feature = "redis")]
mod redis_store;
pub(crate) mod shared;
#[cfg(feature = "file-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "file-store")))]
pub use file_store::{FileStore, FileStoreError};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisStore;

/// A token as kept in a store.
///
/// Stores keep the encoded form ([`encode`](Self::encode)) with a time-to-live equal to the
/// token's remaining life, and report the remaining life from that time-to-live (Redis
/// `PTTL`), never from the writer's wall clock: clock skew between hosts does not matter.
#[derive(Clone)]
pub struct StoredToken {
    /// The token.
    pub value: SecretString,
    /// How long it still lives, by the store's own time-to-live; `None` when the store has
    /// no expiry for it (a value no tollgate cache writes: caches treat it as absent).
    pub remaining: Option<Duration>,
    /// Its full lifetime when it was fetched; `None` for a token that does not expire on its
    /// own.
    pub lifetime: Option<Duration>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("value", &crate::Redacted)
            .field("remaining", &self.remaining)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl StoredToken {
    /// Serialised form: `<full lifetime in ms, or ->:<token>`.
    pub fn encode(&self) -> String {
        let life = match self.lifetime {
            Some(t) => t.as_millis().to_string(),
            None => "-".to_string(),
        };
        format!("{life}:{}", self.value.expose_secret())
    }

    /// Parses [`encode`](Self::encode)'s form, with `remaining` as the store reports it.
    /// Anything else is `None`: a value that cannot be parsed is treated as absent.
    pub fn decode(s: &str, remaining: Option<Duration>) -> Option<Self> {
        let (life, value) = s.split_once(':')?;
        if value.is_empty() {
            return None;
        }
        let lifetime = match life {
            "-" => None,
            ms if !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Duration::from_millis(ms.parse().ok()?))
            }
            _ => return None,
        };
        Some(StoredToken {
            value: SecretString::from(value.to_string()),
            remaining,
            lifetime,
        })
    }
}

/// A place several caches share tokens through. Errors mean "the store is unreachable or
/// misbehaving"; the cache then follows [`OnUnavailable`].
///
/// Every value read back is untrusted: the cache checks it (a usable header value, a
/// remaining life within the cache's caps) and treats anything else as absent.
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// The token stored under `key`, if any, with its remaining life from the store's
    /// time-to-live.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>>;

    /// Stores `token` under `key` for `ttl` if the lock on `key` is still held with `fence`.
    /// Returns whether it was stored.
    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;

    /// Takes the fetch lock on `key` for `ttl` with the fencing value `fence`, if free.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;

    /// Extends the lock on `key` to `ttl` from now if it is still held with `fence`.
    /// Returns whether it is still held.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;

    /// Releases the lock on `key` if it is still held with `fence`.
    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>>;

    /// Removes the token under `key` if it is still `value` (a rejected token).
    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>>;

    /// The kind of store, for the `store` label of the store metrics (feature `metrics`):
    /// `"memory"`, `"redis"`, `"file"`; default `"custom"`. A fixed name, never a URL or a
    /// path.
    fn name(&self) -> &'static str {
        "custom"
    }
}

/// What a cache does when its shared store cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnavailable {
    /// Fetch in this process, as if there were no store, and log a warning (the default:
    /// requests keep flowing, at the price of one fetch per process while the store is down).
    #[default]
    FetchLocally,
    /// Fail with a retryable [`ErrorKind::StoreUnavailable`] error (for providers where a
    /// second login logs the first out, such as GTR's single sign-on).
    Fail,
}

/// Binds a cache to a shared store under a key that identifies one credential.
#[derive(Clone)]
pub struct SharedStore {
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) key: String,
    pub(crate) on_unavailable: OnUnavailable,
    pub(crate) lock_ttl: Duration,
    pub(crate) wait_timeout: Duration,
    pub(crate) poll_interval: Duration,
}

impl fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedStore")
            .field("store", &self.store)
            .field("key", &self.key)
            .field("on_unavailable", &self.on_unavailable)
            .field("lock_ttl", &self.lock_ttl)
            .finish()
    }
}

impl SharedStore {
    /// Shares tokens through `store` under `key`. The key must identify the credential (for
    /// example `"snap:<client key>"`): caches with the same key share one token.
    ///
    /// Defaults: fetch locally when the store is down, a 10 s lock (renewed every third of
    /// that while the fetch runs, so a slow fetch keeps it and a dead holder blocks the
    /// others at most 10 s), wait up to 20 s for another process's fetch, poll every 50 ms
    /// while waiting.
    ///
    /// An empty key is refused (field `key`): it names no credential, and on Redis Cluster
    /// its empty hash tag would put the token and lock keys in different slots.
    pub fn new(store: Arc<dyn TokenStore>, key: impl Into<String>) -> Result<Self, AuthError> {
        let key = key.into();
        if key.is_empty() {
            return Err(AuthError::invalid_field(
                "key",
                "must name the credential (for example \"v5:<app id>\"), not be empty",
            ));
        }
        Ok(SharedStore {
            store,
            key,
            on_unavailable: OnUnavailable::default(),
            lock_ttl: Duration::from_secs(10),
            wait_timeout: Duration::from_secs(20),
            poll_interval: Duration::from_millis(50),
        })
    }

    /// What to do when the store is unreachable.
    #[must_use]
    pub fn on_unavailable(mut self, choice: OnUnavailable) -> Self {
        self.on_unavailable = choice;
        self
    }

    /// How long the fetch lock lives without renewal (real time): a holder that dies blocks
    /// the others this long. A live holder renews it every third of this while it fetches.
    #[must_use]
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// How long to wait for another holder's fetch before giving up (retryable timeout).
    #[must_use]
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait_timeout = wait;
        self
    }

    /// How often to look for the stored token while another process fetches.
    #[must_use]
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }
}

/// An in-process [`TokenStore`]: caches in one process share tokens through it, with the
/// same locking semantics as a fleet store. Lock expiry reads the given clock.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    clock: SharedClock,
    inner: Arc<Mutex<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    /// Encoded token and when the store forgets it (by the store's clock).
    tokens: HashMap<String, (String, Option<SystemTime>)>,
    locks: HashMap<String, (String, SystemTime)>,
    available: bool,
}

impl MemoryStore {
    /// An empty store whose lock expiry follows `clock`.
    pub fn new(clock: SharedClock) -> Self {
        MemoryStore {
            clock,
            inner: Arc::new(Mutex::new(MemoryInner {
                available: true,
                ..Default::default()
            })),
        }
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// Simulates the store going down (`false`) or coming back (`true`).
    pub fn set_available(&self, up: bool) {
        self.lock().available = up;
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// Writes `raw` under `key` as another writer might (any bytes, any time-to-live), for
    /// tests of what a cache does with a value it did not write.
    pub fn insert_raw(&self, key: &str, raw: &str, ttl: Option<Duration>) {
        let until = ttl.and_then(|t| self.clock.now().checked_add(t));
        self.lock()
            .tokens
            .insert(key.to_string(), (raw.to_string(), until));
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// Whether the fetch lock on `key` is held now.
    pub fn is_locked(&self, key: &str) -> bool {
        let now = self.clock.now();
        self.lock()
            .locks
            .get(key)
            .is_some_and(|(_, until)| now < *until)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn guard(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>, AuthError> {
        let g = self.lock();
        if g.available {
            Ok(g)
        } else {
            Err(AuthError::new(
                ErrorKind::StoreUnavailable,
                "memory store is marked unavailable",
            ))
        }
    }

    fn holds(&self, inner: &MemoryInner, key: &str, fence: &str) -> bool {
        let now = self.clock.now();
        inner
            .locks
            .get(key)
            .is_some_and(|(f, until)| f == fence && now < *until)
    }

    /// The live encoded value under `key` and its remaining life.
    fn live(&self, inner: &MemoryInner, key: &str) -> Option<(String, Option<Duration>)> {
        let now = self.clock.now();
        let (raw, until) = inner.tokens.get(key)?;
        match until {
            None => Some((raw.clone(), None)),
            Some(u) => {
                let left = u.duration_since(now).ok().filter(|d| !d.is_zero())?;
                Some((raw.clone(), Some(left)))
            }
        }
    }
}

impl TokenStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        Box::pin(async move {
            let g = self.guard()?;
            Ok(self
                .live(&g, key)
                .and_then(|(raw, left)| StoredToken::decode(&raw, left)))
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut g = self.guard()?;
            if !self.holds(&g, key, fence) {
                return Ok(false);
            }
            let until = self.clock.now().checked_add(ttl);
            g.tokens.insert(key.to_string(), (token.encode(), until));
            Ok(true)
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut g = self.guard()?;
            let now = self.clock.now();
            if g.locks.get(key).is_some_and(|(_, until)| now < *until) {
                return Ok(false);
            }
            let until = now.checked_add(ttl).unwrap_or(now);
            g.locks.insert(key.to_string(), (fence.to_string(), until));
            Ok(true)
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut g = self.guard()?;
            if !self.holds(&g, key, fence) {
                return Ok(false);
            }
            let now = self.clock.now();
            let until = now.checked_add(ttl).unwrap_or(now);
            g.locks.insert(key.to_string(), (fence.to_string(), until));
            Ok(true)
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let mut g = self.guard()?;
            if g.locks.get(key).is_some_and(|(f, _)| f == fence) {
                g.locks.remove(key);
            }
            Ok(())
        })
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let mut g = self.guard()?;
            let matches = self
                .live(&g, key)
                .and_then(|(raw, left)| StoredToken::decode(&raw, left))
                .is_some_and(|t| t.value.expose_secret() == value.expose_secret());
            if matches {
                g.tokens.remove(key);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_token_round_trip() {
        let t = StoredToken {
            value: SecretString::from("a:b:c".to_string()),
            remaining: Some(Duration::from_secs(5)),
            lifetime: Some(Duration::from_millis(900_123)),
        };
        let back = StoredToken::decode(&t.encode(), Some(Duration::from_secs(4))).expect("decodes");
        assert_eq!(back.value.expose_secret(), "a:b:c");
        assert_eq!(back.lifetime, t.lifetime);
        assert_eq!(back.remaining, Some(Duration::from_secs(4)));
        let forever = StoredToken {
            value: SecretString::from("x".to_string()),
            remaining: None,
            lifetime: None,
        };
        assert_eq!(
            StoredToken::decode(&forever.encode(), None)
                .expect("d")
                .lifetime,
            None
        );
        for bad in [
            "",
            "nocolon",
            "12:",
            "abc:tok",
            ":tok",
            "+5:tok",
            "99999999999999999999999:t",
        ] {
            assert!(StoredToken::decode(bad, None).is_none(), "{bad}");
        }
        assert!(!format!("{t:?}").contains("a:b:c"));
    }
}
