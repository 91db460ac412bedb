//! A wiremock fake of a SNAP provider (feature `test-util`) that checks authentication the way a
//! provider does, for offline integration tests and the auth-core conformance suite.
//!
//! - `POST /snap/v1.0/access-token/b2b`: checks `X-CLIENT-KEY`, that `X-TIMESTAMP` lies
//!   within ±5 minutes of the fake's [`ManualClock`], verifies `X-SIGNATURE` (SHA256withRSA
//!   of `clientKey|X-TIMESTAMP`) with the client's public key and the `grantType`; answers
//!   `2007300` with `expiresIn` `"900"`, `4017300` (HTTP 401) for a bad signature, and in
//!   failing mode `5007300` (HTTP 500).
//! - `POST /snap/v1.0/transfer-va/inquiry` (service 24, any path under `/snap/v1.0/` works):
//!   checks the bearer token it issued is unexpired by the clock (`4012401`, HTTP 401), the
//!   timestamp window, `X-PARTNER-ID`, `CHANNEL-ID`, recomputes the HMAC-SHA512 over
//!   `METHOD:path?query:token:sha256(body bytes as received):X-TIMESTAMP` (`4012400`), and
//!   rejects an `X-EXTERNAL-ID` already used the same (Jakarta) day with `4092400`
//!   (HTTP 409). Requests without `Authorization` are checked as asymmetric signatures.
//!
//! The keys it uses are test-only keys shipped with this crate; never use them elsewhere.

/// The fake's B2B2C (customer token) side: a part of the fake, not a module of its own.
mod b2b2c;

// The conformance contract this fake implements, and the credential variants it hands out.
pub use testkit::conformance::{ConformanceTarget, Creds};

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::{AuthError, CacheConfig, Clock, ManualClock};
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest_middleware::ClientWithMiddleware;
use testkit::conformance::TokenFault;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::auth::{SnapAuth, SnapAuthBuilder};
use crate::b2b2c::{CUSTOMER_ID, CustomerTokens};
use crate::credentials::{SnapCredentials, SnapPrivateKey, SnapPublicKey};
use crate::error::ResponseCode;
use crate::inbound::{InboundError, InboundVerifier};
use crate::profile::{ClientIdHeader, Profile};
use crate::sign::endpoint_url;
use crate::timestamp::TimestampFormat;

/// Lifetime of the tokens the fake issues.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// The client key the fake knows.
pub const CLIENT_KEY: &str = "tollgate-fake-client-10001";
/// The channel id the fake's credentials use.
pub const CHANNEL_ID: &str = "95221";
/// The prefix the fake serves SNAP under.
pub const PREFIX: &str = "/snap";
/// The path of the fake's sample transaction API (VA inquiry, service code 24).
pub const API_PATH: &str = "/snap/v1.0/transfer-va/inquiry";
/// How far `X-TIMESTAMP` may be from the fake's clock.
pub const TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);

const CLIENT_SECRET: &str = "fake-client-secret-5f2b9c0e7d1a4b38";
const WRONG_SECRET: &str = "wrong-client-secret-0a9d8c7b6e5f4a31";
const CLIENT_PRIVATE_PEM: &str = include_str!("mock_keys/client_private_pkcs8.pem");
const CLIENT_PUBLIC_PEM: &str = include_str!("mock_keys/client_public.pem");
const WRONG_PRIVATE_PEM: &str = include_str!("mock_keys/wrong_private_pkcs8.pem");
const PROVIDER_PRIVATE_PEM: &str = include_str!("mock_keys/provider_private_pkcs8.pem");
const PROVIDER_PUBLIC_PEM: &str = include_str!("mock_keys/provider_public.pem");

const SERVICE_TOKEN: u8 = 73;
const SERVICE_API: u8 = 24;

/// The customer id the `snap-b2b2c` conformance target authorises.
pub const CONFORMANCE_CUSTOMER: &str = "conformance-customer";

/// The pretty-printed body [`ConformanceTarget::call`] sends (the signer minifies it).
pub const SAMPLE_BODY: &str = r#"{
  "partnerServiceId": "  12345",
  "customerNo": "0001",
  "virtualAccountNo": "  123450001",
  "inquiryRequestId": "abc-123",
  "additionalInfo": {}
}"#;

pub(crate) struct Keys {
    pub(crate) client_public: SnapPublicKey,
    provider_private: SnapPrivateKey,
}

pub(crate) struct FakeState {
    pub(crate) keys: Keys,
    issued: Mutex<HashMap<String, SystemTime>>,
    external_ids: Mutex<HashSet<(String, String)>>,
    fetches: AtomicU64,
    accepted: AtomicU64,
    core: testkit::mock::FakeCore,
    pub(crate) profile: Profile,
    pub(crate) verifier: InboundVerifier,
    pub(crate) b2b2c: b2b2c::CustomerState,
}

pub(crate) fn snap(http: u16, service: u8, case: u8, message: &str) -> ResponseTemplate {
    let code = ResponseCode::new(http, service, case)
        .map(|c| c.to_string())
        .unwrap_or_else(|| "5000000".to_string());
    ResponseTemplate::new(http).set_body_json(serde_json::json!({
        "responseCode": code,
        "responseMessage": message,
    }))
}

pub(crate) fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

struct TokenEndpoint {
    state: Arc<FakeState>,
    clock: ManualClock,
}

impl Respond for TokenEndpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let s = SERVICE_TOKEN;
        if self.state.core.is_failing() {
            return snap(500, s, 0, "General Error");
        }
        if let Some(r) = self.state.core.fault.respond(
            || snap(500, s, 0, "General Error"),
            || snap(401, s, 0, "Unauthorized. [Signature]"),
        ) {
            return r;
        }
        // The same checks a merchant's own server makes (inbound verifier), strictly: the
        // profile's timestamp format, Content-Type, signature encoding.
        if let Err(e) = self
            .state
            .verifier
            .verify_token_request(&req.headers, &req.body)
        {
            return inbound_refusal(&e, s);
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let field = self.state.profile.grant_type.name();
        if body.get(field).and_then(|g| g.as_str()) != Some("client_credentials") {
            return snap(400, s, 1, "Invalid Field Format [grantType]");
        }
        self.state.fetches.fetch_add(1, Ordering::SeqCst);
        let token = {
            use auth_core::ExposeSecret;
            let issued = self.state.verifier.issue_token(CLIENT_KEY);
            issued.access_token.expose_secret().to_string()
        };
        self.state
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), self.clock.now() + TOKEN_LIFETIME);
        let answer = match self.state.profile.name {
            // BRI answers without responseCode (bridex-api-php-sdk README).
            "bri" => serde_json::json!({
                "accessToken": token,
                "tokenType": "BearerToken",
                "expiresIn": TOKEN_LIFETIME.as_secs().to_string(),
            }),
            _ => serde_json::json!({
                "responseCode": "2007300",
                "responseMessage": "Successful",
                "accessToken": token,
                "tokenType": "Bearer",
                "expiresIn": TOKEN_LIFETIME.as_secs().to_string(),
                "additionalInfo": {},
            }),
        };
        self.state.core.fault.success(answer, |b| {
            b["expiresIn"] = serde_json::json!(u64::MAX.to_string())
        })
    }
}

struct Api {
    state: Arc<FakeState>,
    clock: ManualClock,
}

/// Why a transaction call is refused: HTTP status, case code, message.
type Rejection = (u16, u8, &'static str);

impl Api {
    fn check(&self, req: &Request) -> Result<(), Rejection> {
        let state = &self.state;
        // The external id is recorded before anything else is checked: a refused request
        // still uses up its id, as at a bank.
        if let Some(external_id) = header(req, "x-external-id").filter(|v| !v.is_empty()) {
            let day = TimestampFormat::default().format(self.clock.now())[..10].to_string();
            let fresh = state
                .external_ids
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((day, external_id.to_string()));
            if !fresh {
                return Err((409, 0, "Conflict"));
            }
        } else {
            return Err((400, 2, "Invalid Mandatory Field [X-EXTERNAL-ID]"));
        }
        if let Some(v) = header(req, "authorization") {
            let known = v.strip_prefix("Bearer ").and_then(|t| {
                state
                    .issued
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(t)
                    .copied()
            });
            match known {
                Some(exp) if self.clock.now() < exp => {}
                Some(_) => {
                    state.core.log.note_expired();
                    return Err((401, 1, "Invalid Token (B2B)"));
                }
                None => return Err((401, 1, "Invalid Token (B2B)")),
            }
        }
        let p = &state.profile;
        let client_header = match p.client_id_header {
            ClientIdHeader::PartnerId => "x-partner-id",
            ClientIdHeader::ClientKey => "x-client-key",
        };
        if header(req, client_header) != Some(CLIENT_KEY) {
            return Err((401, 0, "Unauthorized. [Unknown partner]"));
        }
        if let Some(missing) = p
            .required_headers
            .iter()
            .find(|h| !req.headers.contains_key(*h))
        {
            return Err((400, 2, required_field(missing)));
        }
        if header(req, "channel-id").is_none_or(str::is_empty) {
            return Err((400, 2, "Invalid Mandatory Field [CHANNEL-ID]"));
        }
        state.b2b2c.check_customer(req, &self.clock)?;
        let endpoint = endpoint_url(&req.url, p.endpoint_url, p.endpoint_base, PREFIX);
        state
            .verifier
            .verify_transaction(req.method.as_str(), &endpoint, &req.headers, &req.body)
            .map_err(|e| (e.http_status(), e.case_code(), leak(&e)))?;
        Ok(())
    }
}

/// `Invalid Mandatory Field [NAME]` for the headers presets require.
fn required_field(name: &http::HeaderName) -> &'static str {
    match name.as_str() {
        "x-device-id" => "Invalid Mandatory Field [X-DEVICE-ID]",
        _ => "Invalid Mandatory Field",
    }
}

fn leak(e: &InboundError) -> &'static str {
    match e {
        InboundError::MissingField(f) | InboundError::InvalidFieldFormat(f) => f,
        InboundError::InvalidToken => "Invalid Token (B2B)",
        InboundError::StaleTimestamp => "Unauthorized. [X-TIMESTAMP]",
        InboundError::UnknownClient => "Unauthorized. [Unknown client]",
        _ => "Unauthorized. [Signature]",
    }
}

fn inbound_refusal(e: &InboundError, service: u8) -> ResponseTemplate {
    snap(e.http_status(), service, e.case_code(), leak(e))
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        if self.state.core.reject_next.take() {
            return snap(401, SERVICE_API, 1, "Invalid Token (B2B)");
        }
        match self.check(req) {
            Err((status, case, message)) => snap(status, SERVICE_API, case, message),
            Ok(()) => {
                self.state.accepted.fetch_add(1, Ordering::SeqCst);
                ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "responseCode": "2002400",
                    "responseMessage": "Successful",
                    "virtualAccountData": {
                        "partnerServiceId": "  12345",
                        "customerNo": "0001",
                        "virtualAccountNo": "  123450001",
                        "virtualAccountName": "Tollgate Test",
                    },
                }))
            }
        }
    }
}

/// The SNAP fake. Start it with [`SnapFake::start`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate_snap_b2b::ManualClock;
/// use tollgate_snap_b2b::mock::{SnapFake, SAMPLE_BODY};
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let fake = SnapFake::start(clock.clone()).await;
/// let auth = fake.auth_builder(fake.credentials()).build()?;
/// let mw = auth.middleware();
/// // Signed headers never follow a redirect to another origin.
/// let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
/// let resp = client.post(fake.api_url()).body(SAMPLE_BODY).send().await?;
/// assert!(resp.status().is_success());
/// assert_eq!(fake.token_fetches(), 1);
/// # Ok(()) }
/// ```
pub struct SnapFake {
    server: MockServer,
    state: Arc<FakeState>,
    clock: ManualClock,
    name: String,
    customers: Option<CustomerTokens>,
}

impl std::fmt::Debug for SnapFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapFake")
            .field("uri", &self.server.uri())
            .field("token_fetches", &self.token_fetches())
            .field("api_calls", &self.api_calls())
            .finish_non_exhaustive()
    }
}

fn fixture_key(pem: &str) -> SnapPrivateKey {
    SnapPrivateKey::from_pem("fixture_key", pem)
        .unwrap_or_else(|e| panic!("the fake's built-in test key does not parse: {e}"))
}

impl SnapFake {
    /// Starts the fake on loopback; it reads `clock` for timestamps and token expiry.
    pub async fn start(clock: ManualClock) -> Self {
        Self::start_with(MockServer::start().await, clock, Profile::aspi()).await
    }

    /// Like [`start`](Self::start), verifying the way a provider with `profile` does: its
    /// token path (under [`PREFIX`]), `grantType` spelling, timestamp format, signature
    /// encoding, EndpointUrl rule, body form and symmetric or asymmetric transactions.
    pub async fn start_with_profile(clock: ManualClock, profile: Profile) -> Self {
        Self::start_with(MockServer::start().await, clock, profile).await
    }

    /// Like [`start_with_profile`](Self::start_with_profile), but serving on `listener` (for
    /// example a fixed port chosen by the caller:
    /// `std::net::TcpListener::bind("127.0.0.1:8080")`).
    pub async fn start_on(
        listener: std::net::TcpListener,
        clock: ManualClock,
        profile: Profile,
    ) -> Self {
        Self::start_with(
            MockServer::builder().listener(listener).start().await,
            clock,
            profile,
        )
        .await
    }

    async fn start_with(server: MockServer, clock: ManualClock, profile: Profile) -> Self {
        let keys = Keys {
            client_public: SnapPublicKey::from_pem("fixture_key", CLIENT_PUBLIC_PEM)
                .unwrap_or_else(|e| panic!("the fake's built-in test key does not parse: {e}")),
            provider_private: fixture_key(PROVIDER_PRIVATE_PEM),
        };
        let state = Arc::new(FakeState {
            keys,
            issued: Mutex::new(HashMap::new()),
            external_ids: Mutex::new(HashSet::new()),
            fetches: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            core: Default::default(),
            verifier: InboundVerifier::new()
                .client(
                    CLIENT_KEY,
                    SnapPublicKey::from_pem("fixture_key", CLIENT_PUBLIC_PEM).unwrap_or_else(|e| {
                        panic!("the fake's built-in test key does not parse: {e}")
                    }),
                    Some(CLIENT_SECRET),
                )
                .clock(clock.shared())
                .window(TIMESTAMP_WINDOW)
                .token_lifetime(TOKEN_LIFETIME)
                .profile(&profile),
            b2b2c: Default::default(),
            profile,
        });
        Mock::given(method("POST"))
            .and(path(format!("{PREFIX}{}", state.profile.token_path)))
            .respond_with(TokenEndpoint {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        b2b2c::mount(&server, state.clone(), clock.clone(), &state.profile).await;
        Mock::given(path_regex(r"^/snap/v1\.0/.+$"))
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
            })
            .with_priority(10)
            .mount(&server)
            .await;
        let name = format!("snap-b2b/{}", state.profile.name);
        SnapFake {
            server,
            state,
            clock,
            name,
            customers: None,
        }
    }

    /// A fake whose transaction calls require a customer token (`Authorization-Customer`),
    /// with one customer already authorised: every client the conformance suite builds
    /// carries [`customer_tokens`](Self::customer_tokens) and names that customer. Its
    /// report rows are named `snap-b2b2c`.
    pub async fn start_b2b2c(clock: ManualClock) -> Result<Self, AuthError> {
        let mut fake = Self::start(clock).await;
        fake.name = "snap-b2b2c".to_string();
        fake.require_customer_token(true);
        let tokens = fake.customer_tokens_builder().build()?;
        let code = fake.issue_auth_code(CONFORMANCE_CUSTOMER);
        tokens
            .authorize(CONFORMANCE_CUSTOMER, &code)
            .await
            .map_err(AuthError::from)?;
        fake.customers = Some(tokens);
        Ok(fake)
    }

    /// The customer tokens of a [`start_b2b2c`](Self::start_b2b2c) fake.
    pub fn customer_tokens(&self) -> Option<&CustomerTokens> {
        self.customers.as_ref()
    }

    /// A [`CustomerTokens`] builder pointed at this fake's B2B2C endpoint, on its clock.
    pub fn customer_tokens_builder(&self) -> crate::b2b2c::CustomerTokensBuilder {
        CustomerTokens::builder(&self.credentials())
            .profile(&self.state.profile)
            .base_url(self.base_url())
            .clock(self.clock.shared())
    }

    /// An authorization code for `customer`, as the provider hands one out after the
    /// customer's consent (usable once).
    pub fn issue_auth_code(&self, customer: &str) -> String {
        self.state.b2b2c.issue_code(customer)
    }

    /// Forgets every refresh token: the next refresh fails and the customer must authorise
    /// again.
    pub fn expire_customer_refresh_tokens(&self) {
        self.state.b2b2c.expire_refresh_tokens();
    }

    /// Revokes every customer access token before its expiry (refresh tokens stay good):
    /// calls carrying one are answered `4012402` (Invalid Customer Token).
    pub fn revoke_customer_access_tokens(&self) {
        self.state.b2b2c.revoke_access_tokens();
    }

    /// While `true`, transaction calls without a live `Authorization-Customer` are refused
    /// with `4012402`.
    pub fn require_customer_token(&self, require: bool) {
        self.state.b2b2c.require.store(require, Ordering::SeqCst);
    }

    /// B2B2C token requests received.
    pub fn customer_token_requests(&self) -> u64 {
        self.state.b2b2c.requests.load(Ordering::SeqCst)
    }

    /// The server's root URL (`http://127.0.0.1:port`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The SNAP base URL to configure (`{uri}/snap`).
    pub fn base_url(&self) -> String {
        format!("{}{PREFIX}", self.server.uri())
    }

    /// The sample transaction URL.
    pub fn api_url(&self) -> String {
        format!("{}{API_PATH}", self.server.uri())
    }

    /// Credentials the fake accepts.
    pub fn credentials(&self) -> SnapCredentials {
        self.creds(CLIENT_PRIVATE_PEM, CLIENT_SECRET)
    }

    /// The PEM (PKCS#8) of the test-only client private key the fake accepts, for tools
    /// that configure a client through a key file (`SNAP_PRIVATE_KEY_FILE`). Never use this
    /// key anywhere but against the fake.
    pub fn client_private_key_pem(&self) -> &'static str {
        CLIENT_PRIVATE_PEM
    }

    /// The test-only client secret the fake accepts (for `SNAP_CLIENT_SECRET`).
    pub fn client_secret(&self) -> &'static str {
        CLIENT_SECRET
    }

    /// Well-formed credentials the fake refuses (another RSA key and secret).
    pub fn wrong_credentials(&self) -> SnapCredentials {
        self.creds(WRONG_PRIVATE_PEM, WRONG_SECRET)
    }

    fn creds(&self, pem: &str, secret: &str) -> SnapCredentials {
        SnapCredentials::builder()
            .client_key(CLIENT_KEY)
            .client_secret(secret)
            .private_key(fixture_key(pem))
            .channel_id(CHANNEL_ID)
            .build()
            .unwrap_or_else(|e| panic!("the fake's credentials are invalid: {e}"))
    }

    /// A [`SnapAuth`] builder pointed at this fake, on its clock, with its profile.
    pub fn auth_builder(&self, credentials: SnapCredentials) -> SnapAuthBuilder {
        let mut profile = self.state.profile.clone();
        // A fixed test value for each header the provider requires (OVO's X-DEVICE-ID).
        for name in &self.state.profile.required_headers {
            profile.extra_headers.push((
                name.clone(),
                http::HeaderValue::from_static("tollgate-fake-device"),
            ));
        }
        SnapAuth::builder()
            .credentials(credentials)
            .profile(profile)
            .base_url(self.base_url())
            .clock(self.clock.shared())
    }

    fn uses_token(&self) -> bool {
        self.state.profile.signing.uses_token()
    }

    /// The profile the fake verifies with.
    pub fn profile(&self) -> &Profile {
        &self.state.profile
    }

    /// The provider's public key, for [`NotificationVerifier`](crate::notify::NotificationVerifier).
    pub fn provider_public_key(&self) -> SnapPublicKey {
        SnapPublicKey::from_pem("fixture_key", PROVIDER_PUBLIC_PEM)
            .unwrap_or_else(|e| panic!("the fake's built-in test key does not parse: {e}"))
    }

    /// Signs a notification as the provider would send it to `endpoint_url` at the fake's
    /// clock time: returns `(X-TIMESTAMP, X-SIGNATURE)`. Use it to test your handler.
    pub fn sign_notification(
        &self,
        method: &str,
        endpoint_url: &str,
        body: &[u8],
    ) -> Result<(String, String), AuthError> {
        let ts = self.state.profile.timestamp.format(self.clock.now());
        let sig = crate::sign::sign_asymmetric(
            &self.state.keys.provider_private,
            method,
            endpoint_url,
            body,
            &ts,
            self.state.profile.signature_encoding,
        )?;
        Ok((ts, sig.signature))
    }

    /// Tokens issued.
    pub fn token_fetches(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Transaction calls accepted.
    pub fn accepted_calls(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl ConformanceTarget for SnapFake {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.state.core)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn token_lifetime(&self) -> Option<Duration> {
        self.uses_token().then_some(TOKEN_LIFETIME)
    }

    fn has_token_endpoint(&self) -> bool {
        self.uses_token()
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let credentials = match creds {
            Creds::Valid => self.credentials(),
            Creds::Wrong => self.wrong_credentials(),
        };
        let mut builder = self.auth_builder(credentials).cache_config(cache);
        if let Some(t) = &self.customers {
            builder = builder.customer_tokens(t.clone());
        }
        let auth = builder.build()?;
        testkit::mock::readme_client(auth.middleware())
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        let mut req = client.post(format!("{}?lang=id", self.api_url()));
        if self.customers.is_some() {
            req = req.header(CUSTOMER_ID, CONFORMANCE_CUSTOMER);
        }
        req.body(SAMPLE_BODY).send().boxed()
    }

    fn token_fetches(&self) -> u64 {
        SnapFake::token_fetches(self)
    }

    fn set_token_fault(&self, fault: Option<TokenFault>) -> bool {
        self.state.core.fault.set(fault);
        true
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        let mut req = client.post(format!("{base}{API_PATH}?lang=id"));
        // The marker is the caller's header: only requests to this fake's origin name the
        // customer (a request to another origin would carry it unsigned).
        if self.customers.is_some() && base.trim_end_matches('/') == self.uri() {
            req = req.header(CUSTOMER_ID, CONFORMANCE_CUSTOMER);
        }
        Some(req.body(SAMPLE_BODY).send().boxed())
    }

    fn one_time_headers(&self) -> &'static [&'static str] {
        if self.uses_token() {
            &["x-external-id", "authorization"]
        } else {
            &["x-external-id"]
        }
    }

    fn per_attempt_headers(&self) -> &'static [&'static str] {
        &["x-external-id"]
    }

    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        if !self.uses_token() {
            return None;
        }
        let builder = self
            .auth_builder(self.credentials())
            .http_client(http)
            .cache_config(cache);
        let builder = match &self.customers {
            Some(t) => builder.customer_tokens(t.clone()),
            None => builder,
        };
        Some(
            builder
                .build()
                .and_then(|auth| testkit::mock::readme_client(auth.middleware())),
        )
    }

    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        let base = format!("{}{PREFIX}", token_base.trim_end_matches('/'));
        let builder = SnapAuth::builder()
            .credentials(self.credentials())
            .profile(self.state.profile.clone())
            .base_url(base)
            .allow_origin(self.base_url())
            .clock(self.clock.shared())
            .cache_config(cache);
        let builder = match &self.customers {
            Some(t) => builder.customer_tokens(t.clone()),
            None => builder,
        };
        Some(
            builder
                .build()
                .and_then(|auth| testkit::mock::readme_client(auth.middleware())),
        )
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = vec![CLIENT_SECRET.to_string(), WRONG_SECRET.to_string()];
        for pem in [CLIENT_PRIVATE_PEM, WRONG_PRIVATE_PEM] {
            // A line from the middle of the key body.
            if let Some(line) = pem.lines().nth(5) {
                out.push(line.to_string());
            }
        }
        out.extend(self.state.b2b2c.secrets());
        out.extend(
            self.state
                .issued
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .keys()
                .cloned(),
        );
        out
    }
}
