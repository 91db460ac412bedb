use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::clock::system_clock;
use auth_core::{AuthError, ErrorKind, ExposeSecret, SecretString, SharedClock};
use http::{HeaderName, HeaderValue};
use serde::Deserialize;
use url::Url;

use crate::credentials::{SnapCredentials, SnapPrivateKey};
use crate::error::{ResponseCode, error_from_response};
use crate::profile::{GrantValueCase, Profile};
use crate::sign::{SignatureEncoding, token_signature};
use crate::timestamp::{TimestampFormat, parse_timestamp};
use crate::token::{DEFAULT_TOKEN_LIFETIME, X_CLIENT_KEY, X_SIGNATURE, X_TIMESTAMP};

/// `Authorization-Customer`.
pub const AUTHORIZATION_CUSTOMER: HeaderName = HeaderName::from_static("authorization-customer");
/// The marker header naming the customer a request is made for; the signer removes it and
/// sets [`AUTHORIZATION_CUSTOMER`] instead. Requests the signer does not sign are refused
/// when they carry it.
pub const CUSTOMER_ID: HeaderName = HeaderName::from_static("tollgate-snap-customer");
/// Default bound of the per-customer cache.
pub const DEFAULT_MAX_CUSTOMERS: usize = 10_000;
/// Default refresh margin: a token this close to expiry is refreshed first.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The longest a customer access token is used before it is refreshed, whatever the
/// provider's `accessTokenExpiryTime` or `expiresIn` says (366 days).
const MAX_ACCESS_LIFETIME: Duration = Duration::from_secs(366 * 86_400);

/// Why no customer token could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CustomerTokenError {
    /// The customer must authorise again: no token is held for them, or their refresh token
    /// expired or was refused.
    #[error("customer {customer:?} must authorise again ({why})")]
    AuthoriseAgain {
        /// The customer id.
        customer: String,
        /// Why.
        why: &'static str,
    },
    /// The token request failed for another reason (transport, server error, bad answer).
    #[error("customer token request failed: {0}")]
    Request(AuthError),
}

impl From<CustomerTokenError> for AuthError {
    fn from(e: CustomerTokenError) -> Self {
        match e {
            CustomerTokenError::Request(a) => a,
            again @ CustomerTokenError::AuthoriseAgain { .. } => {
                AuthError::new(ErrorKind::Unauthorized, again.to_string())
            }
        }
    }
}

/// A customer's tokens.
#[derive(Clone)]
struct Held {
    access: SecretString,
    access_expires: SystemTime,
    refresh: Option<SecretString>,
    refresh_expires: Option<SystemTime>,
}

struct Slot {
    held: futures::lock::Mutex<Option<Held>>,
    last_used: AtomicU64,
}

struct Inner {
    http: reqwest::Client,
    url: Url,
    client_key: String,
    client_key_header: HeaderValue,
    key: Arc<SnapPrivateKey>,
    timestamp: TimestampFormat,
    encoding: SignatureEncoding,
    grant_case: GrantValueCase,
    clock: SharedClock,
    margin: Duration,
    max: usize,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    tick: AtomicU64,
    fetches: AtomicU64,
}

/// Per-customer B2B2C tokens: bounded cache, refresh ahead of expiry, one request per
/// customer at a time. Cheap to clone (clones share the cache).
///
/// B2B2C customer tokens (SNAP service 74): calls made on a customer's behalf carry
/// `Authorization-Customer: Bearer <customer token>` beside the B2B token.
///
/// The customer authorises the merchant at the provider and the merchant receives an
/// authorization code; [`CustomerTokens::authorize`] exchanges it at
/// `POST {base}/v1.0/access-token/b2b2c` (path per [`Profile`]) — signed like the B2B
/// token request: `X-CLIENT-KEY`, `X-TIMESTAMP`, `X-SIGNATURE` = SHA256withRSA over
/// `clientKey|X-TIMESTAMP` — with body `{"grantType":"AUTHORIZATION_CODE","authCode":…}`.
/// The answer's `accessToken`, `accessTokenExpiryTime`, `refreshToken` and
/// `refreshTokenExpiryTime` are kept per customer id (a key you choose) in a cache of
/// bounded size. [`CustomerTokens::token`] hands out the access token and, ahead of its
/// expiry, refreshes it with `{"grantType":"REFRESH_TOKEN","refreshToken":…}` — one
/// request per customer however many callers wait (an access token is refreshed after at
/// most 366 days, whatever its `accessTokenExpiryTime` or `expiresIn` says). When no
/// refresh is possible (refresh token expired or refused, customer unknown or evicted) it
/// answers [`CustomerTokenError::AuthoriseAgain`]: send the customer through authorisation
/// again.
///
/// With the middleware, name the customer in the [`CUSTOMER_ID`] header; the signer
/// replaces it with `Authorization-Customer` (the marker header is never sent). A request
/// carrying the marker that the middleware does not sign — outside its scope, or with
/// `SkipAuth` — or sent through a signer without customer tokens fails with
/// [`ErrorKind::UnsupportedRequest`](auth_core::ErrorKind::UnsupportedRequest) before
/// anything is sent:
///
/// ```no_run
/// # async fn demo(creds: tollgate_snap_b2b::SnapCredentials, auth_code: String) -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate_snap_b2b::{CUSTOMER_ID, CustomerTokens};
/// use tollgate_snap_b2b::{Profile, SnapAuth};
/// let base = "https://api-sandbox.doku.com";
/// let customers = CustomerTokens::builder(&creds).profile(&Profile::doku()).base_url(base).build()?;
/// customers.authorize("customer-42", &auth_code).await?;
/// let auth = SnapAuth::builder().credentials(creds)
///     .profile(Profile::doku())
///     .base_url(base)
///     .customer_tokens(customers)
///     .build()?;
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// client
///     .post(format!("{base}/direct-debit/core/v1/balance-inquiry"))
///     .header(CUSTOMER_ID, "customer-42")
///     .body(r#"{"additionalInfo":{"channel":"DIRECT_DEBIT_MANDIRI"}}"#)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CustomerTokens {
    inner: Arc<Inner>,
}

impl fmt::Debug for CustomerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerTokens")
            .field("url", &self.inner.url.as_str())
            .field("customers", &self.len())
            .field("max", &self.inner.max)
            .finish_non_exhaustive()
    }
}

/// Builder of [`CustomerTokens`].
pub struct CustomerTokensBuilder {
    client_key: String,
    key: Arc<SnapPrivateKey>,
    profile: Profile,
    base_url: Option<String>,
    token_url: Option<String>,
    http: Option<Result<reqwest::Client, AuthError>>,
    clock: Option<SharedClock>,
    margin: Duration,
    max: usize,
    insecure_http: bool,
}

impl fmt::Debug for CustomerTokensBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerTokensBuilder")
            .field("client_key", &self.client_key)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl CustomerTokensBuilder {
    /// Path, timestamp, signature encoding and `grantType` spelling from `profile`.
    #[must_use]
    pub fn profile(mut self, profile: &Profile) -> Self {
        self.profile = profile.clone();
        self
    }

    /// The provider's base URL; the token URL is this plus the profile's B2B2C path.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The full B2B2C token URL (overrides the base URL).
    #[must_use]
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The client for token requests, as a builder: tollgate turns its redirects off (a
    /// refresh carries the refresh token, which a redirect would re-post elsewhere), and
    /// every request ends within auth-core's request timeout whatever the builder says.
    /// Default: auth-core's token client.
    #[must_use]
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(auth_core::transport::token_client_from(builder));
        self
    }

    /// The clock for `X-TIMESTAMP` and expiry.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long before expiry a token is refreshed (default 60 s).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The most customers kept (default 10 000, at least 1); the least recently used is
    /// dropped first.
    #[must_use]
    pub fn max_customers(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// Accepts a plain-HTTP token URL off loopback (test setups only; see
    /// [`check_endpoint_url`](auth_core::scope::check_endpoint_url)).
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// Validates and builds: the token URL must be https (plain http on loopback, or with
    /// [`allow_insecure_http`](Self::allow_insecure_http)).
    pub fn build(self) -> Result<CustomerTokens, AuthError> {
        let raw = match (&self.token_url, &self.base_url) {
            (Some(t), _) => t.clone(),
            (None, Some(b)) => format!(
                "{}{}",
                b.trim_end_matches('/'),
                self.profile.b2b2c_token_path
            ),
            (None, None) => {
                return Err(AuthError::invalid_field(
                    "base_url",
                    "is required to reach the B2B2C token endpoint (or set token_url)",
                ));
            }
        };
        let field = if self.token_url.is_some() {
            "token_url"
        } else {
            "base_url"
        };
        let url = Url::parse(&raw)
            .map_err(|_| AuthError::invalid_field(field, "is not a valid absolute URL"))?;
        // The same rule as every token endpoint: https, plain http on loopback only.
        auth_core::scope::check_endpoint_url(field, &url, self.insecure_http)?;
        let http = match self.http {
            Some(built) => built?,
            None => auth_core::transport::token_client()?,
        };
        let client_key_header =
            auth_core::credentials::header_value("client_key", &self.client_key)?;
        Ok(CustomerTokens {
            inner: Arc::new(Inner {
                http,
                url,
                client_key: self.client_key,
                client_key_header,
                key: self.key,
                timestamp: self.profile.timestamp,
                encoding: self.profile.token_signature_encoding,
                grant_case: self.profile.b2b2c_grant_case,
                clock: self.clock.unwrap_or_else(system_clock),
                margin: self.margin,
                max: self.max,
                slots: Mutex::new(HashMap::new()),
                tick: AtomicU64::new(0),
                fetches: AtomicU64::new(0),
            }),
        })
    }
}

/// `Bearer <token>`, marked sensitive.
pub(crate) fn bearer(token: &SecretString) -> Result<HeaderValue, CustomerTokenError> {
    let mut v =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            CustomerTokenError::Request(AuthError::new(
                ErrorKind::InvalidResponse,
                "customer token is not a header value",
            ))
        })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Whether a refused refresh says the refresh token itself is bad (`401xx01`–`401xx04`:
/// invalid or unknown token): only then must the customer consent again. A stale
/// timestamp, a bad signature or a field error is the client's to fix.
fn refresh_token_is_bad(body: &[u8]) -> bool {
    serde_json::from_slice::<crate::error::SnapEnvelope>(body)
        .ok()
        .and_then(|e| e.code())
        .is_some_and(|c| c.http_status() == 401 && (1..=4).contains(&c.case_code()))
}

#[derive(Deserialize)]
struct B2b2cResponse {
    #[serde(rename = "responseCode", default)]
    response_code: Option<String>,
    #[serde(rename = "accessToken", default)]
    access_token: Option<String>,
    #[serde(rename = "accessTokenExpiryTime", default)]
    access_expiry: Option<String>,
    #[serde(rename = "expiresIn", default)]
    expires_in: Option<serde_json::Value>,
    #[serde(rename = "refreshToken", default)]
    refresh_token: Option<String>,
    #[serde(rename = "refreshTokenExpiryTime", default)]
    refresh_expiry: Option<String>,
}

enum Grant<'a> {
    Code(&'a str),
    Refresh(&'a SecretString),
}

impl CustomerTokens {
    /// A builder for the client key and private key of `credentials`.
    pub fn builder(credentials: &SnapCredentials) -> CustomerTokensBuilder {
        CustomerTokensBuilder {
            client_key: credentials.client_key().to_string(),
            key: Arc::new(credentials.private_key().clone()),
            profile: Profile::default(),
            base_url: None,
            token_url: None,
            http: None,
            clock: None,
            margin: DEFAULT_REFRESH_MARGIN,
            max: DEFAULT_MAX_CUSTOMERS,
            insecure_http: false,
        }
    }

    /// Customers currently held.
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Whether no customer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Token requests sent (authorisations and refreshes).
    pub fn requests_sent(&self) -> u64 {
        self.inner.fetches.load(Ordering::SeqCst)
    }

    /// Drops what is held for `customer` (for example when they unlink their account).
    pub fn forget(&self, customer: &str) {
        self.slots().remove(customer);
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        self.inner.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn slot(&self, customer: &str, create: bool) -> Option<Arc<Slot>> {
        let tick = self.inner.tick.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots();
        if let Some(s) = slots.get(customer) {
            s.last_used.store(tick, Ordering::Relaxed);
            return Some(s.clone());
        }
        if !create {
            return None;
        }
        while slots.len() >= self.inner.max {
            let oldest = slots
                .iter()
                .min_by_key(|(_, s)| s.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => slots.remove(&k),
                None => break,
            };
        }
        let slot = Arc::new(Slot {
            held: futures::lock::Mutex::new(None),
            last_used: AtomicU64::new(tick),
        });
        slots.insert(customer.to_string(), slot.clone());
        Some(slot)
    }

    /// Exchanges the authorization code the customer's consent produced and keeps the
    /// tokens under `customer`.
    pub async fn authorize(
        &self,
        customer: &str,
        auth_code: &str,
    ) -> Result<(), CustomerTokenError> {
        let held = self.request(Grant::Code(auth_code)).await?;
        let slot = self
            .slot(customer, true)
            .ok_or_else(|| self.again(customer, "not held"))?;
        *slot.held.lock().await = Some(held);
        Ok(())
    }

    fn again(&self, customer: &str, why: &'static str) -> CustomerTokenError {
        CustomerTokenError::AuthoriseAgain {
            customer: customer.to_string(),
            why,
        }
    }

    /// The customer's access token, refreshed first when it is within the margin of its
    /// expiry. Concurrent callers for one customer share a single refresh.
    pub async fn token(&self, customer: &str) -> Result<SecretString, CustomerTokenError> {
        let Some(slot) = self.slot(customer, false) else {
            return Err(self.again(customer, "no token is held for this customer"));
        };
        let mut held = slot.held.lock().await;
        let now = self.inner.clock.now();
        let Some(current) = held.clone() else {
            return Err(self.again(customer, "no token is held for this customer"));
        };
        let fresh_until = current
            .access_expires
            .checked_sub(self.inner.margin)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        if now < fresh_until {
            return Ok(current.access);
        }
        let refresh_usable =
            current.refresh.is_some() && current.refresh_expires.is_none_or(|exp| now < exp);
        let Some(refresh) = current.refresh.as_ref().filter(|_| refresh_usable) else {
            if now < current.access_expires {
                return Ok(current.access);
            }
            *held = None;
            drop(held);
            self.forget(customer);
            return Err(self.again(customer, "the refresh token expired"));
        };
        match self.request(Grant::Refresh(refresh)).await {
            Ok(mut next) => {
                // A provider that does not rotate the refresh token keeps the old one.
                if next.refresh.is_none() {
                    next.refresh = current.refresh.clone();
                    next.refresh_expires = current.refresh_expires;
                }
                let token = next.access.clone();
                *held = Some(next);
                Ok(token)
            }
            Err(CustomerTokenError::AuthoriseAgain { why, .. }) => {
                *held = None;
                drop(held);
                self.forget(customer);
                Err(self.again(customer, why))
            }
            Err(other) if now < current.access_expires => {
                tracing::debug!(error = %other, "customer token refresh failed; the current token is still valid");
                Ok(current.access)
            }
            Err(other) => Err(other),
        }
    }

    /// `Bearer <customer token>` for the `Authorization-Customer` header (marked sensitive).
    pub async fn header(&self, customer: &str) -> Result<HeaderValue, CustomerTokenError> {
        bearer(&self.token(customer).await?)
    }

    /// Removes the customer marker from `req` and returns the customer and their current
    /// token; the signer places it ([`Profile::customer_token_header`]).
    pub(crate) async fn take(
        &self,
        req: &mut reqwest::Request,
    ) -> Result<Option<(String, SecretString)>, AuthError> {
        let Some(marker) = req.headers_mut().remove(CUSTOMER_ID) else {
            return Ok(None);
        };
        let customer = marker.to_str().map_err(|_| {
            AuthError::new(
                ErrorKind::UnsupportedRequest,
                "customer id is not visible ASCII",
            )
        })?;
        let token = self.token(customer).await?;
        Ok(Some((customer.to_string(), token)))
    }

    /// Marks `token` refused for `customer`: the next use refreshes it (or asks for consent
    /// when it cannot be refreshed). Returns whether `token` was the one held.
    pub(crate) fn reject(&self, customer: &str, token: &SecretString) -> bool {
        let Some(slot) = self.slot(customer, false) else {
            return false;
        };
        let Some(mut held) = slot.held.try_lock() else {
            // Being refreshed right now: the next use gets the new token.
            return true;
        };
        match held.as_mut() {
            Some(h)
                if auth_core::credentials::constant_time_eq(
                    h.access.expose_secret().as_bytes(),
                    token.expose_secret().as_bytes(),
                ) =>
            {
                h.access_expires = self.inner.clock.now();
                true
            }
            _ => false,
        }
    }

    async fn request(&self, grant: Grant<'_>) -> Result<Held, CustomerTokenError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let timestamp = inner.timestamp.format(now);
        let signature = token_signature(&inner.key, &inner.client_key, &timestamp, inner.encoding);
        let body = match &grant {
            Grant::Code(code) => serde_json::json!({
                "grantType": inner.grant_case.authorization_code(),
                "authCode": code,
            }),
            Grant::Refresh(r) => serde_json::json!({
                "grantType": inner.grant_case.refresh_token(),
                "refreshToken": r.expose_secret(),
            }),
        };
        let internal =
            |what| CustomerTokenError::Request(AuthError::new(ErrorKind::Internal, what));
        let ts = HeaderValue::from_str(&timestamp)
            .map_err(|_| internal("timestamp is not a header value"))?;
        let sig = HeaderValue::from_str(&signature)
            .map_err(|_| internal("signature is not a header value"))?;
        inner.fetches.fetch_add(1, Ordering::SeqCst);
        let resp = auth_core::transport::send_token_request(
            inner
                .http
                .post(inner.url.clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(X_TIMESTAMP, ts)
                .header(X_CLIENT_KEY, inner.client_key_header.clone())
                .header(X_SIGNATURE, sig)
                .body(body.to_string()),
            "SNAP B2B2C token request",
        )
        .await
        .map_err(CustomerTokenError::Request)?;
        let what = "SNAP B2B2C token request";
        if !resp.status.is_success() {
            if matches!(grant, Grant::Refresh(_)) && refresh_token_is_bad(&resp.body) {
                return Err(CustomerTokenError::AuthoriseAgain {
                    customer: String::new(),
                    why: "the provider refused the refresh token",
                });
            }
            return Err(CustomerTokenError::Request(error_from_response(
                what,
                resp.status,
                &resp.headers,
                &resp.body,
            )));
        }
        let bad = |m: &'static str| {
            CustomerTokenError::Request(AuthError::new(ErrorKind::InvalidResponse, m))
        };
        let parsed: B2b2cResponse = serde_json::from_slice(&resp.body)
            .map_err(|_| bad("SNAP B2B2C token response is not the expected JSON"))?;
        if let Some(code) = parsed.response_code.as_deref() {
            let ok = code.parse::<ResponseCode>().is_ok_and(|c| c.is_success());
            if !ok {
                return Err(bad(
                    "SNAP B2B2C token response: HTTP success with a non-success responseCode",
                ));
            }
        }
        let access = parsed
            .access_token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad("SNAP B2B2C token response has no accessToken"))?;
        let access_expires = match (&parsed.access_expiry, &parsed.expires_in) {
            (Some(t), _) => {
                let at = parse_timestamp(t).map_err(|_| {
                    bad("SNAP B2B2C token response: accessTokenExpiryTime is malformed")
                })?;
                // Capped like expiresIn: a date years out does not keep a token for ever.
                now.checked_add(MAX_ACCESS_LIFETIME)
                    .map_or(at, |cap| at.min(cap))
            }
            (None, Some(v)) => {
                let secs = match v {
                    serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                    serde_json::Value::Number(n) => n.as_u64(),
                    _ => None,
                }
                .filter(|s| *s > 0)
                .ok_or_else(|| {
                    bad("SNAP B2B2C token response: expiresIn is not a positive number")
                })?;
                now.checked_add(Duration::from_secs(secs).min(MAX_ACCESS_LIFETIME))
                    .ok_or_else(|| bad("SNAP B2B2C token response: expiresIn overflows"))?
            }
            (None, None) => now + DEFAULT_TOKEN_LIFETIME,
        };
        let refresh_expires = match &parsed.refresh_expiry {
            Some(t) => Some(parse_timestamp(t).map_err(|_| {
                bad("SNAP B2B2C token response: refreshTokenExpiryTime is malformed")
            })?),
            None => None,
        };
        Ok(Held {
            access: SecretString::from(access),
            access_expires,
            refresh: parsed
                .refresh_token
                .filter(|t| !t.trim().is_empty())
                .map(SecretString::from),
            refresh_expires,
        })
    }
}
