//! Starts the DragonPass fake on loopback and makes signed calls to it, first with a
//! self-generated HS256 token, then with a token from the (fake) token API.
//!
//! `cargo run -p tollgate-dragonpass --example dragonpass --features test-util`

use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::ManualClock;
use tollgate_dragonpass::mock::Creds;
use tollgate_dragonpass::mock::DragonPassFake;
use tollgate_dragonpass::{Origin, parse_envelope};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::at_unix(1_754_300_000);

    for fake in [
        DragonPassFake::start_self_signed(clock.clone()).await,
        DragonPassFake::start(clock.clone()).await,
    ] {
        let auth = DragonPassAuth::builder()
            .credentials(fake.credentials(Creds::Valid))
            .program_id(fake.program_id())
            .allow_origin(fake.uri())
            .clock(clock.shared())
            .build()?;
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(auth.middleware())
            .build();
        let resp = client.get(fake.api_url()).send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?;
        let data: serde_json::Value = parse_envelope(Origin::Api, status, &headers, &body)?;
        println!("{:?} mode: HTTP {status}, data = {data}", fake.mode());
    }
    Ok(())
}
