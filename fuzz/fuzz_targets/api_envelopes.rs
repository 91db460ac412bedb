//! API error envelopes and error mapping of every provider, under any status and any
//! headers: GTR `check_envelope`, DragonPass API responses, V5 API envelopes, SNAP and
//! Holidu error responses. Must never panic; a failed status never gives data; a numeric
//! `Retry-After` on a failed status is carried by the error.
#![no_main]

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

/// `name: value` lines up to a blank line become headers; the rest is the body.
fn split(data: &[u8]) -> (HeaderMap, &[u8]) {
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

fuzz_target!(|data: &[u8]| {
    let Some((&[which, s], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = StatusCode::from_u16(200 + u16::from(s) * 2 % 400).unwrap_or(StatusCode::OK);
    let (headers, body) = split(rest);
    let hint = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .map(|v| Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX).min(3600)));
    let err = match which % 5 {
        0 => gtr::check_envelope::<serde_json::Value>(status, Some(&headers), body).err(),
        1 => dragonpass::parse_response::<serde_json::Value>(
            dragonpass::Origin::Api,
            status,
            &headers,
            body,
        )
        .err(),
        2 => v5_openapi::parse_envelope::<Option<serde_json::Value>>(
            v5_openapi::Origin::Api,
            status,
            &headers,
            body,
            &[40101],
        )
        .err(),
        3 => Some(snap_b2b::error_from_response("api", status, &headers, body)),
        _ => Some(holidu::error_from_response(status, &headers, body)),
    };
    if !status.is_success() {
        let e = err.expect("a failed status gave data");
        if hint.is_some() {
            assert_eq!(e.retry_after(), hint, "{e}");
        }
        assert!(!e.to_string().chars().any(char::is_control), "{e}");
    }
});
