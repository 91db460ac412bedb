//! Input shapes shared by several fuzz targets (included with `#[path]`).

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// `name: value` lines up to a blank line become headers; the rest is the body.
pub fn split(data: &[u8]) -> (HeaderMap, &[u8]) {
    let mut h = HeaderMap::new();
    let mut rest = data;
    while let Some(end) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..end];
        rest = &rest[end + 1..];
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) {
            h.append(n, v);
        }
    }
    (h, rest)
}

/// A status from one byte: 200 to 598, even codes.
pub fn status(byte: u8) -> StatusCode {
    StatusCode::from_u16(200 + u16::from(byte) * 2 % 400).unwrap_or(StatusCode::OK)
}

/// The delay a numeric `Retry-After` asks for, capped at one hour as auth-core caps it.
pub fn retry_after_hint(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .map(|v| Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX).min(3600)))
}
