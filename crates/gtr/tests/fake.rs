//! The fake verifies like GTR: replayed nonces, stale or future timestamps, wrong secrets,
//! replaced SSO sessions, and answers with GTR's envelope.
#![cfg(feature = "test-util")]

use std::time::Duration;

use auth_core::{AuthError, Clock, ErrorKind, ManualClock, Signer};
use serde_json::Value;
use tollgate_gtr::mock::{FAKE_ACCESS_KEY, FAKE_SECRET_KEY, FAKE_VASP_CODE, GtrFake};
use tollgate_gtr::sign;
use tollgate_gtr::{AppTokenAuth, GtrAuth, SsoAuth};

const T0: u64 = 1_701_734_400;

async fn get_with(fake: &GtrFake, header: &str, value: &str) -> (u16, Value) {
    let resp = fake
        .http_client()
        .expect("client")
        .get(format!("{}/api/vasp/list", fake.uri()))
        .header(header, value)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json body"),
    )
}

fn token(nonce: &str, ts_ms: u64, expires: u64) -> String {
    let hash = sign::vasp_secret_key_hash(FAKE_SECRET_KEY, FAKE_VASP_CODE);
    sign::app_token(
        &hash,
        FAKE_ACCESS_KEY,
        nonce,
        &ts_ms.to_string(),
        expires,
        1,
    )
    .header_value
}

#[tokio::test]
async fn app_token_checks() {
    let clock = ManualClock::at_unix(T0);
    let fake = GtrFake::start(clock.clone()).await;
    let now_ms = T0 * 1000;

    let (s, body) = get_with(&fake, "x-authorization", &token("nonce-1", now_ms, 15)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["verifyStatus"], 100000);

    // The same nonce again: replay refused.
    let (s, body) = get_with(&fake, "x-authorization", &token("nonce-1", now_ms, 15)).await;
    assert_eq!(s, 401);
    assert_eq!(body["verifyStatus"], 100020);
    assert_eq!(body["success"], false);
    assert!(body["data"].is_null());

    // Timestamps outside `expires`, in the past and in the future.
    let (s, body) = get_with(&fake, "x-authorization", &token("n2", now_ms - 16_000, 15)).await;
    assert_eq!((s, body["verifyStatus"].as_u64()), (401, Some(100014)));
    let (s, _) = get_with(&fake, "x-authorization", &token("n3", now_ms + 16_000, 15)).await;
    assert_eq!(s, 401);
    // Just inside the window is fine.
    let (s, _) = get_with(&fake, "x-authorization", &token("n4", now_ms - 15_000, 15)).await;
    assert_eq!(s, 200);

    // A token made with the wrong secret.
    let wrong = sign::vasp_secret_key_hash("other-secret", FAKE_VASP_CODE);
    let bad = sign::app_token(&wrong, FAKE_ACCESS_KEY, "n5", &now_ms.to_string(), 15, 1);
    let (s, body) = get_with(&fake, "x-authorization", &bad.header_value).await;
    assert_eq!((s, body["verifyStatus"].as_u64()), (401, Some(100020)));
    // Garbage.
    let (s, _) = get_with(&fake, "x-authorization", "not base64!").await;
    assert_eq!(s, 401);

    // Through the signer: a token the clock moved past is refused by the fake...
    let auth = AppTokenAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .clock(clock.shared())
        .build()
        .expect("auth");
    let url = reqwest::Url::parse(&format!("{}/api/vasp/list", fake.uri())).expect("url");
    let mut req = reqwest::Request::new(reqwest::Method::GET, url.clone());
    auth.sign(&mut req).await.expect("sign");
    clock.advance(Duration::from_secs(16));
    let resp = fake
        .http_client()
        .expect("client")
        .execute(req)
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    // ...while every freshly signed request (new nonce each time) passes.
    let client = reqwest_middleware::ClientBuilder::new(fake.http_client().expect("client"))
        .with(auth.middleware())
        .build();
    for _ in 0..5 {
        let r = client.get(url.clone()).send().await.expect("send");
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_single_session_and_relogin() {
    let clock = ManualClock::at_unix(T0);
    let fake = GtrFake::start(clock.clone()).await;
    let build = || {
        SsoAuth::builder()
            .credentials(fake.credentials())
            .base_url(fake.uri())
            .http_client(fake.http_client_builder().expect("client"))
            .clock(clock.shared())
            .build()
            .expect("sso")
    };
    let a = build();
    let client = reqwest_middleware::ClientBuilder::new(fake.http_client().expect("client"))
        .with(a.clone().middleware())
        .build();
    let url = format!("{}/api/status", fake.uri());

    // 50 concurrent cold requests: one login.
    let calls = (0..50).map(|_| client.get(&url).send());
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.expect("send").status(), 200);
    }
    assert_eq!(fake.logins(), 1);

    // No expireInMinutes: the session and the cached token live on.
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(client.get(&url).send().await.expect("send").status(), 200);
    assert_eq!(fake.logins(), 1);

    // Another login elsewhere (single sign-on) logs this session out: the next call gets
    // 401/100021, the middleware logs in again once and retries.
    let b = build();
    b.cache().token().await.expect("second login");
    assert_eq!(fake.logins(), 2);
    let calls_before = fake.core().api_calls();
    assert_eq!(client.get(&url).send().await.expect("send").status(), 200);
    assert_eq!(fake.logins(), 3);
    assert_eq!(fake.core().api_calls() - calls_before, 2);

    // A bare request with the replaced token gets GTR's envelope.
    let old = b.cache().peek().expect("cached");
    let resp = fake
        .http_client()
        .expect("client")
        .get(&url)
        .header(
            "authorization",
            auth_core::bearer_header(&old).expect("bearer"),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    let body: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body["verifyStatus"], 100021);
}

#[tokio::test]
async fn sso_session_expiry_and_login_errors() {
    let clock = ManualClock::at_unix(T0);
    let fake = GtrFake::start(clock.clone()).await;
    let sso = SsoAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .http_client(fake.http_client_builder().expect("client"))
        .expire_in_minutes(10)
        .clock(clock.shared())
        .build()
        .expect("sso");
    let tok = sso.cache().token().await.expect("login");
    assert_eq!(
        tok.expires_at(),
        Some(clock.now() + Duration::from_secs(600))
    );
    // The fake expires the session too.
    clock.advance(Duration::from_secs(601));
    let resp = fake
        .http_client()
        .expect("client")
        .get(format!("{}/api/status", fake.uri()))
        .header(
            "authorization",
            auth_core::bearer_header(&tok).expect("bearer"),
        )
        .send()
        .await
        .expect("send");
    let body: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
    assert_eq!(body["verifyStatus"], 100014);

    // Wrong secret: Unauthorized, not retryable, provider code kept, no secret in text.
    let wrong = SsoAuth::builder()
        .credentials(fake.creds(testkit::conformance::Creds::Wrong))
        .base_url(fake.uri())
        .http_client(fake.http_client_builder().expect("client"))
        .build()
        .expect("sso");
    let e: AuthError = wrong.cache().token().await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(!e.is_retryable());
    assert_eq!(e.provider_code(), Some("100020"));
    // Login endpoint down: retryable server error with GTR's code.
    fake.core().set_failing(true);
    sso.cache().invalidate();
    let e = sso.cache().token().await.expect_err("down");
    assert_eq!(e.kind(), ErrorKind::ServerError);
    assert!(e.is_retryable());
    assert_eq!(e.provider_code(), Some("100006"));
}

#[tokio::test]
async fn runtime_chosen_mode_works_both_ways() {
    let clock = ManualClock::at_unix(T0);
    let fake = GtrFake::start(clock.clone()).await;
    let modes: [GtrAuth; 2] = [
        AppTokenAuth::builder()
            .credentials(fake.credentials())
            .base_url(fake.uri())
            .clock(clock.shared())
            .build()
            .expect("app")
            .into(),
        SsoAuth::builder()
            .credentials(fake.credentials())
            .base_url(fake.uri())
            .http_client(fake.http_client_builder().expect("client"))
            .clock(clock.shared())
            .build()
            .expect("sso")
            .into(),
    ];
    for auth in modes {
        let client = reqwest_middleware::ClientBuilder::new(fake.http_client().expect("client"))
            .with(auth.middleware())
            .build();
        let url = format!("{}/api/vasp/list", fake.uri());
        assert_eq!(client.get(&url).send().await.expect("send").status(), 200);
        // A rejection is retried once, with a fresh token, in either mode.
        fake.core().reject_next.set(1);
        assert_eq!(client.get(&url).send().await.expect("send").status(), 200);
    }
    assert_eq!(fake.app_tokens_accepted(), 2);
    assert_eq!(fake.bearer_accepted(), 2);
    assert_eq!(fake.logins(), 2);
}

/// GTR's Go sample sends `timestamp` as a JSON number, so the fake (and
/// `AppTokenPayload::decode_header`) accept it too — a choice of the fake: whether GTR's
/// server accepts a number is unverified. The secret token is computed over the same digits
/// either way.
#[tokio::test]
async fn app_token_with_a_numeric_timestamp_is_accepted() {
    use base64::Engine as _;
    let clock = ManualClock::at_unix(T0);
    let fake = GtrFake::start(clock.clone()).await;
    let now_ms = T0 * 1000;
    let hash = sign::vasp_secret_key_hash(FAKE_SECRET_KEY, FAKE_VASP_CODE);
    let stages = sign::app_token(
        &hash,
        FAKE_ACCESS_KEY,
        "go-nonce",
        &now_ms.to_string(),
        15,
        1,
    );
    let quoted = format!("\"timestamp\":\"{now_ms}\"");
    assert!(stages.payload_json.contains(&quoted));
    let numeric = stages
        .payload_json
        .replace(&quoted, &format!("\"timestamp\":{now_ms}"));
    let header = base64::engine::general_purpose::STANDARD.encode(numeric.as_bytes());
    let decoded = sign::AppTokenPayload::decode_header(&header).expect("numeric timestamp decodes");
    assert_eq!(decoded.timestamp, now_ms.to_string());
    let (s, body) = get_with(&fake, "x-authorization", &header).await;
    assert_eq!(s, 200, "{body}");
    // Not a number of 13 digits, nor a fraction: still refused.
    for bad in ["1.5", "-1", "true"] {
        let json = stages
            .payload_json
            .replace(&quoted, &format!("\"timestamp\":{bad}"));
        let header = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
        let (s, _) = get_with(&fake, "x-authorization", &header).await;
        assert_eq!(s, 401, "{bad}");
    }
}

#[tokio::test]
async fn sso_logs_in_again_once_on_a_session_lost_in_a_200_body() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = GtrFake::start(clock.clone()).await;
    let sso = SsoAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .http_client(fake.http_client_builder().expect("client"))
        .clock(clock.shared())
        .build()
        .expect("sso");
    let client = reqwest_middleware::ClientBuilder::new(fake.http_client().expect("client"))
        .with(sso.middleware())
        .build();
    let url = format!("{}/api/vasp/list", fake.uri());
    let first = client.get(&url).send().await.expect("call");
    assert_eq!(first.status(), 200);
    assert_eq!(fake.logins(), 1);
    let calls = fake.core().api_calls();
    fake.reject_next_api_calls_in_body(1);
    let r = client.get(&url).send().await.expect("call");
    assert_eq!(r.status(), 200);
    let body: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
    assert_eq!(
        body["verifyStatus"], 100000,
        "the caller receives the retried response: {body}"
    );
    assert_eq!(fake.logins(), 2, "logged in again exactly once");
    assert_eq!(fake.core().api_calls() - calls, 2);
    // The status codes that mean "log in again", as numbers or strings.
    for lost in [
        r#"{"verifyStatus":100014,"success":false}"#,
        r#"{"verifyStatus":"100020","success":false}"#,
        r#"{"verifyStatus":100021,"data":null}"#,
    ] {
        assert!(tollgate_gtr::session_lost(lost.as_bytes()), "{lost}");
    }
    for other in [
        r#"{"verifyStatus":100000,"success":true}"#,
        r#"{"verifyStatus":100006}"#,
        "not json",
    ] {
        assert!(!tollgate_gtr::session_lost(other.as_bytes()), "{other}");
    }
}
