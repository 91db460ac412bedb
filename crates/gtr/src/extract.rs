//! axum extractor for GTR callbacks (feature `axum`).
//!
//! [`GtrCallback`] reads the body (at most [`MAX_BODY_BYTES`]) and parses it into a
//! [`CallbackEnvelope`] exactly as [`callback::handle`] does; the handler gets the envelope
//! and the bytes it was read from, and answers with a [`CallbackAnswer`] (which is an axum
//! response: HTTP 200 and `{verifyStatus, verifyMessage[, data]}`).
//!
//! What never reaches the handler:
//! - GTR's network check (`callbackType` 0): answered with success by the extractor;
//! - a body that cannot be read as an envelope: HTTP 400 (413 when too large) with
//!   `{"verifyStatus":100001,"verifyMessage":"…"}` ([`CallbackError::answer`]).
//!
//! GTR's callbacks carry no signature, timestamp or nonce: they are authenticated by mutual
//! TLS, so serve the router on the acceptor built from
//! [`CallbackTlsConfig::rustls_server_config`](crate::callback::CallbackTlsConfig::rustls_server_config)
//! (`examples/callback_axum.rs`), never on plain `axum::serve` outside tests. There is no
//! replay to refuse either: `requestId` is the same in every callback about one travel
//! rule, and GTR may ask the same question again; answer each as it comes.
//!
//! ```no_run
//! use axum::routing::post;
//! use tollgate_gtr::callback::{CallbackAnswer, CallbackType};
//! use tollgate_gtr::extract::GtrCallback;
//!
//! async fn on_callback(callback: GtrCallback) -> CallbackAnswer {
//!     match callback.envelope.callback_type {
//!         CallbackType::TxIdNotify => CallbackAnswer::success_with_message("TX ID Received"),
//!         // …look the address or transaction up, within GTR's 2 s…
//!         _ => CallbackAnswer::failure(100001, "callback type not supported"),
//!     }
//! }
//!
//! let app: axum::Router = axum::Router::new().route("/gtr/callback", post(on_callback));
//! ```

use auth_core::extract::{BodyError, json_response, read_request};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::callback::{
    self, CallbackAnswer, CallbackEnvelope, CallbackError, CallbackReply, INVALID_REQUEST,
    MAX_BODY_BYTES,
};

/// A GTR callback other than the network check, read and parsed.
#[derive(Debug)]
#[non_exhaustive]
pub struct GtrCallback {
    /// The envelope.
    pub envelope: CallbackEnvelope,
    /// The body it was read from.
    pub body: Bytes,
}

/// A callback answered without the handler: the network check (success) or a body that
/// could not be read (`verifyStatus` 100001).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CallbackRejection(pub CallbackReply);

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        json_response(self.0.status, self.0.body())
    }
}

impl IntoResponse for CallbackAnswer {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, self.to_json())
    }
}

impl<S: Send + Sync> FromRequest<S> for GtrCallback {
    type Rejection = CallbackRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let body = match read_request(req, MAX_BODY_BYTES).await {
            Ok((_, body)) => body,
            Err(BodyError::TooLarge { limit }) => {
                let e = CallbackError::TooLarge { limit };
                return Err(CallbackRejection(CallbackReply {
                    status: e.http_status(),
                    answer: e.answer(),
                }));
            }
            Err(_) => {
                return Err(CallbackRejection(CallbackReply {
                    status: StatusCode::BAD_REQUEST,
                    answer: CallbackAnswer::failure(INVALID_REQUEST, "request body unreadable"),
                }));
            }
        };
        // `handle` answers the network check and unreadable bodies; the rest is the app's.
        let mut envelope = None;
        let reply = callback::handle(&body, |e| {
            envelope = Some(e);
            CallbackAnswer::success()
        });
        match envelope {
            Some(envelope) => Ok(GtrCallback { envelope, body }),
            None => Err(CallbackRejection(reply)),
        }
    }
}
