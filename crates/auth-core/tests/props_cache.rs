//! Property tests of the cache's arithmetic on numbers from outside: token lifetimes (any
//! size, against any configuration and clock reading) and failure backoff (any sequence of
//! failures with any `Retry-After`). The expected instants are computed here from the
//! documented rules, then checked against the cache's decisions at, just before and just
//! after each of them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use tollgate_auth_core::error::MAX_RETRY_AFTER;
use tollgate_auth_core::{
    AuthError, CacheConfig, ErrorKind, ExposeSecret, FetchContext, FetchedToken, ManualClock,
    TokenCache, TokenSource,
};

/// One scripted answer: a token of this lifetime, or a failure with this `Retry-After`.
type Step = Result<Duration, Option<Duration>>;

/// Answers from a script; `Ok` once the script is empty.
#[derive(Clone, Default)]
struct Script {
    steps: Arc<Mutex<VecDeque<Step>>>,
    calls: Arc<Mutex<u64>>,
}

impl TokenSource for Script {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let n = {
            let mut c = self.calls.lock().expect("calls");
            *c += 1;
            *c
        };
        let step = self.steps.lock().expect("steps").pop_front();
        match step {
            Some(Ok(life)) => Ok(FetchedToken::new(format!("token-{n}"), life)),
            None => Ok(FetchedToken::new(
                format!("token-{n}"),
                Duration::from_secs(600),
            )),
            Some(Err(after)) => {
                let e = AuthError::new(ErrorKind::ServerError, "scripted failure");
                Err(match after {
                    Some(a) => e.with_retry_after(a),
                    None => e,
                })
            }
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

const NS: Duration = Duration::from_nanos(1);

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..4_000).prop_map(Duration::from_secs),
        (0u64..200_000).prop_map(Duration::from_millis),
        any::<u64>().prop_map(Duration::from_secs),
        Just(Duration::ZERO),
        Just(Duration::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A fetched token's expiry, last usable instant and refresh instant follow the rules
    /// (lifetime capped at `max_lifetime`; buffer at most a quarter, refresh-ahead at most
    /// half of it and never less than the buffer; nothing before the fetch; an expiry out of
    /// range is an invalid response), and the cache acts on them: the same token without a
    /// fetch before `refresh_at`, the same token plus one background fetch from there, a
    /// new token from `usable_until`.
    #[test]
    fn token_times_follow_the_lifetime(
        start in 0u64..4_000_000_000,
        lifetime in duration(),
        margin in duration(),
        buffer in duration(),
        max_life in prop_oneof![duration(), Just(Duration::from_secs(24 * 3600))],
        probe in 0u8..3,
    ) {
        let clock = ManualClock::at_unix(start);
        let now = UNIX_EPOCH + Duration::from_secs(start);
        let cfg = CacheConfig::without_jitter()
            .with_refresh_margin(margin)
            .with_expiry_buffer(buffer)
            .with_max_lifetime(max_life);
        let src = Script::default();
        src.steps.lock().expect("steps").push_back(Ok(lifetime));
        let cache = TokenCache::with_config(src, clock.shared(), cfg);
        let rt = runtime();

        let left = lifetime.min(max_life);
        let Some(expires) = now.checked_add(left) else {
            let e = rt.block_on(cache.token()).expect_err("expiry out of range");
            prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            prop_assert!(cache.peek().is_none());
            return Ok(());
        };
        let tok = rt.block_on(cache.token()).expect("token");
        let buf = buffer.min(left / 4);
        let ahead = margin.min(left / 2).max(buf);
        let floor = |d: Duration| expires.checked_sub(d).map_or(now, |t| t.max(now));
        prop_assert_eq!(tok.received_at(), now);
        prop_assert_eq!(tok.expires_at(), Some(expires));
        prop_assert_eq!(tok.usable_until(), Some(floor(buf)));
        prop_assert_eq!(tok.refresh_at(), Some(floor(ahead)));
        let usable = floor(buf);
        let refresh = floor(ahead);
        prop_assert!(refresh <= usable);
        if usable > now {
            prop_assert!(tok.is_valid_at(usable - NS));
        }
        prop_assert!(!tok.is_valid_at(usable));
        prop_assert!(tok.needs_refresh_at(refresh));
        if refresh > now {
            prop_assert!(!tok.needs_refresh_at(refresh - NS));
        }

        // What the cache does at one of the instants that matter.
        let set = |t: SystemTime| clock.set(t);
        match probe {
            // Just before the refresh instant: the same token, no fetch.
            0 if refresh > now => {
                set(refresh - NS);
                let again = rt.block_on(cache.token()).expect("token");
                prop_assert_eq!(again.secret().expose_secret(), "token-1");
                prop_assert_eq!(cache.fetches_started(), 1);
            }
            // Inside the refresh window: the same token at once, one fetch behind it.
            1 if usable > refresh => {
                set(refresh);
                let again = rt.block_on(cache.token()).expect("token");
                prop_assert_eq!(again.secret().expose_secret(), "token-1");
                prop_assert_eq!(cache.fetches_started(), 2);
                rt.block_on(cache.settle());
                let new = cache.peek().expect("refreshed");
                prop_assert_eq!(new.secret().expose_secret(), "token-2");
            }
            // From the last usable instant: a new token, fetched before answering.
            _ => {
                set(usable);
                let again = rt.block_on(cache.token()).expect("token");
                prop_assert_eq!(again.secret().expose_secret(), "token-2");
                prop_assert_eq!(cache.fetches_started(), 2);
            }
        }
    }

    /// After the k-th failure in a row the cache waits
    /// `max(min(min_backoff * 2^(k-1), max_backoff), min(Retry-After, 1 h))`: until then a
    /// caller gets the failure back at once with the time left, and no fetch starts; at
    /// that instant the next fetch starts. A success clears the backoff.
    #[test]
    fn backoff_follows_failures_and_retry_after(
        start in 0u64..4_000_000_000,
        min_b in prop_oneof![(0u64..5_000).prop_map(Duration::from_millis), (0u64..100).prop_map(Duration::from_secs)],
        max_b in prop_oneof![(0u64..5_000).prop_map(Duration::from_millis), (0u64..400).prop_map(Duration::from_secs)],
        afters in proptest::collection::vec(proptest::option::of(duration()), 1..20),
    ) {
        let clock = ManualClock::at_unix(start);
        let mut now = UNIX_EPOCH + Duration::from_secs(start);
        let cfg = CacheConfig::without_jitter().with_backoff(min_b, max_b);
        let max_b = max_b.max(min_b);
        let src = Script::default();
        {
            let mut steps = src.steps.lock().expect("steps");
            steps.extend(afters.iter().map(|a| Err(*a)));
        }
        let cache = TokenCache::with_config(src, clock.shared(), cfg);
        let rt = runtime();
        for (k, after) in afters.iter().enumerate() {
            let e = rt.block_on(cache.token()).expect_err("scripted failure");
            prop_assert_eq!(e.kind(), ErrorKind::ServerError);
            prop_assert_eq!(cache.fetches_started(), k as u64 + 1);
            let exp = min_b.saturating_mul(1u32 << k.min(16)).min(max_b);
            let wait = exp.max(after.map_or(Duration::ZERO, |a| a.min(MAX_RETRY_AFTER)));
            if !wait.is_zero() {
                // At once, and one nanosecond before the end: the failure, the time left.
                let again = rt.block_on(cache.token()).expect_err("inside the backoff");
                prop_assert_eq!(again.retry_after(), Some(wait));
                clock.set(now + wait - NS);
                let again = rt.block_on(cache.token()).expect_err("inside the backoff");
                prop_assert_eq!(again.retry_after(), Some(NS));
                prop_assert_eq!(cache.fetches_started(), k as u64 + 1);
            }
            now += wait;
            clock.set(now);
        }
        let tok = rt.block_on(cache.token()).expect("the script is done: a token");
        prop_assert_eq!(cache.fetches_started(), afters.len() as u64 + 1);
        prop_assert!(tok.is_valid_at(now));
        prop_assert!(cache.peek().is_some());
    }
}
