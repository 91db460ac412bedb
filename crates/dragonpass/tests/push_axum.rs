//! The push extractor on a real axum server on loopback, called with reqwest: a valid push
//! reaches the handler with its verified claims; a tampered token and a stale one are
//! refused with DragonPass's envelope; a replay is acknowledged without reaching the
//! handler. Time moves by the injected clock.
#![cfg(feature = "axum")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::routing::post;
use serde_json::{Value, json};
use tollgate_dragonpass::extract::DragonPassPush;
use tollgate_dragonpass::sign::{b64url, rs256_signature, signing_input};
use tollgate_dragonpass::{
    ManualClock, PushPublicKey, PushVerifier, RsaSigningKey, parse_rsa_private_key,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const NOW: u64 = 1_754_300_000;

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect("test key")
}

/// A push token signed with test key 1 (`kid` "dp-2025-01"), issued now, without `exp`.
fn token(order: &str) -> String {
    let key = RsaSigningKey::new(
        parse_rsa_private_key("k", &file("push_key1_private.pem")).expect("private key"),
    );
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "dp-2025-01"});
    let claims = json!({"iss": "dragonpass", "iat": NOW, "eventType": "walkin.redemption", "orderNo": order});
    let input = signing_input(&b64url(header.to_string()), &b64url(claims.to_string()));
    let sig = rs256_signature(&key, &input).expect("sign");
    format!("{input}.{}", b64url(sig))
}

#[derive(Clone)]
struct AppState {
    verifier: PushVerifier,
    orders: Arc<Mutex<Vec<String>>>,
}

impl FromRef<AppState> for PushVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

async fn on_push(State(state): State<AppState>, push: DragonPassPush) -> &'static str {
    let order = push.event.claims["orderNo"].as_str().unwrap_or_default();
    state.orders.lock().expect("lock").push(order.to_string());
    r#"{"code":0,"message":"success"}"#
}

struct Receiver {
    url: String,
    clock: ManualClock,
    orders: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

async fn receiver() -> Receiver {
    let clock = ManualClock::at_unix(NOW);
    let verifier = PushVerifier::new(vec![
        PushPublicKey::from_pem("dp-2025-01", &file("push_key1_public.pem")).expect("key"),
    ])
    .expect("verifier")
    .with_clock(clock.shared());
    let state = AppState {
        verifier,
        orders: Arc::default(),
    };
    let orders = state.orders.clone();
    let app = axum::Router::new()
        .route("/push", post(on_push))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/push", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        clock,
        orders,
        http: reqwest::Client::new(),
    }
}

impl Receiver {
    async fn push_body(&self, body: String) -> (u16, Value) {
        let resp = self
            .http
            .post(&self.url)
            .body(body)
            .send()
            .await
            .expect("loopback call");
        let status = resp.status().as_u16();
        let body = resp.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&body).expect("a JSON answer"),
        )
    }

    fn orders(&self) -> Vec<String> {
        self.orders.lock().expect("lock").clone()
    }
}

#[tokio::test]
async fn a_valid_push_reaches_the_handler_in_the_body_or_as_a_bearer_token() {
    let r = receiver().await;
    let (status, _) = r.push_body(token("order-1")).await;
    assert_eq!(status, 200);
    let resp = r
        .http
        .post(&r.url)
        .bearer_auth(token("order-2"))
        .send()
        .await
        .expect("call");
    assert_eq!(resp.status(), 200);
    assert_eq!(r.orders(), ["order-1", "order-2"]);
}

#[tokio::test]
async fn a_tampered_push_is_refused_with_the_envelope() {
    let r = receiver().await;
    let good = token("order-1");
    let (header, rest) = good.split_once('.').expect("jws");
    let (_, sig) = rest.split_once('.').expect("jws");
    let forged = json!({"iss": "dragonpass", "iat": NOW, "eventType": "walkin.redemption", "orderNo": "order-666"});
    let tampered = format!("{header}.{}.{sig}", b64url(forged.to_string()));
    let (status, body) = r.push_body(tampered).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], 401);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("signature")),
        "{body}"
    );
    assert!(r.orders().is_empty());
}

#[tokio::test]
async fn a_stale_push_is_refused() {
    let r = receiver().await;
    let late = token("order-1");
    // Past `iat + max_age` (5 min) and the 30 s leeway.
    r.clock.advance(Duration::from_secs(331));
    let (status, body) = r.push_body(late).await;
    assert_eq!(status, 401);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too old")),
        "{body}"
    );
    assert!(r.orders().is_empty());
}

#[tokio::test]
async fn a_replayed_push_is_acknowledged_without_reaching_the_handler() {
    let r = receiver().await;
    let t = token("order-1");
    assert_eq!(r.push_body(t.clone()).await.0, 200);
    let (status, body) = r.push_body(t).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"code": 0, "message": "success"}));
    assert_eq!(r.orders(), ["order-1"], "processed once");
}

#[tokio::test]
async fn an_empty_or_oversized_push_is_refused() {
    let r = receiver().await;
    assert_eq!(r.push_body(String::new()).await.0, 400);
    let (status, body) = r
        .push_body("a".repeat(tollgate_dragonpass::MAX_TOKEN_LEN + 1))
        .await;
    assert_eq!((status, body["code"].as_u64()), (413, Some(413)));
    assert!(r.orders().is_empty());
}
