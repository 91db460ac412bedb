//! Token-endpoint responses of every provider, under any status and any headers
//! (`Retry-After` included): DragonPass envelopes, SNAP access-token responses, V5
//! envelopes, GTR login responses. Must never panic; a failed status never gives a token;
//! a numeric `Retry-After` on a failed status is carried by the error.
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
    let Some((&[which, status], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = StatusCode::from_u16(200 + u16::from(status) * 2 % 400).unwrap_or(StatusCode::OK);
    let (headers, body) = split(rest);
    let hint = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .map(|v| Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX).min(3600)));
    let err = match which % 4 {
        0 => dragonpass::parse_response::<serde_json::Value>(
            dragonpass::Origin::TokenEndpoint,
            status,
            &headers,
            body,
        )
        .and_then(|d| dragonpass::extract_token(&d))
        .err(),
        1 => {
            if status.is_success() {
                serde_json::from_slice::<snap_b2b::AccessTokenResponse>(body)
                    .map_err(|_| {
                        auth_core::AuthError::new(auth_core::ErrorKind::InvalidResponse, "json")
                    })
                    .and_then(|r| r.into_token())
                    .err()
            } else {
                Some(snap_b2b::error_from_response(
                    "token", status, &headers, body,
                ))
            }
        }
        2 => v5_openapi::parse_envelope::<v5_openapi::TokenData>(
            v5_openapi::Origin::TokenEndpoint,
            status,
            &headers,
            body,
            &[],
        )
        .err(),
        _ => gtr::parse_login_response(status, Some(&headers), body).err(),
    };
    if !status.is_success() {
        let e = err.expect("a failed status gave a token");
        if hint.is_some() {
            assert_eq!(e.retry_after(), hint, "{e}");
        }
    }
});
