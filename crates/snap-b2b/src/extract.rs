//! axum extractors for the calls a SNAP provider makes to the merchant (feature `axum`).
//!
//! Each extractor takes its verifier from the router's state (`FromRef`), reads the body
//! (at most [`MAX_BODY_BYTES`]), verifies the call, and hands the handler what it proved;
//! a refused call never reaches the handler and is answered with SNAP's
//! `{"responseCode","responseMessage"}` and the HTTP status the code names
//! ([`SnapRejection`]). The signed `EndpointUrl` is the request's path and query as sent
//! (under a nested router too).
//!
//! - [`SnapTokenRequest`]: a B2B access-token request ([`InboundVerifier::verify_token_request`];
//!   answer it with [`SnapTokenRequest::issue`]).
//! - [`SnapTransaction<SERVICE>`](SnapTransaction): a transaction
//!   ([`InboundVerifier::verify_transaction`]), `X-EXTERNAL-ID` replays refused with
//!   `409SS00`.
//! - [`SnapNotification<SERVICE>`](SnapNotification): a provider notification
//!   ([`NotificationVerifier::verify_headers`]).
//!
//! `SERVICE` is the SNAP service code of the endpoint (24 VA inquiry, 25 VA payment…): it is
//! the middle of the `responseCode` a refusal is answered with.
//!
//! ```no_run
//! use axum::routing::post;
//! use tollgate_snap_b2b::extract::{SnapTokenRequest, SnapTransaction};
//! use tollgate_snap_b2b::InboundVerifier;
//!
//! async fn inquiry(call: SnapTransaction<24>) -> String {
//!     // `call.transaction.body` are the verified bytes; answer as the provider expects.
//!     let _request: serde_json::Value = serde_json::from_slice(&call.transaction.body).unwrap_or_default();
//!     r#"{"responseCode":"2002400","responseMessage":"Successful"}"#.to_string()
//! }
//!
//! # fn demo(inbound: InboundVerifier) {
//! // The state is the verifier itself here; with several, implement `FromRef` for each
//! // (`examples/inbound_axum.rs`).
//! let app: axum::Router = axum::Router::new()
//!     .route("/v1.0/access-token/b2b", post(|t: SnapTokenRequest| async move { t.issue() }))
//!     .route("/v1.0/transfer-va/inquiry", post(inquiry))
//!     .with_state(inbound);
//! # }
//! ```

use auth_core::extract::{BodyError, json_response, read_request, signed_path_and_query};
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};

use crate::{
    InboundError, InboundVerifier, NotificationError, NotificationVerifier, VerifiedNotification,
    VerifiedTransaction,
};

/// The largest body the extractors read (1 MiB): SNAP requests are a few kilobytes. A larger
/// one is refused as `400SS01` (`[body]`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The service code of the B2B access-token request.
pub const TOKEN_SERVICE: u8 = 73;

/// A refused inbound call: SNAP's answer for `error` under `service`
/// (`{"responseCode":"4012400","responseMessage":"Unauthorized. [Signature]"}` with HTTP
/// 401, `4092400` with 409 for a replayed `X-EXTERNAL-ID`…).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapRejection {
    /// Why the call was refused.
    pub error: InboundError,
    /// The service code the answer names.
    pub service: u8,
}

impl IntoResponse for SnapRejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.error.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
        json_response(
            status,
            self.error.body(self.service).to_string().into_bytes(),
        )
    }
}

fn body_refused(_: BodyError) -> InboundError {
    InboundError::InvalidFieldFormat("[body]")
}

/// A verified B2B access-token request (`POST /v1.0/access-token/b2b`), from the
/// [`InboundVerifier`] in the state; refusals answer with service 73 (`4017300`…).
#[derive(Debug)]
#[non_exhaustive]
pub struct SnapTokenRequest {
    /// The client the token is for (`X-CLIENT-KEY`, whose signature verified).
    pub client_key: String,
    verifier: InboundVerifier,
}

impl SnapTokenRequest {
    /// Issues a token to the client and answers with SNAP's token response (`2007300`).
    pub fn issue(&self) -> Response {
        let body = self.verifier.issue_token(&self.client_key).response_body();
        json_response(StatusCode::OK, body.to_string().into_bytes())
    }
}

impl<S> FromRequest<S> for SnapTokenRequest
where
    InboundVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SnapRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = InboundVerifier::from_ref(state);
        let (client_key, _) = verified(req, TOKEN_SERVICE, |_, _, headers, body| {
            verifier.verify_token_request(headers, body)
        })
        .await?;
        Ok(SnapTokenRequest {
            client_key,
            verifier,
        })
    }
}

/// A verified transaction for service `SERVICE`, from the [`InboundVerifier`] in the state.
#[derive(Debug)]
#[non_exhaustive]
pub struct SnapTransaction<const SERVICE: u8> {
    /// What the verification proved; [`body`](VerifiedTransaction::body) are the bytes the
    /// signature covers: read the request from them.
    pub transaction: VerifiedTransaction,
    /// `X-EXTERNAL-ID`, when sent.
    pub external_id: Option<String>,
    /// The request's headers.
    pub headers: HeaderMap,
}

impl<S, const SERVICE: u8> FromRequest<S> for SnapTransaction<SERVICE>
where
    InboundVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SnapRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = InboundVerifier::from_ref(state);
        let (transaction, headers) = verified(req, SERVICE, |method, path, headers, body| {
            verifier.verify_transaction(method, path, headers, body)
        })
        .await?;
        Ok(SnapTransaction {
            transaction,
            external_id: external_id(&headers),
            headers,
        })
    }
}

/// A verified provider notification for service `SERVICE`, from the
/// [`NotificationVerifier`] in the state (turn its
/// [`reject_replayed_external_ids`](NotificationVerifier::reject_replayed_external_ids) on
/// to refuse a repeated `X-EXTERNAL-ID` with `409SS00`).
#[derive(Debug)]
#[non_exhaustive]
pub struct SnapNotification<const SERVICE: u8> {
    /// What the verification proved; [`minified_body`](VerifiedNotification::minified_body)
    /// are the bytes whose hash the signature covers.
    pub notification: VerifiedNotification,
    /// `X-EXTERNAL-ID`, when sent.
    pub external_id: Option<String>,
    /// The request's headers.
    pub headers: HeaderMap,
}

impl<S, const SERVICE: u8> FromRequest<S> for SnapNotification<SERVICE>
where
    NotificationVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SnapRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = NotificationVerifier::from_ref(state);
        let (notification, headers) = verified(req, SERVICE, |method, path, headers, body| {
            verifier
                .verify_headers(method, path, headers, body)
                .map_err(|e| notification_answer(&e))
        })
        .await?;
        Ok(SnapNotification {
            notification,
            external_id: external_id(&headers),
            headers,
        })
    }
}

/// Reads `req` (at most [`MAX_BODY_BYTES`]) and runs `verify` on its method, signed path and
/// query, headers and body; a refusal is SNAP's answer under `service`.
async fn verified<T>(
    req: Request,
    service: u8,
    verify: impl FnOnce(&str, &str, &HeaderMap, &[u8]) -> Result<T, InboundError>,
) -> Result<(T, HeaderMap), SnapRejection> {
    let reject = |error| SnapRejection { error, service };
    let (parts, body) = read_request(req, MAX_BODY_BYTES)
        .await
        .map_err(|e| reject(body_refused(e)))?;
    let path = signed_path_and_query(&parts);
    let value = verify(parts.method.as_str(), path, &parts.headers, &body).map_err(reject)?;
    Ok((value, parts.headers))
}

fn external_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(crate::X_EXTERNAL_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The SNAP answer a refused notification gets: the code the failed check implies.
fn notification_answer(e: &NotificationError) -> InboundError {
    match e {
        NotificationError::MissingHeader(name) => InboundError::MissingField(match *name {
            "x-timestamp" => "[X-TIMESTAMP]",
            "x-signature" => "[X-SIGNATURE]",
            "x-external-id" => "[X-EXTERNAL-ID]",
            _ => "[header]",
        }),
        NotificationError::MalformedTimestamp => InboundError::InvalidFieldFormat("[X-TIMESTAMP]"),
        NotificationError::StaleTimestamp { .. } => InboundError::StaleTimestamp,
        NotificationError::InvalidBody(_)
        | NotificationError::UnreadableBody { .. }
        | NotificationError::RepeatedKey => InboundError::InvalidFieldFormat("[body]"),
        NotificationError::DuplicateExternalId => InboundError::DuplicateExternalId,
        _ => InboundError::BadSignature,
    }
}
