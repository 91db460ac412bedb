//! `from_lookup` reads the same names as `from_env`, through any source.

use std::collections::HashMap;

use tollgate_holidu::mock::{ISSUER, KEY_ID, PRIVATE_KEY_PEM};
use tollgate_holidu::{
    ENV_ACCOUNT_INFO, ENV_ISSUER, ENV_KEY_ID, ENV_PRIVATE_KEY, HoliduCredentials,
};

fn lookup<'a>(
    map: &'a HashMap<&'static str, String>,
) -> impl Fn(&'static str) -> Result<Option<String>, tollgate_holidu::AuthError> + 'a {
    move |name| Ok(map.get(name).cloned())
}

#[test]
fn credentials_come_from_the_lookup() {
    let map = HashMap::from([
        (ENV_KEY_ID, KEY_ID.to_string()),
        (ENV_ISSUER, ISSUER.to_string()),
        (ENV_PRIVATE_KEY, PRIVATE_KEY_PEM.replace('\n', "\\n")),
    ]);
    let creds = HoliduCredentials::from_lookup(lookup(&map)).expect("complete");
    assert_eq!(creds.key_id(), KEY_ID);
}

#[test]
fn a_missing_name_is_named_and_bad_json_is_typed() {
    let map = HashMap::from([(ENV_KEY_ID, KEY_ID.to_string())]);
    let err = HoliduCredentials::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_ISSUER));
    let map = HashMap::from([(ENV_ACCOUNT_INFO, "{ not json".to_string())]);
    let err = HoliduCredentials::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.kind(), tollgate_holidu::ErrorKind::InvalidCredentials);
}
