//! The callback extractor on a real axum server on loopback, called with reqwest (plain
//! HTTP: the extractor is the same over the mutual-TLS acceptor, see
//! `examples/callback_axum.rs`): a callback reaches the handler as a typed envelope, the
//! network check is answered without it, and a tampered (unreadable) or oversized body is
//! refused with GTR's `verifyStatus` answer. GTR callbacks carry no timestamp or nonce, so
//! there is no staleness or replay to refuse (see the `extract` module).
#![cfg(feature = "axum")]

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tollgate_gtr::callback::{CallbackAnswer, CallbackType, MAX_BODY_BYTES};
use tollgate_gtr::extract::GtrCallback;

type Seen = Arc<Mutex<Vec<(i64, Option<String>)>>>;

async fn on_callback(State(seen): State<Seen>, callback: GtrCallback) -> CallbackAnswer {
    let e = callback.envelope;
    seen.lock()
        .expect("lock")
        .push((e.callback_type.code(), e.request_id));
    match e.callback_type {
        CallbackType::AddressVerification => CallbackAnswer::address_not_found(),
        _ => CallbackAnswer::success_with_message("received"),
    }
}

async fn server() -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/gtr/callback", post(on_callback))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/gtr/callback",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn send(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
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

#[tokio::test]
async fn a_callback_reaches_the_handler_and_its_answer_goes_back() {
    let (url, seen) = server().await;
    let body = json!({"requestId": "r-1", "invokeVaspCode": "me", "callbackType": 6,
                      "callbackData": {"address": "0xabc"}});
    let (status, answer) = send(&url, body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"verifyStatus": 200001, "verifyMessage": "address not found"})
    );
    assert_eq!(*seen.lock().expect("lock"), [(6, Some("r-1".to_string()))]);
}

#[tokio::test]
async fn the_network_check_is_answered_without_the_handler() {
    let (url, seen) = server().await;
    let (status, answer) = send(&url, r#"{"callbackType":0,"callbackData":{}}"#).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"verifyStatus": 100000, "verifyMessage": "Verify Success"})
    );
    assert!(seen.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_tampered_body_is_refused_with_verify_status_100001() {
    let (url, seen) = server().await;
    for body in [
        r#"{"callbackType":"6","requestId":"r-1"}"#,
        r#"{"callbackType":6,"callbackType":0}"#,
        r#"{"callbackType":6,"#,
    ] {
        let (status, answer) = send(&url, body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["verifyStatus"], 100001, "{body}");
    }
    let (status, answer) = send(&url, vec![b' '; MAX_BODY_BYTES + 1]).await;
    assert_eq!(
        (status, answer["verifyStatus"].as_i64()),
        (413, Some(100001))
    );
    assert!(seen.lock().expect("lock").is_empty());
}
