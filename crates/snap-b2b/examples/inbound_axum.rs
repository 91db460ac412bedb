//! The merchant as SNAP server on axum: the crate's extractors verify the provider's token
//! request, payment and notification, and a refused call is answered with SNAP's code.
//!
//! It starts on a loopback port, plays the provider once with the crate's own signer
//! (test-only credentials of the crate's fake) — a token request, a payment, the same
//! payment again (`4092500`) and a signed notification — and exits:
//!
//! ```sh
//! cargo run -p tollgate-snap-b2b --features axum,test-util --example inbound_axum
//! ```

use axum::extract::FromRef;
use axum::routing::post;
use tollgate_snap_b2b::auth_core::Signer;
use tollgate_snap_b2b::extract::{SnapNotification, SnapTokenRequest, SnapTransaction};
use tollgate_snap_b2b::mock::SnapFake;
use tollgate_snap_b2b::{InboundVerifier, ManualClock, NotificationVerifier, SnapAuth};

/// Both verifiers; each extractor takes its own through `FromRef`.
#[derive(Clone)]
struct AppState {
    inbound: InboundVerifier,
    notifications: NotificationVerifier,
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

/// VA payment: service 25. `call.transaction.body` are the bytes the signature covers.
async fn payment(call: SnapTransaction<25>) -> String {
    let request: serde_json::Value =
        serde_json::from_slice(&call.transaction.body).unwrap_or_default();
    println!(
        "  payment from {} for VA {}",
        call.transaction.client_key, request["virtualAccountNo"]
    );
    r#"{"responseCode":"2002500","responseMessage":"Successful"}"#.to_string()
}

/// A payment notification from the provider: service 25.
async fn notified(call: SnapNotification<25>) -> String {
    println!(
        "  notification {:?}, {} verified bytes",
        call.external_id,
        call.notification.minified_body.len()
    );
    r#"{"responseCode":"2002500","responseMessage":"Successful"}"#.to_string()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The provider's side is the crate's own signer with the fake's test-only credentials
    // (never use them anywhere else).
    let clock = ManualClock::at_unix(1_709_271_296);
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
    };
    let app = axum::Router::new()
        .route(
            "/v1.0/access-token/b2b",
            post(|t: SnapTokenRequest| async move { t.issue() }),
        )
        .route("/v1.0/transfer-va/payment", post(payment))
        .route("/notify/payment", post(notified))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("SNAP inbound server on {base}");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let auth = SnapAuth::builder()
        .credentials(provider)
        .base_url(base.as_str())
        .clock(clock.shared())
        .build()?;
    let http = reqwest::Client::new();
    let mut req = http
        .post(format!("{base}/v1.0/transfer-va/payment"))
        .body(r#"{"partnerServiceId":"  12345","customerNo":"0001","virtualAccountNo":"  123450001"}"#)
        .build()?;
    // Signed as the provider's client does (it fetches a token from this server first).
    auth.sign(&mut req).await?;
    let again = req.try_clone().ok_or("in-memory body")?;
    for (what, req) in [("signed payment", req), ("the same payment again", again)] {
        let resp = http.execute(req).await?;
        println!("{what}: HTTP {} {}", resp.status(), resp.text().await?);
    }

    let body =
        br#"{"virtualAccountNo":"  123450001","paidAmount":{"value":"10000.00","currency":"IDR"}}"#;
    let (ts, sig) = fake.sign_notification("POST", "/notify/payment", body)?;
    let resp = http
        .post(format!("{base}/notify/payment"))
        .header("content-type", "application/json")
        .header("x-timestamp", ts)
        .header("x-signature", sig)
        .header("x-external-id", "notification-1")
        .body(body.to_vec())
        .send()
        .await?;
    println!(
        "notification: HTTP {} {}",
        resp.status(),
        resp.text().await?
    );

    server.abort();
    Ok(())
}
