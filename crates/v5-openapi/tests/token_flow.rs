//! The token flow end to end against the fake and against hand-written wiremock answers.
#![cfg(feature = "test-util")]

use std::time::{Duration, UNIX_EPOCH};
use tollgate_v5_openapi::mock::ConformanceTarget as _;

use auth_core::{ErrorKind, ExposeSecret, ManualClock};
use tollgate_v5_openapi::mock::{V5Fake, codes};
use tollgate_v5_openapi::{ExpireTimeZone, V5Api, V5Auth};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const T0: u64 = 1_700_000_000;

#[tokio::test]
async fn verify_fetches_once_and_reuses_the_token() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let v = auth.verify().await.expect("verify");
    assert_eq!(v.app_id, fake.app_id());
    assert_eq!(v.result, "success");
    auth.verify().await.expect("verify again");
    assert_eq!(fake.token_fetches(), 1);
    assert_eq!(fake.api_calls(), 2);
    // expire_time is parsed as information: the fake sends clock + 2 h in UTC.
    assert_eq!(
        auth.cache().source().last_expire_time(),
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 7200))
    );
    let tok = auth.cache().peek().expect("cached");
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 7200))
    );
}

#[tokio::test]
async fn user_id_alias_in_the_builder_works_against_the_fake() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = V5Auth::builder()
        .base_url(fake.uri())
        .user_id(fake.app_id())
        .user_api_secret(fake.app_secret().expose_secret())
        .clock(clock.shared())
        .build()
        .expect("auth");
    assert_eq!(auth.verify().await.expect("verify").app_id, fake.app_id());
}

#[tokio::test]
async fn wrong_secret_is_a_typed_non_retryable_error_with_the_code() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .app_secret("definitely-not-the-secret")
        .clock(clock.shared())
        .build()
        .expect("auth");
    let e = auth.verify().await.expect_err("wrong secret");
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(!e.is_retryable());
    assert_eq!(
        e.provider_code(),
        Some(codes::BAD_SIGNATURE.to_string().as_str())
    );
    assert!(!e.to_string().contains("definitely-not-the-secret"));
    assert_eq!(fake.token_fetches(), 0);
}

#[tokio::test]
async fn time_stamp_comes_from_the_injected_clock() {
    let server_clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(server_clock.clone()).await;
    // A client clock ten minutes off is outside the fake's window.
    let skewed = ManualClock::at_unix(T0 + 600);
    let auth = fake
        .auth_builder()
        .clock(skewed.shared())
        .build()
        .expect("auth");
    let e = auth.verify().await.expect_err("stale");
    assert_eq!(
        e.provider_code(),
        Some(codes::STALE_TIMESTAMP.to_string().as_str())
    );
    // Within the window it works.
    let near = ManualClock::at_unix(T0 + 200);
    let auth = fake
        .auth_builder()
        .clock(near.shared())
        .build()
        .expect("auth");
    auth.verify().await.expect("within the window");
}

#[tokio::test]
async fn verify_replaces_a_rejected_token_once() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    auth.verify().await.expect("warm");
    fake.reject_next_api_calls(1);
    auth.verify().await.expect("recovers");
    assert_eq!(fake.token_fetches(), 2);
    // Inside the rejection cooldown a second rejection costs no fetch and no retry.
    fake.reject_next_api_calls(1);
    let e = auth
        .verify()
        .await
        .expect_err("rejected within the cooldown");
    assert_eq!(e.kind(), ErrorKind::TokenRejected);
    assert_eq!(fake.token_fetches(), 2);
    clock.advance(std::time::Duration::from_secs(10));
    fake.reject_next_api_calls(2);
    let e = auth.verify().await.expect_err("rejected twice");
    assert_eq!(e.kind(), ErrorKind::TokenRejected);
    assert_eq!(
        e.provider_code(),
        Some(codes::TOKEN_INVALID.to_string().as_str())
    );
    assert_eq!(fake.token_fetches(), 3);
}

#[tokio::test]
async fn outage_is_retryable_server_error() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    fake.set_token_endpoint_failing(true);
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let e = auth.verify().await.expect_err("outage");
    assert_eq!(e.kind(), ErrorKind::ServerError);
    assert!(e.is_retryable());
    assert_eq!(
        e.provider_code(),
        Some(codes::INTERNAL.to_string().as_str())
    );
}

async fn server_with_expire_time(expire_time: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v5/authentication/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "success.",
            "data": {"token": "tok-abc", "expire_time": expire_time}
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn expire_time_is_never_trusted_over_the_local_clock() {
    // The server claims the token lives until 2099, or expired in 2001: the cache keeps
    // its own two hours from receive time either way.
    for claimed in [
        "2099-01-01T00:00:00.000000",
        "2001-01-01T00:00:00",
        "garbage",
    ] {
        let server = server_with_expire_time(claimed).await;
        let clock = ManualClock::at_unix(T0);
        let auth = V5Auth::builder()
            .base_url(server.uri())
            .app_id("a")
            .app_secret("b")
            .clock(clock.shared())
            .expire_time_zone(ExpireTimeZone::FixedOffset(8 * 3600))
            .build()
            .expect("auth");
        let tok = auth.token().await.expect("token");
        assert_eq!(
            tok.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(T0 + 7200)),
            "{claimed}"
        );
        assert_eq!(
            auth.cache().source().last_expire_time().is_some(),
            claimed != "garbage"
        );
    }
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let server = server_with_expire_time("2099-01-01T00:00:00").await;
    let clock = ManualClock::at_unix(T0);
    let auth = V5Auth::builder()
        .base_url(server.uri())
        .app_id("a")
        .app_secret("b")
        .clock(clock.shared())
        .token_lifetime(Duration::from_secs(1800))
        .build()
        .expect("auth");
    let tok = auth.token().await.expect("token");
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 1800))
    );
}

#[tokio::test]
async fn configured_rejection_codes_drop_the_token() {
    let server = server_with_expire_time("2099-01-01T00:00:00").await;
    Mock::given(method("GET"))
        .and(path("/api/v5/authentication/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 777, "msg": "token kicked", "data": null
        })))
        .mount(&server)
        .await;
    let clock = ManualClock::at_unix(T0);
    let auth = V5Auth::builder()
        .base_url(server.uri())
        .app_id("a")
        .app_secret("b")
        .clock(clock.shared())
        .rejection_codes([777])
        .build()
        .expect("auth");
    let e = auth.verify().await.expect_err("rejected");
    assert_eq!(e.kind(), ErrorKind::TokenRejected);
    // The rejected token was dropped and fetched once more (this server hands out the same
    // value); the replacement's rejection is not a token problem: no third fetch.
    let token_requests = |reqs: &[wiremock::Request]| {
        reqs.iter()
            .filter(|r| r.url.path() == "/api/v5/authentication/token")
            .count()
    };
    let seen = server.received_requests().await.expect("recorded");
    assert_eq!(
        token_requests(&seen),
        2,
        "the rejected token was dropped once"
    );
    assert!(auth.cache().peek().is_some());
}

#[tokio::test]
async fn middleware_sends_bearer_and_app_id() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    // The fake answers 401 unless both headers are right.
    let resp = client
        .get(format!("{}/api/v5/authentication/verify", fake.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    // Without auth the fake refuses with its envelope.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v5/authentication/verify", fake.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body["code"], codes::TOKEN_INVALID);
}

#[tokio::test]
async fn fake_requires_the_matching_app_id_header() {
    let clock = ManualClock::at_unix(T0);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let tok = auth.token().await.expect("token");
    let send = |app_id: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .get(format!("{}/api/v5/authentication/verify", fake.uri()))
            .header(
                "authorization",
                auth_core::bearer_header(&tok).expect("bearer"),
            );
        if let Some(id) = app_id {
            req = req.header("x-app-id", id);
        }
        req.send()
    };
    assert_eq!(send(Some(APP)).await.expect("send").status(), 200);
    for bad in [None, Some("someone-else")] {
        let resp = send(bad).await.expect("send");
        assert_eq!(resp.status(), 401);
        let body: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
        assert_eq!(body["code"], codes::APP_ID_MISMATCH);
    }
    // A token is dead two hours after issue by the fake's clock.
    clock.advance(Duration::from_secs(7200));
    assert_eq!(send(Some(APP)).await.expect("send").status(), 401);
}

const APP: &str = tollgate_v5_openapi::mock::APP_ID;

#[tokio::test]
async fn body_coded_rejection_is_refetched_and_retried_by_the_middleware() {
    let server = server_with_expire_time("2099-01-01T00:00:00").await;
    Mock::given(method("GET"))
        .and(path("/api/v5/things"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 777, "msg": "token kicked", "data": null
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v5/things"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0, "msg": "success.", "data": {"n": 1}
        })))
        .mount(&server)
        .await;
    let clock = ManualClock::at_unix(T0);
    let auth = V5Auth::builder()
        .base_url(server.uri())
        .app_id("a")
        .app_secret("b")
        .clock(clock.shared())
        .rejection_codes([777])
        .build()
        .expect("auth");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    let r = client
        .get(format!("{}/api/v5/things", server.uri()))
        .send()
        .await
        .expect("call");
    let body: serde_json::Value =
        serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
    assert_eq!(body["code"], 0, "the caller receives the retried response");
    let seen = server.received_requests().await.expect("recorded");
    let count = |p: &str| seen.iter().filter(|r| r.url.path() == p).count();
    assert_eq!(count("/api/v5/authentication/token"), 2);
    assert_eq!(count("/api/v5/things"), 2);
}
