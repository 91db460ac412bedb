//! The cache and middleware under hostile servers and faults. Each test is named after the
//! defect it pins down; each failed before the fix it guards.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tollgate_auth_core::store::{MemoryStore, SharedStore};
use tollgate_auth_core::{
    AuthError, BearerSigner, CacheConfig, ErrorKind, ExposeSecret, FetchContext, FetchedToken,
    ManualClock, TokenCache, TokenSource,
};

const T0: u64 = 1_700_000_000;

/// What one fetch does.
#[derive(Clone)]
enum Step {
    /// `token-<n>` (n = the call number) living this long.
    Ok(Duration),
    /// This exact value, living this long.
    Value(&'static str, Duration),
    /// Fail with this kind.
    Fail(ErrorKind),
    /// Fail with `RateLimited` and this `Retry-After`.
    RetryAfter(Duration),
    /// Panic.
    Panic,
}

/// A token source following a script; `gated` calls wait for a permit first.
#[derive(Clone)]
struct Src {
    calls: Arc<AtomicU64>,
    script: Arc<Mutex<VecDeque<(Step, bool)>>>,
    gate: Arc<Semaphore>,
}

impl Src {
    fn new(steps: &[(Step, bool)]) -> Self {
        Src {
            calls: Arc::default(),
            script: Arc::new(Mutex::new(steps.iter().cloned().collect())),
            gate: Arc::new(Semaphore::new(0)),
        }
    }
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenSource for Src {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let (step, gated) = self
            .script
            .lock()
            .expect("script")
            .pop_front()
            .unwrap_or((Step::Ok(Duration::from_secs(600)), false));
        if gated {
            self.gate.acquire().await.expect("gate").forget();
        }
        match step {
            Step::Ok(life) => Ok(FetchedToken::new(format!("token-{n}"), life)),
            Step::Value(v, life) => Ok(FetchedToken::new(v, life)),
            Step::Fail(kind) => Err(AuthError::new(kind, "scripted failure")),
            Step::RetryAfter(d) => {
                Err(AuthError::new(ErrorKind::RateLimited, "scripted 429").with_retry_after(d))
            }
            Step::Panic => panic!("scripted panic in the token source"),
        }
    }
}

fn cfg() -> CacheConfig {
    let mut c = CacheConfig::without_jitter();
    c.min_backoff = Duration::from_secs(2);
    c.max_backoff = Duration::from_secs(16);
    c.fetch_timeout = Duration::from_secs(5);
    c
}

fn value(t: &tollgate_auth_core::CachedToken) -> String {
    t.secret().expose_secret().to_string()
}

fn life(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

// ---- item 1: fetch ownership ------------------------------------------------------------

#[test]
fn dead_refresh_task_does_not_stick_the_cache() {
    // A refresh started on one runtime that shuts down mid-fetch must not leave the cache
    // believing a fetch is in flight: a second runtime keeps using it.
    let src = Src::new(&[(Step::Ok(life(600)), false), (Step::Ok(life(600)), true)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    first.block_on(async {
        cache.token().await.expect("first token");
        clock.advance(life(560)); // inside the 60 s refresh margin
        cache.token().await.expect("still valid");
        // Let the background refresh start and block at the gate.
        while src.calls() < 2 {
            tokio::task::yield_now().await;
        }
    });
    drop(first); // the refresh task dies with its runtime
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    second.block_on(async {
        clock.advance(life(60)); // expired
        let t = cache
            .token()
            .await
            .expect("a dead fetch must not stick the cache");
        assert_eq!(value(&t), "token-3");
    });
}

#[tokio::test]
async fn panicking_refresh_does_not_stick_the_cache() {
    let src = Src::new(&[(Step::Ok(life(600)), false), (Step::Panic, false)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    cache.token().await.expect("first token");
    clock.advance(life(560));
    cache
        .token()
        .await
        .expect("still valid; refresh panics in the background");
    // Nobody waits on a background refresh: let it run (and die) on its own.
    while src.calls() < 2 {
        tokio::task::yield_now().await;
    }
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    clock.advance(life(60));
    let t = cache
        .token()
        .await
        .expect("a panicked fetch must not stick the cache");
    assert_eq!(value(&t), "token-3");
}

#[tokio::test]
async fn a_panicking_source_is_backed_off_like_any_failure() {
    let src = Src::new(&[
        (Step::Panic, true),
        (Step::Panic, false),
        (Step::Panic, false),
    ]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    // Five cold callers join one fetch (held at the gate until all have joined).
    let callers: Vec<_> = (0..5).map(|_| cache.token()).collect();
    let all = futures::future::join_all(callers);
    let release = async {
        while src.calls() < 1 {
            tokio::task::yield_now().await;
        }
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        src.gate.add_permits(1);
    };
    let (results, ()) = tokio::join!(all, release);
    for r in results {
        let e = r.expect_err("a panicking source gives no token");
        assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
    }
    assert_eq!(
        src.calls(),
        1,
        "five callers of a panicking source: one fetch"
    );
    // Inside the backoff window: the failure again, with the wait, and no fetch.
    let e = cache.token().await.expect_err("backing off");
    assert!(e.retry_after().is_some(), "{e:?}");
    assert_eq!(src.calls(), 1);
    clock.advance(life(2));
    cache.token().await.expect_err("panics again");
    assert_eq!(src.calls(), 2, "one fetch per backoff window");
}

// ---- item 2: server-controlled numbers --------------------------------------------------

#[tokio::test]
async fn huge_expires_in_is_clamped_not_a_panic() {
    let src = Src::new(&[(Step::Ok(Duration::from_secs(u64::MAX)), false)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    let t = cache
        .token()
        .await
        .expect("a huge lifetime is clamped, not a panic");
    let expires = t.expires_at().expect("expires");
    let lifetime = expires
        .duration_since(clock.shared().now())
        .expect("in the future");
    assert!(lifetime <= Duration::from_secs(24 * 3600), "{lifetime:?}");
}

#[tokio::test]
async fn huge_retry_after_is_clamped_not_a_panic() {
    let src = Src::new(&[(Step::RetryAfter(Duration::from_secs(u64::MAX)), false)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    let e = cache.token().await.expect_err("rate limited");
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e:?}");
    assert!(
        e.retry_after()
            .is_some_and(|d| d <= Duration::from_secs(3600))
    );
    // The window is bounded: an hour later the cache fetches again.
    clock.advance(Duration::from_secs(3600));
    cache
        .token()
        .await
        .expect("recovers after the clamped window");
    assert_eq!(src.calls(), 2);
}

// ---- item 3: backoff without a token ----------------------------------------------------

#[tokio::test]
async fn rate_limited_cold_start_makes_one_fetch_per_window() {
    let src = Src::new(&[(Step::RetryAfter(life(60)), false)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    for i in 0..5 {
        let e = cache.token().await.expect_err("rate limited");
        assert_eq!(e.kind(), ErrorKind::RateLimited, "call {i}");
        assert!(e.is_retryable());
        let after = e.retry_after().expect("retry-after");
        assert!(after <= life(60) && after > Duration::ZERO, "{after:?}");
    }
    assert_eq!(src.calls(), 1, "one token request per backoff window");
    clock.advance(life(30));
    let e = cache.token().await.expect_err("still inside the window");
    assert_eq!(e.retry_after(), Some(life(30)));
    assert_eq!(src.calls(), 1);
    clock.advance(life(30));
    cache.token().await.expect("after the window");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn login_refused_every_time_costs_one_login_per_window() {
    let src = Src::new(&[
        (Step::Fail(ErrorKind::Unauthorized), false),
        (Step::Fail(ErrorKind::Unauthorized), false),
    ]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    for _ in 0..5 {
        let e = cache.token().await.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
    }
    assert_eq!(src.calls(), 1);
    clock.advance(life(2));
    cache.token().await.expect_err("refused again");
    assert_eq!(src.calls(), 2);
    // The window doubles: 4 s now.
    clock.advance(life(3));
    cache.token().await.expect_err("inside the doubled window");
    assert_eq!(src.calls(), 2);
}

// ---- item 5: a retry never gets the token it rejected -----------------------------------

#[tokio::test]
async fn retry_after_invalidate_never_joins_the_older_fetch() {
    // The server hands back its current token while it is valid (some do): a refresh that
    // was already in flight when the token was rejected returns the rejected value.
    let src = Src::new(&[
        (Step::Value("tok-A", life(600)), false),
        (Step::Value("tok-A", life(600)), true),
        (Step::Value("tok-B", life(600)), false),
    ]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    let a = cache.token().await.expect("A");
    clock.advance(life(560));
    cache.token().await.expect("refresh starts");
    while src.calls() < 2 {
        tokio::task::yield_now().await;
    }
    assert!(cache.invalidate_token(&a));
    let retry = {
        let c = cache.clone();
        tokio::spawn(async move { c.token().await })
    };
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    src.gate.add_permits(1);
    let got = retry.await.expect("join").expect("token for the retry");
    assert_ne!(
        value(&got),
        "tok-A",
        "the retry received the token it rejected"
    );
    assert_eq!(value(&got), "tok-B");
}

// ---- item 7: a malformed server token is the server's fault -----------------------------

#[tokio::test]
async fn malformed_server_token_is_an_invalid_response() {
    let src = Src::new(&[(Step::Value("has a space", life(600)), false)]);
    let clock = ManualClock::at_unix(T0);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
    let e = cache.token().await.expect_err("malformed");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e:?}");
    assert_eq!(e.field(), None);
    assert!(!format!("{e} {e:?}").contains("has a space"));
}

// ---- item 8: expiry buffer ---------------------------------------------------------------

#[tokio::test]
async fn token_is_not_handed_out_in_its_expiry_buffer() {
    let src = Src::new(&[]);
    let clock = ManualClock::at_unix(T0);
    let mut c = cfg();
    c.refresh_margin = Duration::ZERO;
    let cache = TokenCache::with_config(src.clone(), clock.shared(), c);
    let first = cache.token().await.expect("first");
    clock.advance(life(595)); // 5 s before expiry: inside the 10 s buffer
    let t = cache.token().await.expect("second");
    assert_ne!(value(&t), value(&first), "handed out 5 s before expiry");
}

// ---- item 4: a permanent 401 -------------------------------------------------------------

mod rejection {
    use super::*;
    use reqwest_middleware::ClientBuilder;
    use tollgate_auth_core::AuthMiddleware;
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn permanent_401_costs_bounded_fetches_and_keeps_the_token() {
        let server = MockServer::start().await;
        Mock::given(path("/api"))
            .respond_with(ResponseTemplate::new(401))
            .mount(&server)
            .await;
        let src = Src::new(&[]);
        let clock = ManualClock::at_unix(T0);
        let cache = TokenCache::with_config(src.clone(), clock.shared(), cfg());
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(BearerSigner::new(
                cache.clone(),
                vec![],
            )))
            .build();
        for _ in 0..5 {
            let r = client
                .get(format!("{}/api", server.uri()))
                .send()
                .await
                .expect("response");
            assert_eq!(r.status(), 401);
        }
        assert_eq!(
            src.calls(),
            2,
            "5 requests to an endpoint that always answers 401 made {} token fetches",
            src.calls()
        );
        assert!(cache.peek().is_some(), "the token was evicted for everyone");
        // After the cooldown one more refetch is allowed.
        clock.advance(life(10));
        client
            .get(format!("{}/api", server.uri()))
            .send()
            .await
            .expect("response");
        assert_eq!(src.calls(), 3);
    }
}

// ---- items 9–12: the fleet store --------------------------------------------------------

fn shared(store: &Arc<MemoryStore>, key: &str) -> SharedStore {
    SharedStore::new(store.clone(), key)
        .expect("key")
        .poll_interval(Duration::from_millis(1))
}

#[tokio::test]
async fn short_lived_token_is_shared_through_the_store() {
    // A 60 s token with the default 60 s margin: the local cache caps the margin at half the
    // lifetime, and so must the store, or every process fetches for itself.
    let src = Src::new(&[(Step::Ok(life(60)), false)]);
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let caches: Vec<_> = (0..3)
        .map(|_| {
            TokenCache::with_config(
                src.clone(),
                clock.shared(),
                cfg().with_shared_store(shared(&store, "short")),
            )
        })
        .collect();
    for c in &caches {
        c.token().await.expect("token");
    }
    assert_eq!(src.calls(), 1, "three caches made {} fetches", src.calls());
}

#[tokio::test]
async fn jittered_refresh_takes_a_new_token_not_its_own_back() {
    let src = Src::new(&[]);
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let mut c = cfg().with_shared_store(shared(&store, "jitter"));
    c.jitter = life(20);
    let cache = TokenCache::with_config(src.clone(), clock.shared(), c);
    let first = cache.token().await.expect("first");
    // Walk towards the jittered refresh point (60–80 s before expiry) until it fires. While
    // more than the 60 s margin is left, the stored copy of our own token still looks
    // fresh by the un-jittered rule: the refresh must not take it back.
    clock.advance(life(519));
    while cache.fetches_started() < 2 {
        clock.advance(life(1));
        cache.token().await.expect("valid");
    }
    cache.settle().await;
    assert_eq!(
        src.calls(),
        2,
        "the refresh took its own token back from the store"
    );
    let now = cache.peek().expect("token");
    assert_ne!(value(&now), value(&first));
}

#[tokio::test]
async fn poisoned_stored_value_is_treated_as_absent_and_overwritten() {
    let clock = ManualClock::at_unix(T0);
    for (raw, ttl) in [
        ("600000:not a header value", Some(life(600))),
        ("600000:tok\u{1}ctl", Some(life(600))),
        ("315360000000:pinned-for-ten-years", Some(life(315_360_000))),
        ("600000:no-ttl", None),
        ("600000:ttl-longer-than-lifetime", Some(life(6000))),
        ("garbage", Some(life(600))),
    ] {
        let src = Src::new(&[]);
        let store = Arc::new(MemoryStore::new(clock.shared()));
        store.insert_raw("poison", raw, ttl);
        let cache = TokenCache::with_config(
            src.clone(),
            clock.shared(),
            cfg().with_shared_store(shared(&store, "poison")),
        );
        let t = cache.token().await.expect("fetched despite the poison");
        assert_eq!(value(&t), "token-1", "{raw}");
        assert_eq!(src.calls(), 1, "{raw}");
        // Overwritten: a second cache takes the fresh token from the store.
        let other = TokenCache::with_config(
            src.clone(),
            clock.shared(),
            cfg().with_shared_store(shared(&store, "poison")),
        );
        assert_eq!(
            value(&other.token().await.expect("shared")),
            "token-1",
            "{raw}"
        );
        assert_eq!(src.calls(), 1, "{raw}");
    }
}

#[tokio::test]
async fn remaining_life_comes_from_the_store_ttl() {
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    // Written by a host whose clock is far ahead: only the store's TTL counts.
    store.insert_raw("ttl", "600000:from-another-host", Some(life(300)));
    let src = Src::new(&[]);
    let cache = TokenCache::with_config(
        src.clone(),
        clock.shared(),
        cfg().with_shared_store(shared(&store, "ttl")),
    );
    let t = cache.token().await.expect("token");
    assert_eq!(value(&t), "from-another-host");
    assert_eq!(
        t.expires_at(),
        Some(clock.shared().now() + life(300)),
        "remaining life must be the store's TTL"
    );
    // The refresh schedule follows the full lifetime (600 s): margin 60 s.
    assert_eq!(t.refresh_at(), Some(clock.shared().now() + life(240)));
    assert_eq!(src.calls(), 0);
}

#[tokio::test]
async fn rejected_token_is_forgotten_after_a_success() {
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let src = Src::new(&[]);
    let cache = TokenCache::with_config(
        src.clone(),
        clock.shared(),
        cfg().with_shared_store(shared(&store, "forget")),
    );
    let a = cache.token().await.expect("a");
    assert!(cache.reject(&a));
    let b = cache.token().await.expect("b");
    assert_ne!(value(&a), value(&b));
    // Another writer now stores the once-rejected value: once a new token was fetched the
    // old rejection is forgotten, so it is not removed from the store on every fetch.
    clock.advance(life(600));
    store.insert_raw("forget", &format!("600000:{}", value(&a)), Some(life(600)));
    let c = cache.token().await.expect("c");
    assert_eq!(
        value(&c),
        value(&a),
        "the rejection should have been forgotten"
    );
}

#[tokio::test(start_paused = true)]
async fn fleet_lock_is_released_when_the_fetch_times_out() {
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    // The first fetch never finishes (gated); the fetch timeout (5 s) ends it.
    let src = Src::new(&[(Step::Ok(life(600)), true)]);
    let mk = || {
        TokenCache::with_config(
            src.clone(),
            clock.shared(),
            cfg().with_shared_store(shared(&store, "timeout").lock_ttl(life(60))),
        )
    };
    let a = mk();
    let e = a.token().await.expect_err("timed out");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    tokio::task::yield_now().await;
    assert!(
        !store.is_locked("timeout"),
        "the lock outlived its timed-out fetch"
    );
    // Another member fetches at once instead of waiting out the 60 s lock.
    let b = mk();
    b.token().await.expect("the next member fetches");
    assert_eq!(src.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn fetch_slower_than_the_lock_keeps_it() {
    let clock = ManualClock::at_unix(T0);
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let src = Src::new(&[(Step::Ok(life(600)), true)]);
    let mk = || {
        TokenCache::with_config(
            src.clone(),
            clock.shared(),
            cfg().with_shared_store(
                shared(&store, "slow")
                    .lock_ttl(Duration::from_secs(3))
                    .wait_timeout(life(30)),
            ),
        )
    };
    let a = mk();
    let first = {
        let a = a.clone();
        tokio::spawn(async move { a.token().await })
    };
    // The login takes 4 s, longer than the 3 s lock: the holder renews it as it goes.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        clock.advance(Duration::from_secs(1));
    }
    assert!(
        store.is_locked("slow"),
        "the lock expired under a live fetch"
    );
    let b = mk();
    let second = {
        let b = b.clone();
        tokio::spawn(async move { b.token().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Enough permits for two fetches, so that a second (wrong) login cannot hang the test.
    src.gate.add_permits(2);
    let ta = first.await.expect("join").expect("a");
    let tb = second.await.expect("join").expect("b");
    assert_eq!(value(&ta), value(&tb));
    assert_eq!(
        src.calls(),
        1,
        "a second member logged in while the first was still at it"
    );
}

// ---- item 13: Redis Cluster hash slots ---------------------------------------------------

#[cfg(feature = "redis")]
#[test]
fn token_and_lock_keys_share_a_hash_slot() {
    use tollgate_auth_core::store::RedisStore;
    /// Redis Cluster's key slot: CRC16-XMODEM of the hash tag (or the whole key) mod 16384.
    fn slot(key: &str) -> u16 {
        let b = key.as_bytes();
        let tagged = b.iter().position(|&c| c == b'{').and_then(|open| {
            let close = b[open + 1..].iter().position(|&c| c == b'}')?;
            (close > 0).then(|| &b[open + 1..open + 1 + close])
        });
        let mut crc: u16 = 0;
        for &byte in tagged.unwrap_or(b) {
            crc ^= u16::from(byte) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc % 16384
    }
    assert_eq!(slot("123456789"), 0x31C3, "CRC16-XMODEM check value");
    let store = RedisStore::open("redis://127.0.0.1:1/", "tollgate:").expect("url");
    for key in ["gtr:VASP1", "snap:client-key", "a}b", "{x}"] {
        assert_eq!(
            slot(&store.token_key(key)),
            slot(&store.lock_key(key)),
            "{key}"
        );
    }
}

// ---- items 17–19: what the middleware sends, and where -----------------------------------

mod middleware {
    use std::sync::atomic::{AtomicU64, Ordering};

    use http::StatusCode;
    use reqwest::Request;
    use reqwest_middleware::ClientBuilder;
    use tollgate_auth_core::{AuthError, AuthMiddleware, Judgement, Scope, Signer};
    use wiremock::matchers::{header, header_exists, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// Like SNAP: a fresh nonce per signing, and an external id kept when the request
    /// already carries one. Bodies mentioning `"expired"` are rejections.
    #[derive(Default)]
    struct OneTime {
        n: AtomicU64,
        inspect: bool,
    }

    impl Signer for OneTime {
        type Receipt = ();
        async fn sign(&self, req: &mut Request) -> Result<(), AuthError> {
            let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
            let h = req.headers_mut();
            h.insert("authorization", "Test secret".parse().expect("h"));
            h.insert("x-nonce", n.to_string().parse().expect("h"));
            if !h.contains_key("x-external-id") {
                h.insert("x-external-id", format!("ext-{n}").parse().expect("h"));
            }
            Ok(())
        }
        fn judge(
            &self,
            status: StatusCode,
            _headers: &http::HeaderMap,
            body: Option<&[u8]>,
        ) -> Judgement {
            match body {
                _ if status == StatusCode::UNAUTHORIZED => Judgement::Reject,
                None if self.inspect => Judgement::ReadBody,
                Some(b) if b.windows(9).any(|w| w == b"\"expired\"") => Judgement::Reject,
                _ => Judgement::Accept,
            }
        }
    }

    #[tokio::test]
    async fn request_to_another_origin_carries_no_credential() {
        let provider = MockServer::start().await;
        let other = MockServer::start().await;
        Mock::given(path("/x"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&provider)
            .await;
        Mock::given(path("/x"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&other)
            .await;
        let mw = AuthMiddleware::new(OneTime::default())
            .with_scope(Scope::origin(&provider.uri()).expect("scope"));
        let client = ClientBuilder::new(reqwest::Client::new()).with(mw).build();
        client
            .get(format!("{}/x", provider.uri()))
            .send()
            .await
            .expect("provider");
        client
            .get(format!("{}/x", other.uri()))
            .send()
            .await
            .expect("other");
        let to_provider = provider.received_requests().await.expect("recorded");
        assert!(to_provider[0].headers.contains_key("authorization"));
        let to_other = other.received_requests().await.expect("recorded");
        assert_eq!(to_other.len(), 1);
        for name in ["authorization", "x-nonce", "x-external-id"] {
            assert!(
                !to_other[0].headers.contains_key(name),
                "{name} was sent to another origin"
            );
        }
    }

    #[tokio::test]
    async fn retry_is_signed_afresh_from_the_unsigned_request() {
        let server = MockServer::start().await;
        Mock::given(path("/pay"))
            .and(header("x-nonce", "1"))
            .respond_with(ResponseTemplate::new(401))
            .mount(&server)
            .await;
        Mock::given(path("/pay"))
            .and(header_exists("x-nonce"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(OneTime::default()))
            .build();
        let r = client
            .post(format!("{}/pay", server.uri()))
            .body("{}")
            .send()
            .await
            .expect("response");
        assert_eq!(r.status(), 200);
        let seen = server.received_requests().await.expect("recorded");
        assert_eq!(seen.len(), 2);
        let id = |i: usize| seen[i].headers.get("x-external-id").cloned();
        assert_ne!(
            id(0),
            id(1),
            "the retry replayed the first attempt's X-EXTERNAL-ID"
        );
    }

    #[tokio::test]
    async fn body_coded_rejection_is_retried_and_the_response_handed_back_intact() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(header("x-nonce", "1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .set_body_string(r#"{"status":"expired"}"#),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .insert_header("x-kept", "yes")
                    .set_body_string(r#"{"status":"ok","data":[1,2,3]}"#),
            )
            .mount(&server)
            .await;
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(OneTime {
                inspect: true,
                ..Default::default()
            }))
            .build();
        let url = format!("{}/data?q=1", server.uri());
        let r = client.get(&url).send().await.expect("response");
        assert_eq!(server.received_requests().await.expect("r").len(), 2);
        assert_eq!(r.status(), 200);
        assert_eq!(r.url().as_str(), url);
        assert_eq!(r.headers().get("x-kept").expect("header"), "yes");
        assert_eq!(
            r.text().await.expect("body"),
            r#"{"status":"ok","data":[1,2,3]}"#
        );

        // An inspected success is handed back intact too.
        let r = client.get(&url).send().await.expect("response");
        assert_eq!(r.url().as_str(), url);
        assert_eq!(r.headers().get("x-kept").expect("header"), "yes");
        assert_eq!(
            r.text().await.expect("body"),
            r#"{"status":"ok","data":[1,2,3]}"#
        );
    }

    #[tokio::test]
    async fn large_bodies_are_not_inspected() {
        let server = MockServer::start().await;
        let big = format!(
            r#"{{"status":"expired","pad":"{}"}}"#,
            "x".repeat(70 * 1024)
        );
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(big.clone()))
            .mount(&server)
            .await;
        let client = ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::new(OneTime {
                inspect: true,
                ..Default::default()
            }))
            .build();
        let r = client
            .get(format!("{}/big", server.uri()))
            .send()
            .await
            .expect("response");
        assert_eq!(server.received_requests().await.expect("r").len(), 1);
        assert_eq!(r.text().await.expect("body").len(), big.len());
    }
}

// ---- items 14–16: token requests ---------------------------------------------------------

mod transport {
    use tollgate_auth_core::scope::check_endpoint_url;
    use tollgate_auth_core::transport::{MAX_TOKEN_RESPONSE, send_token_request, token_client};
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::ErrorKind;

    /// A token endpoint (`/token` on the first server) answering 307 to `/steal` on the
    /// second.
    async fn token_endpoint_redirecting_elsewhere() -> (MockServer, MockServer) {
        let provider = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        Mock::given(path("/token"))
            .respond_with(
                ResponseTemplate::new(307)
                    .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
            )
            .mount(&provider)
            .await;
        (provider, elsewhere)
    }

    #[tokio::test]
    async fn token_requests_never_follow_redirects() {
        let (provider, elsewhere) = token_endpoint_redirecting_elsewhere().await;
        let client = token_client().expect("client");
        let e = send_token_request(
            client
                .post(format!("{}/token", provider.uri()))
                .body("secret=hunter2"),
            "test token request",
        )
        .await
        .expect_err("a redirect is an error");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(!e.is_retryable());
        assert!(elsewhere.received_requests().await.expect("r").is_empty());

        // A user's client that follows redirects: the secret went, but the answer is refused.
        Mock::given(path("/steal"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&elsewhere)
            .await;
        let e = send_token_request(
            reqwest::Client::new()
                .post(format!("{}/token", provider.uri()))
                .body("x"),
            "test token request",
        )
        .await
        .expect_err("a followed redirect is an error");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    }

    #[tokio::test]
    async fn a_user_token_client_never_re_posts_the_secret() {
        use tollgate_auth_core::options::ProviderOptions;
        let (provider, elsewhere) = token_endpoint_redirecting_elsewhere().await;
        Mock::given(path("/steal"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&elsewhere)
            .await;
        // The client a user passes to a builder, as `reqwest` makes it: it follows redirects.
        let mut options = ProviderOptions::default();
        options.set_http_client(reqwest::Client::builder());
        let client = options.token_http_client().expect("client");
        let e = send_token_request(
            client
                .post(format!("{}/token", provider.uri()))
                .header("authorization", "Basic c2VjcmV0")
                .body("secret=hunter2"),
            "test token request",
        )
        .await
        .expect_err("a redirect is an error");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let seen = elsewhere.received_requests().await.expect("r");
        assert!(
            seen.is_empty(),
            "the secret was re-posted: {} request(s)",
            seen.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_request_on_a_client_without_timeouts_still_ends() {
        // A server that accepts and never answers; the client has no timeout of its own.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let started = tokio::time::Instant::now();
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(3600),
            send_token_request(
                reqwest::Client::new().post(format!("http://{addr}/token")),
                "test token request",
            ),
        )
        .await
        .expect("send_token_request must end by its own deadline");
        let e = r.expect_err("a stalled token request is an error");
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(e.is_retryable());
        assert!(started.elapsed() <= tollgate_auth_core::transport::REQUEST_TIMEOUT);
    }

    #[tokio::test]
    async fn oversized_token_response_is_refused() {
        let server = MockServer::start().await;
        Mock::given(path("/big"))
            .respond_with(
                ResponseTemplate::new(200).set_body_string("x".repeat(MAX_TOKEN_RESPONSE + 1)),
            )
            .mount(&server)
            .await;
        Mock::given(path("/ok"))
            .respond_with(
                ResponseTemplate::new(200).set_body_string("x".repeat(MAX_TOKEN_RESPONSE)),
            )
            .mount(&server)
            .await;
        let client = token_client().expect("client");
        let e = send_token_request(client.get(format!("{}/big", server.uri())), "t")
            .await
            .expect_err("too big");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let ok = send_token_request(client.get(format!("{}/ok", server.uri())), "t")
            .await
            .expect("at the cap");
        assert_eq!(ok.body.len(), MAX_TOKEN_RESPONSE);
    }

    #[test]
    fn plain_http_token_urls_are_refused_off_loopback() {
        for ok in [
            "https://api.example.com/token",
            "http://127.0.0.1:8080/token",
            "http://127.9.9.9/token",
            "http://[::1]:9/token",
            "http://localhost:1/token",
        ] {
            check_endpoint_url("token_url", &ok.parse().expect("url"), false).expect(ok);
        }
        for bad in [
            "http://api.example.com/token",
            "http://10.0.0.1/token",
            "http://localhost.example.com/token",
            // Names under .localhost still go to DNS: only IP literals and `localhost` count.
            "http://evil.localhost/token",
            "http://a.b.LOCALHOST:8080/token",
            "ftp://api.example.com/token",
        ] {
            let e =
                check_endpoint_url("token_url", &bad.parse().expect("url"), false).expect_err(bad);
            assert_eq!(e.field(), Some("token_url"));
        }
        check_endpoint_url(
            "token_url",
            &"http://api.example.com/t".parse().expect("url"),
            true,
        )
        .expect("explicit opt-in");
    }
}
