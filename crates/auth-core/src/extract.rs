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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(body: &'static str, content_length: Option<&str>) -> Request {
        let mut b = http::Request::builder().uri("/nested/path?q=1");
        if let Some(n) = content_length {
            b = b.header(header::CONTENT_LENGTH, n);
        }
        b.body(Body::from(body)).expect("request")
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_the_limit() {
        let (parts, body) = read_request(request("0123456789", None), 10)
            .await
            .expect("at the limit");
        assert_eq!(&body[..], b"0123456789");
        assert_eq!(signed_path_and_query(&parts), "/nested/path?q=1");
        // Found while reading (no Content-Length) and before reading (announced).
        assert_eq!(
            read_request(request("0123456789x", None), 10).await.err(),
            Some(BodyError::TooLarge { limit: 10 })
        );
        assert_eq!(
            read_request(request("", Some("11")), 10).await.err(),
            Some(BodyError::TooLarge { limit: 10 })
        );
    }

    #[test]
    fn the_original_uri_is_the_signed_one() {
        let (mut parts, _) = request("", None).into_parts();
        parts.uri = "/path".parse().expect("uri");
        parts
            .extensions
            .insert(OriginalUri("/nested/path?q=1".parse().expect("uri")));
        assert_eq!(signed_path_and_query(&parts), "/nested/path?q=1");
    }
}
