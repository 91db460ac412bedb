//! `tollgate v5 …`: built on `tollgate-v5-openapi`.

use auth_core::ExposeSecret;
use tollgate_v5_openapi::mock::V5Fake;
use tollgate_v5_openapi::{V5Auth, V5Credentials};

use crate::common::{CliError, FieldMap, env_req};

/// The environment variables, shown in `--help`.
pub const ENV_HELP: &str = "\
Environment (V5 OpenAPI):
  V5_BASE_URL     the API base URL (the token is fetched from
                  V5_BASE_URL/api/v5/authentication/token); a URL argument starting
                  with '/' is taken relative to it
  V5_APP_ID       the application id (V5_USER_ID is accepted instead)
  V5_APP_SECRET   the application secret (V5_USER_API_SECRET is accepted instead)";

/// The configured V5 signer and how its errors are named.
pub struct Provider {
    /// The SDK signer.
    pub auth: V5Auth,
    /// The base URL (for relative request URLs).
    pub base_url: String,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the environment (see [`ENV_HELP`]); `cache` is the token cache shared between
/// runs, when given.
pub fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let fields = FieldMap::new(&[
        ("app_id", "V5_APP_ID"),
        ("app_secret", "V5_APP_SECRET"),
        ("base_url", "V5_BASE_URL"),
    ]);
    let base_url = env_req("V5_BASE_URL")?;
    let creds = V5Credentials::from_env().map_err(|e| fields.error(&e))?;
    let mut builder = V5Auth::builder()
        .base_url(base_url.clone())
        .credentials(creds);
    if let Some(cache) = cache {
        builder = builder.cache_config(cache);
    }
    let auth = builder.build().map_err(|e| fields.error(&e))?;
    Ok(Provider {
        auth,
        base_url,
        fields,
    })
}

impl crate::common::CliProvider for Provider {
    type Signer = auth_core::BearerSigner<tollgate_v5_openapi::V5TokenSource>;

    fn signer(&self) -> &Self::Signer {
        self.auth.signer()
    }

    fn base_url(&self) -> Option<&str> {
        Some(&self.base_url)
    }

    fn fields(&self) -> &FieldMap {
        &self.fields
    }

    /// The bearer token the SDK would send.
    async fn token(&self) -> Result<String, CliError> {
        let token = self.auth.token().await.map_err(|e| self.fields.error(&e))?;
        Ok(token.secret().expose_secret().to_string())
    }
}

/// Starts the fake and returns the lines `tollgate mock v5` prints.
pub async fn start_mock(
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
