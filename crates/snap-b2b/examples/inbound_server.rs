//! The merchant as SNAP server: a small HTTP server (hyper, no web framework) whose
//! handlers are the crate's framework-free inbound functions.
//!
//! - `POST /v1.0/access-token/b2b`: [`InboundVerifier::verify_token_request`], then
//!   [`InboundVerifier::issue_token`] (`2007300`), or the refusal's SNAP code (`4017300`…).
//! - `POST /v1.0/transfer-va/payment`: [`InboundVerifier::verify_transaction`] (`2002500`),
//!   or the refusal's SNAP code (`4012500` signature, `4012501` token, `4092500` repeated
//!   `X-EXTERNAL-ID`…).
//!
//! By default it starts on a loopback port, plays the provider once with the crate's own
//! signer (test-only credentials of the crate's fake) — a token request and a payment —
//! sends one unsigned request to show a refusal, and exits:
//!
//! ```sh
//! cargo run -p tollgate-snap-b2b --features test-util --example inbound_server
//! ```
//!
//! With `serve` it keeps serving for a real provider's sandbox, reading the provider's
//! client key, public key file and shared secret from `SNAP_INBOUND_CLIENT_KEY`,
//! `SNAP_INBOUND_PUBLIC_KEY_FILE` and `SNAP_INBOUND_CLIENT_SECRET`, on `SNAP_INBOUND_ADDR`
//! (default `127.0.0.1:8080`):
//!
//! ```sh
//! cargo run -p tollgate-snap-b2b --features test-util --example inbound_server -- serve
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tollgate_snap_b2b::mock::SnapFake;
use tollgate_snap_b2b::{InboundVerifier, ManualClock, SnapAuth, SnapPublicKey};

/// Token request (service 73) and VA payment (service 25).
const TOKEN_PATH: &str = "/v1.0/access-token/b2b";
const PAYMENT_PATH: &str = "/v1.0/transfer-va/payment";
const SERVICE_TOKEN: u8 = 73;
const SERVICE_PAYMENT: u8 = 25;
/// Bodies larger than this are refused before they are read whole.
const MAX_BODY: usize = 64 * 1024;

fn reply(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// One request: the verifier decides, the handler answers with SNAP's shapes.
async fn handle(
    verifier: InboundVerifier,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await else {
        let too_large = json!({"responseCode": "4130000", "responseMessage": "Payload Too Large"});
        return Ok(reply(413, &too_large));
    };
    let body = body.to_bytes();
    // The EndpointUrl the caller signed: this server's path and query as received.
    let endpoint = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let answer = match (parts.method.as_str(), parts.uri.path()) {
        ("POST", TOKEN_PATH) => match verifier.verify_token_request(&parts.headers, &body) {
            Ok(client) => reply(200, &verifier.issue_token(&client).response_body()),
            Err(e) => reply(e.http_status(), &e.body(SERVICE_TOKEN)),
        },
        ("POST", PAYMENT_PATH) => {
            match verifier.verify_transaction("POST", endpoint, &parts.headers, &body) {
                // The merchant handles the call from `verified.body`: the bytes the signature covers.
                Ok(verified) => reply(
                    200,
                    &json!({
                        "responseCode": "2002500",
                        "responseMessage": "Successful",
                        "additionalInfo": { "client": verified.client_key },
                    }),
                ),
                Err(e) => reply(e.http_status(), &e.body(SERVICE_PAYMENT)),
            }
        }
        _ => reply(
            404,
            &json!({"responseCode": "4040000", "responseMessage": "Not Found"}),
        ),
    };
    Ok(answer)
}

/// Accepts connections until the process ends.
async fn serve(listener: TcpListener, verifier: InboundVerifier) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let verifier = verifier.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(verifier.clone(), req));
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let public = SnapPublicKey::from_pem_file(
            "SNAP_INBOUND_PUBLIC_KEY_FILE",
            var("SNAP_INBOUND_PUBLIC_KEY_FILE")?,
        )?;
        let secret = var("SNAP_INBOUND_CLIENT_SECRET")?;
        let verifier =
            InboundVerifier::new().client(&var("SNAP_INBOUND_CLIENT_KEY")?, public, Some(&secret));
        let addr: SocketAddr = std::env::var("SNAP_INBOUND_ADDR")
            .unwrap_or_else(|_| "127.0.0.1:8080".to_string())
            .parse()?;
        let listener = TcpListener::bind(addr).await?;
        println!("SNAP inbound server on http://{}", listener.local_addr()?);
        serve(listener, verifier).await;
        return Ok(());
    }

    // Demo: the provider's side is the crate's own signer with the fake's test-only
    // credentials (never use them anywhere else).
    let fake = SnapFake::start(ManualClock::at_unix(0)).await;
    let provider = fake.credentials();
    let verifier = InboundVerifier::new().client(
        provider.client_key(),
        provider.private_key().public_key().clone(),
        Some(fake.client_secret()),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("SNAP inbound server on {base}");
    let server = tokio::spawn(serve(listener, verifier));

    // The provider fetches a token from this server, then calls the payment endpoint.
    let auth = SnapAuth::builder()
        .credentials(provider)
        .base_url(base.as_str())
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    let body = r#"{ "partnerServiceId": "  12345", "customerNo": "0001",
                    "virtualAccountNo": "  123450001", "paymentRequestId": "pay-1" }"#;
    let resp = client
        .post(format!("{base}{PAYMENT_PATH}"))
        .body(body)
        .send()
        .await?;
    println!(
        "signed payment: HTTP {} {}",
        resp.status(),
        resp.text().await?
    );

    // The same call unsigned is refused with the code SNAP assigns.
    let resp = reqwest::Client::new()
        .post(format!("{base}{PAYMENT_PATH}"))
        .header("content-type", "application/json")
        .header("x-partner-id", "someone")
        .body(body)
        .send()
        .await?;
    println!(
        "unsigned payment: HTTP {} {}",
        resp.status(),
        resp.text().await?
    );

    server.abort();
    Ok(())
}
