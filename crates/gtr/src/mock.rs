//! A wiremock fake of GTR for offline tests, verifying authentication the way GTR does.
//!
//! - `POST /api/login` checks `vaspCode`, `accessKey` and `signedSecretKey =
//!   hex(sha512(secretKey))` and issues a JWT-shaped session token. Single sign-on: a new
//!   login replaces (logs out) the previous session. `expireInMinutes` is honoured against
//!   the fake's [`ManualClock`]; without it the session never expires.
//! - Every other `/api/...` path is a protected API route accepting either
//!   `Authorization: Bearer <jwt>` of the current session, or an `X-Authorization` app
//!   token: the fake decodes it, checks `algorithm`/`verifyType`, recomputes `secretToken`
//!   from its own copy of the secret key, rejects a timestamp further than `expires` seconds
//!   from its clock and a nonce it has already seen.
//! - Success answers are `{"data", "verifyStatus": 100000, "verifyMessage"}` without
//!   `success`, as GTR's current login reference shows them
//!   ([`GtrFake::set_success_field`] adds `"success": true`).
//! - Failures use GTR's envelope `{"verifyStatus", "verifyMessage", "success": false,
//!   "data": null}`: HTTP 401 with 100021 (no/replaced session), 100014 (session or app
//!   token expired), 100020 (no or bad authentication, wrong login credentials — GTR does
//!   not document the login failure code, this is the fake's assumption); 400/100004 for a
//!   malformed body; 500/100006 while the login endpoint is set failing.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate_gtr::ManualClock;
//! use tollgate_gtr::{AppTokenAuth, mock::GtrFake};
//! let clock = ManualClock::at_unix(1_701_734_400);
//! let fake = GtrFake::start(clock.clone()).await;
//! let auth = AppTokenAuth::builder().credentials(fake.credentials())
//!     .base_url(fake.uri())
//!     .clock(clock.shared())
//!     .build()?;
//! let client = reqwest_middleware::ClientBuilder::new(fake.http_client()?)
//!     .with(auth.middleware())
//!     .build();
//! let resp = client.get(format!("{}/api/vasp/list", fake.uri())).send().await?;
//! assert_eq!(resp.status(), 200);
//! # Ok(()) }
//! ```

// The conformance contract this fake implements, and the credential variants it hands out
// (a comment: as a doc comment rustdoc would prepend it to both items' own docs).
pub use testkit::conformance::{ConformanceTarget, Creds};

mod callback;
pub use callback::{CALLBACK_HOST, run_callback_rows};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::credentials::constant_time_eq;
use auth_core::{AuthError, CacheConfig, Clock, ErrorKind, ManualClock};
use base64::Engine as _;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde_json::json;
use testkit::conformance::TokenFault;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::auth::{AppTokenAuth, SsoAuth};
use crate::credentials::GtrCredentials;
use crate::sign::{self, ALGORITHM, AppTokenPayload, VERIFY_TYPE};
use crate::token::LoginRequest;

/// The fake's `vaspCode`.
pub const FAKE_VASP_CODE: &str = "f93_faj30ae3";
/// The fake's `accessKey`.
pub const FAKE_ACCESS_KEY: &str = "2DF9SDJ3RFA93HFA0F93HAB0S93F";
/// The fake's `secretKey` (a test value).
pub const FAKE_SECRET_KEY: &str = "8adba6ef063be8370fb9a7fb91d7498e905db8640442e1f5be6964";
/// A well-formed secret key the fake does not accept.
pub const WRONG_SECRET_KEY: &str = "0000wrong0secret0key00000000000000000000000000000000";
/// `expireInMinutes` the conformance SSO client asks for.
pub const CONFORMANCE_EXPIRE_MINUTES: u32 = 60;
/// The widest `expires` (seconds) the fake accepts in an app token.
pub const MAX_EXPIRES_SECS: u64 = 3600;

struct Session {
    jwt: String,
    expires_at: Option<SystemTime>,
}

#[derive(Default)]
struct State {
    session: Mutex<Option<Session>>,
    /// Nonce → the epoch millisecond after which it may be forgotten.
    nonces: Mutex<HashMap<String, u64>>,
    logins: AtomicU64,
    login_attempts: AtomicU64,
    app_tokens_accepted: AtomicU64,
    bearer_accepted: AtomicU64,
    core: testkit::mock::FakeCore,
    reject_next_in_body: testkit::mock::Countdown,
    /// Whether success answers carry `"success": true` (off: GTR's current login reference).
    success_field: AtomicBool,
}

impl State {
    /// A success envelope around `data`, with `success: true` only when switched on.
    fn success_body(
        &self,
        data: serde_json::Value,
        verify_status: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = json!({
            "data": data,
            "verifyStatus": verify_status,
            "verifyMessage": "Verify Success",
        });
        if self.success_field.load(Ordering::SeqCst) {
            body["success"] = json!(true);
        }
        body
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// GTR's failure envelope with `status` and `code`.
fn failure(status: u16, code: u64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "verifyStatus": code,
        "verifyMessage": message,
        "success": false,
        "data": null,
    }))
}

/// A rejection, turned into [`failure`] at the end.
struct Reject {
    status: u16,
    code: u64,
    message: String,
}

fn reject(status: u16, code: u64, message: &str) -> Reject {
    Reject {
        status,
        code,
        message: message.to_string(),
    }
}

struct Login {
    state: Arc<State>,
    clock: ManualClock,
}

impl Respond for Login {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.state.login_attempts.fetch_add(1, Ordering::SeqCst);
        if self.state.core.is_failing() {
            return failure(500, 100006, "GTR server fail, please retry later");
        }
        if let Some(r) = self.state.core.fault.respond(
            || failure(500, 100006, "GTR server fail, please retry later"),
            || failure(401, 100020, "no auth: login refused"),
        ) {
            return r;
        }
        let Ok(body) = serde_json::from_slice::<LoginRequest>(&req.body) else {
            return failure(400, 100004, "bad parameters");
        };
        let expected = sign::signed_secret_key(FAKE_SECRET_KEY);
        if body.vasp_code != FAKE_VASP_CODE
            || body.access_key != FAKE_ACCESS_KEY
            || !constant_time_eq(body.signed_secret_key.as_bytes(), expected.as_bytes())
        {
            return failure(401, 100020, "no auth: login refused");
        }
        if body.expire_in_minutes == Some(0) {
            return failure(400, 100004, "bad parameters: expireInMinutes");
        }
        let n = self.state.logins.fetch_add(1, Ordering::SeqCst) + 1;
        let now = self.clock.now();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        let claims = b64.encode(
            json!({
                "vaspCode": FAKE_VASP_CODE,
                "iat": auth_core::clock::unix_seconds(now),
                "jti": format!("{n}-{}", rand::random::<u32>()),
            })
            .to_string(),
        );
        let sig = b64.encode(sign::sha512_hex(&format!("fake-gtr|{header}.{claims}")));
        let jwt = format!("{header}.{claims}.{sig}");
        let expires_at = body
            .expire_in_minutes
            .map(|m| now + Duration::from_secs(u64::from(m) * 60));
        // Single sign-on: this login logs the previous session out.
        *lock(&self.state.session) = Some(Session {
            jwt: jwt.clone(),
            expires_at,
        });
        // The session lifetime is the client's expireInMinutes: nothing to make huge.
        self.state.core.fault.success(
            self.state.success_body(
                json!({"jwt": jwt, "vaspCode": FAKE_VASP_CODE}),
                // A string, as in GTR's own login example.
                json!("100000"),
            ),
            |_| {},
        )
    }
}

struct Api {
    state: Arc<State>,
    clock: ManualClock,
    key_hash: String,
}

impl Api {
    fn check_app_token(&self, value: &str) -> Result<(), Reject> {
        let bad = |why: &str| reject(401, 100020, &format!("no auth: {why}"));
        let payload = AppTokenPayload::decode_header(value)
            .ok_or_else(|| bad("X-Authorization is not base64 of the app token JSON"))?;
        if payload.access_key != FAKE_ACCESS_KEY {
            return Err(bad("unknown accessKey"));
        }
        if payload.algorithm != ALGORITHM || payload.verify_type != VERIFY_TYPE {
            return Err(bad("unsupported algorithm or verifyType"));
        }
        if !(1..=MAX_EXPIRES_SECS).contains(&payload.expires) {
            return Err(bad("expires out of range"));
        }
        if payload.timestamp.len() != 13 || !payload.timestamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("timestamp must be 13 digits"));
        }
        let ts: u64 = payload.timestamp.parse().map_err(|_| bad("timestamp"))?;
        if !payload.nonce.is_ascii() || payload.nonce.is_empty() {
            return Err(bad("nonce must be ASCII"));
        }
        let expected = sign::app_token(
            &self.key_hash,
            &payload.access_key,
            &payload.nonce,
            &payload.timestamp,
            payload.expires,
            payload.verify_type,
        );
        if !constant_time_eq(
            expected.secret_token.as_bytes(),
            payload.secret_token.as_bytes(),
        ) {
            return Err(bad("secretToken mismatch"));
        }
        let now = auth_core::clock::unix_millis(self.clock.now());
        let window = payload.expires * 1000;
        if now.abs_diff(ts) > window {
            return Err(reject(401, 100014, "app token expired"));
        }
        let mut nonces = lock(&self.state.nonces);
        nonces.retain(|_, forget_after| *forget_after >= now);
        if nonces.contains_key(&payload.nonce) {
            return Err(bad("nonce replayed"));
        }
        nonces.insert(payload.nonce, ts.saturating_add(window));
        Ok(())
    }

    fn check_bearer(&self, jwt: &str) -> Result<(), Reject> {
        let session = lock(&self.state.session);
        match &*session {
            Some(s) if constant_time_eq(s.jwt.as_bytes(), jwt.as_bytes()) => match s.expires_at {
                Some(exp) if self.clock.now() >= exp => {
                    self.state.core.log.note_expired();
                    Err(reject(401, 100014, "login session expired"))
                }
                _ => Ok(()),
            },
            _ => Err(reject(401, 100021, "no login session")),
        }
    }
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        if self.state.core.reject_next.take() {
            return failure(401, 100021, "no login session");
        }
        if self.state.reject_next_in_body.take() {
            // GTR also signals a lost session in the body of an HTTP 200.
            return failure(200, 100021, "no login session");
        }
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let (mode, result) = if let Some(app) = header("x-authorization") {
            let r = self.check_app_token(app);
            if r.is_ok() {
                self.state
                    .app_tokens_accepted
                    .fetch_add(1, Ordering::SeqCst);
            }
            ("app_token", r)
        } else if let Some(jwt) = header("authorization").and_then(|v| v.strip_prefix("Bearer ")) {
            let r = self.check_bearer(jwt);
            if r.is_ok() {
                self.state.bearer_accepted.fetch_add(1, Ordering::SeqCst);
            }
            ("sso", r)
        } else {
            ("none", Err(reject(401, 100020, "no auth")))
        };
        match result {
            Ok(()) => ResponseTemplate::new(200).set_body_json(self.state.success_body(
                json!({"ok": true, "mode": mode, "path": req.url.path()}),
                json!(100000),
            )),
            Err(r) => failure(r.status, r.code, &r.message),
        }
    }
}

/// The GTR fake (plain HTTP on loopback; mutual TLS is tested separately).
pub struct GtrFake {
    server: MockServer,
    state: Arc<State>,
    clock: ManualClock,
}

impl std::fmt::Debug for GtrFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GtrFake")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl GtrFake {
    /// The switches and counters every fake keeps: `core().api_calls()`,
    /// `core().set_failing(true)` (the login endpoint answers 500/100006),
    /// `core().reject_next.set(n)` (the next `n` API calls answer "token rejected").
    pub fn core(&self) -> &testkit::mock::FakeCore {
        &self.state.core
    }

    /// Starts the fake on loopback; it reads `clock` for session expiry and app-token
    /// timestamps.
    pub async fn start(clock: ManualClock) -> Self {
        Self::start_with(MockServer::start().await, clock).await
    }

    /// Like [`start`](Self::start), but serving on `listener` (for example a fixed port
    /// chosen by the caller: `std::net::TcpListener::bind("127.0.0.1:8080")`).
    pub async fn start_on(listener: std::net::TcpListener, clock: ManualClock) -> Self {
        Self::start_with(
            MockServer::builder().listener(listener).start().await,
            clock,
        )
        .await
    }

    async fn start_with(server: MockServer, clock: ManualClock) -> Self {
        let state = Arc::new(State::default());
        Mock::given(method("POST"))
            .and(path(crate::token::LOGIN_PATH))
            .respond_with(Login {
                state: state.clone(),
                clock: clock.clone(),
            })
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(path_regex("^/api/"))
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
                key_hash: sign::vasp_secret_key_hash(FAKE_SECRET_KEY, FAKE_VASP_CODE),
            })
            .mount(&server)
            .await;
        GtrFake {
            server,
            state,
            clock,
        }
    }

    /// The base URL (`http://127.0.0.1:port`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The credentials the fake accepts.
    pub fn credentials(&self) -> GtrCredentials {
        self.creds(Creds::Valid)
    }

    /// Valid ([`Creds::Valid`]) or well-formed but refused ([`Creds::Wrong`]) credentials.
    pub fn creds(&self, creds: Creds) -> GtrCredentials {
        let secret = match creds {
            Creds::Valid => FAKE_SECRET_KEY,
            Creds::Wrong => WRONG_SECRET_KEY,
        };
        // Constants checked valid by the tests: no validation needed.
        GtrCredentials::from_trusted_parts(FAKE_VASP_CODE, FAKE_ACCESS_KEY, secret)
    }

    /// A `reqwest::Client` for the fake (plain HTTP; rustls is configured but unused).
    pub fn http_client(&self) -> Result<reqwest::Client, AuthError> {
        self.http_client_builder()?.build().map_err(|e| {
            AuthError::new(ErrorKind::Internal, "cannot build the HTTP client")
                .with_source(e.without_url())
        })
    }

    /// The builder of [`http_client`](Self::http_client), for a login client
    /// (`SsoAuth::builder().http_client(…)`).
    pub fn http_client_builder(&self) -> Result<reqwest::ClientBuilder, AuthError> {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|_| AuthError::new(ErrorKind::Internal, "rustls protocol setup failed"))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        // Built like every login client should be: no redirects, auth-core's timeouts.
        Ok(auth_core::transport::token_client_builder().tls_backend_preconfigured(config))
    }

    /// The fake's clock.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// Successful logins.
    pub fn logins(&self) -> u64 {
        self.state.logins.load(Ordering::SeqCst)
    }

    /// Login attempts (successful or not).
    pub fn login_attempts(&self) -> u64 {
        self.state.login_attempts.load(Ordering::SeqCst)
    }

    /// API calls accepted with an app token.
    pub fn app_tokens_accepted(&self) -> u64 {
        self.state.app_tokens_accepted.load(Ordering::SeqCst)
    }

    /// API calls accepted with the SSO bearer token.
    pub fn bearer_accepted(&self) -> u64 {
        self.state.bearer_accepted.load(Ordering::SeqCst)
    }

    /// The next `n` API calls are answered HTTP 200 with `verifyStatus` 100021 in the body.
    pub fn reject_next_api_calls_in_body(&self, n: u64) {
        self.state.reject_next_in_body.set(n);
    }

    /// Whether success answers (login and API) carry `"success": true`, as GTR's older
    /// examples show. Off by default: GTR's current login reference, its manual-verify
    /// answers and `/api/verify/query` answer `{"verifyStatus":100000,"verifyMessage":"Verify
    /// Success"}` without `success`. Failures always carry `"success": false`.
    pub fn set_success_field(&self, on: bool) {
        self.state.success_field.store(on, Ordering::SeqCst);
    }

    /// Logs the current SSO session out (as another login elsewhere would).
    pub fn logout(&self) {
        *lock(&self.state.session) = None;
    }

    fn secret_values() -> Vec<String> {
        vec![
            FAKE_SECRET_KEY.to_string(),
            WRONG_SECRET_KEY.to_string(),
            sign::signed_secret_key(FAKE_SECRET_KEY),
            sign::vasp_secret_key_hash(FAKE_SECRET_KEY, FAKE_VASP_CODE),
        ]
    }

    fn api_call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        self.api_call_to(client, self.server.uri())
    }

    fn api_call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: String,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        client.get(format!("{base}/api/vasp/list")).send().boxed()
    }
}

/// The fake driven in SSO login mode (`expireInMinutes` = [`CONFORMANCE_EXPIRE_MINUTES`]).
#[derive(Debug)]
pub struct GtrSsoTarget {
    fake: GtrFake,
}

impl GtrSsoTarget {
    /// Starts a [`GtrFake`] for SSO conformance.
    pub async fn start(clock: ManualClock) -> Self {
        GtrSsoTarget {
            fake: GtrFake::start(clock).await,
        }
    }

    /// The underlying fake.
    pub fn fake(&self) -> &GtrFake {
        &self.fake
    }
}

/// The fake driven in app-token mode (nothing cached, no token endpoint).
#[derive(Debug)]
pub struct GtrAppTokenTarget {
    fake: GtrFake,
}

impl GtrAppTokenTarget {
    /// Starts a [`GtrFake`] for app-token conformance.
    pub async fn start(clock: ManualClock) -> Self {
        GtrAppTokenTarget {
            fake: GtrFake::start(clock).await,
        }
    }

    /// The underlying fake.
    pub fn fake(&self) -> &GtrFake {
        &self.fake
    }
}

impl ConformanceTarget for GtrSsoTarget {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.fake.state.core)
    }

    fn name(&self) -> &str {
        "gtr-sso"
    }

    fn token_lifetime(&self) -> Option<Duration> {
        Some(Duration::from_secs(
            u64::from(CONFORMANCE_EXPIRE_MINUTES) * 60,
        ))
    }

    fn has_token_endpoint(&self) -> bool {
        true
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let http = self.fake.http_client()?;
        let auth = SsoAuth::builder()
            .credentials(self.fake.creds(creds))
            .base_url(self.fake.uri())
            .http_client(self.fake.http_client_builder()?)
            .expire_in_minutes(CONFORMANCE_EXPIRE_MINUTES)
            .clock(self.fake.clock.shared())
            .cache_config(cache)
            .build()?;
        Ok(ClientBuilder::new(http).with(auth.middleware()).build())
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        self.fake.api_call(client)
    }

    fn token_fetches(&self) -> u64 {
        self.fake.logins()
    }

    fn secrets(&self) -> Vec<String> {
        GtrFake::secret_values()
    }

    fn set_token_fault(&self, fault: Option<TokenFault>) -> bool {
        if fault == Some(TokenFault::HugeLifetime) {
            return false;
        }
        self.fake.state.core.fault.set(fault);
        true
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        Some(self.fake.api_call_to(client, base.to_string()))
    }

    fn one_time_headers(&self) -> &'static [&'static str] {
        &["authorization"]
    }

    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        // The fake speaks plain HTTP: the user's builder needs no TLS identity here.
        Some((|| {
            let auth = SsoAuth::builder()
                .credentials(self.fake.creds(Creds::Valid))
                .base_url(self.fake.uri())
                .http_client(http)
                .expire_in_minutes(CONFORMANCE_EXPIRE_MINUTES)
                .clock(self.fake.clock.shared())
                .cache_config(cache)
                .build()?;
            Ok(ClientBuilder::new(self.fake.http_client()?)
                .with(auth.middleware())
                .build())
        })())
    }

    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        Some((|| {
            let http = self.fake.http_client()?;
            let auth = SsoAuth::builder()
                .credentials(self.fake.creds(Creds::Valid))
                .base_url(token_base)
                .allow_origin(self.fake.uri())
                .http_client(self.fake.http_client_builder()?)
                .expire_in_minutes(CONFORMANCE_EXPIRE_MINUTES)
                .clock(self.fake.clock.shared())
                .cache_config(cache)
                .build()?;
            Ok(ClientBuilder::new(http).with(auth.middleware()).build())
        })())
    }
}

impl ConformanceTarget for GtrAppTokenTarget {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.fake.state.core)
    }

    fn name(&self) -> &str {
        "gtr-app-token"
    }

    fn token_lifetime(&self) -> Option<Duration> {
        None
    }

    fn has_token_endpoint(&self) -> bool {
        false
    }

    fn client(&self, creds: Creds, _cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let auth = AppTokenAuth::builder()
            .credentials(self.fake.creds(creds))
            .base_url(self.fake.uri())
            .clock(self.fake.clock.shared())
            .build()?;
        Ok(ClientBuilder::new(self.fake.http_client()?)
            .with(auth.middleware())
            .build())
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        self.fake.api_call(client)
    }

    fn token_fetches(&self) -> u64 {
        self.fake.app_tokens_accepted()
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        Some(self.fake.api_call_to(client, base.to_string()))
    }

    fn one_time_headers(&self) -> &'static [&'static str] {
        &["x-authorization"]
    }

    /// The app token carries a new nonce on every request.
    fn per_attempt_headers(&self) -> &'static [&'static str] {
        &["x-authorization"]
    }

    fn secrets(&self) -> Vec<String> {
        GtrFake::secret_values()
    }
}
