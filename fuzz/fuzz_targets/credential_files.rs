//! Credential files and values: V5 credential JSON, Holidu `account_info.json`, GTR
//! `api_key.csv`, DragonPass program ids. Must never panic; errors must not echo the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let err = match which % 4 {
        0 => v5_openapi::V5Credentials::from_json_str(&text).err(),
        1 => holidu::HoliduCredentials::from_account_info_json(&text).err(),
        2 => gtr::GtrCredentials::from_api_key_csv_str(&text).err(),
        _ => dragonpass::ProgramId::new(text.to_string()).err(),
    };
    if let Some(e) = err {
        // Credential errors name the field, never the value. Judged on long inputs with a
        // character no message is made of (non-ASCII or control): a short or plain-ASCII
        // input can spell part of a message by itself.
        if text.len() >= 24 && text.chars().any(|c| !c.is_ascii() || c.is_ascii_control()) {
            assert!(!format!("{e} {e:?}").contains(text.as_ref()));
        }
    }
});
