//! Token-endpoint responses of every provider, under any status and any headers
//! (`Retry-After` included): DragonPass envelopes, SNAP access-token responses, V5
//! envelopes, GTR login responses. Must never panic; a failed status never gives a token;
//! a numeric `Retry-After` on a failed status is carried by the error.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared/mod.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&[which, status], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = shared::status(status);
    let (headers, body) = shared::split(rest);
    let hint = shared::retry_after_hint(&headers);
    let err = match which % 4 {
        0 => dragonpass::parse_envelope::<serde_json::Value>(
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
