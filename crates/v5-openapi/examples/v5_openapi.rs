//! Starts the V5 fake on loopback and makes signed calls through the middleware.
//!
//! `cargo run -p tollgate-v5-openapi --example v5_openapi --features test-util`

use tollgate_v5_openapi::ManualClock;
use tollgate_v5_openapi::V5Api;
use tollgate_v5_openapi::mock::V5Fake;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = V5Fake::start(clock.clone()).await;

    let auth = fake
        .auth_builder() // base URL + the fake's app_id/app_secret
        .clock(clock.shared())
        .build()?;

    // The typed verify call.
    let info = auth.verify().await?;
    println!(
        "verify: app_id={} result={} time={}",
        info.app_id, info.result, info.time
    );

    // Any call through the middleware carries Authorization: Bearer and X-APP-ID.
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    for _ in 0..3 {
        let resp = client
            .get(format!("{}/api/v5/authentication/verify", fake.uri()))
            .send()
            .await?;
        println!("GET verify -> HTTP {}", resp.status());
    }
    println!("tokens issued by the fake: {}", fake.token_fetches());
    Ok(())
}
