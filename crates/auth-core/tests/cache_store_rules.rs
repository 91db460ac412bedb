//! The rules by which a cache takes a token another writer left in a shared store, at
//! their boundaries (a lifetime equal to the cap, a remaining life one second over the
//! full one, a token that does not expire), and what a store failure that is not
//! "unreachable" does. Each case is a value written into a `MemoryStore` by hand, then
//! one `token()` call: either the stored token comes back without a fetch, or the source
//! is asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tollgate_auth_core::store::{MemoryStore, OnUnavailable, SharedStore, TokenStore};
use tollgate_auth_core::{
    AuthError, CacheConfig, ErrorKind, ExposeSecret, FetchContext, FetchedToken, ManualClock,
    TokenCache, TokenSource,
};

const T0: u64 = 1_700_000_000;
const KEY: &str = "rules:one";
const MAX: Duration = Duration::from_secs(3600);

#[derive(Clone, Default)]
struct Counting(Arc<AtomicU64>);

impl TokenSource for Counting {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(FetchedToken::new(
            format!("fetched-{n}"),
            Duration::from_secs(600),
        ))
    }
}

fn cache(store: &MemoryStore, clock: &ManualClock) -> (TokenCache<Counting>, Counting) {
    let src = Counting::default();
    let cfg = CacheConfig::without_jitter()
        .with_max_lifetime(MAX)
        .with_refresh_margin(Duration::from_secs(60))
        .with_shared_store(
            SharedStore::new(Arc::new(store.clone()), KEY)
                .expect("key")
                .poll_interval(Duration::from_millis(1)),
        );
    (
        TokenCache::with_config(src.clone(), clock.shared(), cfg),
        src,
    )
}

/// Writes `raw` with `ttl` and reports which token one `token()` call returns.
async fn taken(raw: &str, ttl: Duration) -> String {
    let clock = ManualClock::at_unix(T0);
    let store = MemoryStore::new(clock.shared());
    store.insert_raw(KEY, raw, Some(ttl));
    let (c, _) = cache(&store, &clock);
    let t = c.token().await.expect("token");
    t.secret().expose_secret().to_string()
}

#[tokio::test]
async fn a_lifetime_equal_to_the_cap_is_taken_one_over_is_not() {
    let ms = MAX.as_millis();
    assert_eq!(
        taken(&format!("{ms}:stored"), Duration::from_secs(1800)).await,
        "stored"
    );
    assert_eq!(
        taken(&format!("{}:stored", ms + 1), Duration::from_secs(1800)).await,
        "fetched-1"
    );
}

#[tokio::test]
async fn a_remaining_life_up_to_one_second_over_the_full_one_is_taken() {
    // Lifetime 600 s; the store's time-to-live may run up to a second ahead of it.
    let one_s = Duration::from_secs(1);
    let full = Duration::from_secs(600);
    assert_eq!(taken("600000:stored", full + one_s).await, "stored");
    assert_eq!(
        taken("600000:stored", full + one_s + Duration::from_millis(1)).await,
        "fetched-1"
    );
}

#[tokio::test]
async fn a_stored_token_inside_the_refresh_margin_is_not_taken() {
    // Margin 60 s: 61 s left is taken, exactly 60 s left is not.
    assert_eq!(
        taken("600000:stored", Duration::from_secs(61)).await,
        "stored"
    );
    assert_eq!(
        taken("600000:stored", Duration::from_secs(60)).await,
        "fetched-1"
    );
}

#[tokio::test]
async fn a_token_that_does_not_expire_is_taken_within_the_cap_plus_one_second() {
    let one_s = Duration::from_secs(1);
    assert_eq!(taken("-:stored", Duration::from_secs(5)).await, "stored");
    assert_eq!(taken("-:stored", MAX).await, "stored");
    assert_eq!(taken("-:stored", MAX + one_s).await, "stored");
    assert_eq!(
        taken("-:stored", MAX + one_s + Duration::from_millis(1)).await,
        "fetched-1"
    );
}

#[tokio::test]
async fn a_zero_lifetime_is_never_taken() {
    assert_eq!(taken("0:stored", Duration::from_secs(5)).await, "fetched-1");
}

#[tokio::test]
async fn waiting_too_long_for_the_fleet_is_a_timeout_not_a_local_fetch() {
    // Another process holds the fetch lock and never stores a token: this cache gives up
    // with a timeout even when told to fetch locally if the store is unreachable (the
    // store is reachable; only "unreachable" falls back).
    let clock = ManualClock::at_unix(T0);
    let store = MemoryStore::new(clock.shared());
    assert!(
        store
            .try_lock(KEY, "other-process", Duration::from_secs(3600))
            .await
            .expect("lock")
    );
    let src = Counting::default();
    let cfg = CacheConfig::without_jitter().with_shared_store(
        SharedStore::new(Arc::new(store.clone()), KEY)
            .expect("key")
            .poll_interval(Duration::from_millis(1))
            .wait_timeout(Duration::from_millis(30))
            .on_unavailable(OnUnavailable::FetchLocally),
    );
    let c = TokenCache::with_config(src.clone(), clock.shared(), cfg);
    let e = c.token().await.expect_err("the lock is never released");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(src.0.load(Ordering::SeqCst), 0, "fetched locally");
}

#[test]
fn the_configuration_is_the_one_given() {
    let cfg = CacheConfig::default()
        .with_rejection_cooldown(Duration::from_secs(77))
        .with_max_lifetime(Duration::from_secs(1234));
    assert_eq!(cfg.rejection_cooldown, Duration::from_secs(77));
    let c = TokenCache::with_config(Counting::default(), ManualClock::at_unix(T0).shared(), cfg);
    assert_eq!(c.config().rejection_cooldown, Duration::from_secs(77));
    assert_eq!(c.config().max_lifetime, Duration::from_secs(1234));
}
