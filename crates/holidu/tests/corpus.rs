//! The bad-input corpus (this crate's `tests/corpus/`, see its `manifest.json`): every malformed
//! `account_info.json` is refused as invalid credentials, nothing panics.

use testkit::corpus::{Got, run};
use tollgate_holidu::HoliduCredentials;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn corpus() {
    let n = run(CORPUS, "holidu", |case| match case.loader.as_str() {
        "account_info_json" => Got::auth(HoliduCredentials::from_account_info_json(&case.text())),
        other => panic!("unknown loader {other}"),
    });
    assert!(n >= 10, "{n}");
}
