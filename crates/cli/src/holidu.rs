//! `tollgate holidu …`: built on `tollgate-holidu`.

use auth_core::credentials::EnvVar;
use tollgate_holidu::mock::{HoliduFake, ISSUER, KEY_ID, PRIVATE_KEY_PEM, PUBLIC_KEY_PEM};
use tollgate_holidu::{
    ENV_ACCOUNT_INFO, ENV_ACCOUNT_INFO_FILE, ENV_ISSUER, ENV_KEY_ID, ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY, HoliduAuth, HoliduCredentials,
};

use crate::common::{Bearer, CliError, FieldMap, env_help as env_help_for, env_opt};

/// The default API base URL.
pub(crate) use tollgate_holidu::DEFAULT_BASE_URL;

/// This command's own settings.
const OWN: &[EnvVar] = &[EnvVar {
    name: "HOLIDU_BASE_URL",
    help: "optional API base URL (default https://chapi.bookiply.com, and the old \
           chapi.bookiplyholidu.com is signed too); a URL argument starting with '/' is \
           taken relative to it",
}];

/// The `--help` text: the library's variables and this command's settings.
pub(crate) fn env_help() -> String {
    env_help_for("Holidu", tollgate_holidu::ENV_VARS, OWN, &[])
}

/// Reads the variables the library reads and this command's settings (see [`env_help`]);
/// `cache` is the token cache shared between runs, when given.
pub(crate) fn from_env(
    cache: Option<auth_core::CacheConfig>,
) -> Result<Bearer<tollgate_holidu::JwtSource>, CliError> {
    // Which variable a field came from depends on how the credentials were given.
    let fields = if env_opt(ENV_ACCOUNT_INFO)?.is_some() {
        FieldMap::new(&[
            ("account_info.json", "HOLIDU_ACCOUNT_INFO"),
            ("keyId", "HOLIDU_ACCOUNT_INFO (keyId)"),
            ("key_id", "HOLIDU_ACCOUNT_INFO (keyId)"),
            ("issuer", "HOLIDU_ACCOUNT_INFO (issuer)"),
            ("privateKey", "HOLIDU_ACCOUNT_INFO (privateKey)"),
            ("private_key", "HOLIDU_ACCOUNT_INFO (privateKey)"),
            ("publicKey", "HOLIDU_ACCOUNT_INFO (publicKey)"),
            ("public_key", "HOLIDU_ACCOUNT_INFO (publicKey)"),
        ])
    } else if env_opt(ENV_ACCOUNT_INFO_FILE)?.is_some() {
        FieldMap::new(&[
            ("account_info.json", "HOLIDU_ACCOUNT_INFO_FILE"),
            ("keyId", "HOLIDU_ACCOUNT_INFO_FILE (keyId)"),
            ("key_id", "HOLIDU_ACCOUNT_INFO_FILE (keyId)"),
            ("issuer", "HOLIDU_ACCOUNT_INFO_FILE (issuer)"),
            ("privateKey", "HOLIDU_ACCOUNT_INFO_FILE (privateKey)"),
            ("private_key", "HOLIDU_ACCOUNT_INFO_FILE (privateKey)"),
            ("publicKey", "HOLIDU_ACCOUNT_INFO_FILE (publicKey)"),
            ("public_key", "HOLIDU_ACCOUNT_INFO_FILE (publicKey)"),
        ])
    } else {
        FieldMap::new(&[
            ("keyId", ENV_KEY_ID),
            ("key_id", ENV_KEY_ID),
            ("issuer", ENV_ISSUER),
            ("privateKey", ENV_PRIVATE_KEY),
            ("private_key", ENV_PRIVATE_KEY),
            ("publicKey", ENV_PUBLIC_KEY),
            ("public_key", ENV_PUBLIC_KEY),
        ])
    };
    let creds = HoliduCredentials::from_env().map_err(|e| fields.error(&e))?;
    let explicit = env_opt("HOLIDU_BASE_URL")?;
    let mut builder = HoliduAuth::builder().credentials(creds);
    // Unset, the library's default scope applies: the current host and the old one.
    if let Some(url) = &explicit {
        builder = builder.base_url(url.clone());
    }
    let base_url = explicit.unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
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

/// Starts the fake, writes its (public example) `account_info.json` to `dir`, and returns
/// the lines `tollgate mock holidu` prints.
pub(crate) async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
    dir: &std::path::Path,
) -> Result<(HoliduFake, Vec<String>), CliError> {
    let fake = HoliduFake::start_on(listener, clock).await;
    let file = dir.join("account_info.json");
    let doc = serde_json::json!({
        "keyId": KEY_ID,
        "issuer": ISSUER,
        "privateKey": PRIVATE_KEY_PEM,
        "publicKey": PUBLIC_KEY_PEM,
    });
    std::fs::write(&file, doc.to_string())
        .map_err(|e| CliError::config(format!("writing {}: {}", file.display(), e.kind())))?;
    let lines = vec![
        fake.uri(),
        "# Holidu fake (every route is protected; example key from Holidu's docs)".into(),
        crate::mock::export("HOLIDU_ACCOUNT_INFO", &file.display().to_string()),
        crate::mock::export("HOLIDU_BASE_URL", &fake.uri()),
        "# try: tollgate holidu send /properties".into(),
    ];
    Ok((fake, lines))
}
