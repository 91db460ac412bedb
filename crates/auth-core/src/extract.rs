//! What the provider crates' axum extractors share (feature `axum`): the request's body read
//! up to a limit, the path and query the caller signed, and a JSON answer. Each provider
//! crate's `extract` module builds its extractors and its own error answers on these.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{StatusCode, header};

/// Why a request's body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is (or is announced to be) larger than `limit` bytes.
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The connection failed while the body was read.
    Unreadable,
}

/// Splits `req` into its head and its body, read up to `limit` bytes: a larger
/// `Content-Length` is refused before anything is read, and a body that grows past the
/// limit is refused when it does.
pub async fn read_request(req: Request, limit: usize) -> Result<(Parts, Bytes), BodyError> {
    let (parts, body) = req.into_parts();
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(BodyError::TooLarge { limit });
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(e) => Err(if e.into_inner().is::<http_body_util::LengthLimitError>() {
            BodyError::TooLarge { limit }
        } else {
            BodyError::Unreadable
        }),
    }
}

/// The path and query of the request as the caller sent it (the original URI's, so a
/// router nested under a prefix still sees the full path the caller signed).
pub fn signed_path_and_query(parts: &Parts) -> &str {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |o| &o.0);
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// An answer of `status` with `body` as `application/json`.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
