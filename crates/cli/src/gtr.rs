//! `tollgate gtr …`: built on `tollgate-gtr` (its credentials loaders, its mutual-TLS client
//! builder and its two signers).

use auth_core::ExposeSecret;
use auth_core::credentials::EnvVar;
use tollgate_gtr::mock::{FAKE_ACCESS_KEY, FAKE_SECRET_KEY, FAKE_VASP_CODE, GtrFake};
use tollgate_gtr::{
    AppTokenAuth, ENV_CA_PEM_PATH, ENV_CERT_PEM_PATH, ENV_KEY_PEM_PATH, ENV_P12_PATH,
    ENV_SERVER_CERT_PEM_PATH, GtrAuth, GtrCredentials, SsoAuth, TlsConfig,
};

use crate::common::{CliError, Env, FieldMap, env_help as env_help_for, env_opt, env_req};

/// Names earlier versions of this command read, still read in place of the library's.
const ALIASES: &[(&str, &str)] = &[(ENV_CA_PEM_PATH, "GTR_CA_CERT")];

/// This command's own settings.
const OWN: &[EnvVar] = &[
    EnvVar {
        name: "GTR_BASE_URL",
        help: "the GTR base URL (https://platform.globaltravelrule.com, the UAT one, or a \
               fake's); a URL argument starting with '/' is relative to it",
    },
    EnvVar {
        name: "GTR_API_KEY_CSV",
        help: "path of the api_key.csv GTR issued, instead of GTR_VASP_CODE, GTR_ACCESS_KEY \
               and GTR_SECRET_KEY",
    },
    EnvVar {
        name: "GTR_AUTH",
        help: "'app-token' (default: a fresh X-Authorization per request, no token to cache, \
               so `token` exits 2) or 'sso' (POST /api/login, cached bearer JWT)",
    },
    EnvVar {
        name: "GTR_APP_TOKEN_EXPIRES",
        help: "app token lifetime in seconds (default 15; GTR's own scripts use 120 against \
               clock drift)",
    },
    EnvVar {
        name: "GTR_EXPIRE_IN_MINUTES",
        help: "sso: login expireInMinutes (unset: the session lasts until the next login)",
    },
    EnvVar {
        name: "GTR_CALLBACK_URL",
        help: "sso: login field callbackUrl",
    },
    EnvVar {
        name: "GTR_VASP_PUBLIC_KEY",
        help: "sso: login field vaspPublicKey (the curve25519 public key, as login.sh sends)",
    },
];

/// The `--help` text: the library's variables, this command's settings and the old names.
pub(crate) fn env_help() -> String {
    env_help_for(
        "GTR, Global Travel Rule",
        tollgate_gtr::ENV_VARS,
        OWN,
        ALIASES,
    ) + "\nMutual TLS is required for https URLs; plain http (the local fake) needs none."
}

/// The configured GTR signer, its HTTP client and how its errors are named.
pub(crate) struct Provider {
    /// The SDK signer.
    pub auth: GtrAuth,
    /// The client for the API (mutual TLS when configured).
    pub http: reqwest::Client,
    /// The base URL (for relative request URLs).
    pub base_url: String,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the variables the library reads and this command's settings (see [`env_help`]);
/// `cache` (the token cache shared between runs) applies to the SSO login. Without a client
/// certificate only http URLs work (a fake).
pub(crate) fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let env = Env::new(ALIASES);
    let pem_identity = env_opt(ENV_CERT_PEM_PATH)?.is_some() && env_opt(ENV_P12_PATH)?.is_none();
    let (cert_var, key_var) = if pem_identity {
        (ENV_CERT_PEM_PATH, ENV_KEY_PEM_PATH)
    } else {
        (ENV_P12_PATH, ENV_P12_PATH)
    };
    let pairs = [
        ("api_key.csv", "GTR_API_KEY_CSV"),
        ("vaspCode", "GTR_API_KEY_CSV (vaspCode)"),
        ("accessKey", "GTR_API_KEY_CSV (accessKey)"),
        ("secretKey", "GTR_API_KEY_CSV (secretKey)"),
        ("p12", ENV_P12_PATH),
        ("certificate.p12", ENV_P12_PATH),
        ("client_certificate", cert_var),
        ("client_key", key_var),
        ("ca_certificate", ENV_CA_PEM_PATH),
        (ENV_CA_PEM_PATH, ENV_CA_PEM_PATH),
        ("server_certificate", ENV_SERVER_CERT_PEM_PATH),
        ("base_url", "GTR_BASE_URL"),
        ("http_client", ENV_P12_PATH),
        ("expire_in_minutes", "GTR_EXPIRE_IN_MINUTES"),
        ("expires", "GTR_APP_TOKEN_EXPIRES"),
    ];
    // Built when an error is reported: by then `env` knows which old names were read.
    let error = |e: &auth_core::AuthError| env.fields(&pairs).error(e);
    let base_url = env_req("GTR_BASE_URL")?;
    let creds = match env_opt("GTR_API_KEY_CSV")? {
        Some(path) => GtrCredentials::from_api_key_csv(path.trim()),
        None => GtrCredentials::from_lookup(|n| env.lookup(n)),
    }
    .map_err(|e| error(&e))?;
    let has_identity = env_opt(ENV_P12_PATH)?.is_some() || env_opt(ENV_CERT_PEM_PATH)?.is_some();
    let tls = if has_identity {
        Some(TlsConfig::from_lookup(|n| env.lookup(n)).map_err(|e| error(&e))?)
    } else if base_url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https:")
    {
        return Err(CliError::config(
            "invalid credentials: GTR_CLIENT_P12: is not set; GTR requires mutual TLS \
             (set GTR_CLIENT_P12 and GTR_CLIENT_P12_PASSWORD, or GTR_CLIENT_CERT_PEM and \
             GTR_CLIENT_KEY_PEM)",
        ));
    } else {
        None
    };
    let fields = env.fields(&pairs);
    // No redirects, for the API as for the login: a signed request or a login must not be
    // re-sent elsewhere.
    let builder = || match &tls {
        Some(tls) => tls
            .apply_to(auth_core::transport::token_client_builder())
            .map_err(|e| fields.error(&e)),
        None => Ok(auth_core::transport::token_client_builder()),
    };
    let http = builder()?
        .build()
        .map_err(|e| CliError::config(format!("building the HTTP client failed: {e}")))?;
    let auth: GtrAuth = match env_opt("GTR_AUTH")?.as_deref().map(str::trim) {
        None | Some("app-token") => {
            let mut app = AppTokenAuth::builder()
                .credentials(creds)
                .base_url(base_url.clone());
            if let Some(secs) = number::<u64>("GTR_APP_TOKEN_EXPIRES")? {
                app = app.expires(secs);
            }
            app.build().map_err(|e| fields.error(&e))?.into()
        }
        Some("sso") => {
            let mut sso = SsoAuth::builder()
                .credentials(creds)
                .base_url(base_url.clone())
                .http_client(builder()?);
            if let Some(minutes) = number::<u32>("GTR_EXPIRE_IN_MINUTES")? {
                sso = sso.expire_in_minutes(minutes);
            }
            if let Some(url) = env_opt("GTR_CALLBACK_URL")? {
                sso = sso.login_field("callbackUrl", url);
            }
            if let Some(key) = env_opt("GTR_VASP_PUBLIC_KEY")? {
                sso = sso.login_field("vaspPublicKey", key);
            }
            if let Some(cache) = cache {
                sso = sso.cache_config(cache);
            }
            sso.build().map_err(|e| fields.error(&e))?.into()
        }
        Some(_) => {
            return Err(CliError::config(
                "invalid credentials: GTR_AUTH: must be 'app-token' or 'sso'",
            ));
        }
    };
    Ok(Provider {
        auth,
        http,
        base_url,
        fields,
    })
}

/// An optional whole number of this command's own settings.
fn number<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, CliError> {
    env_opt(name)?
        .map(|v| {
            v.trim().parse().map_err(|_| {
                CliError::config(format!(
                    "invalid configuration: {name}: must be a whole number"
                ))
            })
        })
        .transpose()
}

impl crate::common::CliProvider for Provider {
    type Signer = GtrAuth;

    fn signer(&self) -> &GtrAuth {
        &self.auth
    }

    fn base_url(&self) -> Option<&str> {
        Some(&self.base_url)
    }

    fn fields(&self) -> &FieldMap {
        &self.fields
    }

    fn http(&self) -> Option<reqwest::Client> {
        Some(self.http.clone())
    }

    /// The SSO bearer JWT. App-token mode has no token to reuse: a configuration error for
    /// this command (exit 2) with a hint.
    async fn token(&self) -> Result<String, CliError> {
        match &self.auth {
            GtrAuth::Sso(sso) => {
                let token = sso
                    .cache()
                    .token()
                    .await
                    .map_err(|e| self.fields.error(&e))?;
                Ok(token.secret().expose_secret().to_string())
            }
            GtrAuth::AppToken(_) => Err(CliError::config(
                "GTR_AUTH=app-token has no token to reuse (every request carries a fresh \
                 one-time X-Authorization); use `tollgate gtr headers URL`, or GTR_AUTH=sso",
            )),
        }
    }
}

/// Starts the fake (plain http: no client certificate needed) and returns the lines
/// `tollgate mock gtr` prints.
pub(crate) async fn start_mock(
    listener: std::net::TcpListener,
    clock: auth_core::ManualClock,
) -> (GtrFake, Vec<String>) {
    let fake = GtrFake::start_on(listener, clock).await;
    let lines = vec![
        fake.uri(),
        "# GTR fake (plain http, so no GTR_CLIENT_P12; app-token and sso both accepted)".into(),
        crate::mock::export("GTR_BASE_URL", &fake.uri()),
        crate::mock::export("GTR_VASP_CODE", FAKE_VASP_CODE),
        crate::mock::export("GTR_ACCESS_KEY", FAKE_ACCESS_KEY),
        crate::mock::export("GTR_SECRET_KEY", FAKE_SECRET_KEY),
        crate::mock::export("GTR_AUTH", "app-token"),
        "# try: tollgate gtr send /api/vasp/list   (or GTR_AUTH=sso tollgate gtr token)".into(),
    ];
    (fake, lines)
}
