//! `TokenCache::health`: each state, reached with a scripted source and a manual clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Semaphore;
use tollgate_auth_core::{
    AuthError, CacheConfig, CacheState, ErrorKind, FetchContext, FetchedToken, ManualClock,
    TokenCache, TokenSource,
};

/// Answers each fetch from the script (then 600 s tokens); with a gate, each fetch waits
/// for a permit first.
#[derive(Clone)]
struct Scripted {
    script: Arc<Mutex<VecDeque<Result<Duration, ErrorKind>>>>,
    gate: Option<Arc<Semaphore>>,
}

impl TokenSource for Scripted {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        if let Some(g) = &self.gate {
            g.acquire().await.expect("gate").forget();
        }
        let step = self
            .script
            .lock()
            .expect("script")
            .pop_front()
            .unwrap_or(Ok(Duration::from_secs(600)));
        match step {
            Ok(life) => Ok(FetchedToken::new("secret-token-value", life)),
            Err(kind) => Err(AuthError::new(kind, "scripted failure")),
        }
    }
}

const T0: u64 = 1_700_000_000;

fn setup(
    steps: Vec<Result<Duration, ErrorKind>>,
    gated: bool,
) -> (TokenCache<Scripted>, ManualClock, Option<Arc<Semaphore>>) {
    let gate = gated.then(|| Arc::new(Semaphore::new(0)));
    let src = Scripted {
        script: Arc::new(Mutex::new(steps.into())),
        gate: gate.clone(),
    };
    let clock = ManualClock::at_unix(T0);
    let cfg = CacheConfig::without_jitter()
        .with_refresh_margin(Duration::from_secs(60))
        .with_expiry_buffer(Duration::from_secs(10))
        .with_backoff(Duration::from_secs(4), Duration::from_secs(60));
    let cache = TokenCache::with_config(src, clock.shared(), cfg);
    (cache, clock, gate)
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + secs)
}

#[tokio::test]
async fn a_cold_cache_is_empty_and_ready() {
    let (cache, _clock, _) = setup(vec![], false);
    let h = cache.health();
    assert_eq!(h.state, CacheState::Empty);
    assert!(!h.usable);
    assert_eq!(h.expires_in, None);
    assert_eq!(h.last_fetch, None);
    assert_eq!(h.failing_since, None);
    assert_eq!(h.consecutive_failures, 0);
    // Nothing failed yet: the first request fetches.
    assert!(h.is_ready(Duration::ZERO));
    assert_eq!(h.state.name(), "empty");
}

#[tokio::test]
async fn a_fetched_token_is_fresh_with_its_expiry() {
    let (cache, clock, _) = setup(vec![Ok(Duration::from_secs(600))], false);
    cache.token().await.expect("token");
    clock.advance(Duration::from_secs(100));
    let h = cache.health();
    assert_eq!(h.state, CacheState::Fresh);
    assert!(h.usable);
    assert_eq!(h.as_of, at(100));
    assert_eq!(h.expires_in, Some(Duration::from_secs(500)));
    assert_eq!(h.refresh_at, Some(at(540)));
    assert_eq!(h.usable_until, Some(at(590)));
    assert_eq!(h.last_fetch, Some(at(0)));
    assert_eq!(h.last_success, Some(at(0)));
    assert_eq!(h.last_error, None);
    assert!(h.is_ready(Duration::ZERO));
    // The snapshot never carries the token.
    assert!(!format!("{h:?}").contains("secret-token-value"));
}

#[tokio::test]
async fn a_token_in_its_refresh_window_or_a_fetch_in_flight_is_refreshing() {
    let (cache, clock, gate) = setup(vec![], true);
    let gate = gate.expect("gated");
    // A fetch under way, no token yet: refreshing, not usable, still ready.
    let first = {
        let c = cache.clone();
        tokio::spawn(async move { c.token().await })
    };
    while cache.fetches_started() == 0 {
        tokio::task::yield_now().await;
    }
    let h = cache.health();
    assert_eq!(h.state, CacheState::Refreshing);
    assert!(!h.usable);
    assert!(h.is_ready(Duration::ZERO));
    gate.add_permits(1);
    first.await.expect("join").expect("token");
    // Past the refresh margin, before anyone asked: due, still usable.
    clock.advance(Duration::from_secs(545));
    let h = cache.health();
    assert_eq!(h.state, CacheState::Refreshing);
    assert!(h.usable);
    assert_eq!(h.expires_in, Some(Duration::from_secs(55)));
    // The refresh under way: still refreshing, the old token still usable.
    cache.token().await.expect("the valid token");
    assert_eq!(cache.health().state, CacheState::Refreshing);
    gate.add_permits(1);
    cache.settle().await;
    let h = cache.health();
    assert_eq!(h.state, CacheState::Fresh);
    assert_eq!(h.expires_in, Some(Duration::from_secs(600)));
    assert_eq!(h.last_success, Some(at(545)));
}

#[tokio::test]
async fn failures_back_off_until_a_time_and_say_since_when_and_why() {
    let (cache, clock, _) = setup(
        vec![Err(ErrorKind::ServerError), Err(ErrorKind::RateLimited)],
        false,
    );
    cache.token().await.expect_err("first fetch fails");
    let h = cache.health();
    assert_eq!(h.state, CacheState::BackingOff { until: at(4) });
    assert_eq!(h.state.name(), "backing_off");
    assert!(!h.usable);
    assert_eq!(h.failing_since, Some(at(0)));
    assert_eq!(h.last_error, Some(ErrorKind::ServerError));
    assert_eq!(h.consecutive_failures, 1);
    assert_eq!(h.last_fetch, Some(at(0)));
    assert_eq!(h.last_success, None);
    // Ready within the grace, not with none.
    assert!(h.is_ready(Duration::from_secs(30)));
    assert!(!h.is_ready(Duration::ZERO));

    // The second failure, after the first window: the run goes on, the window doubles.
    clock.advance(Duration::from_secs(5));
    cache.token().await.expect_err("second fetch fails");
    let h = cache.health();
    assert_eq!(h.state, CacheState::BackingOff { until: at(5 + 8) });
    assert_eq!(h.failing_since, Some(at(0)));
    assert_eq!(h.last_error, Some(ErrorKind::RateLimited));
    assert_eq!(h.consecutive_failures, 2);
    assert_eq!(h.failing_for(), Some(Duration::from_secs(5)));
    assert!(!h.is_ready(Duration::from_secs(5)));
    assert!(h.is_ready(Duration::from_secs(6)));

    // The window over, nobody asked yet: empty, still failing.
    clock.advance(Duration::from_secs(10));
    let h = cache.health();
    assert_eq!(h.state, CacheState::Empty);
    assert!(h.is_failing());

    // A success ends the run.
    cache.token().await.expect("third fetch succeeds");
    let h = cache.health();
    assert_eq!(h.state, CacheState::Fresh);
    assert_eq!(h.failing_since, None);
    assert_eq!(h.last_error, None);
    assert_eq!(h.consecutive_failures, 0);
    assert_eq!(h.last_success, Some(at(15)));
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_token_usable_while_backing_off() {
    let (cache, clock, _) = setup(
        vec![Ok(Duration::from_secs(600)), Err(ErrorKind::Transport)],
        false,
    );
    cache.token().await.expect("token");
    clock.advance(Duration::from_secs(550));
    cache.token().await.expect("the valid token");
    cache.settle().await;
    let h = cache.health();
    assert_eq!(h.state, CacheState::BackingOff { until: at(554) });
    assert!(h.usable);
    assert_eq!(h.last_error, Some(ErrorKind::Transport));
    // A usable token is ready, however long the failures last.
    assert!(h.is_ready(Duration::ZERO));
    // Once it expires, the failures decide.
    clock.advance(Duration::from_secs(45));
    let h = cache.health();
    assert!(!h.usable);
    assert_eq!(h.expires_in, Some(Duration::from_secs(5)));
    assert!(!h.is_ready(Duration::from_secs(30)));
    clock.advance(Duration::from_secs(60));
    assert_eq!(cache.health().expires_in, Some(Duration::ZERO));
}
