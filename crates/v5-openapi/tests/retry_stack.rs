//! `reqwest-retry` outside the auth middleware (added first): after a 503 the retry goes
//! through the signer again and succeeds with the cached token (a 503 is not a rejection).
#![cfg(feature = "test-util")]

use std::time::Duration;

use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use reqwest_retry::RetryTransientMiddleware;
use reqwest_retry::policies::ExponentialBackoff;
use testkit::conformance::{Outcome, check_retry_outside};

/// `reqwest-retry` as services configure it, but retrying at once (1 ms): no test waits on
/// real time.
fn retry() -> RetryTransientMiddleware<ExponentialBackoff> {
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(1), Duration::from_millis(1))
        .build_with_max_retries(2);
    RetryTransientMiddleware::new_with_policy(policy)
}

/// The order the README shows: the retry is added first, so it sits outside the signer.
fn stack<S: auth_core::Signer>(mw: auth_core::AuthMiddleware<S>) -> ClientWithMiddleware {
    let http = reqwest::Client::builder()
        .redirect(mw.redirect_policy())
        .build()
        .expect("client");
    ClientBuilder::new(http).with(retry()).with(mw).build()
}

#[tokio::test]
async fn a_retry_outside_the_signer_reuses_the_cached_token() {
    use tollgate_v5_openapi::ManualClock;
    use tollgate_v5_openapi::mock::V5Fake;
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let client = stack(auth.middleware());
    assert_eq!(check_retry_outside(&fake, &client).await, Ok(Outcome::Pass));
    assert_eq!(fake.token_fetches(), 1);
}
