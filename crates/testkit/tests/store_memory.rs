//! Caches sharing one store in a process: the fleet semantics, deterministically, on a
//! manual clock. (The same semantics across OS processes on Redis: `fleet_redis.rs`.)

use std::sync::Arc;
use std::time::Duration;

use tollgate_auth_core::store::{MemoryStore, OnUnavailable, SharedStore};
use tollgate_auth_core::{CacheConfig, ErrorKind, ExposeSecret, ManualClock, TokenCache};
use tollgate_testkit::conformance::Creds;
use tollgate_testkit::mock::{REFERENCE_TOKEN_LIFETIME, ReferenceFake};

const T0: u64 = 1_700_000_000;

async fn fleet(
    n: usize,
    fake: &ReferenceFake,
    store: &MemoryStore,
    clock: &ManualClock,
    on_unavailable: OnUnavailable,
) -> Vec<TokenCache<tollgate_testkit::mock::ReferenceSource>> {
    (0..n)
        .map(|_| {
            let cfg = CacheConfig::without_jitter().with_shared_store(
                SharedStore::new(Arc::new(store.clone()), "reference:one")
                    .expect("key")
                    .poll_interval(Duration::from_millis(1))
                    .on_unavailable(on_unavailable),
            );
            TokenCache::with_config(fake.source(Creds::Valid), clock.shared(), cfg)
        })
        .collect()
}

async fn all_tokens(caches: &[TokenCache<tollgate_testkit::mock::ReferenceSource>]) -> Vec<String> {
    let futs = caches.iter().map(|c| c.token());
    futures::future::join_all(futs)
        .await
        .into_iter()
        .map(|r| r.expect("token").secret().expose_secret().to_string())
        .collect()
}

#[tokio::test]
async fn eight_caches_cold_start_with_one_fetch_and_refresh_once_at_expiry() {
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = MemoryStore::new(clock.shared());
    let caches = fleet(8, &fake, &store, &clock, OnUnavailable::Fail).await;

    let tokens = all_tokens(&caches).await;
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one shared token");
    assert_eq!(fake.token_requests(), 1);

    clock.advance(REFERENCE_TOKEN_LIFETIME + Duration::from_secs(1));
    let tokens2 = all_tokens(&caches).await;
    assert!(tokens2.iter().all(|t| t == &tokens2[0]));
    assert_ne!(tokens2[0], tokens[0]);
    assert_eq!(
        fake.token_requests(),
        2,
        "expiry across the fleet makes one refresh"
    );
}

#[tokio::test]
async fn refresh_ahead_applies_fleet_wide() {
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = MemoryStore::new(clock.shared());
    let caches = fleet(4, &fake, &store, &clock, OnUnavailable::Fail).await;
    let first = all_tokens(&caches).await;
    // Inside the 60 s margin: each cache hands out the valid token and refreshes in the
    // background; through the store only one of them fetches.
    clock.advance(REFERENCE_TOKEN_LIFETIME - Duration::from_secs(30));
    let still = all_tokens(&caches).await;
    assert_eq!(still, first);
    for c in &caches {
        c.settle().await;
    }
    assert_eq!(fake.token_requests(), 2);
    let next = all_tokens(&caches).await;
    assert!(next.iter().all(|t| t == &next[0] && t != &first[0]));
}

#[tokio::test]
async fn a_rejected_token_is_removed_from_the_store() {
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = MemoryStore::new(clock.shared());
    let caches = fleet(2, &fake, &store, &clock, OnUnavailable::Fail).await;
    let t = caches[0].token().await.expect("t");
    caches[1].token().await.expect("t");
    assert!(caches[0].invalidate_token(&t));
    let fresh = caches[0].token().await.expect("fresh");
    assert_ne!(
        fresh.secret().expose_secret(),
        t.secret().expose_secret(),
        "the rejected token must not come back from the store"
    );
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn store_outage_follows_the_configured_choice() {
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = MemoryStore::new(clock.shared());
    store.set_available(false);

    let fallback = fleet(2, &fake, &store, &clock, OnUnavailable::FetchLocally).await;
    all_tokens(&fallback).await;
    assert_eq!(fake.token_requests(), 2, "each process fetches for itself");

    let strict = fleet(1, &fake, &store, &clock, OnUnavailable::Fail).await;
    let err = strict[0].token().await.expect_err("store down");
    assert_eq!(err.kind(), ErrorKind::StoreUnavailable);
    assert!(err.is_retryable());
    assert_eq!(fake.token_requests(), 2, "no fetch when configured to fail");

    store.set_available(true);
    // Inside the backoff window the failure comes back at once; after it, recovery.
    let again = strict[0]
        .token()
        .await
        .expect_err("inside the backoff window");
    let wait = again.retry_after().expect("the time left in the window");
    clock.advance(wait);
    strict[0].token().await.expect("recovers");
}

#[tokio::test]
async fn a_dead_holder_blocks_others_only_until_its_lock_expires() {
    use tollgate_auth_core::store::TokenStore;
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = MemoryStore::new(clock.shared());
    // A holder took the lock and died.
    assert!(
        store
            .try_lock("reference:one", "dead-holder", Duration::from_secs(10))
            .await
            .expect("lock")
    );
    let caches = fleet(1, &fake, &store, &clock, OnUnavailable::Fail).await;
    let waiter = {
        let c = caches[0].clone();
        tokio::spawn(async move { c.token().await })
    };
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(fake.token_requests(), 0, "waits while the lock is held");
    clock.advance(Duration::from_secs(11));
    waiter
        .await
        .expect("join")
        .expect("token after the lock expired");
    assert_eq!(fake.token_requests(), 1);
    // The dead holder's fence can no longer store anything.
    let stale = tollgate_auth_core::store::StoredToken {
        value: "stale".to_string().into(),
        remaining: None,
        lifetime: None,
    };
    assert!(
        !store
            .save(
                "reference:one",
                "dead-holder",
                &stale,
                Duration::from_secs(60)
            )
            .await
            .expect("save")
    );
}

#[tokio::test]
async fn the_fleet_scenario_passes_on_a_memory_store_and_catches_unshared_caches() {
    use tollgate_testkit::conformance::{Outcome, run_fleet_scenario};
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let r = run_fleet_scenario(&fake, store.clone(), "reference:fleet").await;
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    assert_eq!(r.fetches, 1);

    // A provider whose client ignores the shared store must fail the scenario.
    let fake2 = ReferenceFake::start(clock.clone()).await;
    let r = run_fleet_scenario(&Unshared(fake2), store, "reference:fleet2").await;
    assert!(matches!(r.outcome, Outcome::Fail(_)), "{r:?}");
    assert_eq!(r.fetches, 8);
}

struct Unshared(ReferenceFake);

impl tollgate_testkit::conformance::ConformanceTarget for Unshared {
    fn name(&self) -> &str {
        "unshared"
    }
    fn token_lifetime(&self) -> Option<Duration> {
        self.0.token_lifetime()
    }
    fn has_token_endpoint(&self) -> bool {
        true
    }
    fn client(
        &self,
        creds: Creds,
        mut cache: CacheConfig,
    ) -> Result<reqwest_middleware::ClientWithMiddleware, tollgate_auth_core::AuthError> {
        cache.shared = None;
        self.0.client(creds, cache)
    }
    fn call<'a>(
        &'a self,
        client: &'a reqwest_middleware::ClientWithMiddleware,
    ) -> futures::future::BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        self.0.call(client)
    }
    fn token_fetches(&self) -> u64 {
        self.0.token_fetches()
    }
    fn api_calls(&self) -> u64 {
        self.0.api_calls()
    }
    fn set_token_endpoint_failing(&self, failing: bool) {
        self.0.set_token_endpoint_failing(failing)
    }
    fn reject_next_api_calls(&self, n: u64) {
        self.0.reject_next_api_calls(n)
    }
    fn secrets(&self) -> Vec<String> {
        self.0.secrets()
    }
}

/// A token source whose answer takes 5 s by the clock (within the 10 s fetch lock).
struct SlowSource {
    clock: ManualClock,
}

impl tollgate_auth_core::TokenSource for SlowSource {
    async fn fetch(
        &self,
        _cx: &tollgate_auth_core::FetchContext,
    ) -> Result<tollgate_auth_core::FetchedToken, tollgate_auth_core::AuthError> {
        self.clock.advance(Duration::from_secs(5));
        Ok(tollgate_auth_core::FetchedToken::new(
            "slow-token".to_string(),
            Duration::from_secs(600),
        ))
    }
}

#[tokio::test]
async fn a_slow_fetch_is_stored_with_the_life_it_has_left_not_its_full_lifetime() {
    use tollgate_auth_core::store::TokenStore;
    let clock = ManualClock::at_unix(T0);
    let store = MemoryStore::new(clock.shared());
    let cfg = CacheConfig::without_jitter()
        .with_shared_store(SharedStore::new(Arc::new(store.clone()), "slow").expect("key"));
    let cache = TokenCache::with_config(
        SlowSource {
            clock: clock.clone(),
        },
        clock.shared(),
        cfg,
    );
    let t = cache.token().await.expect("token");
    let stored = store.load("slow").await.expect("load").expect("stored");
    // Requested at T0, answered at T0 + 5: the server's 600 s end by T0 + 600, so the
    // fleet must not be told the token lives until T0 + 605.
    assert_eq!(stored.remaining, Some(Duration::from_secs(595)));
    assert_eq!(
        t.expires_at(),
        Some(clock.shared().now() + Duration::from_secs(595))
    );
}
