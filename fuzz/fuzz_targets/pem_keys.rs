//! PEM key loading: DragonPass RSA signing keys and push keys, SNAP private/public keys,
//! Holidu ES256 keys. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let pem = String::from_utf8_lossy(rest);
    match which % 5 {
        0 => drop(dragonpass::parse_rsa_private_key("private_key", &pem)),
        1 => drop(dragonpass::PushPublicKey::from_pem("k1", &pem)),
        2 => drop(snap_b2b::SnapPrivateKey::from_pem("key", &pem)),
        3 => drop(snap_b2b::SnapPublicKey::from_pem("key", &pem)),
        _ => drop(holidu::HoliduCredentials::new("kid", "issuer", &pem, None)),
    }
});
