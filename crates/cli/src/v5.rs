//! `tollgate v5 …`: built on `tollgate-v5-openapi`.

use auth_core::ExposeSecret;
use auth_core::credentials::EnvVar;
use tollgate_v5_openapi::mock::V5Fake;
use tollgate_v5_openapi::{ENV_APP_ID, ENV_APP_SECRET, V5Auth, V5Credentials};

use crate::common::{Bearer, CliError, FieldMap, env_help as env_help_for, env_opt, env_req};

/// This command's own settings.
const OWN: &[EnvVar] = &[
    EnvVar {
        name: "V5_BASE_URL",
        help: "the API base URL (token from V5_BASE_URL/api/v5/authentication/token); a URL \
               argument starting with '/' is taken relative to it",
    },
    EnvVar {
        name: "V5_REJECTION_CODES",
        help: "optional comma-separated body codes that mean \"token rejected\" in an HTTP 200 \
               answer (the token is dropped and the request retried once)",
    },
];

/// The `--help` text: the library's variables and this command's settings.
pub(crate) fn env_help() -> String {
    env_help_for("V5 OpenAPI", tollgate_v5_openapi::ENV_VARS, OWN, &[])
}

/// Reads the variables the library reads and this command's settings (see [`env_help`]);
/// `cache` is the token cache shared between runs, when given.
pub(crate) fn from_env(
    cache: Option<auth_core::CacheConfig>,
) -> Result<Bearer<tollgate_v5_openapi::V5TokenSource>, CliError> {
    let fields = FieldMap::new(&[
        ("app_id", ENV_APP_ID),
        ("app_secret", ENV_APP_SECRET),
        ("base_url", "V5_BASE_URL"),
        ("rejection_codes", "V5_REJECTION_CODES"),
    ]);
    let base_url = env_req("V5_BASE_URL")?;
    let creds = V5Credentials::from_env().map_err(|e| fields.error(&e))?;
    let mut builder = V5Auth::builder()
        .base_url(base_url.clone())
        .credentials(creds);
    if let Some(codes) = env_opt("V5_REJECTION_CODES")? {
        builder = builder.rejection_codes(rejection_codes(&codes)?);
    }
    if let Some(cache) = cache {
        builder = builder.cache_config(cache);
    }
    let auth = builder.build().map_err(|e| fields.error(&e))?;
    Ok(Bearer {
        auth,
        base_url: Some(base_url),
        fields,
    })
}

/// `V5_REJECTION_CODES`: integers separated by commas (blanks around them ignored).
fn rejection_codes(list: &str) -> Result<Vec<i64>, CliError> {
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                CliError::config(format!(
                    "invalid configuration: V5_REJECTION_CODES: {c:?} is not an integer code"
                ))
            })
        })
        .collect()
}

/// Starts the fake and returns the lines `tollgate mock v5` prints.
pub(crate) async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
) -> (V5Fake, Vec<String>) {
    let fake = V5Fake::start_on(listener, clock).await;
    let lines = vec![
        fake.uri(),
        "# V5 OpenAPI fake (token endpoint + any /api/v5/ route)".into(),
        crate::mock::export("V5_BASE_URL", &fake.uri()),
        crate::mock::export("V5_APP_ID", fake.app_id()),
        crate::mock::export("V5_APP_SECRET", fake.app_secret().expose_secret()),
        "# try: tollgate v5 send /api/v5/authentication/verify".into(),
    ];
    (fake, lines)
}
