//! The bad-input corpus (this crate's `tests/corpus/`, see its `manifest.json`): every GTR entry
//! (`api_key.csv`, login responses, PKCS#12 files) fails with the expected kind and field.

use testkit::corpus::{Got, run};
use tollgate_gtr::ClientIdentity;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::parse_login_response;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn corpus() {
    let n = run(CORPUS, "gtr", |case| match case.loader.as_str() {
        "api_key_csv" => Got::auth(GtrCredentials::from_api_key_csv_str(&case.text())),
        "login_response" => Got::auth(parse_login_response(
            http::StatusCode::OK,
            None,
            &case.bytes,
        )),
        "pkcs12" => Got::auth(ClientIdentity::from_pkcs12(&case.bytes, "changeit")),
        other => panic!("unknown loader {other}"),
    });
    assert!(n >= 10, "{n}");
}
