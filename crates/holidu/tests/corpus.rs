//! The bad-input corpus (`tests/corpus/`, see its `manifest.json`): every malformed
//! `account_info.json` is refused as invalid credentials, nothing panics.

#[path = "../../../tests/corpus/harness.rs"]
mod harness;

use harness::{Got, run};
use tollgate_holidu::HoliduCredentials;

#[test]
fn corpus() {
    let n = run("holidu", |case| match case.loader.as_str() {
        "account_info_json" => Got::auth(HoliduCredentials::from_account_info_json(&case.text())),
        other => panic!("unknown loader {other}"),
    });
    assert!(n >= 10, "{n}");
}
