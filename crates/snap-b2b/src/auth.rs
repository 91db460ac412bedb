use std::fmt;
use std::sync::Arc;

use auth_core::ProviderOptions;
use auth_core::{
    AuthError, AuthMiddleware, CachedToken, ErrorKind, ExposeSecret, Judgement, Scope, SharedClock,
    Signer, TokenCache, body_bytes,
};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use reqwest::Request;
use url::Url;

use crate::b2b2c::{AUTHORIZATION_CUSTOMER, CUSTOMER_ID};
use crate::canonical::BodyForm;
use crate::credentials::{SnapCredentials, SnapPrivateKey, missing_secret};
use crate::external_id::{ExternalIdGenerator, SharedExternalIdGenerator};
use crate::profile::{ClientIdHeader, CustomerTokenHeader, Profile, TransactionSigning};
use crate::sign::{HmacKey, Transaction, TransactionKey, endpoint_url};
use crate::token::{SnapTokenSource, X_CLIENT_KEY, X_SIGNATURE, X_TIMESTAMP};

/// `X-PARTNER-ID`.
pub const X_PARTNER_ID: HeaderName = HeaderName::from_static("x-partner-id");
/// `X-EXTERNAL-ID`.
pub const X_EXTERNAL_ID: HeaderName = HeaderName::from_static("x-external-id");
/// `CHANNEL-ID`.
pub const CHANNEL_ID: HeaderName = HeaderName::from_static("channel-id");
/// `ORIGIN`.
pub const ORIGIN: HeaderName = HeaderName::from_static("origin");

enum Mode {
    Symmetric {
        cache: TokenCache<SnapTokenSource>,
        hmac: Box<HmacKey>,
    },
    /// RSA transactions; with a token cache, the B2B token rides along in `Authorization`.
    Asymmetric {
        key: Arc<SnapPrivateKey>,
        cache: Option<TokenCache<SnapTokenSource>>,
    },
}

struct Inner {
    mode: Mode,
    clock: SharedClock,
    partner_id: HeaderValue,
    channel_id: HeaderValue,
    origin: Option<HeaderValue>,
    client_key: String,
    /// `X-CLIENT-KEY` on transactions ([`ClientIdHeader::ClientKey`]).
    client_key_header: HeaderValue,
    external_ids: SharedExternalIdGenerator,
    scope: Scope,
    profile: Profile,
    base_path: String,
    b2b2c: Option<crate::b2b2c::CustomerTokens>,
}

/// Signs SNAP B2B transactions; implements [`Signer`] for auth-core's middleware. Cheap to
/// clone (clones share the token cache).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate_snap_b2b::{SnapAuth, SnapCredentials};
/// let creds = SnapCredentials::from_env()?;
/// let auth = SnapAuth::builder().credentials(creds)
///     .base_url("https://sandbox.bank.example/snap")
///     .http_client(reqwest::Client::builder()) // optional: your own client for token requests
///     .build()?;
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client
///     .post("https://sandbox.bank.example/snap/v1.0/transfer-va/inquiry")
///     .body(r#"{ "partnerServiceId": "  12345", "customerNo": "0001" }"#)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
///
/// Per request it (1) takes the B2B access token from the token cache (symmetric mode),
/// (2) reads the in-memory body, minifies it in one pass and replaces the body with exactly
/// the minified bytes, (3) signs, and (4) sets `Authorization`, `X-TIMESTAMP`,
/// `X-SIGNATURE`, `X-PARTNER-ID`, `X-EXTERNAL-ID`, `CHANNEL-ID`, `ORIGIN` and
/// `Content-Type: application/json` (when absent).
///
/// Per-request overrides: a request that already carries `X-EXTERNAL-ID`, `X-PARTNER-ID`,
/// `CHANNEL-ID` or `ORIGIN` keeps its own value.
#[derive(Clone)]
pub struct SnapAuth {
    inner: Arc<Inner>,
}

impl fmt::Debug for SnapAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SnapAuth");
        d.field("client_key", &self.inner.client_key)
            .field("profile", &self.inner.profile.name);
        match &self.inner.mode {
            Mode::Symmetric { cache, hmac } => d.field("cache", cache).field("hmac", hmac),
            Mode::Asymmetric { key, cache } => d.field("key", key).field("cache", cache),
        };
        d.finish()
    }
}

/// Builder of [`SnapAuth`].
pub struct SnapAuthBuilder {
    credentials: Option<SnapCredentials>,
    base_url: Option<String>,
    token_url: Option<String>,
    options: ProviderOptions,
    profile: Profile,
    external_ids: Option<SharedExternalIdGenerator>,
    b2b2c: Option<crate::b2b2c::CustomerTokens>,
}

impl fmt::Debug for SnapAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapAuthBuilder")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("profile", &self.profile.name)
            .finish_non_exhaustive()
    }
}

impl SnapAuthBuilder {
    auth_core::builder_options!(
        clock,
        cache_config,
        http_client,
        allow_origin,
        allow_insecure_http
    );

    /// The credentials (required): see [`SnapCredentials`].
    #[must_use]
    pub fn credentials(mut self, credentials: SnapCredentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The provider's base URL including its prefix (e.g. `https://host/snap`); the token
    /// URL is this plus the profile's [`token_path`](Profile::token_path).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The full token URL (overrides `base_url` + the profile's `token_path`).
    #[must_use]
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Symmetric or asymmetric transaction signatures (the profile's
    /// [`signing`](Profile::signing)).
    #[must_use]
    pub fn transaction_signing(mut self, s: TransactionSigning) -> Self {
        self.profile.signing = s;
        self
    }

    /// Every provider setting from `profile` (a preset such as [`Profile::doku`], possibly
    /// changed: its fields are public). [`transaction_signing`](Self::transaction_signing) and
    /// [`extra_header`](Self::extra_header) called afterwards change this profile.
    ///
    /// ```
    /// # fn demo(creds: tollgate_snap_b2b::SnapCredentials) -> Result<(), tollgate_snap_b2b::auth_core::AuthError> {
    /// use tollgate_snap_b2b::{Profile, SnapAuth};
    /// let auth = SnapAuth::builder().credentials(creds)
    ///     .profile(Profile::midtrans())
    ///     .base_url("https://merchants.sbx.midtrans.com")
    ///     .build()?;
    /// assert_eq!(auth.profile().name, "midtrans");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// A fixed header added to every signed transaction that lacks it (e.g. `X-DEVICE-ID`).
    #[must_use]
    pub fn extra_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.profile.extra_headers.push((name, value));
        self
    }

    /// Generates `X-EXTERNAL-ID`s (default: the profile's
    /// [`ExternalIdStyle`](crate::external_id::ExternalIdStyle)). Asked once per signed
    /// attempt, retries included; a request that carries its own `X-EXTERNAL-ID` keeps it.
    ///
    /// ```
    /// # fn demo(creds: tollgate_snap_b2b::SnapCredentials) -> Result<(), tollgate_snap_b2b::auth_core::AuthError> {
    /// use tollgate_snap_b2b::SnapAuth;
    /// use tollgate_snap_b2b::uuid_v4;
    /// let auth = SnapAuth::builder().credentials(creds)
    ///     .base_url("https://sandbox.bank.example/snap")
    ///     .external_id_generator(|_now| format!("shop-{}", uuid_v4()))
    ///     .build()?;
    /// assert!(auth.next_external_id().starts_with("shop-"));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn external_id_generator(mut self, generator: impl ExternalIdGenerator) -> Self {
        self.external_ids = Some(Arc::new(generator));
        self
    }

    /// Customer (B2B2C) tokens: requests that carry
    /// [`CUSTOMER_ID`](crate::b2b2c::CUSTOMER_ID) get `Authorization-Customer` from these.
    #[must_use]
    pub fn customer_tokens(mut self, tokens: crate::b2b2c::CustomerTokens) -> Self {
        self.b2b2c = Some(tokens);
        self
    }

    fn resolve_token_url(&self) -> Result<Url, AuthError> {
        let raw = match (&self.token_url, &self.base_url) {
            (Some(t), _) => t.clone(),
            (None, Some(b)) => {
                let path = &self.profile.token_path;
                let sep = if path.starts_with('/') { "" } else { "/" };
                format!("{}{sep}{path}", b.trim_end_matches('/'))
            }
            (None, None) => {
                return Err(AuthError::invalid_field(
                    "base_url",
                    "is required to reach the token endpoint (or set token_url)",
                ));
            }
        };
        let url = Url::parse(&raw)
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid absolute URL"))?;
        let field = if self.token_url.is_some() {
            "token_url"
        } else {
            "base_url"
        };
        self.options.origins().check_endpoint(field, &url)?;
        Ok(url)
    }

    /// Validates the settings and builds the signer.
    pub fn build(mut self) -> Result<SnapAuth, AuthError> {
        let clock = self.options.clock();
        let base = self
            .base_url
            .as_deref()
            .map(|b| {
                Url::parse(b).map_err(|_| {
                    AuthError::invalid_field("base_url", "is not a valid absolute URL")
                })
            })
            .transpose()?;
        let scope = self.options.origins().scope("base_url", base.as_ref())?;
        let credentials = auth_core::credentials::required_credentials(self.credentials.take())?;
        let creds = &credentials;
        let key = Arc::new(creds.private_key().clone());
        let profile = &self.profile;
        if profile.body_form == BodyForm::WhitespaceStripped {
            return Err(AuthError::invalid_field(
                "body_form",
                "whitespace-stripped changes the data; it is a verification form only",
            ));
        }
        let base_path = base
            .as_ref()
            .map(|b| b.path().to_string())
            .unwrap_or_default();
        let external_ids = self
            .external_ids
            .clone()
            .unwrap_or_else(|| profile.external_ids.generator());
        let cache = match profile.signing.uses_token() {
            true => {
                let source = SnapTokenSource::new(
                    self.options.token_http_client()?,
                    self.resolve_token_url()?,
                    creds.client_key(),
                    key.clone(),
                    profile.timestamp,
                    profile.token_signature_encoding,
                    profile.token_request_body(),
                )?;
                Some(
                    TokenCache::with_config(source, clock.clone(), self.options.cache_config())
                        .named("snap-b2b"),
                )
            }
            false => None,
        };
        let mode = match (profile.signing, cache) {
            (TransactionSigning::Symmetric, Some(cache)) => {
                let secret = creds.client_secret().ok_or_else(missing_secret)?;
                Mode::Symmetric {
                    cache,
                    hmac: Box::new(HmacKey::new(secret)),
                }
            }
            (_, cache) => Mode::Asymmetric { key, cache },
        };
        let client_key_header =
            auth_core::credentials::header_value("client_key", creds.client_key())?;
        Ok(SnapAuth {
            inner: Arc::new(Inner {
                mode,
                clock,
                partner_id: creds.partner_id().clone(),
                channel_id: creds.channel_id().clone(),
                origin: creds.origin().cloned(),
                client_key: creds.client_key().to_string(),
                client_key_header,
                external_ids,
                scope,
                profile: self.profile,
                base_path,
                b2b2c: self.b2b2c,
            }),
        })
    }
}

impl SnapAuth {
    /// Starts a builder with the default [`Profile`] ([`Profile::aspi`]); set the credentials with
    /// [`credentials`](SnapAuthBuilder::credentials).
    pub fn builder() -> SnapAuthBuilder {
        SnapAuthBuilder {
            credentials: None,
            base_url: None,
            token_url: None,
            options: ProviderOptions::default(),
            profile: Profile::default(),
            external_ids: None,
            b2b2c: None,
        }
    }

    /// The middleware to attach to a `reqwest_middleware` client. It signs only requests
    /// to the base URL's origin (and those added with
    /// [`allow_origin`](SnapAuthBuilder::allow_origin)); others pass through unsigned.
    pub fn middleware(self) -> AuthMiddleware<SnapAuth> {
        let scope = self.inner.scope.clone();
        AuthMiddleware::new(self).with_scope(scope)
    }

    /// The origins the middleware signs for.
    pub fn scope(&self) -> &Scope {
        &self.inner.scope
    }

    /// The token cache (symmetric mode only).
    pub fn token_cache(&self) -> Option<&TokenCache<SnapTokenSource>> {
        match &self.inner.mode {
            Mode::Symmetric { cache, .. } => Some(cache),
            Mode::Asymmetric { cache, .. } => cache.as_ref(),
        }
    }

    /// The token cache's state for readiness probes (see [`auth_core::health`]); `None`
    /// when the provider's signing uses no access token.
    pub fn health(&self) -> Option<auth_core::CacheHealth> {
        self.token_cache().map(TokenCache::health)
    }

    /// A fresh `X-EXTERNAL-ID` from this signer's generator.
    pub fn next_external_id(&self) -> String {
        self.inner.external_ids.generate(self.inner.clock.now())
    }

    /// The provider settings in use.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The customer (B2B2C) tokens, when configured.
    pub fn customer_tokens(&self) -> Option<&crate::b2b2c::CustomerTokens> {
        self.inner.b2b2c.as_ref()
    }
}

impl Signer for SnapAuth {
    /// The token the request was signed with (`None` in asymmetric mode).
    type Receipt = SnapReceipt;

    async fn sign(&self, req: &mut Request) -> Result<Self::Receipt, AuthError> {
        // A signed request sent again (a copy of one signed before) would keep its
        // X-EXTERNAL-ID, which a caller may set, and be answered 409: refuse it.
        if req.headers().contains_key(X_SIGNATURE) {
            return Err(AuthError::new(
                ErrorKind::UnsupportedRequest,
                "the request already carries X-SIGNATURE: it was signed before, and sending it \
                 again would repeat its X-EXTERNAL-ID; send a copy of the unsigned request \
                 (retries belong outside the auth middleware)",
            )
            .with_retryable(false));
        }
        let inner = &self.inner;
        let cache = match &inner.mode {
            Mode::Symmetric { cache, .. } => Some(cache),
            Mode::Asymmetric { cache, .. } => cache.as_ref(),
        };
        let token = match cache {
            Some(cache) => Some(cache.token().await?),
            None => None,
        };
        let customer = match &inner.b2b2c {
            Some(tokens) => tokens.take(req).await?,
            None if req.headers().contains_key(CUSTOMER_ID) => {
                return Err(AuthError::new(
                    ErrorKind::UnsupportedRequest,
                    "the request names a customer (customer marker header) but the signer has \
                     no customer tokens (SnapAuthBuilder::customer_tokens)",
                ));
            }
            None => None,
        };
        let profile = &inner.profile;
        // The token in `Authorization` is the one the symmetric string signs.
        let customer_in_auth = profile.customer_token_header == CustomerTokenHeader::Authorization;
        let bearer: Option<&str> = match (&customer, token.as_deref()) {
            (Some((_, c)), _) if customer_in_auth => Some(c.expose_secret()),
            (_, Some(t)) => Some(t.secret().expose_secret()),
            _ => None,
        };
        let key = match (&inner.mode, bearer) {
            (Mode::Symmetric { hmac, .. }, Some(t)) => TransactionKey::Symmetric { hmac, token: t },
            (Mode::Asymmetric { key, .. }, _) => TransactionKey::Asymmetric(key),
            (Mode::Symmetric { .. }, None) => {
                return Err(AuthError::new(
                    ErrorKind::Internal,
                    "symmetric signing without a token",
                ));
            }
        };
        let now = inner.clock.now();
        let needs_id = !req.headers().contains_key(X_EXTERNAL_ID)
            && !profile
                .extra_headers
                .iter()
                .any(|(name, _)| name == X_EXTERNAL_ID);
        let id = needs_id.then(|| inner.external_ids.generate(inner.clock.now()));
        let endpoint_url = endpoint_url(
            req.url(),
            profile.endpoint_url,
            profile.endpoint_base,
            &inner.base_path,
        );
        let transaction = Transaction {
            method: req.method().as_str(),
            endpoint_url: &endpoint_url,
            body: body_bytes(req)?,
            form: profile.body_form,
            encoding: profile.signature_encoding,
        };
        let mut buf = Vec::new();
        let signed =
            transaction.sign_into(&key, |b| profile.timestamp.write_into(now, b), &mut buf)?;
        // The external id joins the body and the signed values in the one buffer.
        let id = id.map(|id| {
            let at = buf.len();
            buf.extend_from_slice(id.as_bytes());
            at..buf.len()
        });
        let shared = Bytes::from(buf);
        let value = |range: std::ops::Range<usize>, what: &str| {
            HeaderValue::from_maybe_shared(shared.slice(range)).map_err(|_| {
                AuthError::new(ErrorKind::Internal, format!("{what} is not a header value"))
            })
        };
        let timestamp = value(signed.timestamp, "X-TIMESTAMP")?;
        let signature = value(signed.signature, "X-SIGNATURE")?;
        let external_id = id.map(|r| value(r, "X-EXTERNAL-ID")).transpose()?;
        let body_changed = signed.body.is_some();
        if let Some(body) = signed.body {
            *req.body_mut() = Some(reqwest::Body::from(shared.slice(body)));
        }
        let headers = req.headers_mut();
        // Sized once for every header added below (a fresh map allocates once, not on
        // each growth).
        let _ = headers.try_reserve(9 + profile.extra_headers.len());
        if body_changed {
            headers.remove(http::header::CONTENT_LENGTH);
        }
        match (&customer, &token) {
            (Some((_, c)), _) if customer_in_auth => {
                headers.insert(http::header::AUTHORIZATION, crate::b2b2c::bearer(c)?);
            }
            (_, Some(t)) => {
                headers.insert(http::header::AUTHORIZATION, auth_core::bearer_header(t)?);
            }
            _ => {}
        }
        if let Some((_, c)) = customer.as_ref().filter(|_| !customer_in_auth) {
            headers.insert(AUTHORIZATION_CUSTOMER, crate::b2b2c::bearer(c)?);
        }
        headers.insert(X_TIMESTAMP, timestamp);
        headers.insert(X_SIGNATURE, signature);
        if !headers.contains_key(http::header::CONTENT_TYPE) {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        match profile.client_id_header {
            ClientIdHeader::PartnerId if !headers.contains_key(X_PARTNER_ID) => {
                headers.insert(X_PARTNER_ID, inner.partner_id.clone());
            }
            ClientIdHeader::ClientKey if !headers.contains_key(X_CLIENT_KEY) => {
                headers.insert(X_CLIENT_KEY, inner.client_key_header.clone());
            }
            _ => {}
        }
        if !headers.contains_key(CHANNEL_ID) {
            headers.insert(CHANNEL_ID, inner.channel_id.clone());
        }
        if let Some(origin) = &inner.origin
            && !headers.contains_key(ORIGIN)
        {
            headers.insert(ORIGIN, origin.clone());
        }
        for (name, value) in &profile.extra_headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if let Some(missing) = profile
            .required_headers
            .iter()
            .find(|h| !headers.contains_key(*h))
        {
            return Err(AuthError::new(
                ErrorKind::UnsupportedRequest,
                format!(
                    "the {} profile requires the {missing} header on every transaction: set \
                     it on the request or with SnapAuthBuilder::extra_header",
                    profile.name
                ),
            ));
        }
        if let Some(id) = external_id {
            headers.insert(X_EXTERNAL_ID, id);
        }
        Ok(SnapReceipt { token, customer })
    }

    /// A request outside the scope (or with `SkipAuth`) that names a customer is refused:
    /// the customer marker is for this signer alone and must not reach another server.
    fn pass_unsigned(&self, req: &mut Request) -> Result<(), AuthError> {
        if req.headers().contains_key(CUSTOMER_ID) {
            return Err(AuthError::new(
                ErrorKind::UnsupportedRequest,
                "the request names a customer (customer marker header) but is not signed by \
                 this signer (outside its scope, or SkipAuth); refused so that the marker is \
                 not sent to another server",
            ));
        }
        Ok(())
    }

    /// A SNAP 401 is judged by its body: it means "fetch a new token and retry" only when
    /// a new token can help — its `responseCode` is `401xx01` (invalid token) or `401xx03`
    /// (token not found), or it has no readable SNAP code. Signature, timestamp and field
    /// errors (`401xx00`, `4012400`…) are passed to the caller without a refetch.
    fn judge(
        &self,
        status: StatusCode,
        _headers: &http::HeaderMap,
        body: Option<&[u8]>,
    ) -> Judgement {
        match body {
            _ if status != StatusCode::UNAUTHORIZED => Judgement::Accept,
            None => Judgement::ReadBody,
            Some(body) if token_can_help(body) => Judgement::Reject,
            Some(_) => Judgement::Accept,
        }
    }

    /// Symmetric: reports the token to the cache (a retry gets a new one). Asymmetric: no
    /// token, a fresh signature (new timestamp) is tried once. A customer's call also has
    /// its customer token renewed: the judgement does not say which token was refused.
    fn provider_name(&self) -> &'static str {
        "snap-b2b"
    }

    fn on_rejected(&self, receipt: &Self::Receipt) -> bool {
        let customer = match (&receipt.customer, &self.inner.b2b2c) {
            (Some((who, token)), Some(tokens)) => tokens.reject(who, token),
            _ => false,
        };
        let b2b = match (&receipt.token, &self.inner.mode) {
            (Some(token), Mode::Symmetric { cache, .. }) => cache.reject(token),
            (
                Some(token),
                Mode::Asymmetric {
                    cache: Some(cache), ..
                },
            ) => cache.reject(token),
            (_, Mode::Asymmetric { .. }) => true,
            _ => false,
        };
        customer || b2b
    }
}

/// What [`SnapAuth`] signed a request with, for [`Signer::on_rejected`].
#[derive(Debug)]
pub struct SnapReceipt {
    token: Option<Arc<CachedToken>>,
    customer: Option<(String, auth_core::SecretString)>,
}

impl SnapReceipt {
    /// The B2B access token the request carries (symmetric signing).
    pub fn token(&self) -> Option<&Arc<CachedToken>> {
        self.token.as_ref()
    }
}

/// Whether a 401 body leaves room for a new token to help (see [`SnapAuth`]'s
/// [`Signer::judge`]).
fn token_can_help(body: &[u8]) -> bool {
    let code = serde_json::from_slice::<crate::error::SnapEnvelope>(body)
        .ok()
        .and_then(|e| e.code());
    match code {
        // 01/03: the B2B token is invalid or unknown; 02/04: the customer token is.
        Some(c) if c.http_status() == 401 => (1..=4).contains(&c.case_code()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_numeric_and_distinct() {
        let ids = crate::external_id::Numeric32::new();
        let now = std::time::SystemTime::now();
        let a = ids.generate(now);
        let b = ids.generate(now);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(a, b);
        assert_eq!(a[..16], b[..16]);
    }

    #[test]
    fn only_token_codes_retry() {
        assert!(token_can_help(br#"{"responseCode":"4012401"}"#));
        assert!(token_can_help(br#"{"responseCode":"4017303"}"#));
        assert!(token_can_help(b"not json"));
        assert!(token_can_help(b""));
        assert!(!token_can_help(br#"{"responseCode":"4012400"}"#));
        assert!(token_can_help(br#"{"responseCode":"4012402"}"#));
        assert!(!token_can_help(br#"{"responseCode":"4012405"}"#));
    }
}
