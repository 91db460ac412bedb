use std::fmt;
use std::time::Duration;

use auth_core::ProviderOptions;
use auth_core::{
    AuthError, AuthMiddleware, BearerAuth, BearerSigner, BearerSource, ExposeSecret, Scope,
    SecretString, SharedClock, Signer, TokenCache,
};
use http::HeaderValue;
use reqwest::Request;

use crate::credentials::GtrCredentials;
use crate::sign::{self, AppTokenStages, DEFAULT_EXPIRES_SECS, VERIFY_TYPE, X_AUTHORIZATION};
use crate::tls::TlsConfig;
use crate::token::{LoginRequest, LoginSource};

/// GTR production.
pub const PRODUCTION_URL: &str = "https://platform.globaltravelrule.com";
/// GTR UAT (test environment; its API keys differ from production's).
pub const UAT_URL: &str = "https://uat-platform.globaltravelrule.com";

/// SSO login mode: logs in with `POST /api/login`, caches the JWT (one login at a time, a
/// login shared by every request), sends `Authorization: Bearer <jwt>`. A 401 (GTR's
/// 100014/100020/100021) invalidates the JWT and the middleware logs in again once.
pub type SsoAuth = BearerAuth<LoginSource>;

impl BearerSource for LoginSource {
    type Builder = SsoAuthBuilder;
}

/// Builds an [`SsoAuth`].
pub struct SsoAuthBuilder {
    creds: Option<GtrCredentials>,
    base_url: String,
    tls: Option<TlsConfig>,
    expire_in_minutes: Option<u32>,
    login_fields: serde_json::Map<String, serde_json::Value>,
    options: ProviderOptions,
}

impl fmt::Debug for SsoAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoAuthBuilder")
            .field("creds", &self.creds)
            .field("base_url", &self.base_url)
            .field("expire_in_minutes", &self.expire_in_minutes)
            .finish_non_exhaustive()
    }
}

/// Set the credentials with [`credentials`](SsoAuthBuilder::credentials); the base URL
/// defaults to [`PRODUCTION_URL`].
impl Default for SsoAuthBuilder {
    fn default() -> Self {
        SsoAuthBuilder {
            creds: None,
            base_url: PRODUCTION_URL.to_string(),
            tls: None,
            expire_in_minutes: None,
            login_fields: serde_json::Map::new(),
            options: ProviderOptions::default(),
        }
    }
}

impl SsoAuthBuilder {
    auth_core::builder_options!(clock, cache_config, allow_origin, allow_insecure_http);

    /// The credentials (required): see [`GtrCredentials`].
    #[must_use]
    pub fn credentials(mut self, creds: GtrCredentials) -> Self {
        self.creds = Some(creds);
        self
    }

    /// The GTR base URL ([`PRODUCTION_URL`], [`UAT_URL`] or a fake's).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The HTTP client used for `/api/login`, as a builder carrying the mTLS identity;
    /// tollgate turns its redirects off (a login carries the signed secret, which a
    /// redirect would re-post elsewhere). Prefer [`TlsConfig`](Self::tls), which builds it
    /// on auth-core's [`token_client_builder`](auth_core::transport::token_client_builder).
    #[must_use]
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.options.set_http_client(builder);
        self
    }

    /// Builds the login client from this TLS configuration.
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sends `expireInMinutes`: the session (and the cached JWT) expires after this many
    /// minutes. Unset (the default), GTR sessions last until logout or a new login. GTR
    /// reads the field as an int32: [`build`](Self::build) refuses 0 and values above
    /// [`MAX_EXPIRE_IN_MINUTES`](crate::MAX_EXPIRE_IN_MINUTES) (`i32::MAX`).
    #[must_use]
    pub fn expire_in_minutes(mut self, minutes: u32) -> Self {
        self.expire_in_minutes = Some(minutes);
        self
    }

    /// Adds a further field to the login body, after the crate's own, e.g.
    /// `.login_field("vaspPublicKey", "<curve25519 public key>")` as GTR's `login.sh` sends.
    /// The names the crate writes itself (`vaspCode`, `accessKey`, `signedSecretKey`,
    /// `expireInMinutes`) are refused by [`build`](Self::build). Do not put secrets here:
    /// the body is wiped on drop, but these values are not redacted anywhere else.
    #[must_use]
    pub fn login_field(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.login_fields.insert(name.into(), value.into());
        self
    }

    /// Validates and builds. Without [`http_client`](Self::http_client) or
    /// [`TlsConfig`](Self::tls) this fails: GTR requires mutual TLS.
    pub fn build(self) -> Result<SsoAuth, AuthError> {
        let base = reqwest::Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid URL"))?;
        self.options.origins().check_endpoint("base_url", &base)?;
        let scope = self.options.origins().scope("base_url", Some(&base))?;
        let http = match (self.options.has_http_client(), self.tls) {
            (true, _) => self.options.token_http_client()?,
            (false, Some(tls)) => tls
                .apply_to(auth_core::transport::token_client_builder())?
                .build()
                .map_err(|e| {
                    AuthError::new(
                        auth_core::ErrorKind::Internal,
                        "cannot build the GTR login client",
                    )
                    .with_source(e.without_url())
                })?,
            (false, None) => {
                return Err(AuthError::invalid_field(
                    "http_client",
                    "GTR requires mutual TLS: pass .tls(TlsConfig) or .http_client(client)",
                ));
            }
        };
        if self
            .expire_in_minutes
            .is_some_and(|m| m > crate::token::MAX_EXPIRE_IN_MINUTES)
        {
            return Err(AuthError::invalid_field(
                "expire_in_minutes",
                "must be at most 2147483647 (GTR reads expireInMinutes as an int32)",
            ));
        }
        let creds = auth_core::credentials::required_credentials(self.creds)?;
        let mut request = LoginRequest::new(&creds, self.expire_in_minutes);
        request.extra = self.login_fields;
        let source = LoginSource::from_request(http, &self.base_url, request)?;
        let cache =
            TokenCache::with_config(source, self.options.clock(), self.options.cache_config())
                .named("gtr-sso");
        Ok(BearerAuth::new(
            BearerSigner::new(cache, Vec::new()).with_rejection_body(session_lost),
            scope,
        ))
    }
}

/// Whether a GTR response body says the login session is gone (`verifyStatus` 100014,
/// 100020 or 100021, as a number or a string).
pub fn session_lost(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Status {
        #[serde(rename = "verifyStatus")]
        verify_status: Option<crate::error::VerifyStatus>,
    }
    serde_json::from_slice::<Status>(body).is_ok_and(|s| {
        matches!(
            s.verify_status,
            Some(
                crate::error::VerifyStatus::SessionExpired
                    | crate::error::VerifyStatus::NoAuth
                    | crate::error::VerifyStatus::NoLoginSession
            )
        )
    })
}

/// App-token mode: every request gets `X-Authorization` = base64 of a JSON payload with a
/// fresh nonce and the current 13-digit timestamp; `vaspSecretKeyHash` is computed once
/// here. Nothing is cached and there is no login. A rejected request (HTTP 401) is signed
/// afresh and sent once more.
#[derive(Clone)]
pub struct AppTokenAuth {
    access_key: String,
    hash: SecretString,
    expires: u64,
    clock: SharedClock,
    scope: Scope,
}

impl fmt::Debug for AppTokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTokenAuth")
            .field("access_key", &self.access_key)
            .field("vasp_secret_key_hash", &auth_core::Redacted)
            .field("expires", &self.expires)
            .finish()
    }
}

/// Builds an [`AppTokenAuth`].
#[derive(Debug)]
pub struct AppTokenAuthBuilder {
    creds: Option<GtrCredentials>,
    expires: u64,
    base_url: String,
    options: ProviderOptions,
}

impl AppTokenAuth {
    /// Starts building; set the credentials with
    /// [`credentials`](AppTokenAuthBuilder::credentials). `expires` defaults to 15 s.
    ///
    /// ```
    /// use tollgate_gtr::{AppTokenAuth, GtrCredentials};
    /// let creds = GtrCredentials::new("f93_faj30ae3", "2DF9SDJ3RFA93HFA0F93HAB0S93F", "8adba6ef063be837")?;
    /// let auth = AppTokenAuth::builder().credentials(creds).expires(120).build()?;
    /// assert!(!format!("{auth:?}").contains("8adba6ef"));
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn builder() -> AppTokenAuthBuilder {
        AppTokenAuthBuilder {
            creds: None,
            expires: DEFAULT_EXPIRES_SECS,
            base_url: PRODUCTION_URL.to_string(),
            options: ProviderOptions::default(),
        }
    }

    /// Every stage of the token for `nonce` at the clock's current time.
    pub fn token_with_nonce(&self, nonce: &str) -> AppTokenStages {
        let ts = sign::timestamp_millis(self.clock.now());
        sign::app_token(
            self.hash.expose_secret(),
            &self.access_key,
            nonce,
            &ts,
            self.expires,
            VERIFY_TYPE,
        )
    }

    /// The `X-Authorization` value for one request (fresh nonce, current time), marked
    /// sensitive.
    pub fn header_value(&self) -> Result<HeaderValue, AuthError> {
        let ts = sign::timestamp_millis(self.clock.now());
        let header = sign::app_token_header(
            self.hash.expose_secret(),
            &self.access_key,
            &sign::generate_nonce(),
            &ts,
            self.expires,
            VERIFY_TYPE,
        );
        // From the String's own buffer: no copy.
        let mut v = HeaderValue::try_from(header).map_err(|_| {
            AuthError::new(
                auth_core::ErrorKind::Signing,
                "app token is not a header value",
            )
        })?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// The configured `expires` in seconds.
    pub fn expires(&self) -> Duration {
        Duration::from_secs(self.expires)
    }

    /// This signer as middleware: it signs only requests to the base URL's origin (and
    /// those added with [`allow_origin`](AppTokenAuthBuilder::allow_origin)).
    pub fn middleware(self) -> AuthMiddleware<AppTokenAuth> {
        let scope = self.scope.clone();
        AuthMiddleware::new(self).with_scope(scope)
    }

    /// The origins the middleware signs for.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

impl AppTokenAuthBuilder {
    auth_core::builder_options!(clock, allow_origin, allow_insecure_http);

    /// The credentials (required): see [`GtrCredentials`].
    #[must_use]
    pub fn credentials(mut self, creds: GtrCredentials) -> Self {
        self.creds = Some(creds);
        self
    }

    /// The token's validity in seconds (`expires`), 1..=3600. GTR recommends 15; its
    /// samples use 120 to allow for clock drift.
    #[must_use]
    pub fn expires(mut self, secs: u64) -> Self {
        self.expires = secs;
        self
    }

    /// The GTR base URL whose requests get an app token ([`PRODUCTION_URL`] by default,
    /// [`UAT_URL`] or a fake's).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Validates and precomputes `vaspSecretKeyHash`.
    pub fn build(self) -> Result<AppTokenAuth, AuthError> {
        let creds = auth_core::credentials::required_credentials(self.creds)?;
        if !(1..=3600).contains(&self.expires) {
            return Err(AuthError::invalid_field(
                "expires",
                "must be between 1 and 3600 seconds",
            ));
        }
        let base = reqwest::Url::parse(self.base_url.trim_end_matches('/'))
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid URL"))?;
        let scope = self.options.origins().scope("base_url", Some(&base))?;
        Ok(AppTokenAuth {
            access_key: creds.access_key().to_string(),
            hash: creds.vasp_secret_key_hash(),
            expires: self.expires,
            clock: self.options.clock(),
            scope,
        })
    }
}

impl Signer for AppTokenAuth {
    type Receipt = ();

    async fn sign(&self, req: &mut Request) -> Result<(), AuthError> {
        let v = self.header_value()?;
        req.headers_mut().insert(X_AUTHORIZATION, v);
        Ok(())
    }

    fn provider_name(&self) -> &'static str {
        "gtr-app-token"
    }
}

/// Either mode, chosen at run time: [`SsoAuth`] (login once, `Authorization: Bearer <jwt>`)
/// or [`AppTokenAuth`] (a fresh `X-Authorization` app token on every request, recommended by
/// GTR for distributed servers).
///
/// Both only add headers; the mutual-TLS identity lives in the `reqwest::Client` the
/// middleware wraps (see [`TlsConfig`](crate::TlsConfig)).
///
/// ```no_run
/// use tollgate_gtr::{AppTokenAuth, ClientIdentity, GtrCredentials, TlsConfig};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let creds = GtrCredentials::from_api_key_csv("api_key.csv")?;
/// let mw = AppTokenAuth::builder().credentials(creds).build()?.middleware();
/// let http = TlsConfig::new()
///     .identity(ClientIdentity::from_pkcs12_file("certificate.p12", "p12-password")?)
///     .reqwest_builder()?
///     .redirect(mw.redirect_policy()) // signed headers never follow a redirect elsewhere
///     .build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client
///     .get(format!("{}/api/vasp/list", tollgate_gtr::PRODUCTION_URL))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub enum GtrAuth {
    /// SSO login.
    Sso(SsoAuth),
    /// Per-request app token.
    AppToken(AppTokenAuth),
}

impl GtrAuth {
    /// This signer as middleware, scoped like the mode's own middleware.
    pub fn middleware(self) -> AuthMiddleware<GtrAuth> {
        let scope = match &self {
            GtrAuth::Sso(s) => s.scope().clone(),
            GtrAuth::AppToken(a) => a.scope.clone(),
        };
        AuthMiddleware::new(self).with_scope(scope)
    }

    /// The SSO login cache's state for readiness probes (see
    /// [`auth_core::health`]); `None` in app-token mode, which keeps no token.
    pub fn health(&self) -> Option<auth_core::CacheHealth> {
        match self {
            GtrAuth::Sso(s) => Some(s.health()),
            GtrAuth::AppToken(_) => None,
        }
    }
}

impl From<SsoAuth> for GtrAuth {
    fn from(a: SsoAuth) -> Self {
        GtrAuth::Sso(a)
    }
}

impl From<AppTokenAuth> for GtrAuth {
    fn from(a: AppTokenAuth) -> Self {
        GtrAuth::AppToken(a)
    }
}

impl Signer for GtrAuth {
    type Receipt = Option<auth_core::BearerReceipt>;

    async fn sign(&self, req: &mut Request) -> Result<Self::Receipt, AuthError> {
        match self {
            GtrAuth::Sso(s) => s.signer().sign(req).await.map(Some),
            GtrAuth::AppToken(a) => a.sign(req).await.map(|()| None),
        }
    }

    fn judge(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
    ) -> auth_core::Judgement {
        match self {
            GtrAuth::Sso(s) => s.signer().judge(status, headers, body),
            GtrAuth::AppToken(a) => a.judge(status, headers, body),
        }
    }

    fn on_rejected(&self, receipt: &Self::Receipt) -> bool {
        match (self, receipt) {
            (GtrAuth::Sso(s), Some(r)) => s.signer().on_rejected(r),
            _ => true,
        }
    }

    fn provider_name(&self) -> &'static str {
        match self {
            GtrAuth::Sso(s) => s.signer().provider_name(),
            GtrAuth::AppToken(a) => a.provider_name(),
        }
    }
}
