//! `from_lookup` reads the same names as `from_env`, through any source.

use std::collections::HashMap;

use tollgate_dragonpass::{
    DragonPassCredentials, ENV_CLIENT_ID, ENV_ISSUER, ENV_PROGRAM_ID, ENV_SECRET, ENV_TOKEN_URL,
    ProgramId,
};

fn lookup<'a>(
    map: &'a HashMap<&'static str, &'static str>,
) -> impl Fn(&'static str) -> Result<Option<String>, tollgate_dragonpass::AuthError> + 'a {
    move |name| Ok(map.get(name).map(|v| v.to_string()))
}

#[test]
fn token_api_credentials_come_from_the_lookup() {
    let map = HashMap::from([
        (ENV_CLIENT_ID, "client-1"),
        (ENV_SECRET, "s3cret-value-1234"),
        (ENV_TOKEN_URL, "https://api.example/auth/token"),
    ]);
    let creds = DragonPassCredentials::from_lookup(lookup(&map)).expect("complete");
    assert!(matches!(creds, DragonPassCredentials::TokenApi(_)));
    assert!(!format!("{creds:?}").contains("s3cret-value-1234"));
}

#[test]
fn self_signed_credentials_come_from_the_lookup() {
    let map = HashMap::from([(ENV_ISSUER, "issuer-1"), (ENV_SECRET, "s3cret-value-1234")]);
    let creds = DragonPassCredentials::from_lookup(lookup(&map)).expect("complete");
    assert!(matches!(creds, DragonPassCredentials::SelfSigned(_)));
}

#[test]
fn a_missing_name_is_named_and_empty_counts_as_unset() {
    let map = HashMap::from([(ENV_CLIENT_ID, "client-1"), (ENV_SECRET, "  ")]);
    let err = DragonPassCredentials::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_SECRET));
    let none = HashMap::new();
    let err = DragonPassCredentials::from_lookup(lookup(&none)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_ISSUER));
}

#[test]
fn program_id_is_optional() {
    assert!(
        ProgramId::from_lookup(lookup(&HashMap::new()))
            .expect("read")
            .is_none()
    );
    let map = HashMap::from([(ENV_PROGRAM_ID, "1234")]);
    assert!(
        ProgramId::from_lookup(lookup(&map))
            .expect("read")
            .is_some()
    );
    let map = HashMap::from([(ENV_PROGRAM_ID, "P-1")]);
    let err = ProgramId::from_lookup(lookup(&map)).expect_err("refused");
    assert_eq!(err.field(), Some(ENV_PROGRAM_ID));
}
