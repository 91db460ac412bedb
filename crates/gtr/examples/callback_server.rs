//! A GTR callback server: mutual TLS that requires a client certificate chaining to the
//! `client-truststore`, network checks answered with success, other callbacks answered by
//! `app` below (replace it with your own logic), on tokio-rustls + hyper.
//!
//! ```sh
//! GTR_CALLBACK_CERT_PEM=server.crt GTR_CALLBACK_KEY_PEM=server.key \
//! GTR_CALLBACK_TRUSTSTORE=client-truststore.p12 GTR_CALLBACK_TRUSTSTORE_PASSWORD=... \
//!   cargo run -p tollgate-gtr --example callback_server -- 0.0.0.0:8443
//! ```
//!
//! The server identity may also be a `.p12` (`GTR_CALLBACK_P12` + `GTR_CALLBACK_P12_PASSWORD`)
//! and the truststore a PEM file (no password). The listen address defaults to
//! `127.0.0.1:8443`. `tests/callback.rs` runs [`serve`] against real TLS clients.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tollgate_gtr::callback::{
    self, CallbackAnswer, CallbackEnvelope, CallbackError, CallbackTlsConfig, CallbackType,
    INVALID_REQUEST, MAX_BODY_BYTES,
};

/// The application's answer to every callback but the network check (which
/// [`callback::handle`] answers itself). Keep it under GTR's 2 s.
pub(crate) fn app(envelope: CallbackEnvelope) -> CallbackAnswer {
    match envelope.callback_type {
        // Notifications: record them, then acknowledge.
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

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// One HTTP request: the body (at most `MAX_BODY_BYTES`) through [`callback::handle`].
async fn respond(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST {
        let answer = CallbackAnswer::failure(INVALID_REQUEST, "callbacks are POSTed");
        return Ok(json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            answer.to_json(),
        ));
    }
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let e = CallbackError::TooLarge {
                limit: MAX_BODY_BYTES,
            };
            return Ok(json_response(e.http_status(), e.answer().to_json()));
        }
        Err(_) => {
            let answer = CallbackAnswer::failure(INVALID_REQUEST, "request body unreadable");
            return Ok(json_response(StatusCode::BAD_REQUEST, answer.to_json()));
        }
    };
    let reply = callback::handle(&body, app);
    Ok(json_response(reply.status, reply.body()))
}

/// Serves callbacks on `listener` until accepting fails: every connection must complete the
/// mutual-TLS handshake of `config` (within 10 s) before a byte of HTTP is read.
pub(crate) async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (tcp, peer) = listener.accept().await?;
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        eprintln!("{peer}: TLS handshake refused: {e}");
                        return;
                    }
                    Err(_) => {
                        eprintln!("{peer}: TLS handshake timed out");
                        return;
                    }
                };
            let service = hyper::service::service_fn(respond);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8443".to_string());
    let config = CallbackTlsConfig::from_env()?.rustls_server_config()?;
    let listener = TcpListener::bind(&addr).await?;
    println!("GTR callback server on https://{}", listener.local_addr()?);
    serve(listener, Arc::new(config)).await?;
    Ok(())
}
