//! The Redis token store (feature `redis`).

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::{StoredToken, TokenStore};
use crate::error::{AuthError, ErrorKind};

// Every script reads a key only after checking that it holds a string: a key of another
// type (written by something else) reads as absent instead of failing with WRONGTYPE, so
// it never blocks the store and is overwritten by the next save.

const SAVE_IF_FENCED: &str = r"
if redis.call('TYPE', KEYS[2]).ok == 'string' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0";

/// The token and its remaining life in one round trip (one key: runs on Cluster too).
const GET_WITH_PTTL: &str = r"
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then
  return {false, -2}
end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

/// `SET NX PX`; when the lock is taken, a lock record with no expiry, or more life left
/// than a lock is ever given, is bounded to `ttl` from now: nothing holds it forever.
const LOCK: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
local left = redis.call('PTTL', KEYS[1])
if left == -1 or left > tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

const RENEW_IF_FENCED: &str = r"
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

const DEL_IF_EQUAL: &str = r"
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// The token alone, or nil when the key holds no string.
const GET_STRING: &str = r"
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then
  return false
end
return redis.call('GET', KEYS[1])";

/// Shares tokens across processes through Redis.
///
/// Keys: `<prefix>{<key>}:token` holds the token (with a TTL equal to its remaining
/// lifetime, which is read back with `PTTL`), `<prefix>{<key>}:lock` the fetch lock (`SET NX
/// PX` with a random fencing value, renewed, released and checked with compare-and-set
/// scripts). The `{<key>}` hash tag puts both keys of a credential in one hash slot, so the
/// scripts that touch both run on Redis Cluster. Every command is bounded by a timeout, and
/// a broken connection is re-opened on the next call.
///
/// Keys tollgate did not write are untrusted: a token key of another type reads as absent
/// (and is overwritten by the next save), and a lock key with no expiry, or with more life
/// than a lock is given, is bounded to the lock's TTL by the next `try_lock`.
///
/// ```no_run
/// # fn demo() -> Result<(), tollgate_auth_core::AuthError> {
/// use std::sync::Arc;
/// use tollgate_auth_core::CacheConfig;
/// use tollgate_auth_core::store::{OnUnavailable, RedisStore, SharedStore};
///
/// let redis = Arc::new(RedisStore::open("redis://127.0.0.1:6379/", "tollgate:")?);
/// let cache = CacheConfig::default().with_shared_store(
///     SharedStore::new(redis, "gtr:my-vasp-code")?.on_unavailable(OnUnavailable::Fail),
/// );
/// # let _ = cache; Ok(()) }
/// ```
pub struct RedisStore {
    client: Client,
    prefix: String,
    op_timeout: Duration,
    conn: Mutex<Option<Conn>>,
}

/// One Redis, or a Redis Cluster (feature `redis-cluster`).
enum Client {
    Single(redis::Client),
    #[cfg(feature = "redis-cluster")]
    Cluster(Box<redis::cluster::ClusterClient>),
}

#[derive(Clone)]
enum Conn {
    Single(MultiplexedConnection),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl Conn {
    async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        match self {
            Conn::Single(c) => cmd.query_async(c).await,
            #[cfg(feature = "redis-cluster")]
            Conn::Cluster(c) => cmd.query_async(c).await,
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: show only the address.
        let mut d = f.debug_struct("RedisStore");
        match &self.client {
            Client::Single(c) => d.field("addr", &c.get_connection_info().addr().to_string()),
            #[cfg(feature = "redis-cluster")]
            Client::Cluster(_) => d.field("addr", &"cluster"),
        };
        d.field("prefix", &self.prefix).finish()
    }
}

fn store_error(what: &str, e: impl fmt::Debug) -> AuthError {
    AuthError::new(
        ErrorKind::StoreUnavailable,
        format!("redis token store: {what}: {e:?}"),
    )
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[user:password@]host:port/db`; `rediss://`
    /// needs the `redis` crate's TLS feature), with keys under `prefix`. Nothing is
    /// connected until first use.
    pub fn open(url: &str, prefix: impl Into<String>) -> Result<Self, AuthError> {
        let client = redis::Client::open(url)
            .map_err(|_| AuthError::invalid_field("redis_url", "is not a valid Redis URL"))?;
        Ok(RedisStore {
            client: Client::Single(client),
            prefix: prefix.into(),
            op_timeout: Duration::from_secs(2),
            conn: Mutex::new(None),
        })
    }

    /// A store on a Redis Cluster reached through any of `urls` (its seed nodes), with keys
    /// under `prefix` (feature `redis-cluster`). The token and lock keys of a credential
    /// share a hash slot, so every script runs on the node that owns it. Nothing is
    /// connected until first use.
    #[cfg(feature = "redis-cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cluster")))]
    pub fn open_cluster(urls: &[&str], prefix: impl Into<String>) -> Result<Self, AuthError> {
        if urls.is_empty() {
            return Err(AuthError::invalid_field(
                "redis_url",
                "a cluster needs at least one seed node",
            ));
        }
        let client = redis::cluster::ClusterClient::new(urls.to_vec())
            .map_err(|_| AuthError::invalid_field("redis_url", "is not a valid Redis URL"))?;
        Ok(RedisStore {
            client: Client::Cluster(Box::new(client)),
            prefix: prefix.into(),
            op_timeout: Duration::from_secs(2),
            conn: Mutex::new(None),
        })
    }

    /// Bounds each Redis command (default 2 s).
    #[must_use]
    pub fn op_timeout(mut self, t: Duration) -> Self {
        self.op_timeout = t;
        self
    }

    /// The Redis key holding the token of `key` (hash-tagged with the lock key).
    pub fn token_key(&self, key: &str) -> String {
        format!("{}{{{key}}}:token", self.prefix)
    }

    /// The Redis key holding the fetch lock of `key` (hash-tagged with the token key).
    pub fn lock_key(&self, key: &str) -> String {
        format!("{}{{{key}}}:lock", self.prefix)
    }

    async fn connection(&self) -> Result<Conn, AuthError> {
        let mut guard = self.conn.lock().await;
        let conn = match guard.as_ref() {
            Some(c) => c.clone(),
            None => {
                let connect = async {
                    match &self.client {
                        Client::Single(c) => {
                            c.get_multiplexed_async_connection().await.map(Conn::Single)
                        }
                        #[cfg(feature = "redis-cluster")]
                        Client::Cluster(c) => c.get_async_connection().await.map(Conn::Cluster),
                    }
                };
                let c = tokio::time::timeout(self.op_timeout, connect)
                    .await
                    .map_err(|_| store_error("connect", "timed out"))?
                    .map_err(|e| store_error("connect", e.kind()))?;
                *guard = Some(c.clone());
                c
            }
        };
        Ok(conn)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        what: &str,
        cmd: &redis::Cmd,
    ) -> Result<T, AuthError> {
        let mut conn = self.connection().await?;
        let result = tokio::time::timeout(self.op_timeout, conn.query::<T>(cmd)).await;
        self.settle(what, result).await
    }

    async fn settle<T>(
        &self,
        what: &str,
        result: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, AuthError> {
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
                    *self.conn.lock().await = None;
                }
                Err(store_error(what, e.kind()))
            }
            Err(_) => {
                *self.conn.lock().await = None;
                Err(store_error(what, "timed out"))
            }
        }
    }
}

impl TokenStore for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(GET_WITH_PTTL).arg(1).arg(self.token_key(key));
            let (value, pttl): (Option<String>, i64) = self.run("GET/PTTL", &cmd).await?;
            // PTTL: -2 no key, -1 no expiry (never written by a cache: treated as absent by
            // the cache's checks), else milliseconds left.
            let remaining = u64::try_from(pttl)
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis);
            Ok(value.and_then(|s| StoredToken::decode(&s, remaining)))
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
            let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(SAVE_IF_FENCED)
                .arg(2)
                .arg(self.token_key(key))
                .arg(self.lock_key(key))
                .arg(fence)
                .arg(token.encode())
                .arg(ttl_ms.to_string());
            let n: i64 = self.run("save", &cmd).await?;
            Ok(n == 1)
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(LOCK)
                .arg(1)
                .arg(self.lock_key(key))
                .arg(fence)
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
            let n: i64 = self.run("lock", &cmd).await?;
            Ok(n == 1)
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(RENEW_IF_FENCED)
                .arg(1)
                .arg(self.lock_key(key))
                .arg(fence)
                .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
            let n: i64 = self.run("renew", &cmd).await?;
            Ok(n == 1)
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(DEL_IF_EQUAL)
                .arg(1)
                .arg(self.lock_key(key))
                .arg(fence);
            let _: i64 = self.run("unlock", &cmd).await?;
            Ok(())
        })
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let mut get = redis::cmd("EVAL");
            get.arg(GET_STRING).arg(1).arg(self.token_key(key));
            let current: Option<String> = self.run("GET", &get).await?;
            let Some(current) = current else {
                return Ok(());
            };
            let same = StoredToken::decode(&current, None)
                .is_some_and(|t| t.value.expose_secret() == value.expose_secret());
            if same {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(DEL_IF_EQUAL)
                    .arg(1)
                    .arg(self.token_key(key))
                    .arg(current);
                let _: i64 = self.run("remove", &cmd).await?;
            }
            Ok(())
        })
    }
}
