//! `reqwest-retry` outside the auth middleware (added first): after a 503 the retry goes
//! through the signer again, with a new `X-EXTERNAL-ID` (a bank answers 409 to a repeated
//! one) and the cached token, and succeeds.
#![cfg(feature = "test-util")]

use reqwest_middleware::ClientBuilder;
use testkit::conformance::{Outcome, check_retry_outside, reqwest_retry, reqwest_retry_outside};

#[tokio::test]
async fn a_retry_outside_the_signer_carries_a_new_external_id() {
    use tollgate_snap_b2b::ManualClock;
    use tollgate_snap_b2b::mock::{ConformanceTarget, SnapFake};
    let fake = SnapFake::start(ManualClock::at_unix(1_709_271_296)).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let client = reqwest_retry_outside(auth.middleware()).expect("client");
    assert_eq!(check_retry_outside(&fake, &client).await, Ok(Outcome::Pass));
    let seen = fake.recent_api_headers();
    let ids: Vec<_> = seen
        .iter()
        .rev()
        .take(2)
        .map(|h| h["x-external-id"].clone())
        .collect();
    assert_ne!(ids[0], ids[1], "each attempt has its own X-EXTERNAL-ID");
    assert_eq!(fake.token_fetches(), 1);
}

/// The wrong order, for contrast: a retry added after the auth middleware sits inside it
/// and re-sends the signed request as it was, `X-EXTERNAL-ID` included.
#[tokio::test]
async fn a_retry_inside_the_signer_resends_the_same_external_id() {
    use tollgate_snap_b2b::ManualClock;
    use tollgate_snap_b2b::mock::SnapFake;
    let fake = SnapFake::start(ManualClock::at_unix(1_709_271_296)).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .with(reqwest_retry())
        .build();
    let outcome = check_retry_outside(&fake, &client).await;
    assert!(
        outcome
            .as_ref()
            .is_err_and(|why| why.contains("x-external-id")),
        "{outcome:?}"
    );
}

/// What the signer can see for itself: a request that already carries its signature (a
/// signed request copied and sent again) is refused rather than sent with the same
/// `X-EXTERNAL-ID`.
#[tokio::test]
async fn a_signed_request_sent_again_is_refused_not_replayed() {
    use reqwest_retry::RetryError;
    use tollgate_snap_b2b::auth_core::Signer;
    use tollgate_snap_b2b::mock::{ConformanceTarget, SnapFake};
    use tollgate_snap_b2b::{AuthError, ErrorKind, ManualClock};
    let fake = SnapFake::start(ManualClock::at_unix(1_709_271_296)).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let client = reqwest_retry_outside(auth.clone().middleware()).expect("client");
    let url = format!("{}/v1.0/transfer-va/inquiry", fake.base_url());
    let mut signed = client
        .post(url)
        .body(r#"{"customerNo":"0001"}"#)
        .build()
        .expect("request");
    auth.sign(&mut signed).await.expect("sign");
    let calls = fake.api_calls();
    let err = client.execute(signed).await.expect_err("refused");
    // reqwest-retry wraps every error it hands back in its `RetryError`.
    let err = match &err {
        reqwest_middleware::Error::Middleware(e) => match e.downcast_ref::<RetryError>() {
            Some(RetryError::Error(inner) | RetryError::WithRetries { err: inner, .. }) => inner,
            _ => &err,
        },
        _ => &err,
    };
    let err = AuthError::from_middleware(err).expect("typed");
    assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);
    assert!(!err.is_retryable());
    assert_eq!(fake.api_calls(), calls, "nothing was sent");
}
