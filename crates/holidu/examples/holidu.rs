//! Starts the Holidu fake on loopback and makes signed calls through the middleware.
//!
//! `cargo run -p tollgate-holidu --example holidu --features test-util`

use tollgate_holidu::ManualClock;
use tollgate_holidu::mock::HoliduFake;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = HoliduFake::start(clock.clone()).await;

    // In real use: HoliduCredentials::from_account_info_file("account_info.json")?
    let auth = fake.auth_builder().clock(clock.shared()).build()?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();

    for _ in 0..3 {
        let resp = client
            .get(format!("{}/properties", fake.uri()))
            .send()
            .await?;
        println!("GET /properties -> HTTP {}", resp.status());
    }
    println!("distinct tokens used: {}", fake.token_fetches());

    // An hour later the token has expired; the next call mints a new one.
    clock.advance(std::time::Duration::from_secs(3600));
    let resp = client
        .get(format!("{}/properties", fake.uri()))
        .send()
        .await?;
    println!("an hour later -> HTTP {}", resp.status());
    println!("distinct tokens used: {}", fake.token_fetches());
    Ok(())
}
