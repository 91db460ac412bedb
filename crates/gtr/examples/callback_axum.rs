//! A GTR callback server on axum: the router's handler takes the crate's [`GtrCallback`]
//! extractor (network checks and unreadable bodies are answered before it), served over the
//! mutual TLS GTR's callbacks require, with the crate's rustls configuration.
//!
//! ```sh
//! GTR_CALLBACK_CERT_PEM=server.crt GTR_CALLBACK_KEY_PEM=server.key \
//! GTR_CALLBACK_TRUSTSTORE=client-truststore.p12 GTR_CALLBACK_TRUSTSTORE_PASSWORD=... \
//!   cargo run -p tollgate-gtr --features axum --example callback_axum -- 0.0.0.0:8443
//! ```
//!
//! The variables are those of `examples/callback_server.rs` (the same server without a web
//! framework).

use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tollgate_gtr::callback::{CallbackAnswer, CallbackTlsConfig, CallbackType, INVALID_REQUEST};
use tollgate_gtr::extract::GtrCallback;

/// Every callback but the network check. Keep it under GTR's 2 s.
async fn on_callback(callback: GtrCallback) -> CallbackAnswer {
    match callback.envelope.callback_type {
        CallbackType::TxIdNotify
        | CallbackType::VerificationResultNotify
        | CallbackType::PiiVerificationResultNotify
        | CallbackType::TravelRuleEnd
        | CallbackType::WalletVerifyResult => CallbackAnswer::success_with_message("received"),
        // Address and TXID verification need your wallet records: this example has none.
        CallbackType::AddressVerification => CallbackAnswer::address_not_found(),
        CallbackType::TxIdVerification => CallbackAnswer::tx_not_found(),
        _ => CallbackAnswer::failure(INVALID_REQUEST, "callback type not handled"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8443".to_string());
    let config = CallbackTlsConfig::from_env()?.rustls_server_config()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let app = axum::Router::new().route("/gtr/callback", post(on_callback));
    let listener = TcpListener::bind(&addr).await?;
    println!("GTR callback server on https://{}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            // No byte of HTTP is read before GTR's client certificate has been verified.
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    _ => return eprintln!("{peer}: TLS handshake refused or timed out"),
                };
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                .await
            {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
