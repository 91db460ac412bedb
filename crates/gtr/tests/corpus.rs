//! The bad-input corpus (`tests/corpus/`, see its `manifest.json`): every GTR entry
//! (`api_key.csv`, login responses, PKCS#12 files) fails with the expected kind and field.

#[path = "../../../tests/corpus/harness.rs"]
mod harness;

use harness::{Got, run};
use tollgate_gtr::ClientIdentity;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::parse_login_response;

#[test]
fn corpus() {
    let n = run("gtr", |case| match case.loader.as_str() {
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
