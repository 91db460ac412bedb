//! Token-endpoint responses of every provider, under any status: DragonPass envelopes,
//! SNAP access-token responses, V5 envelopes, GTR login responses. Must never panic.
#![no_main]

use http::{HeaderMap, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[which, status], body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = StatusCode::from_u16(200 + u16::from(status) % 400).unwrap_or(StatusCode::OK);
    let headers = HeaderMap::new();
    match which % 4 {
        0 => {
            let data = dragonpass::parse_response::<serde_json::Value>(
                dragonpass::Origin::TokenEndpoint,
                status,
                &headers,
                body,
            );
            if let Ok(d) = data {
                drop(dragonpass::extract_token(&d));
            }
        }
        1 => {
            if let Ok(r) = serde_json::from_slice::<snap_b2b::AccessTokenResponse>(body) {
                drop(r.lifetime());
                drop(r.into_token());
            }
            drop(snap_b2b::error_from_response(
                "token", status, &headers, body,
            ));
        }
        2 => drop(v5_openapi::parse_envelope::<
            v5_openapi::TokenData,
        >(
            v5_openapi::Origin::TokenEndpoint,
            status,
            &headers,
            body,
            &[],
        )),
        _ => drop(gtr::parse_login_response(
            status,
            Some(&headers),
            body,
        )),
    }
});
