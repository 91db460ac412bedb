//! axum extractor for DragonPass push events (feature `axum`).
//!
//! [`DragonPassPush`] takes the [`PushVerifier`] from the router's state (`FromRef`), reads
//! the push token — `Authorization: Bearer <jwt>` when sent, otherwise the whole body (at
//! most [`MAX_TOKEN_LEN`] bytes) — and verifies it with [`PushVerifier::verify`]: signature,
//! issuer, freshness by the verifier's clock, and the replay memory. The handler gets the
//! verified [`PushEvent`] (its claims are what the signature covers). It expects no event
//! type: an endpoint that serves one type checks `eventType` in the claims (or calls
//! [`PushVerifier::verify_event`] itself, when that type has its own keys).
//!
//! What never reaches the handler:
//! - a refused token: HTTP 401 with DragonPass's envelope, `{"code":401,"message":"…"}`
//!   naming the check that failed (400 for an empty body, 413 for one over the limit);
//! - a replay (the same token delivered again, [`is_push_replay`]): acknowledged with HTTP
//!   200 and `{"code":0,"message":"success"}`, as the verifier's docs advise, so that
//!   DragonPass stops retrying an event you already processed.
//!
//! ```no_run
//! use axum::routing::post;
//! use tollgate_dragonpass::PushVerifier;
//! use tollgate_dragonpass::extract::DragonPassPush;
//!
//! async fn on_push(push: DragonPassPush) -> &'static str {
//!     let event_type = push.event.claims.get("eventType");
//!     // …process the event once…
//!     # let _ = event_type;
//!     r#"{"code":0,"message":"success"}"#
//! }
//!
//! # fn demo(verifier: PushVerifier) {
//! let app: axum::Router = axum::Router::new()
//!     .route("/dragonpass/push", post(on_push))
//!     .with_state(verifier);
//! # }
//! ```

use auth_core::AuthError;
use auth_core::extract::{BodyError, json_response, read_request};
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use crate::{MAX_TOKEN_LEN, PushEvent, PushVerifier, is_push_replay};

/// A verified push event, from the [`PushVerifier`] in the state.
#[derive(Debug)]
#[non_exhaustive]
pub struct DragonPassPush {
    /// The verified event: the key that signed it and its claims.
    pub event: PushEvent,
    /// The request's headers.
    pub headers: HeaderMap,
}

/// A push that does not reach the handler, and DragonPass's answer to it.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushRejection {
    /// The token was refused (HTTP 401, `{"code":401,"message":…}`).
    Refused(AuthError),
    /// The token was accepted before: acknowledged with HTTP 200 and
    /// `{"code":0,"message":"success"}`, without processing it again.
    Replay,
    /// No token: an empty body and no `Authorization` (HTTP 400).
    Missing,
    /// The body is larger than [`MAX_TOKEN_LEN`] (HTTP 413), or could not be read (400).
    Body(BodyError),
}

fn envelope(status: StatusCode, code: u16, message: &str) -> Response {
    let body = serde_json::json!({ "code": code, "message": message });
    json_response(status, body.to_string().into_bytes())
}

impl IntoResponse for PushRejection {
    fn into_response(self) -> Response {
        match self {
            PushRejection::Replay => envelope(StatusCode::OK, 0, "success"),
            PushRejection::Refused(e) => envelope(StatusCode::UNAUTHORIZED, 401, e.message()),
            PushRejection::Missing => {
                envelope(StatusCode::BAD_REQUEST, 400, "no push token in the request")
            }
            PushRejection::Body(BodyError::TooLarge { .. }) => envelope(
                StatusCode::PAYLOAD_TOO_LARGE,
                413,
                "push token larger than the limit",
            ),
            PushRejection::Body(_) => {
                envelope(StatusCode::BAD_REQUEST, 400, "push body could not be read")
            }
        }
    }
}

impl<S> FromRequest<S> for DragonPassPush
where
    PushVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PushRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = PushVerifier::from_ref(state);
        let (parts, body) = read_request(req, MAX_TOKEN_LEN)
            .await
            .map_err(PushRejection::Body)?;
        let bearer = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.starts_with("Bearer "));
        let token = match bearer {
            Some(token) => token,
            // A body that is not text cannot be a compact JWT: refused like a bad token.
            None => std::str::from_utf8(&body).unwrap_or("\u{0}"),
        };
        if token.trim().is_empty() {
            return Err(PushRejection::Missing);
        }
        match verifier.verify(token) {
            Ok(event) => Ok(DragonPassPush {
                event,
                headers: parts.headers,
            }),
            Err(e) if is_push_replay(&e) => Err(PushRejection::Replay),
            Err(e) => Err(PushRejection::Refused(e)),
        }
    }
}
