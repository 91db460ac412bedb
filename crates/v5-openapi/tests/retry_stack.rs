//! `reqwest-retry` outside the auth middleware (added first): after a 503 the retry goes
//! through the signer again and succeeds with the cached token (a 503 is not a rejection).
#![cfg(feature = "test-util")]

use testkit::conformance::{Outcome, check_retry_outside, reqwest_retry_outside};

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
    let client = reqwest_retry_outside(auth.middleware()).expect("client");
    assert_eq!(check_retry_outside(&fake, &client).await, Ok(Outcome::Pass));
    assert_eq!(fake.token_fetches(), 1);
}
