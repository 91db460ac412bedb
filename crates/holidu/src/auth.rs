use std::fmt;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use auth_core::ProviderOptions;
use auth_core::clock::unix_seconds;
use auth_core::{
    AuthError, BearerAuth, BearerSigner, BearerSource, FetchContext, FetchedToken, TokenCache,
    TokenSource,
};
use http::HeaderValue;

use crate::credentials::HoliduCredentials;
use crate::sign::{MAX_LIFETIME, check_lifetime, mint};

/// The Channel API's production base URL, as the current Bookiply Channel API pages give it.
pub const DEFAULT_BASE_URL: &str = "https://chapi.bookiply.com";

/// The host older Bookiply Holidu Channel API pages give. Signed by default too, so that a
/// user following either set of pages sends signed requests.
pub const LEGACY_BASE_URL: &str = "https://chapi.bookiplyholidu.com";

/// The default token lifetime: the maximum Holidu accepts, one hour.
pub const DEFAULT_TOKEN_LIFETIME: Duration = MAX_LIFETIME;

/// The default `iat` skew: tokens are issued 60 s in the past (as GitHub's app JWTs), so a
/// Holidu clock running up to a minute behind does not see them issued in the future.
pub const DEFAULT_IAT_SKEW: Duration = Duration::from_secs(60);

/// The largest `iat` skew accepted (10 minutes).
pub const MAX_IAT_SKEW: Duration = Duration::from_secs(600);

/// Mints a fresh ES256 JWT per fetch: `iat` is the injected clock's current second (rounded
/// down) minus the `iat` skew (default [`DEFAULT_IAT_SKEW`]) and `exp = iat + lifetime`, so
/// `exp - iat` never exceeds the 3600 s Holidu allows and the token is usable for
/// `lifetime - skew` from now. The lifetime handed to the cache is `exp` minus the precise
/// current time, so the cache never holds a token past its `exp`.
pub struct JwtSource {
    creds: Arc<HoliduCredentials>,
    lifetime: Duration,
    iat_skew: Duration,
}

impl fmt::Debug for JwtSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSource")
            .field("creds", &self.creds)
            .field("lifetime", &self.lifetime)
            .field("iat_skew", &self.iat_skew)
            .finish()
    }
}

impl JwtSource {
    /// A source minting tokens valid for `lifetime` (1 s ..= 3600 s), issued
    /// [`DEFAULT_IAT_SKEW`] in the past.
    pub fn new(creds: Arc<HoliduCredentials>, lifetime: Duration) -> Result<Self, AuthError> {
        Self::with_iat_skew(creds, lifetime, DEFAULT_IAT_SKEW)
    }

    /// A source minting tokens valid for `lifetime` (1 s ..= 3600 s, `exp - iat`), issued
    /// `iat_skew` in the past (at most [`MAX_IAT_SKEW`], and less than `lifetime` so the
    /// token is still valid when minted).
    pub fn with_iat_skew(
        creds: Arc<HoliduCredentials>,
        lifetime: Duration,
        iat_skew: Duration,
    ) -> Result<Self, AuthError> {
        check_lifetime(lifetime)?;
        if iat_skew > MAX_IAT_SKEW {
            return Err(AuthError::invalid_field(
                "iat_skew",
                "must be at most 600 s (it is for clock differences)",
            ));
        }
        if iat_skew.as_secs() >= lifetime.as_secs() {
            return Err(AuthError::invalid_field(
                "iat_skew",
                "must be shorter than the token lifetime (the token would be expired when minted)",
            ));
        }
        Ok(JwtSource {
            creds,
            lifetime,
            iat_skew,
        })
    }

    /// How far in the past `iat` is issued.
    pub fn iat_skew(&self) -> Duration {
        self.iat_skew
    }

    /// The configured lifetime.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The credentials.
    pub fn credentials(&self) -> &HoliduCredentials {
        &self.creds
    }
}

impl TokenSource for JwtSource {
    async fn fetch(&self, cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let now = cx.clock.now();
        let iat = unix_seconds(now).saturating_sub(self.iat_skew.as_secs());
        let jwt = mint(&self.creds, iat, self.lifetime, &mut rand::rngs::OsRng)?;
        let exp_at = UNIX_EPOCH + Duration::from_secs(jwt.exp);
        let lifetime = exp_at.duration_since(now).unwrap_or(Duration::ZERO);
        Ok(FetchedToken {
            value: jwt.token,
            lifetime: Some(lifetime),
        })
    }
}

/// Signs Holidu requests with `Authorization: Bearer <JWT>` and `Accept: application/json`.
/// The JWT is minted locally by a [`JwtSource`], once, and auth-core's [`TokenCache`] reuses
/// it until the refresh-ahead margin before its `exp`; a 401 drops it and (through the
/// middleware) the request is retried once with a freshly minted token.
///
/// ```no_run
/// use tollgate_holidu::{HoliduAuth, HoliduCredentials};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let auth = HoliduAuth::builder()
///     .credentials(HoliduCredentials::from_account_info_file("account_info.json")?)
///     .build()?;
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client
///     .get(format!("{}/some/endpoint", tollgate_holidu::DEFAULT_BASE_URL))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
pub type HoliduAuth = BearerAuth<JwtSource>;

impl BearerSource for JwtSource {
    type Builder = HoliduAuthBuilder;
}

/// Builds a [`HoliduAuth`]; the credentials are required.
#[derive(Default)]
pub struct HoliduAuthBuilder {
    credentials: Option<HoliduCredentials>,
    iat_skew: Option<Duration>,
    base_url: Option<String>,
    options: ProviderOptions,
}

impl fmt::Debug for HoliduAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HoliduAuthBuilder")
            .field("credentials", &self.credentials)
            .field("lifetime", &self.options.token_lifetime())
            .field("iat_skew", &self.iat_skew)
            .finish()
    }
}

impl HoliduAuthBuilder {
    // `token_lifetime` is the JWT's `exp - iat`: default and maximum 3600 s (Holidu rejects
    // longer tokens), checked at `build`.
    auth_core::builder_options!(
        clock,
        cache_config,
        token_lifetime,
        allow_origin,
        allow_insecure_http
    );

    /// The credentials (see [`HoliduCredentials`]).
    #[must_use]
    pub fn credentials(mut self, creds: HoliduCredentials) -> Self {
        self.credentials = Some(creds);
        self
    }

    /// How far in the past `iat` is issued (default [`DEFAULT_IAT_SKEW`], 60 s; at most
    /// [`MAX_IAT_SKEW`] and less than the lifetime): Holidu refuses tokens issued in the
    /// future by its own clock. `exp = iat + lifetime` still, so `exp - iat` stays within
    /// 3600 s and the token is usable for `lifetime - skew` from now.
    #[must_use]
    pub fn iat_skew(mut self, skew: Duration) -> Self {
        self.iat_skew = Some(skew);
        self
    }

    /// The Channel API base URL whose requests are signed (default: [`DEFAULT_BASE_URL`]
    /// and [`LEGACY_BASE_URL`]; once set, only this one and those allowed with
    /// `allow_origin`).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<HoliduAuth, AuthError> {
        let base = reqwest::Url::parse(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid URL"))?;
        let mut scope = self.options.origins().scope("base_url", Some(&base))?;
        if self.base_url.is_none() {
            scope = scope.with_origin(LEGACY_BASE_URL)?;
        }
        let creds = auth_core::credentials::required_credentials(self.credentials)?;
        let source = JwtSource::with_iat_skew(
            Arc::new(creds),
            self.options
                .token_lifetime()
                .unwrap_or(DEFAULT_TOKEN_LIFETIME),
            self.iat_skew.unwrap_or(DEFAULT_IAT_SKEW),
        )?;
        let cache =
            TokenCache::with_config(source, self.options.clock(), self.options.cache_config())
                .named("holidu");
        let accept = (
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        Ok(BearerAuth::new(
            BearerSigner::new(cache, vec![accept]),
            scope,
        ))
    }
}
