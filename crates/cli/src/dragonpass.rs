//! `tollgate dragonpass …`: built on `tollgate-dragonpass`.

use auth_core::ExposeSecret;
use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::mock::DragonPassFake;
use tollgate_dragonpass::{DragonPassCredentials, SelfSignedCredentials, TokenApiCredentials};

use crate::common::{CliError, FieldMap, env_opt, env_req};

/// The environment variables, shown in `--help`.
pub const ENV_HELP: &str = "\
Environment (DragonPass):
  Self-signed HS256 tokens (minted locally, no network):
    DRAGONPASS_ISSUER          the issuer (iss) DragonPass assigned to the account
    DRAGONPASS_SECRET_KEY      the account secret key (HMAC-SHA256 key)
  Self-signed RS256 tokens (instead of DRAGONPASS_SECRET_KEY):
    DRAGONPASS_PRIVATE_KEY_FILE  path of the client's RSA private key PEM
    DRAGONPASS_KEY_ID          optional kid header for RS256 tokens
  Token API (used when DRAGONPASS_CLIENT_ID is set):
    DRAGONPASS_CLIENT_ID       the token API clientId
    DRAGONPASS_CLIENT_SECRET   the token API secret
    DRAGONPASS_TOKEN_URL       the token API URL (https://… or the fake's /auth/token)
  Always:
    DRAGONPASS_PROGRAM_ID      optional; sent as X-Program-ID on every request";

/// The configured DragonPass signer and how its errors are named.
pub struct Provider {
    /// The SDK signer.
    pub auth: DragonPassAuth,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the environment (see [`ENV_HELP`]) and builds the signer (its token requests on auth-core's
/// token client) and `cache` (the token cache shared between runs) when given.
pub fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let (creds, fields): (DragonPassCredentials, FieldMap) =
        if env_opt("DRAGONPASS_CLIENT_ID")?.is_some() {
            let fields = FieldMap::new(&[
                ("client_id", "DRAGONPASS_CLIENT_ID"),
                ("secret", "DRAGONPASS_CLIENT_SECRET"),
                ("token_url", "DRAGONPASS_TOKEN_URL"),
                ("program_id", "DRAGONPASS_PROGRAM_ID"),
            ]);
            let creds = TokenApiCredentials::new(
                env_req("DRAGONPASS_CLIENT_ID")?,
                env_req("DRAGONPASS_CLIENT_SECRET")?,
                &env_req("DRAGONPASS_TOKEN_URL")?,
            )
            .map_err(|e| fields.error(&e))?;
            (creds.into(), fields)
        } else {
            let issuer = env_req("DRAGONPASS_ISSUER")?;
            if let Some(path) = env_opt("DRAGONPASS_PRIVATE_KEY_FILE")? {
                let fields = FieldMap::new(&[
                    ("issuer", "DRAGONPASS_ISSUER"),
                    ("private_key", "DRAGONPASS_PRIVATE_KEY_FILE"),
                    ("key_id", "DRAGONPASS_KEY_ID"),
                    ("program_id", "DRAGONPASS_PROGRAM_ID"),
                ]);
                let mut creds = SelfSignedCredentials::rs256_pem_file(issuer, path)
                    .map_err(|e| fields.error(&e))?;
                if let Some(kid) = env_opt("DRAGONPASS_KEY_ID")? {
                    creds = creds.with_key_id(kid).map_err(|e| fields.error(&e))?;
                }
                (creds.into(), fields)
            } else {
                let fields = FieldMap::new(&[
                    ("issuer", "DRAGONPASS_ISSUER"),
                    ("secret", "DRAGONPASS_SECRET_KEY"),
                    ("program_id", "DRAGONPASS_PROGRAM_ID"),
                ]);
                let creds = SelfSignedCredentials::hs256(issuer, env_req("DRAGONPASS_SECRET_KEY")?)
                    .map_err(|e| fields.error(&e))?;
                (creds.into(), fields)
            }
        };
    // The CLI signs exactly the URL it is given: no origin list to keep.
    let mut builder = DragonPassAuth::builder()
        .credentials(creds)
        .allow_any_origin();
    if let Some(id) = env_opt("DRAGONPASS_PROGRAM_ID")? {
        builder = builder.program_id(id);
    }
    if let Some(cache) = cache {
        builder = builder.cache_config(cache);
    }
    let auth = builder.build().map_err(|e| fields.error(&e))?;
    Ok(Provider { auth, fields })
}

impl crate::common::CliProvider for Provider {
    type Signer = auth_core::BearerSigner<tollgate_dragonpass::DragonPassTokenSource>;

    fn signer(&self) -> &Self::Signer {
        self.auth.signer()
    }

    fn base_url(&self) -> Option<&str> {
        None
    }

    fn fields(&self) -> &FieldMap {
        &self.fields
    }

    /// The bearer token the SDK would send (self-signed or from the token API).
    async fn token(&self) -> Result<String, CliError> {
        let token = self.auth.token().await.map_err(|e| self.fields.error(&e))?;
        Ok(token.secret().expose_secret().to_string())
    }
}

/// Starts the fake (token-API mode; it also accepts self-signed HS256 tokens) and returns
/// the lines `tollgate mock dragonpass` prints.
pub async fn start_mock(
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
        crate::mock::export("DRAGONPASS_CLIENT_SECRET", FAKE_CLIENT_SECRET),
        crate::mock::export("DRAGONPASS_TOKEN_URL", &fake.token_url()),
        crate::mock::export("DRAGONPASS_PROGRAM_ID", FAKE_PROGRAM_ID),
        "# or self-signed HS256 instead (unset DRAGONPASS_CLIENT_ID):".into(),
        format!(
            "#   export DRAGONPASS_ISSUER='{FAKE_ISSUER}' DRAGONPASS_SECRET_KEY='{FAKE_SECRET}'"
        ),
        format!("# try: tollgate dragonpass send {}", fake.api_url()),
    ];
    (fake, lines)
}
