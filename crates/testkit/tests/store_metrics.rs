//! `tollgate_store_operations_total` and `tollgate_fleet_lock_waits_total` on the real
//! stores: two caches share the reference fake's token through a `RedisStore` (a
//! `redis-server` of the test's own) or a `FileStore`; the first one's token request is slow,
//! so the second finds the fleet lock taken and waits for the stored token. The counts are
//! read from a debugging recorder the caches registered with when they were built, and must
//! equal the calls the store itself received (counted by a wrapper that keeps its name), in
//! whatever order the two caches' polls interleave.
#![cfg(all(feature = "metrics", any(feature = "redis", feature = "file-store")))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tollgate_auth_core::AuthError;
use tollgate_auth_core::store::StoredToken;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tollgate_auth_core::store::{SharedStore, TokenStore};
use tollgate_auth_core::{CacheConfig, ExposeSecret, ManualClock, TokenCache};
use tollgate_testkit::conformance::Creds;
use tollgate_testkit::mock::ReferenceFake;

/// Every counter the recorder holds, as `(name, labels, value)`, the labels `key=value`
/// joined with `,` in registration order. A debugging snapshot hands the counts out and
/// resets them: take one.
fn counters(recorder: &metrics_util::debugging::Snapshotter) -> Vec<(String, String, u64)> {
    recorder
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(ck, _, _, v)| {
            let key = ck.key();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            match v {
                DebugValue::Counter(n) => Some((key.name().to_string(), labels.join(","), n)),
                _ => None,
            }
        })
        .collect()
}

fn counter(all: &[(String, String, u64)], name: &str, labels: &str) -> u64 {
    all.iter()
        .find(|(n, l, _)| n == name && l == labels)
        .map(|(_, _, v)| *v)
        .unwrap_or_else(|| panic!("no {name}{{{labels}}}"))
}

/// `inner` with every call counted: `[load, save, try_lock, try_lock refused, unlock]`.
#[derive(Debug)]
struct Counted {
    inner: Arc<dyn TokenStore>,
    calls: [AtomicU64; 5],
}

impl Counted {
    fn count(&self, i: usize) {
        self.calls[i].fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self, i: usize) -> u64 {
        self.calls[i].load(Ordering::SeqCst)
    }
}

impl TokenStore for Counted {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        self.count(0);
        self.inner.load(key)
    }
    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        self.count(1);
        self.inner.save(key, fence, token, ttl)
    }
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        self.count(2);
        Box::pin(async move {
            let won = self.inner.try_lock(key, fence, ttl).await;
            if matches!(won, Ok(false)) {
                self.count(3);
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
        self.inner.renew(key, fence, ttl)
    }
    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        self.count(4);
        self.inner.unlock(key, fence)
    }
    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a tollgate_auth_core::SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        self.inner.remove_if(key, value)
    }
    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

/// Runs the two caches over `store` and checks the counts for `kind`.
async fn two_caches_one_fetch(store: Arc<dyn TokenStore>, kind: &str) {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let counted = Arc::new(Counted {
        inner: store,
        calls: Default::default(),
    });
    let shared = SharedStore::new(counted.clone(), format!("metrics-test:{kind}"))
        .expect("key")
        .poll_interval(Duration::from_millis(10));
    let cfg = CacheConfig::without_jitter()
        .with_shared_store(shared)
        .with_metrics_label("store-test");
    let (a, b) = metrics::with_local_recorder(&recorder, || {
        (
            TokenCache::with_config(fake.source(Creds::Valid), clock.shared(), cfg.clone())
                .named("reference"),
            TokenCache::with_config(fake.source(Creds::Valid), clock.shared(), cfg)
                .named("reference"),
        )
    });
    fake.delay_next_token_responses(1, Duration::from_millis(300));
    let first = {
        let a = a.clone();
        tokio::spawn(async move { a.token().await })
    };
    // `a` is fetching under the lock when `b` asks.
    while fake.token_requests() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let tb = b.token().await.expect("b's token");
    let ta = first.await.expect("join").expect("a's token");
    assert_eq!(ta.secret().expose_secret(), tb.secret().expose_secret());
    assert_eq!(fake.token_requests(), 1, "one fetch for both");

    let all = counters(&snapshotter);
    let store_label = format!("store={kind}");
    let ops = |op: &str, outcome: &str| {
        counter(
            &all,
            "tollgate_store_operations_total",
            &format!("{store_label},op={op},outcome={outcome}"),
        )
    };
    let waits = counter(&all, "tollgate_fleet_lock_waits_total", &store_label);
    let (try_lock, load, save, unlock, errors) = (
        ops("try_lock", "ok"),
        ops("load", "ok"),
        ops("save", "ok"),
        ops("unlock", "ok"),
        ops("load", "error") + ops("try_lock", "error") + ops("save", "error"),
    );
    assert!(waits >= 1, "{kind}: b waited for a's lock ({waits})");
    // Each refused try_lock is one wait; every call the store received is counted once.
    assert_eq!(waits, counted.get(3), "{kind}");
    assert_eq!(load, counted.get(0), "{kind}");
    assert_eq!(save, counted.get(1), "{kind}");
    assert_eq!(try_lock, counted.get(2), "{kind}");
    assert_eq!(unlock, counted.get(4), "{kind}");
    assert_eq!((save, errors), (1, 0), "{kind}");
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_operations_and_lock_waits_are_counted() {
    let Some(redis) = tollgate_testkit::mock::fleet_chaos::RedisServer::start_for_test().await
    else {
        return;
    };
    let store = tollgate_auth_core::store::RedisStore::open(&redis.url(), "metrics-test:")
        .expect("redis store");
    two_caches_one_fetch(Arc::new(store), "redis").await;
    redis.stop().await;
}

#[cfg(feature = "file-store")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_operations_and_lock_waits_are_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at_unix(1_700_000_000);
    let store =
        tollgate_auth_core::store::FileStore::open(dir.path().join("tokens"), clock.shared())
            .expect("file store");
    two_caches_one_fetch(Arc::new(store), "file").await;
}
