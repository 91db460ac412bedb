//! Every metric of `docs/metrics.md`, read back from a `metrics-util` debugging recorder
//! after a scripted run. Each test registers its handles under a recorder of its own
//! (`metrics::with_local_recorder` around building the cache and middleware), so tests
//! running at the same time do not see each other's counts.
#![cfg(feature = "metrics")]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tollgate_auth_core::store::{MemoryStore, SharedStore};
use tollgate_auth_core::{
    AuthError, AuthMiddleware, BearerSigner, CacheConfig, ErrorKind, FetchContext, FetchedToken,
    ManualClock, TokenCache, TokenSource,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "tok-s3cr3t";

#[derive(Clone, Default)]
struct Scripted {
    calls: Arc<AtomicU64>,
    script: Arc<Mutex<VecDeque<Result<Duration, ErrorKind>>>>,
}

impl Scripted {
    fn new(steps: Vec<Result<Duration, ErrorKind>>) -> Self {
        Scripted {
            calls: Arc::default(),
            script: Arc::new(Mutex::new(steps.into())),
        }
    }
}

impl TokenSource for Scripted {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let step = self
            .script
            .lock()
            .expect("script")
            .pop_front()
            .unwrap_or(Ok(Duration::from_secs(600)));
        match step {
            Ok(life) => Ok(FetchedToken::new(format!("{SECRET}-{n}"), life)),
            Err(kind) => Err(AuthError::new(kind, "scripted failure")),
        }
    }
}

/// Sorted `(key, value)` pairs.
type Labels = Vec<(String, String)>;

/// Everything the recorder holds, as `(name, sorted labels, value)`.
struct Readings(Vec<(String, Labels, DebugValue)>);

impl Readings {
    fn take(snapshotter: &Snapshotter) -> Self {
        Readings(
            snapshotter
                .snapshot()
                .into_vec()
                .into_iter()
                .map(|(ck, _, _, v)| {
                    let (key, _) = (ck.key().clone(), ck.kind());
                    let mut labels: Vec<_> = key
                        .labels()
                        .map(|l| (l.key().to_string(), l.value().to_string()))
                        .collect();
                    labels.sort();
                    (key.name().to_string(), labels, v)
                })
                .collect(),
        )
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> &DebugValue {
        let mut want: Vec<_> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        want.sort();
        self.0
            .iter()
            .find(|(n, l, _)| n == name && *l == want)
            .map(|(_, _, v)| v)
            .unwrap_or_else(|| panic!("no {name}{labels:?} in {:?}", self.names()))
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.find(name, labels) {
            DebugValue::Counter(n) => *n,
            other => panic!("{name} is not a counter: {other:?}"),
        }
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.find(name, labels) {
            DebugValue::Gauge(g) => g.into_inner(),
            other => panic!("{name} is not a gauge: {other:?}"),
        }
    }

    fn histogram_len(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        match self.find(name, labels) {
            DebugValue::Histogram(v) => v.len(),
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    fn names(&self) -> Vec<String> {
        self.0.iter().map(|(n, l, _)| format!("{n}{l:?}")).collect()
    }

    /// No label value anywhere contains the token.
    fn assert_no_secret(&self) {
        for (n, labels, _) in &self.0 {
            for (_, v) in labels {
                assert!(!v.contains(SECRET), "{n} carries the token in a label");
            }
        }
    }
}

const PROVIDER: (&str, &str) = ("provider", "scripted");
const CREDENTIAL: (&str, &str) = ("credential", "payments-prod");

fn config() -> CacheConfig {
    CacheConfig::without_jitter()
        .with_backoff(Duration::from_secs(2), Duration::from_secs(16))
        .with_metrics_label("payments-prod")
}

#[tokio::test]
async fn fetches_are_counted_by_outcome_timed_and_their_expiry_is_a_gauge() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let clock = ManualClock::at_unix(1_700_000_000);
    let src = Scripted::new(vec![
        Err(ErrorKind::ServerError),
        Err(ErrorKind::RateLimited),
        Ok(Duration::from_secs(600)),
    ]);
    let cache = metrics::with_local_recorder(&recorder, || {
        TokenCache::with_config(src.clone(), clock.shared(), config()).named("scripted")
    });
    // Registered at build time: every outcome is there, at zero, before any fetch.
    let r = Readings::take(&snapshotter);
    for kind in ErrorKind::ALL {
        let outcome = ("outcome", kind.name());
        assert_eq!(
            r.counter(
                "tollgate_token_fetches_total",
                &[PROVIDER, CREDENTIAL, outcome]
            ),
            0
        );
    }
    // Fail, back off, fail again, back off, then succeed.
    cache.token().await.expect_err("server error");
    clock.advance(Duration::from_secs(3));
    cache.token().await.expect_err("rate limited");
    // Inside the window: no fetch, so nothing counted.
    cache.token().await.expect_err("backing off");
    clock.advance(Duration::from_secs(5));
    cache.token().await.expect("token");
    // A warm read fetches nothing.
    clock.advance(Duration::from_secs(100));
    cache.token().await.expect("warm");
    let _ = cache.health(); // sets the expiry gauge at the current time

    let r = Readings::take(&snapshotter);
    let fetches = |outcome| {
        r.counter(
            "tollgate_token_fetches_total",
            &[PROVIDER, CREDENTIAL, ("outcome", outcome)],
        )
    };
    assert_eq!(fetches("ok"), 1);
    assert_eq!(fetches("server_error"), 1);
    assert_eq!(fetches("rate_limited"), 1);
    assert_eq!(fetches("timeout"), 0);
    assert_eq!(src.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        r.histogram_len("tollgate_token_fetch_seconds", &[PROVIDER, CREDENTIAL]),
        3
    );
    assert_eq!(
        r.gauge("tollgate_token_expires_in_seconds", &[PROVIDER, CREDENTIAL]),
        500.0
    );
    r.assert_no_secret();
}

#[tokio::test]
async fn rejections_and_signed_requests_are_counted_through_the_middleware() {
    let server = MockServer::start().await;
    // The first token is refused; any later one is accepted.
    Mock::given(method("GET"))
        .and(path("/api"))
        .and(header(
            "authorization",
            format!("Bearer {SECRET}-1").as_str(),
        ))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let clock = ManualClock::at_unix(1_700_000_000);
    let src = Scripted::new(vec![]);
    let mw = metrics::with_local_recorder(&recorder, || {
        let cache =
            TokenCache::with_config(src.clone(), clock.shared(), config()).named("scripted");
        AuthMiddleware::new(BearerSigner::new(cache, Vec::new()))
    });
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(mw)
        .build();
    let url = format!("{}/api", server.uri());
    // Signed, rejected, signed afresh and accepted: two signatures, one rejection.
    let resp = client.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    // Accepted at once: one more signature.
    let resp = client.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    // Outside the signer's work: a request marked SkipAuth is not counted.
    client
        .get(&url)
        .with_extension(tollgate_auth_core::SkipAuth)
        .send()
        .await
        .expect("send");

    let r = Readings::take(&snapshotter);
    assert_eq!(r.counter("tollgate_requests_signed_total", &[PROVIDER]), 3);
    assert_eq!(
        r.counter("tollgate_token_rejections_total", &[PROVIDER, CREDENTIAL]),
        1
    );
    assert_eq!(
        r.counter(
            "tollgate_token_fetches_total",
            &[PROVIDER, CREDENTIAL, ("outcome", "ok")]
        ),
        2
    );
    r.assert_no_secret();
}

#[tokio::test]
async fn an_unnamed_cache_without_a_label_uses_the_defaults() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let clock = ManualClock::at_unix(1_700_000_000);
    let cache = TokenCache::with_config(
        Scripted::new(vec![]),
        clock.shared(),
        CacheConfig::without_jitter(),
    );
    // Registered on first use, under the recorder in force then.
    metrics::with_local_recorder(&recorder, || cache.health());
    cache.token().await.expect("token");
    let r = Readings::take(&snapshotter);
    assert_eq!(
        r.counter(
            "tollgate_token_fetches_total",
            &[
                ("provider", "token"),
                ("credential", "default"),
                ("outcome", "ok")
            ]
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_operations_and_fleet_lock_waits_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let clock = ManualClock::at_unix(1_700_000_000);
    let store = MemoryStore::new(clock.shared());
    let shared = SharedStore::new(Arc::new(store.clone()), "scripted:payments")
        .expect("key")
        .poll_interval(Duration::from_millis(5));
    // A slow source for the first cache, so that the second waits for its lock.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    #[derive(Clone)]
    struct Gated(Arc<tokio::sync::Semaphore>, Scripted);
    impl TokenSource for Gated {
        async fn fetch(&self, cx: &FetchContext) -> Result<FetchedToken, AuthError> {
            self.0.acquire().await.expect("gate").forget();
            self.1.fetch(cx).await
        }
    }
    let src = Scripted::new(vec![]);
    let (a, b) = metrics::with_local_recorder(&recorder, || {
        let cfg = config().with_shared_store(shared.clone());
        (
            TokenCache::with_config(
                Gated(gate.clone(), src.clone()),
                clock.shared(),
                cfg.clone(),
            )
            .named("scripted"),
            TokenCache::with_config(src.clone(), clock.shared(), cfg).named("scripted"),
        )
    });
    let first = {
        let a = a.clone();
        tokio::spawn(async move { a.token().await })
    };
    // `a` holds the fleet lock while its fetch waits at the gate.
    while !store.is_locked("scripted:payments") {
        tokio::task::yield_now().await;
    }
    let second = {
        let b = b.clone();
        tokio::spawn(async move { b.token().await })
    };
    // Let `b` find the lock taken at least once before `a` finishes.
    tokio::time::sleep(Duration::from_millis(30)).await;
    gate.add_permits(1);
    first.await.expect("join").expect("a's token");
    second
        .await
        .expect("join")
        .expect("b takes the stored token");
    assert_eq!(
        src.calls.load(Ordering::SeqCst),
        1,
        "one fetch for the fleet"
    );

    // The store goes down: b's next fetch fails to load and fetches locally.
    store.set_available(false);
    b.invalidate();
    b.token().await.expect("fetched locally");

    let r = Readings::take(&snapshotter);
    let store_label = ("store", "memory");
    let ops = |op, outcome| {
        r.counter(
            "tollgate_store_operations_total",
            &[store_label, ("op", op), ("outcome", outcome)],
        )
    };
    let waits = r.counter("tollgate_fleet_lock_waits_total", &[store_label]);
    assert!(waits >= 1, "b waited for a's lock ({waits})");
    // a: load (empty), try_lock (won), load (re-check), save, unlock.
    // b: load + try_lock (lost) per wait, then load (a's token).
    assert_eq!(ops("try_lock", "ok"), 1 + waits);
    assert_eq!(ops("load", "ok"), 2 + waits + 1);
    assert_eq!(ops("save", "ok"), 1);
    assert_eq!(ops("unlock", "ok"), 1);
    // The invalidated token is removed from the store first: the store is down.
    assert_eq!(ops("remove_if", "error"), 1);
    assert_eq!(ops("load", "error"), 0);
    assert_eq!(ops("renew", "error"), 0);
    r.assert_no_secret();
}
