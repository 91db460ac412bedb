//! `tollgate gtr …`: built on `tollgate-gtr` (its credentials loaders, its mutual-TLS client
//! builder and its two signers).

use auth_core::ExposeSecret;
use tollgate_gtr::mock::{FAKE_ACCESS_KEY, FAKE_SECRET_KEY, FAKE_VASP_CODE, GtrFake};
use tollgate_gtr::{AppTokenAuth, ClientIdentity, GtrAuth, GtrCredentials, SsoAuth, TlsConfig};

use crate::common::{CliError, FieldMap, env_opt, env_req};

/// The environment variables, shown in `--help`.
pub const ENV_HELP: &str = "\
Environment (GTR, Global Travel Rule):
  GTR_BASE_URL             the GTR base URL (https://platform.globaltravelrule.com, the UAT
                           one, or a fake's); a URL argument starting with '/' is relative to it
  GTR_API_KEY_CSV          path of the api_key.csv GTR issued (vaspCode, accessKey, secretKey)
  or GTR_VASP_CODE + GTR_ACCESS_KEY + GTR_SECRET_KEY   the same three values
  GTR_CLIENT_P12           path of the PKCS#12 client certificate for mutual TLS (required
                           for https URLs; plain http, as the local fake, needs none)
  GTR_CLIENT_P12_PASSWORD  its password
  GTR_CA_CERT              optional path of CA certificate(s) (PEM) added to the trusted
                           roots beside the system store, e.g. for UAT: any server
                           certificate they issue for the host is accepted
  GTR_SERVER_CERT_PEM      optional path of pinned server certificate(s) (PEM): when set,
                           ONLY these certificates (or their public keys) are accepted,
                           checked for validity and host name, not for their issuer; any
                           other server certificate is refused, even one issued by a
                           trusted CA (system store or GTR_CA_CERT)
  GTR_AUTH                 'app-token' (default: a fresh X-Authorization per request, no token
                           to cache, so `token` exits 2) or 'sso' (POST /api/login, cached
                           bearer JWT)";

/// The configured GTR signer, its HTTP client and how its errors are named.
pub struct Provider {
    /// The SDK signer.
    pub auth: GtrAuth,
    /// The client for the API (mutual TLS when configured).
    pub http: reqwest::Client,
    /// The base URL (for relative request URLs).
    pub base_url: String,
    /// Crate field → environment variable.
    pub fields: FieldMap,
}

/// Reads the environment (see [`ENV_HELP`]); `cache` (the token cache shared between runs)
/// applies to the SSO login. Without a client certificate only http URLs work (a fake).
pub fn from_env(cache: Option<auth_core::CacheConfig>) -> Result<Provider, CliError> {
    let fields = FieldMap::new(&[
        ("api_key.csv", "GTR_API_KEY_CSV"),
        ("vaspCode", "GTR_API_KEY_CSV (vaspCode)"),
        ("accessKey", "GTR_API_KEY_CSV (accessKey)"),
        ("secretKey", "GTR_API_KEY_CSV (secretKey)"),
        ("p12", "GTR_CLIENT_P12"),
        ("certificate.p12", "GTR_CLIENT_P12"),
        ("client_certificate", "GTR_CLIENT_P12"),
        ("client_key", "GTR_CLIENT_P12"),
        ("ca_certificate", "GTR_CA_CERT"),
        ("server_certificate", "GTR_SERVER_CERT_PEM"),
        ("base_url", "GTR_BASE_URL"),
        ("http_client", "GTR_CLIENT_P12"),
    ]);
    let base_url = env_req("GTR_BASE_URL")?;
    let creds = match env_opt("GTR_API_KEY_CSV")? {
        Some(path) => GtrCredentials::from_api_key_csv(path.trim()),
        None => GtrCredentials::from_env(),
    }
    .map_err(|e| fields.error(&e))?;
    let tls = match env_opt("GTR_CLIENT_P12")? {
        Some(p12) => {
            // Wiped when dropped, right after the .p12 is opened.
            let password =
                zeroize::Zeroizing::new(env_opt("GTR_CLIENT_P12_PASSWORD")?.unwrap_or_default());
            let identity = ClientIdentity::from_pkcs12_file(p12.trim(), &password)
                .map_err(|e| fields.error(&e))?;
            let mut tls = TlsConfig::new().identity(identity);
            if let Some(ca) = env_opt("GTR_CA_CERT")? {
                tls = tls
                    .add_ca_pem_file(ca.trim())
                    .map_err(|e| fields.error(&e))?;
            }
            if let Some(pins) = env_opt("GTR_SERVER_CERT_PEM")? {
                tls = tls
                    .pin_server_certificate_pem_file(pins.trim())
                    .map_err(|e| fields.error(&e))?;
            }
            Some(tls)
        }
        None if base_url
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("https:") =>
        {
            return Err(CliError::config(
                "invalid credentials: GTR_CLIENT_P12: is not set; GTR requires mutual TLS \
                 (set GTR_CLIENT_P12 and GTR_CLIENT_P12_PASSWORD)",
            ));
        }
        None => None,
    };
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
        None | Some("app-token") => AppTokenAuth::builder()
            .credentials(creds)
            .base_url(base_url.clone())
            .build()
            .map_err(|e| fields.error(&e))?
            .into(),
        Some("sso") => {
            let mut builder = SsoAuth::builder()
                .credentials(creds)
                .base_url(base_url.clone())
                .http_client(builder()?);
            if let Some(cache) = cache {
                builder = builder.cache_config(cache);
            }
            builder.build().map_err(|e| fields.error(&e))?.into()
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
pub async fn start_mock(
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
