//! Stored fleet values (`StoredToken::decode`): whatever a Redis or file store hands back.
//! Must never panic; a decoded value re-encodes to a value that decodes to the same token.
#![no_main]

use std::time::Duration;

use auth_core::ExposeSecret;
use auth_core::store::StoredToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ms, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let remaining = (ms % 2 == 0).then(|| Duration::from_millis(u64::from(ms) * 1000));
    if let Some(t) = StoredToken::decode(&text, remaining) {
        assert!(
            !t.value.expose_secret().is_empty(),
            "decoded an empty token"
        );
        assert_eq!(t.remaining, remaining);
        let back = StoredToken::decode(&t.encode(), t.remaining).expect("own encoding decodes");
        assert_eq!(back.value.expose_secret(), t.value.expose_secret());
        assert_eq!(back.lifetime, t.lifetime);
    }
});
