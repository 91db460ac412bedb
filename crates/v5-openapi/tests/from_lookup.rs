//! `from_lookup` reads the same names as `from_env`, through any source.

use std::collections::HashMap;

use tollgate_v5_openapi::{
    ENV_APP_ID, ENV_APP_SECRET, ENV_USER_API_SECRET, ENV_USER_ID, V5Credentials,
};

fn lookup<'a>(
    map: &'a HashMap<&'static str, &'static str>,
) -> impl Fn(&'static str) -> Result<Option<String>, tollgate_v5_openapi::AuthError> + 'a {
    move |name| Ok(map.get(name).map(|v| v.to_string()))
}

#[test]
fn credentials_come_from_the_lookup_under_either_name() {
    let map = HashMap::from([(ENV_APP_ID, "app-1"), (ENV_APP_SECRET, "secret-abc-123")]);
    let creds = V5Credentials::from_lookup(lookup(&map)).expect("complete");
    assert_eq!(creds.app_id(), "app-1");
    let map = HashMap::from([
        (ENV_USER_ID, "user-1"),
        (ENV_USER_API_SECRET, "secret-abc-123"),
    ]);
    let creds = V5Credentials::from_lookup(lookup(&map)).expect("complete");
    assert_eq!(creds.app_id(), "user-1");
    assert!(!format!("{creds:?}").contains("secret-abc-123"));
}

#[test]
fn a_missing_name_is_named() {
    let map = HashMap::from([(ENV_APP_ID, "app-1")]);
    let err = V5Credentials::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some("app_secret"));
    assert!(err.message().contains(ENV_APP_SECRET));
    let err = V5Credentials::from_lookup(lookup(&HashMap::new())).expect_err("refused");
    assert_eq!(err.field(), Some("app_id"));
}
