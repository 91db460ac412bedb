//! The axum extractors on a real server on loopback, called by the crate's own signer as
//! the provider: a valid call reaches the handler with the verified bytes; a tampered body,
//! a stale `X-TIMESTAMP` and a replayed `X-EXTERNAL-ID` are answered with SNAP's codes and
//! never reach it. Time moves by the injected clock.
#![cfg(all(feature = "axum", feature = "test-util"))]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::Signer;
use axum::extract::{FromRef, State};
use axum::routing::post;
use serde_json::Value;
use tollgate_snap_b2b::extract::{SnapNotification, SnapTokenRequest, SnapTransaction};
use tollgate_snap_b2b::mock::SnapFake;
use tollgate_snap_b2b::{
    InboundVerifier, ManualClock, NotificationVerifier, SnapAuth, minify_json,
};

/// 2024-03-01T12:34:56+07:00.
const START: u64 = 1_709_271_296;
const PAYMENT: &str = "/snap/v1.0/transfer-va/payment";
const NOTIFY: &str = "/merchant/notify/payment";
const BODY: &str = r#"{ "partnerServiceId": "  12345", "customerNo": "0001",
  "virtualAccountNo": "  123450001", "paidAmount": { "value": "10000.00", "currency": "IDR" } }"#;
const TAMPERED: &str = r#"{ "partnerServiceId": "  12345", "customerNo": "0001",
  "virtualAccountNo": "  123450001", "paidAmount": { "value": "99999.00", "currency": "IDR" } }"#;

#[derive(Clone)]
struct AppState {
    inbound: InboundVerifier,
    notifications: NotificationVerifier,
    /// The bodies the handlers were handed.
    handled: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FromRef<AppState> for InboundVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.inbound.clone()
    }
}

impl FromRef<AppState> for NotificationVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.notifications.clone()
    }
}

async fn payment(State(state): State<AppState>, call: SnapTransaction<25>) -> &'static str {
    state
        .handled
        .lock()
        .expect("lock")
        .push(call.transaction.body);
    r#"{"responseCode":"2002500","responseMessage":"Successful"}"#
}

async fn notified(State(state): State<AppState>, call: SnapNotification<25>) -> &'static str {
    state
        .handled
        .lock()
        .expect("lock")
        .push(call.notification.minified_body);
    r#"{"responseCode":"2002500","responseMessage":"Successful"}"#
}

struct Merchant {
    base: String,
    clock: ManualClock,
    fake: SnapFake,
    auth: SnapAuth,
    handled: Arc<Mutex<Vec<Vec<u8>>>>,
    http: reqwest::Client,
}

/// The merchant's axum server on loopback, and the provider: the crate's signer with the
/// fake's test-only credentials, pointed at the merchant.
async fn merchant() -> Merchant {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let provider = fake.credentials();
    let state = AppState {
        inbound: InboundVerifier::new()
            .client(
                provider.client_key(),
                provider.private_key().public_key().clone(),
                Some(fake.client_secret()),
            )
            .clock(clock.shared()),
        notifications: NotificationVerifier::new(fake.provider_public_key())
            .clock(clock.shared())
            .reject_replayed_external_ids(true),
        handled: Arc::default(),
    };
    let handled = state.handled.clone();
    let app = axum::Router::new()
        .route(
            "/snap/v1.0/access-token/b2b",
            post(|t: SnapTokenRequest| async move { t.issue() }),
        )
        .route(PAYMENT, post(payment))
        .route(NOTIFY, post(notified))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let auth = SnapAuth::builder()
        .credentials(provider)
        .base_url(format!("{base}/snap"))
        .clock(clock.shared())
        .build()
        .expect("auth");
    Merchant {
        base,
        clock,
        fake,
        auth,
        handled,
        http: reqwest::Client::new(),
    }
}

impl Merchant {
    /// A payment signed by the provider's signer (which fetches its token from the
    /// merchant's token route first).
    async fn signed_payment(&self) -> reqwest::Request {
        let url = format!("{}{PAYMENT}", self.base).parse().expect("url");
        let mut req = reqwest::Request::new(reqwest::Method::POST, url);
        *req.body_mut() = Some(BODY.into());
        self.auth.sign(&mut req).await.expect("sign");
        req
    }

    /// A notification signed by the provider's key, with `external_id`.
    fn signed_notification(&self, external_id: &str) -> reqwest::Request {
        let minified = minify_json(BODY.as_bytes()).expect("json");
        let (ts, sig) = self
            .fake
            .sign_notification("POST", NOTIFY, &minified)
            .expect("sign");
        self.http
            .post(format!("{}{NOTIFY}", self.base))
            .header("content-type", "application/json")
            .header("x-timestamp", ts)
            .header("x-signature", sig)
            .header("x-external-id", external_id)
            .body(minified)
            .build()
            .expect("request")
    }

    async fn send(&self, req: reqwest::Request) -> (u16, Value) {
        let resp = self.http.execute(req).await.expect("loopback call");
        let status = resp.status().as_u16();
        let body = resp.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&body).expect("a JSON answer"),
        )
    }

    fn handled(&self) -> usize {
        self.handled.lock().expect("lock").len()
    }
}

fn with_body(mut req: reqwest::Request, body: &str) -> reqwest::Request {
    *req.body_mut() = Some(body.to_string().into());
    req
}

#[tokio::test]
async fn a_signed_payment_reaches_the_handler_with_the_verified_bytes() {
    let m = merchant().await;
    let client = reqwest_middleware::ClientBuilder::new(m.http.clone())
        .with(m.auth.middleware())
        .build();
    let resp = client
        .post(format!("{}{PAYMENT}", m.base))
        .body(BODY)
        .send()
        .await
        .expect("call");
    assert_eq!(resp.status(), 200);
    let handled = m.handled.lock().expect("lock").clone();
    assert_eq!(
        handled,
        vec![minify_json(BODY.as_bytes()).expect("json")],
        "the handler gets the bytes the signature covers"
    );
}

#[tokio::test]
async fn a_tampered_body_is_refused_with_the_signature_code() {
    let m = merchant().await;
    let req = with_body(m.signed_payment().await, TAMPERED);
    let (status, body) = m.send(req).await;
    assert_eq!(status, 401);
    assert_eq!(body["responseCode"], "4012500");
    assert_eq!(body["responseMessage"], "Unauthorized. [Signature]");
    assert_eq!(m.handled(), 0);
}

#[tokio::test]
async fn a_stale_timestamp_is_refused() {
    let m = merchant().await;
    let req = m.signed_payment().await;
    // Past the 5-minute window, inside the token's 15-minute lifetime.
    m.clock.advance(Duration::from_secs(301));
    let (status, body) = m.send(req).await;
    assert_eq!(status, 401);
    assert_eq!(body["responseCode"], "4012500");
    assert_eq!(m.handled(), 0);
}

#[tokio::test]
async fn a_replayed_external_id_is_refused_with_409() {
    let m = merchant().await;
    let req = m.signed_payment().await;
    let again = req.try_clone().expect("in-memory body");
    assert_eq!(m.send(req).await.0, 200);
    let (status, body) = m.send(again).await;
    assert_eq!(status, 409);
    assert_eq!(body["responseCode"], "4092500");
    assert_eq!(body["responseMessage"], "Conflict");
    assert_eq!(m.handled(), 1);
}

#[tokio::test]
async fn a_token_request_with_a_bad_signature_is_refused_with_4017300() {
    let m = merchant().await;
    let req = m
        .http
        .post(format!("{}/snap/v1.0/access-token/b2b", m.base))
        .header("content-type", "application/json")
        .header("x-client-key", m.fake.credentials().client_key())
        .header("x-timestamp", "2024-03-01T12:34:56+07:00")
        .header("x-signature", "AAAA")
        .body(r#"{"grantType":"client_credentials"}"#)
        .build()
        .expect("request");
    let (status, body) = m.send(req).await;
    assert_eq!(status, 401);
    assert_eq!(body["responseCode"], "4017300");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let m = merchant().await;
    let big = format!(
        r#"{{"pad":"{}"}}"#,
        "x".repeat(tollgate_snap_b2b::extract::MAX_BODY_BYTES)
    );
    let req = with_body(m.signed_payment().await, &big);
    let (status, body) = m.send(req).await;
    assert_eq!(status, 400);
    assert_eq!(body["responseCode"], "4002501");
    assert_eq!(m.handled(), 0);
}

#[tokio::test]
async fn notifications_valid_tampered_stale_and_replayed() {
    let m = merchant().await;
    // Valid.
    let (status, _) = m.send(m.signed_notification("n-1")).await;
    assert_eq!(status, 200);
    assert_eq!(m.handled(), 1);
    // Tampered body.
    let (status, body) = m
        .send(with_body(m.signed_notification("n-2"), TAMPERED))
        .await;
    assert_eq!(
        (status, body["responseCode"].as_str()),
        (401, Some("4012500"))
    );
    // Replayed X-EXTERNAL-ID (a new signature, the same id).
    let (status, body) = m.send(m.signed_notification("n-1")).await;
    assert_eq!(
        (status, body["responseCode"].as_str()),
        (409, Some("4092500"))
    );
    // Stale: signed now, delivered 6 minutes later.
    let stale = m.signed_notification("n-3");
    m.clock.advance(Duration::from_secs(360));
    let (status, body) = m.send(stale).await;
    assert_eq!(
        (status, body["responseCode"].as_str()),
        (401, Some("4012500"))
    );
    assert_eq!(
        m.handled(),
        1,
        "no refused notification reached the handler"
    );
}
