//! A DragonPass push receiver on axum: the crate's extractor verifies each push event,
//! refuses forged or stale ones with DragonPass's envelope, and acknowledges a replay
//! without processing it again.
//!
//! It starts on a loopback port, delivers one event signed with a key made on the spot (as
//! DragonPass would with its own), delivers it again and sends a forged one, then exits:
//!
//! ```sh
//! cargo run -p tollgate-dragonpass --features axum --example push_axum
//! ```

use axum::routing::post;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use tollgate_dragonpass::extract::DragonPassPush;
use tollgate_dragonpass::sign::{b64url, rs256_signature, signing_input};
use tollgate_dragonpass::{PushPublicKey, PushVerifier, RsaSigningKey};

/// One event endpoint: process the event once, answer DragonPass's success envelope.
async fn on_push(push: DragonPassPush) -> &'static str {
    println!(
        "  processing {} (signed with {})",
        push.event.claims["eventType"], push.event.kid
    );
    r#"{"code":0,"message":"success"}"#
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // DragonPass's key pair; in production you are given the public key only.
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF)?;
    let verifier = PushVerifier::new(vec![PushPublicKey::from_pem("dp-key", &public_pem)?])?;

    let app = axum::Router::new()
        .route("/dragonpass/push", post(on_push))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/dragonpass/push", listener.local_addr()?);
    println!("push receiver on {url}");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "dp-key"});
    let claims = serde_json::json!({
        "iss": "dragonpass", "iat": now, "eventType": "walkin.redemption", "orderNo": "DP0001",
    });
    let input = signing_input(&b64url(header.to_string()), &b64url(claims.to_string()));
    let token = format!(
        "{input}.{}",
        b64url(rs256_signature(&RsaSigningKey::new(private), &input)?)
    );
    let forged = format!("{token}x");

    let http = reqwest::Client::new();
    for (what, body) in [
        ("push", &token),
        ("the same push again", &token),
        ("a forged push", &forged),
    ] {
        let resp = http.post(&url).body(body.clone()).send().await?;
        println!("{what}: HTTP {} {}", resp.status(), resp.text().await?);
    }
    server.abort();
    Ok(())
}
