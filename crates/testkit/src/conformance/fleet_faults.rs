//! Fleet faults: what must hold when several caches share a store (Redis in `cargo xtask
//! conformance`) and the token is short-lived, the login is slower than the lock, the store
//! holds a value nobody should use, or a fetch times out while holding the lock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest_middleware::ClientWithMiddleware;

use super::{ConformanceTarget, Creds, Outcome, ScenarioResult, TokenFault, scenario_cache_config};
use tollgate_auth_core::cache::CacheConfig;
use tollgate_auth_core::error::{AuthError, ErrorKind};
use tollgate_auth_core::store::{OnUnavailable, SharedStore, StoredToken, TokenStore};

type Check = Result<Outcome, String>;

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

struct Fleet<'a> {
    target: &'a dyn ConformanceTarget,
    store: Arc<dyn TokenStore>,
    prefix: &'a str,
}

impl Fleet<'_> {
    fn shared(&self, row: &str) -> SharedStore {
        SharedStore::new(self.store.clone(), format!("{}:{row}", self.prefix))
            .unwrap_or_else(|e| unreachable!("a non-empty key is accepted: {e}"))
            .on_unavailable(OnUnavailable::Fail)
            .poll_interval(Duration::from_millis(5))
    }

    fn member(&self, cfg: CacheConfig) -> Result<ClientWithMiddleware, String> {
        self.target
            .client(Creds::Valid, cfg)
            .map_err(|e| format!("building the client failed: {e}"))
    }

    async fn ok(&self, c: &ClientWithMiddleware) -> Result<(), String> {
        match self.target.call(c).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("expected success, got HTTP {}", r.status())),
            Err(e) => Err(format!("expected success, got error: {e}")),
        }
    }

    fn applies(&self) -> Result<Duration, Outcome> {
        match self.target.token_lifetime() {
            Some(life) if self.target.has_token_endpoint() => Ok(life),
            _ => Err(Outcome::NotApplicable("no token endpoint to share")),
        }
    }

    /// Three members with a refresh margin as long as the token's life (GTR's 1-minute
    /// sessions with the default 60 s margin): one staleness rule, capped at half the
    /// lifetime, so the stored token is shared and one fetch serves all three.
    async fn short_lived(&self) -> Check {
        let life = match self.applies() {
            Ok(l) => l,
            Err(na) => return Ok(na),
        };
        let before = self.target.token_fetches();
        let cfg = scenario_cache_config()
            .with_refresh_margin(life)
            .with_shared_store(self.shared("short"));
        for _ in 0..3 {
            let c = self.member(cfg.clone())?;
            self.ok(&c).await?;
        }
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("3 members with a margin ≥ the lifetime made {fetched} fetches, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    /// A login slower (1.5 s) than the lock (400 ms): the holder renews the lock while it
    /// fetches, so a second member arriving at 800 ms waits and takes the stored token.
    async fn fetch_outlives_lock(&self) -> Check {
        if let Err(na) = self.applies() {
            return Ok(na);
        }
        if !self
            .target
            .set_token_fault(Some(TokenFault::Delay { millis: 1500 }))
        {
            return Ok(Outcome::NotApplicable(
                "the fake cannot slow its token endpoint",
            ));
        }
        let before = self.target.token_fetches();
        let cfg = scenario_cache_config().with_shared_store(
            self.shared("slow")
                .lock_ttl(Duration::from_millis(400))
                .wait_timeout(Duration::from_secs(10)),
        );
        let r = async {
            let (a, b) = (self.member(cfg.clone())?, self.member(cfg)?);
            let (ra, rb) = futures::join!(self.ok(&a), async {
                tokio::time::sleep(Duration::from_millis(800)).await;
                self.ok(&b).await
            });
            ra.and(rb)
        }
        .await;
        self.target.set_token_fault(None);
        r?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("a login slower than the lock made {fetched} fetches, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    /// A stored value that is not a usable token: treated as absent, one fetch, and the
    /// next member finds the fresh token that replaced it.
    async fn poisoned(&self) -> Check {
        if let Err(na) = self.applies() {
            return Ok(na);
        }
        let key = format!("{}:poison", self.prefix);
        let poison = StoredToken {
            value: "not a header value".to_string().into(),
            remaining: Some(Duration::from_secs(3600)),
            lifetime: Some(Duration::from_secs(3600)),
        };
        let store = &self.store;
        let planted = async {
            if !store
                .try_lock(&key, "poisoner", Duration::from_secs(5))
                .await?
            {
                return Ok::<_, AuthError>(false);
            }
            let saved = store
                .save(&key, "poisoner", &poison, Duration::from_secs(3600))
                .await?;
            store.unlock(&key, "poisoner").await?;
            Ok(saved)
        }
        .await
        .map_err(|e| format!("cannot plant the poisoned value: {e}"))?;
        ensure(planted, || "cannot plant the poisoned value".to_string())?;
        let before = self.target.token_fetches();
        let cfg = scenario_cache_config().with_shared_store(self.shared("poison"));
        for _ in 0..2 {
            let c = self.member(cfg.clone())?;
            self.ok(&c).await?;
        }
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("a poisoned store value led to {fetched} fetches, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    /// A fetch that times out while holding a 30 s lock: the lock is released with it, so
    /// the next member fetches at once instead of waiting 30 s.
    async fn lock_released_on_timeout(&self) -> Check {
        if let Err(na) = self.applies() {
            return Ok(na);
        }
        if !self.target.set_token_fault(Some(TokenFault::Stall)) {
            return Ok(Outcome::NotApplicable(
                "the fake cannot stall its token endpoint",
            ));
        }
        let cfg = scenario_cache_config()
            .with_fetch_timeout(Duration::from_millis(500))
            .with_shared_store(
                self.shared("timeout")
                    .lock_ttl(Duration::from_secs(30))
                    .wait_timeout(Duration::from_secs(5)),
            );
        let first = async {
            let a = self.member(cfg.clone())?;
            match self.target.call(&a).await {
                Ok(r) => Err(format!("expected a timeout, got HTTP {}", r.status())),
                Err(e) => match AuthError::from_middleware(&e).map(AuthError::kind) {
                    Some(ErrorKind::Timeout) => Ok(()),
                    _ => Err(format!("expected a Timeout, got {e}")),
                },
            }
        }
        .await;
        self.target.set_token_fault(None);
        first?;
        let before = self.target.token_fetches();
        let started = Instant::now();
        let b = self.member(cfg)?;
        self.ok(&b)
            .await
            .map_err(|e| format!("the next member could not fetch: {e}"))?;
        let took = started.elapsed();
        ensure(took < Duration::from_secs(5), || {
            format!("the next member waited {took:?}: the lock outlived the timed-out fetch")
        })?;
        ensure(self.target.token_fetches() - before == 1, || {
            "expected exactly one fetch by the next member".to_string()
        })?;
        Ok(Outcome::Pass)
    }
}

/// Runs the fleet-fault rows against `target` with caches sharing `store` under keys
/// starting with `prefix`.
pub async fn run_fleet_faults(
    target: &dyn ConformanceTarget,
    store: Arc<dyn TokenStore>,
    prefix: &str,
) -> Vec<ScenarioResult> {
    let f = Fleet {
        target,
        store,
        prefix,
    };
    let mut results = Vec::new();
    record_row!(
        results,
        f.target,
        "fleet: short-lived token shared",
        f.short_lived().await
    );
    record_row!(
        results,
        f.target,
        "fleet: fetch outlives lock",
        f.fetch_outlives_lock().await
    );
    record_row!(
        results,
        f.target,
        "fleet: poisoned stored value",
        f.poisoned().await
    );
    record_row!(
        results,
        f.target,
        "fleet: lock released on timeout",
        f.lock_released_on_timeout().await
    );
    results
}

/// The row `fleet: Redis key of another type`: the credential's token key holds a hash
/// and its lock key a string with no expiry, neither written by tollgate. A cold member
/// must treat the token key as absent, wait out the lock at most one lock TTL, fetch once
/// and store its token over the foreign key.
#[cfg(feature = "redis")]
pub async fn run_redis_foreign_keys(
    target: &dyn ConformanceTarget,
    redis_url: &str,
    prefix: &str,
) -> ScenarioResult {
    let before = target.token_fetches();
    let outcome = redis_foreign_keys(target, redis_url, prefix)
        .await
        .unwrap_or_else(Outcome::Fail);
    ScenarioResult {
        scenario: "fleet: Redis key of another type",
        outcome,
        fetches: target.token_fetches() - before,
    }
}

#[cfg(feature = "redis")]
async fn redis_foreign_keys(target: &dyn ConformanceTarget, url: &str, prefix: &str) -> Check {
    use tollgate_auth_core::store::RedisStore;
    if !target.has_token_endpoint() || target.token_lifetime().is_none() {
        return Ok(Outcome::NotApplicable("no token endpoint to share"));
    }
    let store = RedisStore::open(url, format!("{prefix}:foreign:"))
        .map_err(|e| format!("opening the store failed: {e}"))?;
    let key = "credential";
    let (token_key, lock_key) = (store.token_key(key), store.lock_key(key));
    let client = redis::Client::open(url).map_err(|e| format!("redis url: {e}"))?;
    let mut raw = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| "connecting to redis timed out".to_string())?
    .map_err(|e| format!("connecting to redis: {e}"))?;
    query(&mut raw, redis::cmd("DEL").arg(&token_key).arg(&lock_key)).await?;
    query(
        &mut raw,
        redis::cmd("HSET").arg(&token_key).arg("by").arg("other"),
    )
    .await?;
    query(&mut raw, redis::cmd("SET").arg(&lock_key).arg("no-ttl")).await?;
    let shared = SharedStore::new(Arc::new(store), key)
        .map_err(|e| format!("binding the store failed: {e}"))?
        .on_unavailable(OnUnavailable::Fail)
        .lock_ttl(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(5));
    let c = target
        .client(
            Creds::Valid,
            scenario_cache_config().with_shared_store(shared),
        )
        .map_err(|e| format!("building the client failed: {e}"))?;
    let before = target.token_fetches();
    let started = Instant::now();
    match target.call(&c).await {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => return Err(format!("expected success, got HTTP {}", r.status())),
        Err(e) => return Err(format!("expected success, got error: {e}")),
    }
    ensure(started.elapsed() < Duration::from_secs(5), || {
        format!(
            "the foreign lock held the member for {:?}",
            started.elapsed()
        )
    })?;
    let fetched = target.token_fetches() - before;
    ensure(fetched == 1, || format!("{fetched} fetches, expected 1"))?;
    let kind = query(&mut raw, redis::cmd("TYPE").arg(&token_key)).await?;
    ensure(
        matches!(&kind, redis::Value::SimpleString(t) if t == "string"),
        || format!("the foreign token key was not overwritten: TYPE {kind:?}"),
    )?;
    Ok(Outcome::Pass)
}

#[cfg(feature = "redis")]
async fn query(
    conn: &mut redis::aio::MultiplexedConnection,
    cmd: &redis::Cmd,
) -> Result<redis::Value, String> {
    tokio::time::timeout(Duration::from_secs(2), cmd.query_async(conn))
        .await
        .map_err(|_| "a redis command timed out".to_string())?
        .map_err(|e| format!("redis: {e}"))
}
