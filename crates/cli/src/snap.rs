//! `tollgate snap …`: built on `tollgate-snap-b2b`.

use auth_core::ExposeSecret;
use tollgate_snap_b2b::mock::SnapFake;
use tollgate_snap_b2b::{SnapAuth, SnapCredentials, TransactionSigning};

use crate::common::{CliError, FieldMap, env_opt, env_req};

/// The environment variables, shown in `--help`.
pub const ENV_HELP: &str = "\
Environment (SNAP B2B):
  SNAP_BASE_URL          the provider's SNAP base URL including its prefix (https://host/snap);
                         a URL argument starting with '/' is taken relative to it
  SNAP_CLIENT_KEY        the client key (X-CLIENT-KEY)
  SNAP_PRIVATE_KEY_FILE  path of the client's RSA private key PEM (signs the token request)
  SNAP_PRIVATE_KEY       alternatively the PEM itself (literal \\n escapes allowed)
  SNAP_CLIENT_SECRET     the client secret (HMAC-SHA512 key of transaction signatures)
  SNAP_PARTNER_ID        X-PARTNER-ID (default: the client key)
  SNAP_CHANNEL_ID        CHANNEL-ID
  SNAP_ORIGIN            optional ORIGIN header
  SNAP_TOKEN_PATH        token path under SNAP_BASE_URL (default /v1.0/access-token/b2b)
  SNAP_SIGNING           'symmetric' (default: B2B token + HMAC-SHA512) or 'asymmetric'
                         (SHA256withRSA per request, no token: `token` then exits 2)";

/// The configured SNAP signer and how its errors are named.
pub struct Provider {
    /// The SDK signer.
    pub auth: SnapAuth,
    /// The base URL, if set (for relative request URLs).
    pub base_url: Option<String>,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the environment (see [`ENV_HELP`]) and builds the signer (its token requests on auth-core's
/// token client) and `cache` (the token cache shared between runs) when given.
pub fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let key_var = if env_opt("SNAP_PRIVATE_KEY")?.is_some() {
        "SNAP_PRIVATE_KEY"
    } else {
        "SNAP_PRIVATE_KEY_FILE"
    };
    let fields = FieldMap::new(&[
        ("client_key", "SNAP_CLIENT_KEY"),
        ("client_secret", "SNAP_CLIENT_SECRET"),
        ("private_key", key_var),
        ("partner_id", "SNAP_PARTNER_ID"),
        ("channel_id", "SNAP_CHANNEL_ID"),
        ("origin", "SNAP_ORIGIN"),
        ("base_url", "SNAP_BASE_URL"),
        ("token_path", "SNAP_TOKEN_PATH"),
    ]);
    let signing = match env_opt("SNAP_SIGNING")?.as_deref().map(str::trim) {
        None | Some("symmetric") => TransactionSigning::Symmetric,
        Some("asymmetric") => TransactionSigning::Asymmetric,
        Some(_) => {
            return Err(CliError::config(
                "invalid credentials: SNAP_SIGNING: must be 'symmetric' or 'asymmetric'",
            ));
        }
    };
    let creds = SnapCredentials::from_env().map_err(|e| fields.error(&e))?;
    let mut builder = SnapAuth::builder()
        .credentials(creds)
        .transaction_signing(signing);
    let base_url = if signing == TransactionSigning::Symmetric {
        Some(env_req("SNAP_BASE_URL")?)
    } else {
        env_opt("SNAP_BASE_URL")?
    };
    if let Some(base) = &base_url {
        builder = builder.base_url(base.clone());
    }
    if let Some(path) = env_opt("SNAP_TOKEN_PATH")? {
        builder = builder.token_path(path);
    }
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
    type Signer = SnapAuth;

    fn signer(&self) -> &SnapAuth {
        &self.auth
    }

    fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    fn fields(&self) -> &FieldMap {
        &self.fields
    }

    /// The B2B access token (symmetric mode). Asymmetric signing has no token: that is a
    /// configuration error for this command (exit 2) with a hint.
    async fn token(&self) -> Result<String, CliError> {
        let Some(cache) = self.auth.token_cache() else {
            return Err(CliError::config(
                "SNAP_SIGNING=asymmetric uses no access token (every request is signed with \
                 the private key); use `tollgate snap headers URL` instead",
            ));
        };
        let token = cache.token().await.map_err(|e| self.fields.error(&e))?;
        Ok(token.secret().expose_secret().to_string())
    }
}

/// Starts the fake, writes its test-only client key to `key_dir`, and returns the lines
/// `tollgate mock snap` prints.
pub async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
    key_dir: &std::path::Path,
) -> Result<(SnapFake, Vec<String>), CliError> {
    use tollgate_snap_b2b::mock::{CHANNEL_ID, CLIENT_KEY};
    let fake = SnapFake::start_on(listener, clock).await;
    let key_file = key_dir.join("snap_client_private.pem");
    std::fs::write(&key_file, fake.client_private_key_pem())
        .map_err(|e| CliError::config(format!("writing {}: {}", key_file.display(), e.kind())))?;
    let lines = vec![
        fake.uri(),
        "# SNAP B2B fake (test-only keys: never use them elsewhere)".into(),
        crate::mock::export("SNAP_BASE_URL", &fake.base_url()),
        crate::mock::export("SNAP_CLIENT_KEY", CLIENT_KEY),
        crate::mock::export("SNAP_PRIVATE_KEY_FILE", &key_file.display().to_string()),
        crate::mock::export("SNAP_CLIENT_SECRET", fake.client_secret()),
        crate::mock::export("SNAP_CHANNEL_ID", CHANNEL_ID),
        format!(
            "# try: tollgate snap send --data-file body.json {}",
            tollgate_snap_b2b::mock::API_PATH.trim_start_matches(tollgate_snap_b2b::mock::PREFIX)
        ),
    ];
    Ok((fake, lines))
}
