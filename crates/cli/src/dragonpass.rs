//! `tollgate dragonpass …`: built on `tollgate-dragonpass`.

use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::mock::DragonPassFake;
use tollgate_dragonpass::{
    DragonPassCredentials, ENV_CLIENT_ID, ENV_ISSUER, ENV_KEY_ID, ENV_PRIVATE_KEY_FILE,
    ENV_PROGRAM_ID, ENV_SECRET, ENV_TOKEN_URL, ProgramId,
};

use crate::common::{Bearer, CliError, Env, env_help as env_help_for};

/// Names earlier versions of this command read, still read in place of the library's.
const ALIASES: &[(&str, &str)] = &[
    (ENV_SECRET, "DRAGONPASS_CLIENT_SECRET"),
    (ENV_SECRET, "DRAGONPASS_SECRET_KEY"),
];

/// The `--help` text: the library's variables and the old names.
pub(crate) fn env_help() -> String {
    env_help_for("DragonPass", tollgate_dragonpass::ENV_VARS, &[], ALIASES)
}

/// Reads the variables the library reads (see [`env_help`]) and builds the signer (its token
/// requests on auth-core's token client) and `cache` (the token cache shared between runs)
/// when given.
pub(crate) fn from_env(
    cache: Option<auth_core::CacheConfig>,
) -> Result<Bearer<tollgate_dragonpass::DragonPassTokenSource>, CliError> {
    let env = Env::new(ALIASES);
    let lookup = |name| env.lookup(name);
    let read = (|| {
        let creds = DragonPassCredentials::from_lookup(lookup)?;
        let program = ProgramId::from_lookup(lookup)?;
        Ok::<_, auth_core::AuthError>((creds, program))
    })();
    let fields = env.fields(&[
        ("client_id", ENV_CLIENT_ID),
        ("secret", ENV_SECRET),
        ("token_url", ENV_TOKEN_URL),
        ("issuer", ENV_ISSUER),
        ("private_key", ENV_PRIVATE_KEY_FILE),
        ("key_id", ENV_KEY_ID),
        ("program_id", ENV_PROGRAM_ID),
        (ENV_SECRET, ENV_SECRET),
    ]);
    let (creds, program) = read.map_err(|e| fields.error(&e))?;
    // The CLI signs exactly the URL it is given: no origin list to keep.
    let mut builder = DragonPassAuth::builder()
        .credentials(creds)
        .allow_any_origin();
    if let Some(id) = program {
        builder = builder.program_id(id.as_str());
    }
    if let Some(cache) = cache {
        builder = builder.cache_config(cache);
    }
    let auth = builder.build().map_err(|e| fields.error(&e))?;
    Ok(Bearer {
        auth,
        base_url: None,
        fields,
    })
}

/// Starts the fake (token-API mode; it also accepts self-signed HS256 tokens) and returns
/// the lines `tollgate mock dragonpass` prints.
pub(crate) async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
) -> (DragonPassFake, Vec<String>) {
    use tollgate_dragonpass::mock::{
        FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, FAKE_ISSUER, FAKE_PROGRAM_ID, FAKE_SECRET,
    };
    let fake = DragonPassFake::start_on(listener, clock).await;
    let lines = vec![
        fake.uri(),
        "# DragonPass fake: token API at DRAGONPASS_TOKEN_URL, protected route below".into(),
        crate::mock::export("DRAGONPASS_CLIENT_ID", FAKE_CLIENT_ID),
        crate::mock::export("DRAGONPASS_SECRET", FAKE_CLIENT_SECRET),
        crate::mock::export("DRAGONPASS_TOKEN_URL", &fake.token_url()),
        crate::mock::export("DRAGONPASS_PROGRAM_ID", FAKE_PROGRAM_ID),
        "# or self-signed HS256 instead (unset DRAGONPASS_CLIENT_ID):".into(),
        format!("#   export DRAGONPASS_ISSUER='{FAKE_ISSUER}' DRAGONPASS_SECRET='{FAKE_SECRET}'"),
        format!("# try: tollgate dragonpass send {}", fake.api_url()),
    ];
    (fake, lines)
}
