//! The token endpoint's answers mapped to typed errors (a capture server plays the
//! provider, so each envelope shape is exercised exactly).
#![cfg(feature = "test-util")]

use std::time::Duration;

use auth_core::{CacheConfig, ErrorKind, ManualClock, Signer};
use serde_json::json;
use tollgate_snap_b2b::SnapAuth;
use tollgate_snap_b2b::mock::SnapFake;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn fetch_with(resp: ResponseTemplate) -> Result<Duration, auth_core::AuthError> {
    let clock = ManualClock::at_unix(1_700_000_000);
    // The fake only supplies valid credentials here.
    let fake = SnapFake::start(clock.clone()).await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(resp)
        .mount(&server)
        .await;
    let auth = SnapAuth::builder()
        .credentials(fake.credentials())
        .base_url(server.uri())
        .clock(clock.shared())
        .cache_config(CacheConfig::without_jitter())
        .build()?;
    let mut req = reqwest::Request::new(
        reqwest::Method::GET,
        format!("{}/v1.0/x", server.uri()).parse().expect("url"),
    );
    let receipt = auth.sign(&mut req).await?;
    let token = receipt.token().expect("token");
    let exp = token.expires_at().expect("expiry");
    Ok(exp.duration_since(token.received_at()).expect("after"))
}

fn snap(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"responseCode": code, "responseMessage": msg}))
}

#[tokio::test]
async fn error_envelopes_map_to_kinds() {
    let cases = [
        (
            snap(401, "4017300", "Unauthorized. [Signature]"),
            ErrorKind::Unauthorized,
            false,
            Some("4017300"),
        ),
        (
            snap(500, "5007300", "General Error"),
            ErrorKind::ServerError,
            true,
            Some("5007300"),
        ),
        (
            snap(504, "5047300", "Timeout"),
            ErrorKind::Timeout,
            true,
            Some("5047300"),
        ),
        (
            snap(429, "4297300", "Too Many Requests"),
            ErrorKind::RateLimited,
            true,
            Some("4297300"),
        ),
        (
            snap(400, "4007301", "Invalid Field Format [X-TIMESTAMP]"),
            ErrorKind::Provider,
            false,
            Some("4007301"),
        ),
        // HTTP status wins over a body claiming success.
        (
            snap(401, "2007300", "Successful"),
            ErrorKind::Unauthorized,
            false,
            Some("2007300"),
        ),
        (
            ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
            ErrorKind::ServerError,
            true,
            None,
        ),
        (
            ResponseTemplate::new(200).set_body_string("not json"),
            ErrorKind::InvalidResponse,
            false,
            None,
        ),
        (
            snap(200, "4017300", "Unauthorized"),
            ErrorKind::InvalidResponse,
            false,
            Some("4017300"),
        ),
        (
            ResponseTemplate::new(200).set_body_json(
                json!({"responseCode": "2007300", "accessToken": "a b", "expiresIn": "900"}),
            ),
            // A token that cannot travel in a header is the server's fault.
            ErrorKind::InvalidResponse,
            false,
            None,
        ),
        (
            ResponseTemplate::new(200).set_body_json(
                json!({"responseCode": "2007300", "accessToken": "t", "expiresIn": "0"}),
            ),
            ErrorKind::InvalidResponse,
            false,
            None,
        ),
    ];
    for (i, (resp, kind, retryable, code)) in cases.into_iter().enumerate() {
        let err = fetch_with(resp).await.expect_err("error");
        assert_eq!(err.kind(), kind, "case {i}: {err}");
        assert_eq!(err.is_retryable(), retryable, "case {i}: {err}");
        assert_eq!(err.provider_code(), code, "case {i}: {err}");
    }
}

#[tokio::test]
async fn retry_after_is_honoured_and_lifetimes_read() {
    let err = fetch_with(snap(503, "5037300", "Busy").insert_header("retry-after", "7"))
        .await
        .expect_err("busy");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    let life = fetch_with(ResponseTemplate::new(200).set_body_json(
        json!({"responseCode": "2007300", "accessToken": "t0k", "tokenType": "Bearer", "expiresIn": "900"}),
    ))
    .await
    .expect("token");
    assert_eq!(life, Duration::from_secs(900));
    let life = fetch_with(
        ResponseTemplate::new(200).set_body_json(json!({"access_token": "t0k", "expires_in": 300})),
    )
    .await
    .expect("snake_case token");
    assert_eq!(life, Duration::from_secs(300));
}
