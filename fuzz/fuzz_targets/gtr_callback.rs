//! GTR callbacks: any body through `callback::handle` (even selector byte) and any bytes as a
//! certificates-only `.p12` truststore (odd selector byte, password "tollgate-test-password").
//! Must never panic; a body is answered HTTP 200 exactly when it parses, and a network check
//! always gets the success answer.
#![no_main]

use gtr::callback::{self, CallbackAnswer, CallbackEnvelope, CallbackTlsConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        let parsed = CallbackEnvelope::parse(rest);
        let reply = callback::handle(rest, |_| CallbackAnswer::failure(1, "app"));
        assert_eq!(parsed.is_ok(), reply.status == 200);
        if parsed.is_ok_and(|e| e.is_network_check()) {
            assert_eq!(reply.answer, CallbackAnswer::success());
        }
    } else {
        let _ = CallbackTlsConfig::new().trust_pkcs12(rest, "tollgate-test-password");
    }
});
