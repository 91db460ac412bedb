//! A token source that answers the same bytes twice (a self-signed JWT minted twice in
//! one second) against a rejection: a refresh that was already in flight when the token
//! was rejected must not bring it back into the cache, while a fetch started after the
//! rejection is the source's current answer and stands.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tollgate_auth_core::{
    AuthError, CacheConfig, ExposeSecret, FetchContext, FetchedToken, ManualClock, TokenCache,
    TokenSource,
};

const T0: u64 = 1_700_000_000;

/// Always the same token; each fetch waits for a permit.
#[derive(Clone)]
struct SameBytes {
    gate: Arc<Semaphore>,
    calls: Arc<AtomicU64>,
}

impl TokenSource for SameBytes {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.gate.acquire().await.expect("gate").forget();
        Ok(FetchedToken::new("same-token", Duration::from_secs(600)))
    }
}

fn setup() -> (TokenCache<SameBytes>, SameBytes, ManualClock) {
    let clock = ManualClock::at_unix(T0);
    let src = SameBytes {
        gate: Arc::new(Semaphore::new(0)),
        calls: Arc::default(),
    };
    let cfg = CacheConfig::without_jitter().with_refresh_margin(Duration::from_secs(60));
    (
        TokenCache::with_config(src.clone(), clock.shared(), cfg),
        src,
        clock,
    )
}

#[tokio::test]
async fn a_refresh_older_than_the_rejection_does_not_bring_the_token_back() {
    let (c, src, clock) = setup();
    src.gate.add_permits(1);
    let first = c.token().await.expect("token");
    // Inside the refresh window: the token at once, a refresh held at the gate.
    clock.advance(Duration::from_secs(550));
    let again = c.token().await.expect("token");
    assert_eq!(again.secret().expose_secret(), "same-token");
    while src.calls.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    // The server rejects the token while the refresh is in flight.
    assert!(c.reject(&first));
    src.gate.add_permits(1);
    c.settle().await;
    assert!(
        c.peek().is_none(),
        "the refresh brought the rejected token back"
    );
}

#[tokio::test]
async fn a_fetch_started_after_the_rejection_stands_even_with_the_same_bytes() {
    let (c, src, _clock) = setup();
    src.gate.add_permits(2);
    let first = c.token().await.expect("token");
    assert!(c.reject(&first));
    let next = c.token().await.expect("a new fetch");
    assert_eq!(next.secret().expose_secret(), "same-token");
    assert_eq!(src.calls.load(Ordering::SeqCst), 2);
    let cached = c.peek().expect("the new fetch's answer is cached");
    assert_eq!(cached.secret().expose_secret(), "same-token");
}
