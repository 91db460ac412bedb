//! `from_lookup` reads the same names as `from_env`, through any source.

use std::collections::HashMap;

use tollgate_gtr::{
    ENV_ACCESS_KEY, ENV_CA_PEM_PATH, ENV_P12_PASSWORD, ENV_P12_PATH, ENV_SECRET_KEY, ENV_VASP_CODE,
    GtrCredentials, TlsConfig,
};

fn lookup<'a>(
    map: &'a HashMap<&'static str, &'static str>,
) -> impl Fn(&'static str) -> Result<Option<String>, tollgate_gtr::AuthError> + 'a {
    move |name| Ok(map.get(name).map(|v| v.to_string()))
}

#[test]
fn credentials_come_from_the_lookup() {
    let map = HashMap::from([
        (ENV_VASP_CODE, "f93_faj30ae3"),
        (ENV_ACCESS_KEY, "2DF9SDJ3RFA93HFA0F93HAB0S93F"),
        (ENV_SECRET_KEY, "8adba6ef063be837"),
    ]);
    let creds = GtrCredentials::from_lookup(lookup(&map)).expect("complete");
    assert_eq!(creds.access_key(), "2DF9SDJ3RFA93HFA0F93HAB0S93F");
    assert!(!format!("{creds:?}").contains("8adba6ef063be837"));
}

#[test]
fn a_missing_name_is_named() {
    let map = HashMap::from([(ENV_VASP_CODE, "f93_faj30ae3"), (ENV_ACCESS_KEY, "AK")]);
    let err = GtrCredentials::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_SECRET_KEY));
}

#[test]
fn tls_settings_come_from_the_lookup() {
    // A .p12 path without its password: the password's name is reported.
    let map = HashMap::from([(ENV_P12_PATH, "/nonexistent/client.p12")]);
    let err = TlsConfig::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_P12_PASSWORD));
    // A CA path that does not exist is reported under its own name, without the file.
    let map = HashMap::from([(ENV_CA_PEM_PATH, "/nonexistent/ca.pem")]);
    let err = TlsConfig::from_lookup(lookup(&map)).expect_err("refused");
    assert!(err.field().is_some());
}
