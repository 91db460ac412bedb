//! SNAP body minification. Properties: when the input is JSON, minifying succeeds and the
//! output parses to the same value; minifying is idempotent; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snap_b2b::minify_json;

fuzz_target!(|data: &[u8]| {
    let parsed = serde_json::from_slice::<serde_json::Value>(data);
    match minify_json(data) {
        Ok(out) => {
            if let Ok(v) = &parsed {
                let again: serde_json::Value =
                    serde_json::from_slice(&out).expect("minified JSON parses");
                assert_eq!(&again, v, "minifying changed the value");
            }
            let twice = minify_json(&out).expect("minified output minifies");
            assert_eq!(twice, out, "minify is not idempotent");
        }
        Err(_) => assert!(parsed.is_err(), "valid JSON was refused"),
    }
});
