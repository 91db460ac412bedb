//! The token cache shared between `tollgate` runs.
//!
//! Each run is its own process, so without a shared store every `token`, `headers` and
//! `send` would fetch (or mint) a token of its own: SNAP providers rate-limit their token
//! endpoints, and a GTR SSO login logs out every other session of the VASP. By default the
//! CLI therefore gives each provider's token cache auth-core's [`FileStore`] in
//! `<cache dir>/<provider>/`, or [`RedisStore`] when `TOLLGATE_REDIS_URL` is set.
//!
//! The cache key is a SHA-256 digest of the provider's environment variables (every
//! `<PROVIDER>_…` variable, plus the contents of the files they name), so changing any
//! credential, URL or key file selects another entry; the file store hashes it again into
//! the file name. Neither holds a credential in readable form.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use auth_core::CacheConfig;
use auth_core::store::{FileStore, RedisStore, SharedStore, TokenStore};
use sha2::{Digest, Sha256};

use crate::common::{CliError, EXIT_OK};
use crate::mock::MockProvider;

/// The cache directory variable (default: the platform cache directory's `tollgate`).
pub(crate) const CACHE_DIR_VAR: &str = "TOLLGATE_CACHE_DIR";
/// Set to share tokens through this Redis instead of files.
pub(crate) const REDIS_URL_VAR: &str = "TOLLGATE_REDIS_URL";
/// Key prefix in Redis.
pub(crate) const REDIS_PREFIX: &str = "tollgate-cli:";

/// Largest key file read into the cache key digest.
const MAX_KEY_FILE: u64 = 1024 * 1024;

/// The help text about the cache.
pub(crate) const HELP: &str = "\
Token cache: tokens are kept between runs (until shortly before they expire) in
  $TOLLGATE_CACHE_DIR, else $XDG_CACHE_HOME/tollgate (~/.cache/tollgate; the platform's
  cache directory elsewhere), one sub-directory per provider, files readable by you only.
  The files hold bearer tokens: anyone who can read them can call the provider as you.
  --no-cache or TOLLGATE_NO_CACHE=1: no cache (fetch every time). TOLLGATE_REDIS_URL:
  share through Redis instead. `tollgate cache clear [PROVIDER]` removes cached tokens.";

/// The cache directory: `TOLLGATE_CACHE_DIR`, else the platform default.
pub(crate) fn cache_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    FileStore::default_dir().ok_or_else(|| {
        CliError::config(format!(
            "token cache: no cache directory (no home directory); set {CACHE_DIR_VAR} or pass \
             --no-cache"
        ))
    })
}

/// The provider's sub-directory name.
pub(crate) fn provider_dir(provider: MockProvider) -> &'static str {
    match provider {
        MockProvider::Dragonpass => "dragonpass",
        MockProvider::Snap => "snap",
        MockProvider::Gtr => "gtr",
        MockProvider::V5 => "v5",
        MockProvider::Holidu => "holidu",
    }
}

fn env_prefix(provider: MockProvider) -> &'static str {
    match provider {
        MockProvider::Dragonpass => "DRAGONPASS_",
        MockProvider::Snap => "SNAP_",
        MockProvider::Gtr => "GTR_",
        MockProvider::V5 => "V5_",
        MockProvider::Holidu => "HOLIDU_",
    }
}

/// The cache key of the credential configured in the environment for `provider`.
pub(crate) fn key(provider: MockProvider) -> String {
    let prefix = env_prefix(provider);
    let mut vars: Vec<(String, std::ffi::OsString)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .filter(|(k, _)| k.starts_with(prefix))
        .collect();
    vars.sort();
    let mut h = Sha256::new();
    h.update(b"tollgate-cli cache key v1\0");
    h.update(provider_dir(provider).as_bytes());
    for (name, value) in &vars {
        h.update(b"\0var\0");
        h.update(name.as_bytes());
        h.update(b"=");
        h.update(value.as_encoded_bytes());
        // A variable naming a file (a key, a CSV, account_info.json): its contents count.
        let path = std::path::Path::new(value);
        if path.is_file()
            && let Ok(f) = std::fs::File::open(path)
        {
            let mut buf = Vec::new();
            if f.take(MAX_KEY_FILE).read_to_end(&mut buf).is_ok() {
                h.update(b"\0file\0");
                h.update(&buf);
            }
            buf.iter_mut().for_each(|b| *b = 0);
        }
    }
    format!("{}:{}", provider_dir(provider), hex::encode(h.finalize()))
}

/// The cache configuration for `provider`'s token cache: `None` with `--no-cache`.
pub(crate) fn config(
    no_cache: bool,
    provider: MockProvider,
) -> Result<Option<CacheConfig>, CliError> {
    if no_cache {
        return Ok(None);
    }
    let (store, _) = open_store(provider)?;
    let shared = SharedStore::new(store, key(provider))
        .map_err(|e| CliError::config(format!("token cache: {e}")))?;
    Ok(Some(CacheConfig::default().with_shared_store(shared)))
}

/// The store `provider`'s tokens are kept in, and a description of it for `status` (never
/// the Redis URL, which may carry a password).
fn open_store(provider: MockProvider) -> Result<(Arc<dyn TokenStore>, String), CliError> {
    Ok(
        match std::env::var(REDIS_URL_VAR)
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            // The URL may carry a password: never echoed.
            Some(url) => (
                Arc::new(RedisStore::open(url.trim(), REDIS_PREFIX).map_err(|_| {
                    CliError::config(format!(
                        "invalid configuration: {REDIS_URL_VAR}: is not a valid Redis URL"
                    ))
                })?),
                format!("redis ({REDIS_URL_VAR}), key prefix {REDIS_PREFIX}"),
            ),
            None => {
                let root = cache_dir()?;
                let store = open_provider_store(&root, provider).map_err(|e| {
                    CliError::config(format!(
                        "token cache: {e} (set {CACHE_DIR_VAR}, or pass --no-cache)"
                    ))
                })?;
                (
                    Arc::new(store),
                    format!("file {}", root.join(provider_dir(provider)).display()),
                )
            }
        },
    )
}

/// Exit code of `status` when no token is cached for the current variables (or the cache is
/// off).
pub(crate) const EXIT_NOT_CACHED: u8 = 3;

/// `tollgate <provider> status`: the cached token's state for the current variables — the
/// store, the token's age, when it expires and when it will be refreshed — never the token.
pub(crate) async fn status(no_cache: bool, provider: MockProvider) -> Result<u8, CliError> {
    let name = provider_dir(provider);
    if no_cache {
        eprintln!(
            "tollgate: {name}: no token cache (--no-cache or TOLLGATE_NO_CACHE): nothing is cached"
        );
        return Ok(EXIT_NOT_CACHED);
    }
    let (store, described) = open_store(provider)?;
    let stored = store
        .load(&key(provider))
        .await
        .map_err(|e| CliError::config(format!("token cache: {}", e.message())))?;
    let Some(stored) = stored else {
        eprintln!(
            "tollgate: {name}: no token cached for the current variables (store: {described}); \
             the next `tollgate {name} token`, `headers` or `send` fetches one"
        );
        return Ok(EXIT_NOT_CACHED);
    };
    let now = std::time::SystemTime::now();
    let at = |d: std::time::Duration| httpdate::fmt_http_date(now + d);
    let ago = |d: std::time::Duration| httpdate::fmt_http_date(now - d);
    println!("provider: {name}");
    println!("store: {described}");
    match (stored.remaining, stored.lifetime) {
        (Some(left), Some(full)) => {
            let age = full.saturating_sub(left);
            let (_, refresh_before) = CacheConfig::default().before_expiry(full);
            println!("lifetime: {}s", full.as_secs());
            println!("age: {}s (fetched {})", age.as_secs(), ago(age));
            println!("expires: in {}s ({})", left.as_secs(), at(left));
            match left.checked_sub(refresh_before).filter(|d| !d.is_zero()) {
                Some(until) => println!(
                    "refresh: in {}s ({}), by the first run after that",
                    until.as_secs(),
                    at(until)
                ),
                None => println!("refresh: due: the next run fetches a new token"),
            }
        }
        (Some(left), None) => {
            println!("lifetime: none (the token does not expire on its own)");
            println!(
                "expires: kept in the cache for {}s more ({})",
                left.as_secs(),
                at(left)
            );
            println!("refresh: in {}s ({})", left.as_secs(), at(left));
        }
        (None, _) => println!("expires: unknown (the store keeps no time-to-live for it)"),
    }
    Ok(EXIT_OK)
}

/// The store in `<root>/<provider>`, after checking (or creating) `root` itself the same
/// way: both private to the user.
fn open_provider_store(
    root: &std::path::Path,
    provider: MockProvider,
) -> Result<FileStore, auth_core::store::FileStoreError> {
    let clock = auth_core::clock::system_clock();
    FileStore::open(root, clock.clone())?;
    FileStore::open(root.join(provider_dir(provider)), clock)
}

/// `tollgate cache clear [provider]`.
pub(crate) fn clear(provider: Option<MockProvider>) -> Result<u8, CliError> {
    let root = cache_dir()?;
    let all = [
        MockProvider::Dragonpass,
        MockProvider::Snap,
        MockProvider::Gtr,
        MockProvider::V5,
        MockProvider::Holidu,
    ];
    let mut removed = 0;
    for p in all
        .into_iter()
        .filter(|p| provider.is_none_or(|only| only == *p))
    {
        if !root.join(provider_dir(p)).is_dir() {
            continue;
        }
        let store = open_provider_store(&root, p)
            .map_err(|e| CliError::config(format!("token cache: {e}")))?;
        removed += store
            .clear()
            .map_err(|e| CliError::config(format!("token cache: {}", e.message())))?;
    }
    eprintln!("removed {removed} cached token(s) from {}", root.display());
    Ok(EXIT_OK)
}

/// `tollgate cache dir`.
pub(crate) fn print_dir() -> Result<u8, CliError> {
    println!("{}", cache_dir()?.display());
    Ok(EXIT_OK)
}
