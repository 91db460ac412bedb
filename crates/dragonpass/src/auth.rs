//! [`DragonPassAuth`]: the piece users attach to their reqwest client.

use std::time::Duration;

use auth_core::ProviderOptions;
use auth_core::credentials::header_value;
use auth_core::{AuthError, BearerAuth, BearerSigner, BearerSource, TokenCache};
use http::HeaderName;

use crate::credentials::{DragonPassCredentials, ProgramId};
use crate::token::{
    DEFAULT_SELF_SIGNED_LIFETIME, DragonPassTokenSource, SharedTokenResponseParser,
    TokenResponseParser,
};

/// The header carrying the program id.
pub const PROGRAM_ID_HEADER: &str = "x-program-id";

/// Longest lifetime accepted for self-generated tokens (24 h).
pub const MAX_SELF_SIGNED_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Signs DragonPass requests with `Authorization: Bearer <JWT>` (and `X-Program-ID` when a
/// program id is configured). The token is minted or fetched once, cached, and refreshed
/// ahead of expiry by auth-core's [`TokenCache`]. Clones share the cache.
///
/// ```no_run
/// use tollgate_dragonpass::DragonPassAuth;
/// use tollgate_dragonpass::SelfSignedCredentials;
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let auth = DragonPassAuth::builder()
///     .credentials(SelfSignedCredentials::hs256("MY-ISSUER", "MY-SECRET")?)
///     .program_id("1234567890123456789")
///     .allow_origin("https://api.example.com")
///     .build()?;
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client.get("https://api.example.com/v2/transport-hubs").send().await?;
/// # Ok(()) }
/// ```
pub type DragonPassAuth = BearerAuth<DragonPassTokenSource>;

impl BearerSource for DragonPassTokenSource {
    type Builder = DragonPassAuthBuilder;
}

/// Builds a [`DragonPassAuth`].
#[derive(Debug, Default)]
pub struct DragonPassAuthBuilder {
    credentials: Option<DragonPassCredentials>,
    program_id: Option<String>,
    token_response: Option<SharedTokenResponseParser>,
    options: ProviderOptions,
}

impl DragonPassAuthBuilder {
    // Self-generated tokens live one hour by default, at most 24 h; in token API mode the
    // provider's lifetime (one hour) applies and `token_lifetime` is ignored.
    auth_core::builder_options!(
        clock,
        cache_config,
        http_client,
        token_lifetime,
        allow_insecure_http
    );

    /// The credentials (required): [`SelfSignedCredentials`](crate::credentials::SelfSignedCredentials)
    /// or [`TokenApiCredentials`](crate::credentials::TokenApiCredentials).
    #[must_use]
    pub fn credentials(mut self, credentials: impl Into<DragonPassCredentials>) -> Self {
        self.credentials = Some(credentials.into());
        self
    }

    /// Sends `X-Program-ID: <id>` on every request that does not name its own program
    /// (validated by [`build`](Self::build)). A client may hold several program ids: set
    /// the usual one here, and put `X-Program-ID` on a request to use another for it — the
    /// signer keeps a request's own header.
    #[must_use]
    pub fn program_id(mut self, program_id: impl Into<String>) -> Self {
        self.program_id = Some(program_id.into());
        self
    }

    /// The DragonPass API origin (`https://host[:port]`) whose requests the middleware
    /// signs; repeat for more. DragonPass publishes no fixed host, so at least one is
    /// required: requests to any other origin go out unsigned, so that the bearer token
    /// never reaches another API the same client calls. HTTPS only, except on loopback.
    #[must_use]
    pub fn allow_origin(mut self, url: impl Into<String>) -> Self {
        self.options.origins_mut().allow(url);
        self
    }

    /// Signs requests to any https (or loopback) origin instead of a list: only for a
    /// client that calls nothing but DragonPass (a command-line tool signing the URL it was
    /// given). Prefer [`allow_origin`](Self::allow_origin).
    #[must_use]
    pub fn allow_any_origin(mut self) -> Self {
        self.options.origins_mut().allow_any(true);
        self
    }

    /// How the token API's response is read (token API mode only). The default,
    /// [`default_token_response`](crate::token::default_token_response), expects
    /// `{"code": 0, "data": {"accessToken" | "token" | "access_token", "expiresIn"?}}`; pass
    /// any `Fn(StatusCode, &HeaderMap, &[u8]) -> Result<TokenResponse, AuthError>` if your
    /// deployment answers differently.
    #[must_use]
    pub fn token_response(mut self, parser: impl TokenResponseParser) -> Self {
        self.token_response = Some(SharedTokenResponseParser::new(parser));
        self
    }

    /// Validates everything and builds the signer.
    pub fn build(self) -> Result<DragonPassAuth, AuthError> {
        let credentials = auth_core::credentials::required_credentials(self.credentials)?;
        let lifetime = self
            .options
            .token_lifetime()
            .unwrap_or(DEFAULT_SELF_SIGNED_LIFETIME);
        if lifetime < Duration::from_secs(1) || lifetime > MAX_SELF_SIGNED_LIFETIME {
            return Err(AuthError::invalid_field(
                "token_lifetime",
                "must be between 1 second and 24 hours",
            ));
        }
        let mut extra = Vec::new();
        if let Some(id) = self.program_id {
            let id = ProgramId::new(id)?;
            extra.push((
                HeaderName::from_static(PROGRAM_ID_HEADER),
                header_value("program_id", id.as_str())?,
            ));
        }
        let scope = self.options.origins().scope("allow_origin", None)?;
        let source = match credentials {
            DragonPassCredentials::SelfSigned(c) => DragonPassTokenSource::self_signed(c, lifetime),
            DragonPassCredentials::TokenApi(c) => {
                self.options
                    .origins()
                    .check_endpoint("token_url", c.token_url())?;
                let http = self.options.token_http_client()?;
                DragonPassTokenSource::token_api_with_parser(
                    c,
                    http,
                    self.token_response.unwrap_or_default(),
                )
            }
        };
        let cache =
            TokenCache::with_config(source, self.options.clock(), self.options.cache_config())
                .named("dragonpass");
        Ok(BearerAuth::new(BearerSigner::new(cache, extra), scope))
    }
}
