//! `reqwest-retry` outside the auth middleware (added first): after a 503 the retry goes
//! through the signer again — in app-token mode with a new app token and nonce (GTR refuses
//! a reused nonce), in SSO mode with the cached login token — and succeeds.
#![cfg(feature = "test-util")]

use reqwest_middleware::ClientBuilder;
use testkit::conformance::{Outcome, check_retry_outside, reqwest_retry};

#[tokio::test]
async fn app_token_mode_signs_the_retry_with_a_new_nonce() {
    use tollgate_gtr::mock::{ConformanceTarget, GtrAppTokenTarget};
    use tollgate_gtr::{AppTokenAuth, ManualClock};
    let target = GtrAppTokenTarget::start(ManualClock::at_unix(1_701_734_400)).await;
    let fake = target.fake();
    let auth = AppTokenAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .clock(fake.clock().shared())
        .build()
        .expect("auth");
    let client = ClientBuilder::new(fake.http_client().expect("mTLS client"))
        .with(reqwest_retry()) // added first: outside the signer
        .with(auth.middleware())
        .build();
    assert_eq!(
        check_retry_outside(&target, &client).await,
        Ok(Outcome::Pass)
    );
    let seen = target.recent_api_headers();
    let tokens: Vec<_> = seen
        .iter()
        .rev()
        .take(2)
        .map(|h| h["x-authorization"].clone())
        .collect();
    assert_ne!(tokens[0], tokens[1], "each attempt has its own app token");
}

#[tokio::test]
async fn sso_mode_retries_with_the_cached_login() {
    use tollgate_gtr::mock::GtrSsoTarget;
    use tollgate_gtr::{ManualClock, SsoAuth};
    let target = GtrSsoTarget::start(ManualClock::at_unix(1_701_734_400)).await;
    let fake = target.fake();
    let auth = SsoAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .http_client(fake.http_client_builder().expect("mTLS client"))
        .clock(fake.clock().shared())
        .build()
        .expect("auth");
    let client = ClientBuilder::new(fake.http_client().expect("mTLS client"))
        .with(reqwest_retry())
        .with(auth.middleware())
        .build();
    assert_eq!(
        check_retry_outside(&target, &client).await,
        Ok(Outcome::Pass)
    );
    assert_eq!(fake.logins(), 1);
}
