//! [`V5Auth`]: the signer users attach — a cached bearer token plus `X-APP-ID` — and the
//! typed [`verify`](V5Api::verify) call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::ProviderOptions;
use auth_core::credentials::header_value;
use auth_core::{
    AuthError, BearerAuth, BearerSigner, BearerSource, CachedToken, ErrorKind, Signer, TokenCache,
};
use secrecy::SecretString;
use url::Url;

use crate::credentials::V5Credentials;
use crate::error::parse_envelope;
use crate::sign::X_APP_ID;
use crate::token::{DEFAULT_TOKEN_LIFETIME, ExpireTimeZone, V5TokenSource, VerifyData};
use auth_core::Origin;

/// Signs V5 OpenAPI requests: `Authorization: Bearer <token>` from a cached token and
/// `X-APP-ID: <app_id>`. Attach it with
/// [`middleware`](BearerAuth::middleware).
///
/// A response with HTTP 401 marks the token rejected: it is dropped from the cache and the
/// request is retried once with a fresh token (by the middleware, for replayable bodies).
/// Provider codes that mean "token rejected" inside a non-401 envelope (see
/// [`V5AuthBuilder::rejection_codes`]) are honoured the same way: the middleware reads
/// small JSON answers (announced length up to 64 KiB), and on such a code drops the token,
/// signs the request afresh and sends it once more, handing you the retried response.
/// [`V5Api::verify`] and [`V5Api::check_response`] honour them too.
///
/// ```no_run
/// use tollgate_v5_openapi::{V5Api, V5Auth};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let auth = V5Auth::builder()
///     .base_url("https://openapi.example.com")
///     .app_id("my-app")
///     .app_secret("my-secret")
///     .build()?;
/// let info = auth.verify().await?;
/// println!("token valid for {}", info.app_id);
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client.get("https://openapi.example.com/api/v5/some/resource").send().await?;
/// # Ok(()) }
/// ```
pub type V5Auth = BearerAuth<V5TokenSource>;

impl BearerSource for V5TokenSource {
    type Builder = V5AuthBuilder;
}

/// Builds a [`V5Auth`]. `base_url` and the credential are required.
#[derive(Default)]
pub struct V5AuthBuilder {
    base_url: Option<String>,
    credentials: Option<V5Credentials>,
    app_id: Option<String>,
    app_secret: Option<SecretString>,
    zone: ExpireTimeZone,
    rejection_codes: Vec<i64>,
    options: ProviderOptions,
}

impl fmt::Debug for V5AuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V5AuthBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("app_id", &self.app_id)
            .field(
                "app_secret",
                &self.app_secret.as_ref().map(|_| auth_core::Redacted),
            )
            .field("lifetime", &self.options.token_lifetime())
            .field("zone", &self.zone)
            .finish()
    }
}

impl V5AuthBuilder {
    // `token_lifetime` counts from the token request's send time: default the documented
    // 2 hours, at least one second. The HTTP client carries the token and verify calls.
    auth_core::builder_options!(
        clock,
        cache_config,
        http_client,
        token_lifetime,
        allow_origin,
        allow_insecure_http
    );

    /// The service's base URL (scheme, host and any path prefix); the documentation calls
    /// it `<API_SERVICE_HOST>` and publishes no default.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A ready credential (replaces [`app_id`](Self::app_id)/[`app_secret`](Self::app_secret)).
    #[must_use]
    pub fn credentials(mut self, creds: V5Credentials) -> Self {
        self.credentials = Some(creds);
        self
    }

    /// The application id.
    #[must_use]
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// Alias of [`app_id`](Self::app_id): the provider's parameter table calls it `user_id`.
    #[must_use]
    pub fn user_id(self, user_id: impl Into<String>) -> Self {
        self.app_id(user_id)
    }

    /// The API secret.
    #[must_use]
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(SecretString::from(secret.into()));
        self
    }

    /// Alias of [`app_secret`](Self::app_secret) (the documentation's `user_api_secret`).
    #[must_use]
    pub fn user_api_secret(self, secret: impl Into<String>) -> Self {
        self.app_secret(secret)
    }

    /// The zone the server's `expire_time` is read in (information only; default UTC).
    #[must_use]
    pub fn expire_time_zone(mut self, zone: ExpireTimeZone) -> Self {
        self.zone = zone;
        self
    }

    /// Provider `code`s that mean "this token is rejected" when they arrive without HTTP
    /// 401. The provider publishes none, so the default is empty; HTTP 401 always counts.
    #[must_use]
    pub fn rejection_codes(mut self, codes: impl IntoIterator<Item = i64>) -> Self {
        self.rejection_codes = codes.into_iter().collect();
        self
    }

    /// Validates everything and builds the signer.
    pub fn build(self) -> Result<V5Auth, AuthError> {
        let base = self
            .base_url
            .ok_or_else(|| AuthError::invalid_field("base_url", "is required"))?;
        let base = Url::parse(&base)
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid URL"))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(AuthError::invalid_field(
                "base_url",
                "must be an http(s) URL",
            ));
        }
        self.options.origins().check_endpoint("base_url", &base)?;
        let scope = self.options.origins().scope("base_url", Some(&base))?;
        let creds = match (self.credentials, self.app_id, self.app_secret) {
            (Some(c), None, None) => c,
            (Some(_), _, _) => {
                return Err(AuthError::invalid_field(
                    "app_id",
                    "give either credentials() or app_id()/app_secret(), not both",
                ));
            }
            (None, id, secret) => {
                let id = id.ok_or_else(|| AuthError::invalid_field("app_id", "is required"))?;
                let secret =
                    secret.ok_or_else(|| AuthError::invalid_field("app_secret", "is required"))?;
                use secrecy::ExposeSecret;
                V5Credentials::new(id, secret.expose_secret())?
            }
        };
        let lifetime = self
            .options
            .token_lifetime()
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        if lifetime < Duration::from_secs(1) {
            return Err(AuthError::invalid_field(
                "token_lifetime",
                "must be at least one second",
            ));
        }
        let app_id_header = header_value("app_id", creds.app_id())?;
        let http = self.options.token_http_client()?;
        let rejection_codes: Arc<[i64]> = self.rejection_codes.into();
        let mut source = V5TokenSource::new(http, &base, Arc::new(creds), lifetime, self.zone)?;
        source.rejection_codes = rejection_codes.clone();
        let cache =
            TokenCache::with_config(source, self.options.clock(), self.options.cache_config())
                .named("v5-openapi");
        let mut signer = BearerSigner::new(cache, vec![(X_APP_ID, app_id_header)]);
        if !rejection_codes.is_empty() {
            // An envelope whose `code` is one of the configured rejection codes: the token is
            // dropped and the request signed afresh and sent once more.
            let codes = rejection_codes.clone();
            signer = signer.with_rejection_body(move |body| {
                serde_json::from_slice::<crate::error::Envelope<serde::de::IgnoredAny>>(body)
                    .is_ok_and(|env| codes.contains(&env.code))
            });
        }
        Ok(BearerAuth::new(signer, scope))
    }
}

/// The V5 calls beside signing, on a [`V5Auth`]: `use tollgate_v5_openapi::V5Api;`.
pub trait V5Api {
    /// Checks an API response envelope: `data` on `code == 0`, otherwise the typed error.
    /// A rejected token (HTTP 401 or a configured rejection code) is dropped from the cache
    /// when `receipt` — the token the request was signed with — is given.
    fn check_response<T: serde::de::DeserializeOwned>(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
        receipt: Option<&Arc<CachedToken>>,
    ) -> Result<T, AuthError>;

    /// `GET /api/v5/authentication/verify`: checks the current token with the provider.
    /// A rejected token is replaced once (at most once per the cache's rejection cooldown)
    /// and the call repeated.
    fn verify(&self) -> impl std::future::Future<Output = Result<VerifyData, AuthError>> + Send;
}

impl V5Api for V5Auth {
    /// Checks an API response envelope: `data` on `code == 0`, otherwise the typed error.
    /// A rejected token (HTTP 401 or a configured rejection code) is dropped from the cache
    /// when `receipt` — the token the request was signed with — is given.
    fn check_response<T: serde::de::DeserializeOwned>(
        &self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
        receipt: Option<&Arc<CachedToken>>,
    ) -> Result<T, AuthError> {
        let r = parse_envelope(
            Origin::Api,
            status,
            headers,
            body,
            &self.source().rejection_codes,
        );
        if let (Err(e), Some(tok)) = (&r, receipt)
            && e.kind() == ErrorKind::TokenRejected
        {
            self.cache().reject(tok);
        }
        r
    }

    /// `GET /api/v5/authentication/verify`: checks the current token with the provider.
    /// A rejected token is replaced once (at most once per the cache's rejection cooldown)
    /// and the call repeated.
    async fn verify(&self) -> Result<VerifyData, AuthError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let source = self.source();
            let mut req = source
                .http
                .get(source.verify_url.clone())
                .header(http::header::ACCEPT, "application/json")
                .build()
                .map_err(|e| AuthError::from_reqwest("V5 verify request", e))?;
            let receipt = self.signer().sign(&mut req).await?;
            let resp = source
                .http
                .execute(req)
                .await
                .map_err(|e| AuthError::from_reqwest("V5 verify request", e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp
                .bytes()
                .await
                .map_err(|e| AuthError::from_reqwest("V5 verify response", e))?;
            match parse_envelope(
                Origin::Api,
                status,
                &headers,
                &body,
                &self.source().rejection_codes,
            ) {
                // The first rejection is reported (at most one refetch per cooldown); the
                // retry's rejection is not a token problem and is returned as it is.
                Err(e) if e.kind() == ErrorKind::TokenRejected && attempt < 2 => {
                    if !self.signer().on_rejected(&receipt) {
                        return Err(e);
                    }
                }
                r => return r,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_errors_name_fields() {
        let cases = [
            (V5Auth::builder().app_id("a").app_secret("b"), "base_url"),
            (
                V5Auth::builder()
                    .base_url("not a url")
                    .app_id("a")
                    .app_secret("b"),
                "base_url",
            ),
            (
                V5Auth::builder()
                    .base_url("ftp://x")
                    .app_id("a")
                    .app_secret("b"),
                "base_url",
            ),
            (
                V5Auth::builder().base_url("https://x").app_secret("b"),
                "app_id",
            ),
            (
                V5Auth::builder().base_url("https://x").user_id("a"),
                "app_secret",
            ),
            (
                V5Auth::builder()
                    .base_url("https://x")
                    .app_id("a")
                    .app_secret("b")
                    .token_lifetime(Duration::ZERO),
                "token_lifetime",
            ),
        ];
        for (b, field) in cases {
            let e = b.build().expect_err(field);
            assert_eq!(e.field(), Some(field), "{e}");
        }
        let ok = V5Auth::builder()
            .base_url("https://x")
            .user_id("a")
            .user_api_secret("secret-value")
            .build()
            .expect("alias builder");
        assert!(!format!("{ok:?}").contains("secret-value"));
    }
}
