//! Starts the SNAP fake on loopback and makes signed calls through the middleware:
//! one B2B access token fetch, then transactions signed with HMAC-SHA512, then a
//! provider notification verified.
//!
//! Run with `cargo run -p tollgate-snap-b2b --features test-util --example snap_b2b`.

use std::time::Duration;

use tollgate_snap_b2b::NotificationVerifier;
use tollgate_snap_b2b::mock::{SAMPLE_BODY, SnapFake};
use tollgate_snap_b2b::{AuthError, ManualClock};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = SnapFake::start(clock.clone()).await;
    println!("SNAP fake listening on {}", fake.base_url());

    // In production: SnapCredentials::from_env()? and SnapAuth::builder().credentials(creds).base_url(..).
    let auth = fake.auth_builder(fake.credentials()).build()?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();

    for i in 0..3 {
        let resp = client.post(fake.api_url()).body(SAMPLE_BODY).send().await?;
        let status = resp.status();
        println!("call {i}: HTTP {status} {}", resp.text().await?);
    }
    println!(
        "token fetches: {} (one token for all calls)",
        fake.token_fetches()
    );

    // A user-chosen X-EXTERNAL-ID is kept; reusing it the same day is refused (409xx00).
    for _ in 0..2 {
        let resp = client
            .post(fake.api_url())
            .header("X-EXTERNAL-ID", "20240301000000000001")
            .body(SAMPLE_BODY)
            .send()
            .await?;
        println!("fixed external id: HTTP {}", resp.status());
    }

    // Provider → merchant notification.
    let body =
        br#"{"virtualAccountNo":"  123450001","paidAmount":{"value":"10000.00","currency":"IDR"}}"#;
    let (timestamp, signature) =
        fake.sign_notification("POST", "/v1.0/transfer-va/payment", body)?;
    let verifier = NotificationVerifier::new(fake.provider_public_key())
        .window(Duration::from_secs(300))
        .clock(clock.shared());
    let verified = verifier
        .verify(
            "POST",
            "/v1.0/transfer-va/payment",
            &timestamp,
            &signature,
            body,
        )
        .map_err(AuthError::from)?;
    println!(
        "notification verified, body hash {}",
        verified.body_sha256_hex
    );
    Ok(())
}
