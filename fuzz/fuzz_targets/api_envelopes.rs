//! API error envelopes and error mapping of every provider, under any status and any
//! headers: GTR `parse_envelope`, DragonPass API responses, V5 API envelopes, SNAP and
//! Holidu error responses. Must never panic; a failed status never gives data; a numeric
//! `Retry-After` on a failed status is carried by the error.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/mod.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&[which, s], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = shared::status(s);
    let (headers, body) = shared::split(rest);
    let hint = shared::retry_after_hint(&headers);
    let err = match which % 5 {
        0 => gtr::parse_envelope::<serde_json::Value>(status, Some(&headers), body).err(),
        1 => dragonpass::parse_envelope::<serde_json::Value>(
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
