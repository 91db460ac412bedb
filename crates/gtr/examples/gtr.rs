//! Starts the GTR fake on loopback and calls it in both modes: app token and SSO login.
//!
//! `cargo run -p tollgate-gtr --example gtr --features test-util`
//!
//! Against the real GTR, build the HTTP client with `tollgate_gtr::TlsConfig` and your
//! `certificate.p12` instead of `fake.http_client()`, and use `auth::UAT_URL` or
//! `auth::PRODUCTION_URL` as the base URL.

use tollgate_gtr::ManualClock;
use tollgate_gtr::mock::GtrFake;
use tollgate_gtr::{AppTokenAuth, SsoAuth};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = ManualClock::new(std::time::SystemTime::now());
    let fake = GtrFake::start(clock.clone()).await;

    // App token: a fresh X-Authorization header on every request.
    let app = AppTokenAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .clock(clock.shared())
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(fake.http_client()?)
        .with(app.middleware())
        .build();
    let resp = client
        .get(format!("{}/api/vasp/list", fake.uri()))
        .send()
        .await?;
    println!("app token: HTTP {} {}", resp.status(), resp.text().await?);

    // SSO: one login, then Authorization: Bearer <jwt>.
    let sso = SsoAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .http_client(fake.http_client_builder()?)
        .expire_in_minutes(60)
        .clock(clock.shared())
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(fake.http_client()?)
        .with(sso.middleware())
        .build();
    for _ in 0..3 {
        let resp = client
            .get(format!("{}/api/status", fake.uri()))
            .send()
            .await?;
        println!("sso: HTTP {} {}", resp.status(), resp.text().await?);
    }
    println!(
        "logins: {}, API calls: {}",
        fake.logins(),
        fake.core().api_calls()
    );
    Ok(())
}
