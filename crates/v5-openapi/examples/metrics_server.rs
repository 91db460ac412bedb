//! A service that signs requests to the V5 fake and reports on itself: `/metrics` in the
//! Prometheus text format (`metrics-exporter-prometheus`) and `/healthz` from the token
//! cache's health, 200 when ready and 503 otherwise (the Kubernetes readiness probe's path).
//!
//! `cargo run -p tollgate-v5-openapi --example metrics_server --features test-util,metrics`
//! then `curl -s localhost:9898/metrics` and `curl -si localhost:9898/healthz`.
//!
//! The HTTP side is a few lines of Tokio so that the example needs no web framework; in a
//! real service, route the same two answers through yours. `tests/metrics_server.rs` runs
//! [`serve`] and [`sign_requests`] against the fake.

use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest_middleware::ClientWithMiddleware;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tollgate_v5_openapi::V5Auth;

/// How long the cache may fail to get a token, holding none, before the pod is unready.
pub const READINESS_GRACE: Duration = Duration::from_secs(120);

/// The answer to `GET path`: status, content type and body.
pub fn answer(
    path: &str,
    auth: &V5Auth,
    prometheus: &PrometheusHandle,
) -> (u16, &'static str, String) {
    match path {
        "/metrics" => {
            // Reading the health sets the expiry gauge to the time left now.
            let _ = auth.health();
            (200, "text/plain; version=0.0.4", prometheus.render())
        }
        "/healthz" => {
            let health = auth.health();
            let ready = health.is_ready(READINESS_GRACE);
            let body = format!(
                "state={} usable={} failures={} last_error={}\n",
                health.state.name(),
                health.usable,
                health.consecutive_failures,
                health.last_error.map_or("none", |k| k.name()),
            );
            (if ready { 200 } else { 503 }, "text/plain", body)
        }
        _ => (404, "text/plain", "not found\n".to_string()),
    }
}

/// Serves [`answer`] on `listener`, one short HTTP/1.1 exchange per connection, until the
/// listener fails.
pub async fn serve(
    listener: TcpListener,
    auth: V5Auth,
    prometheus: PrometheusHandle,
) -> std::io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        let (auth, prometheus) = (auth.clone(), prometheus.clone());
        tokio::spawn(async move {
            // The request head, up to 8 KiB; only its first line matters here.
            let mut buf = vec![0u8; 8192];
            let mut len = 0;
            while len < buf.len() && !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf[len..]).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => len += n,
                }
            }
            let head = String::from_utf8_lossy(&buf[..len]);
            let mut first = head.lines().next().unwrap_or("").split(' ');
            let (status, kind, body) = match (first.next(), first.next()) {
                (Some("GET"), Some(path)) => answer(path, &auth, &prometheus),
                _ => (405, "text/plain", "GET only\n".to_string()),
            };
            let reason = match status {
                200 => "OK",
                404 => "Not Found",
                405 => "Method Not Allowed",
                _ => "Service Unavailable",
            };
            let response = format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(response.as_bytes()).await;
        });
    }
}

/// The service's client: `auth`'s middleware over a `reqwest::Client`. Build it after the
/// recorder is installed: the middleware registers its counter when it is built.
pub fn client(auth: &V5Auth) -> Result<ClientWithMiddleware, reqwest::Error> {
    let mw = auth.clone().middleware();
    let http = reqwest::Client::builder()
        .redirect(mw.redirect_policy())
        .build()?;
    Ok(reqwest_middleware::ClientBuilder::new(http)
        .with(mw)
        .build())
}

/// Sends `n` signed calls to the V5 API at `base`.
pub async fn sign_requests(
    client: &ClientWithMiddleware,
    base: &str,
    n: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    for _ in 0..n {
        client
            .get(format!("{base}/api/v5/authentication/verify"))
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

#[allow(dead_code)] // the test includes this file for its functions
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The recorder first: the auth registers its metrics when it is built.
    let prometheus = PrometheusBuilder::new().install_recorder()?;

    let clock = tollgate_v5_openapi::ManualClock::at_unix(1_700_000_000);
    let fake = tollgate_v5_openapi::mock::V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .metrics_label("example")
        .build()?;
    sign_requests(&client(&auth)?, &fake.uri(), 3).await?;

    let listener = TcpListener::bind("127.0.0.1:9898").await?;
    println!("serving http://127.0.0.1:9898/metrics and /healthz (Ctrl-C stops)");
    serve(listener, auth, prometheus).await?;
    Ok(())
}
