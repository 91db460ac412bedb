//! GTR client identities from PKCS#12 (and PEM cert + key). Must never panic.
#![no_main]

use gtr::ClientIdentity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        drop(ClientIdentity::from_pkcs12(rest, "changeit"));
    } else {
        let text = String::from_utf8_lossy(rest);
        let (cert, key) = text.split_once("\n\n").unwrap_or((&text, ""));
        drop(ClientIdentity::from_pem(cert, key));
    }
});
