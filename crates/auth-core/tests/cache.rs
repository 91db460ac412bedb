//! Token cache semantics, each tested with a scripted token source and a manual clock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Semaphore;
use tollgate_auth_core::{
    AuthError, CacheConfig, ErrorKind, ExposeSecret, FetchContext, FetchedToken, ManualClock,
    TokenCache, TokenSource,
};

/// What the scripted source does on each fetch, in order; once the script is empty every
/// fetch succeeds with a 600 s token.
#[derive(Clone)]
enum Step {
    Ok(Duration),
    OkForever,
    Fail(ErrorKind),
    FailRetryAfter(Duration),
}

#[derive(Clone)]
struct Scripted {
    calls: Arc<AtomicU64>,
    script: Arc<Mutex<VecDeque<Step>>>,
    /// When set, each fetch waits for a permit before answering.
    gate: Option<Arc<Semaphore>>,
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Self {
        Scripted {
            calls: Arc::default(),
            script: Arc::new(Mutex::new(steps.into())),
            gate: None,
        }
    }
    fn gated(steps: Vec<Step>) -> (Self, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        let mut s = Self::new(steps);
        s.gate = Some(gate.clone());
        (s, gate)
    }
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenSource for Scripted {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(g) = &self.gate {
            g.acquire().await.expect("gate open").forget();
        }
        let step = self
            .script
            .lock()
            .expect("script")
            .pop_front()
            .unwrap_or(Step::Ok(Duration::from_secs(600)));
        match step {
            Step::Ok(life) => Ok(FetchedToken::new(format!("token-{n}"), life)),
            Step::OkForever => Ok(FetchedToken::without_expiry(format!("token-{n}"))),
            Step::Fail(kind) => Err(AuthError::new(kind, "scripted failure")),
            Step::FailRetryAfter(d) => {
                Err(AuthError::new(ErrorKind::ServerError, "scripted 503").with_retry_after(d))
            }
        }
    }
}

const T0: u64 = 1_700_000_000;

fn config(margin: u64, jitter: u64) -> CacheConfig {
    CacheConfig::default()
        .with_refresh_margin(Duration::from_secs(margin))
        .with_jitter(Duration::from_secs(jitter))
        .with_backoff(Duration::from_secs(2), Duration::from_secs(16))
        .with_fetch_timeout(Duration::from_secs(5))
}

fn cache(src: &Scripted, clock: &ManualClock, cfg: CacheConfig) -> TokenCache<Scripted> {
    TokenCache::with_config(src.clone(), clock.shared(), cfg)
}

fn value(t: &tollgate_auth_core::CachedToken) -> String {
    t.secret().expose_secret().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_callers_cause_exactly_one_fetch() {
    let (src, gate) = Scripted::gated(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let callers: Vec<_> = (0..200)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    // Let every caller reach the cache while the single fetch is held at the gate.
    while c.fetches_started() == 0 {
        tokio::task::yield_now().await;
    }
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1000);
    for h in callers {
        let t = h.await.expect("join").expect("token");
        assert_eq!(value(&t), "token-1");
    }
    assert_eq!(src.calls(), 1);
    assert_eq!(c.fetches_started(), 1);
}

#[tokio::test]
async fn a_failed_fetch_reaches_its_waiters_and_is_not_cached() {
    let (src, gate) = Scripted::gated(vec![Step::Fail(ErrorKind::ServerError)]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let waiter = {
        let c = c.clone();
        tokio::spawn(async move { c.token().await })
    };
    while c.fetches_started() == 0 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    // The waiter sees the failed fetch's error: nothing valid is cached.
    let err = waiter.await.expect("join").expect_err("first fetch fails");
    assert_eq!(err.kind(), ErrorKind::ServerError);
    // Inside the backoff window (2 s) the failure comes back at once, without a fetch.
    let again = c.token().await.expect_err("inside the backoff window");
    assert_eq!(again.kind(), ErrorKind::ServerError);
    assert_eq!(again.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(src.calls(), 1);
    // The failure is not cached as a token: after the window the next call fetches again.
    clock.advance(Duration::from_secs(2));
    gate.add_permits(1);
    let t = c.token().await.expect("second fetch");
    assert_eq!(value(&t), "token-2");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn fetch_survives_cancellation_of_the_caller_that_started_it() {
    let (src, gate) = Scripted::gated(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let starter = {
        let c = c.clone();
        tokio::spawn(async move { c.token().await })
    };
    while src.calls() == 0 {
        tokio::task::yield_now().await;
    }
    starter.abort();
    assert!(starter.await.expect_err("aborted").is_cancelled());
    gate.add_permits(1);
    c.settle().await;
    // The fetch completed on its own task and its token is cached.
    let cached = c
        .peek()
        .expect("token cached after the starter was cancelled");
    assert_eq!(value(&cached), "token-1");
    let t = c.token().await.expect("token");
    assert_eq!(value(&t), "token-1");
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn refreshes_ahead_of_expiry_without_making_callers_wait() {
    let (src, gate) = Scripted::gated(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    gate.add_permits(1);
    let first = c.token().await.expect("first");
    assert_eq!(value(&first), "token-1");

    // Before the margin: no refresh.
    clock.advance(Duration::from_secs(600 - 61));
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    assert_eq!(c.fetches_started(), 1);

    // Inside the margin: the old token comes back at once although the refresh is blocked.
    clock.advance(Duration::from_secs(2));
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    assert_eq!(c.fetches_started(), 2);
    // More callers do not start more refreshes.
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    assert_eq!(c.fetches_started(), 2);

    gate.add_permits(1);
    c.settle().await;
    assert_eq!(value(&c.token().await.expect("t")), "token-2");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn margin_is_capped_by_the_token_lifetime() {
    // A 10-minute margin on a 60 s token must not refresh on every call: the cap is half the
    // lifetime.
    let src = Scripted::new(vec![Step::Ok(Duration::from_secs(60))]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(600, 0));
    let t = c.token().await.expect("t");
    assert_eq!(
        t.refresh_at().expect("refresh"),
        SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 30)
    );
    clock.advance(Duration::from_secs(29));
    c.token().await.expect("t");
    assert_eq!(c.fetches_started(), 1);
}

#[tokio::test]
async fn jitter_stays_within_bounds() {
    let clock = ManualClock::at_unix(T0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let src = Scripted::new(vec![]);
        let c = cache(&src, &clock, config(60, 20));
        let t = c.token().await.expect("t");
        let refresh = t
            .refresh_at()
            .expect("r")
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after epoch")
            .as_secs_f64();
        let lo = (T0 + 600 - 80) as f64;
        let hi = (T0 + 600 - 60) as f64;
        assert!(
            (lo..=hi).contains(&refresh),
            "refresh at {refresh} outside [{lo}, {hi}]"
        );
        seen.insert(refresh as u64);
    }
    assert!(seen.len() > 1, "jitter should vary the refresh time");
}

#[tokio::test]
async fn expiry_counts_from_when_the_fetch_was_sent_by_the_local_clock() {
    let (src, gate) = Scripted::gated(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let waiter = {
        let c = c.clone();
        tokio::spawn(async move { c.token().await })
    };
    while src.calls() == 0 {
        tokio::task::yield_now().await;
    }
    // The fetch takes 100 s (by the clock) to answer. The server counted the lifetime from
    // some moment in between, so only counting from the request keeps local expiry no
    // later than the server's: from the answer, the token would go out for 90 s after it
    // expired (the 10 s expiry buffer covers latency up to 10 s, no more).
    clock.advance(Duration::from_secs(100));
    gate.add_permits(1);
    let t = waiter.await.expect("join").expect("token");
    let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(T0);
    assert_eq!(t.expires_at(), Some(sent + Duration::from_secs(600)));
    assert_eq!(t.usable_until(), Some(sent + Duration::from_secs(590)));
    clock.advance(Duration::from_secs(490));
    gate.add_permits(1);
    let again = c.token().await.expect("token");
    assert_ne!(
        value(&again),
        value(&t),
        "not handed out past the server's expiry"
    );
}

#[tokio::test]
async fn expired_token_is_never_returned() {
    let src = Scripted::new(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let t1 = c.token().await.expect("t1");
    clock.advance(Duration::from_secs(600));
    let t2 = c.token().await.expect("t2");
    assert_ne!(value(&t1), value(&t2));
    assert!(t2.is_valid_at(clock_now(&clock)));
    assert_eq!(src.calls(), 2);
}

fn clock_now(c: &ManualClock) -> SystemTime {
    use tollgate_auth_core::Clock;
    c.now()
}

#[tokio::test]
async fn failed_refresh_keeps_the_valid_token_and_backs_off() {
    let src = Scripted::new(vec![
        Step::Ok(Duration::from_secs(600)),
        Step::Fail(ErrorKind::ServerError),
        Step::Fail(ErrorKind::ServerError),
    ]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    c.token().await.expect("first");
    clock.advance(Duration::from_secs(550)); // inside the margin
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    c.settle().await;
    assert_eq!(src.calls(), 2, "one background refresh, which failed");
    // The valid token was not evicted.
    assert_eq!(value(&c.peek().expect("still cached")), "token-1");
    // Within the 2 s backoff: no new attempt.
    clock.advance(Duration::from_secs(1));
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    c.settle().await;
    assert_eq!(src.calls(), 2, "backoff holds the next attempt");
    // After it: another attempt, which fails; the backoff doubles to 4 s.
    clock.advance(Duration::from_secs(1));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 3);
    clock.advance(Duration::from_secs(3));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 3, "second failure doubled the backoff");
    clock.advance(Duration::from_secs(1));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 4);
    assert_eq!(value(&c.token().await.expect("t")), "token-4");
}

#[tokio::test]
async fn retry_after_extends_the_backoff() {
    let src = Scripted::new(vec![
        Step::Ok(Duration::from_secs(600)),
        Step::FailRetryAfter(Duration::from_secs(30)),
    ]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(120, 0));
    c.token().await.expect("first");
    clock.advance(Duration::from_secs(500));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 2);
    clock.advance(Duration::from_secs(29));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 2, "Retry-After of 30 s is honoured");
    clock.advance(Duration::from_secs(1));
    c.token().await.expect("t");
    c.settle().await;
    assert_eq!(src.calls(), 3);
}

#[tokio::test]
async fn failure_without_a_valid_token_is_returned_typed_and_not_cached() {
    let src = Scripted::new(vec![Step::Fail(ErrorKind::Unauthorized)]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let err = c.token().await.expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(!err.is_retryable());
    assert!(c.peek().is_none());
    clock.advance(Duration::from_secs(2));
    assert_eq!(value(&c.token().await.expect("recovers")), "token-2");
}

#[tokio::test]
async fn invalidate_forces_a_new_fetch_and_invalidate_token_spares_newer_tokens() {
    let src = Scripted::new(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let t1 = c.token().await.expect("t1");
    c.invalidate();
    let t2 = c.token().await.expect("t2");
    assert_eq!(value(&t2), "token-2");
    // A late rejection of token-1 must not evict token-2.
    assert!(!c.invalidate_token(&t1));
    assert_eq!(value(&c.token().await.expect("t")), "token-2");
    assert!(c.invalidate_token(&t2));
    assert_eq!(value(&c.token().await.expect("t")), "token-3");
}

#[tokio::test]
async fn tokens_without_expiry_live_until_invalidated() {
    let src = Scripted::new(vec![Step::OkForever]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    c.token().await.expect("t");
    clock.advance(Duration::from_secs(10 * 365 * 86_400));
    assert_eq!(value(&c.token().await.expect("t")), "token-1");
    assert_eq!(src.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_fetch_that_never_answers_times_out_as_retryable() {
    struct Hang;
    impl TokenSource for Hang {
        async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
            std::future::pending().await
        }
    }
    let clock = ManualClock::at_unix(T0);
    let c = TokenCache::with_config(Hang, clock.shared(), config(60, 0));
    // Tokio's paused clock auto-advances to the timeout: no real waiting.
    let err = c.token().await.expect_err("times out");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn debug_output_redacts_the_token() {
    let src = Scripted::new(vec![]);
    let clock = ManualClock::at_unix(T0);
    let c = cache(&src, &clock, config(60, 0));
    let t = c.token().await.expect("t");
    let dbg = format!("{c:?} {t:?}");
    assert!(!dbg.contains("token-1"), "{dbg}");
    assert!(dbg.contains("REDACTED"));
}
