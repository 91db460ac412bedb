//! `tollgate snap …`: built on `tollgate-snap-b2b`.

use auth_core::ExposeSecret;
use auth_core::credentials::EnvVar;
use tollgate_snap_b2b::mock::SnapFake;
use tollgate_snap_b2b::{
    ENV_CHANNEL_ID, ENV_CLIENT_KEY, ENV_CLIENT_SECRET, ENV_ORIGIN, ENV_PARTNER_ID, ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_FILE, PROFILE_SETTINGS, Profile, SnapAuth, SnapCredentials,
};

use crate::common::{CliError, FieldMap, env_help as env_help_for, env_opt, env_req};

/// This command's own settings besides the profile's.
const OWN: &[EnvVar] = &[
    EnvVar {
        name: "SNAP_BASE_URL",
        help: "the provider's SNAP base URL including its prefix (https://host/snap); a URL \
               argument starting with '/' is taken relative to it",
    },
    EnvVar {
        name: "SNAP_PROFILE",
        help: "the provider preset the settings below start from (default aspi): aspi, \
               midtrans, doku, dana, bni",
    },
];

/// The `--help` text: the library's variables, this command's settings, and every
/// profile setting with the values it takes.
pub(crate) fn env_help() -> String {
    let mut help = env_help_for("SNAP B2B", tollgate_snap_b2b::ENV_VARS, OWN, &[]);
    help.push_str("\nProfile settings (each overrides the preset's):\n");
    let width = PROFILE_SETTINGS
        .iter()
        .map(|s| s.env.len())
        .max()
        .unwrap_or(0);
    for s in PROFILE_SETTINGS {
        help.push_str(&format!("  {:<width$}  {}\n", s.env, s.values));
    }
    help.push_str(
        "With SNAP_SIGNING=asymmetric every request is signed with the private key and no \
         token is fetched: `token` then exits 2.",
    );
    help
}

/// The configured SNAP signer and how its errors are named.
pub(crate) struct Provider {
    /// The SDK signer.
    pub auth: SnapAuth,
    /// The base URL, if set (for relative request URLs).
    pub base_url: Option<String>,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the variables the library reads, the preset and its settings (see [`env_help`])
/// and builds the signer (its token requests on auth-core's token client) and `cache` (the
/// token cache shared between runs) when given.
pub(crate) fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let key_var = if env_opt(ENV_PRIVATE_KEY)?.is_some() {
        ENV_PRIVATE_KEY
    } else {
        ENV_PRIVATE_KEY_FILE
    };
    let mut pairs = vec![
        ("client_key", ENV_CLIENT_KEY),
        ("client_secret", ENV_CLIENT_SECRET),
        ("private_key", key_var),
        ("partner_id", ENV_PARTNER_ID),
        ("channel_id", ENV_CHANNEL_ID),
        ("origin", ENV_ORIGIN),
        ("base_url", "SNAP_BASE_URL"),
        ("profile", "SNAP_PROFILE"),
    ];
    pairs.extend(PROFILE_SETTINGS.iter().map(|s| (s.name, s.env)));
    let fields = FieldMap::new(&pairs);
    let mut profile = match env_opt("SNAP_PROFILE")? {
        None => Profile::aspi(),
        Some(name) => Profile::by_name(name.trim()).ok_or_else(|| {
            let names: Vec<_> = Profile::presets().iter().map(|p| p.name).collect();
            CliError::config(format!(
                "invalid configuration: SNAP_PROFILE: must be one of {}",
                names.join(", ")
            ))
        })?,
    };
    for s in PROFILE_SETTINGS {
        if let Some(value) = env_opt(s.env)? {
            profile.set(s.name, &value).map_err(|e| fields.error(&e))?;
        }
    }
    let uses_token = profile.signing.uses_token();
    let creds = SnapCredentials::from_env().map_err(|e| fields.error(&e))?;
    let mut builder = SnapAuth::builder().credentials(creds).profile(profile);
    let base_url = if uses_token {
        Some(env_req("SNAP_BASE_URL")?)
    } else {
        env_opt("SNAP_BASE_URL")?
    };
    if let Some(base) = &base_url {
        builder = builder.base_url(base.clone());
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
pub(crate) async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
    key_dir: &std::path::Path,
    preset: &str,
) -> Result<(SnapFake, Vec<String>), CliError> {
    use tollgate_snap_b2b::mock::{CHANNEL_ID, CLIENT_KEY};
    let profile = Profile::by_name(preset).ok_or_else(|| {
        let names: Vec<_> = Profile::presets().iter().map(|p| p.name).collect();
        CliError::config(format!("--profile: must be one of {}", names.join(", ")))
    })?;
    let fake = SnapFake::start_on(listener, clock, profile).await;
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
        crate::mock::export("SNAP_PROFILE", preset),
        format!(
            "# try: tollgate snap send --data-file body.json {}",
            tollgate_snap_b2b::mock::API_PATH.trim_start_matches(tollgate_snap_b2b::mock::PREFIX)
        ),
    ];
    Ok((fake, lines))
}
