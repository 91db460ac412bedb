//! The bad-input corpus (this crate's `tests/corpus/`, see its `manifest.json`): every V5 entry
//! (credential documents, token responses) fails with the expected kind and field.

use http::{HeaderMap, StatusCode};
use testkit::corpus::{Got, run};
use tollgate_v5_openapi::TokenData;
use tollgate_v5_openapi::V5Credentials;
use tollgate_v5_openapi::{Origin, parse_envelope};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");

#[test]
fn corpus() {
    let n = run(CORPUS, "v5-openapi", |case| match case.loader.as_str() {
        "credentials_json" => Got::auth(V5Credentials::from_json_str(&case.text())),
        "token_response" => Got::auth(parse_envelope::<TokenData>(
            Origin::TokenEndpoint,
            StatusCode::OK,
            &HeaderMap::new(),
            &case.bytes,
            &[],
        )),
        other => panic!("unknown loader {other}"),
    });
    assert!(n >= 10, "{n}");
}
