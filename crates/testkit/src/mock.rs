//! A small reference provider: a client-credentials token endpoint and one protected API
//! route, faked with wiremock, plus the token source and signer that talk to it.
//!
//! It exists to prove the conformance harness and the shared layer on their own; the
//! provider crates' fakes follow the same pattern.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::conformance::{ConformanceTarget, Creds, STALL, TokenFault};
use tollgate_auth_core::cache::{CacheConfig, TokenCache};
use tollgate_auth_core::clock::{Clock, ManualClock};
use tollgate_auth_core::error::{AuthError, ErrorKind};
use tollgate_auth_core::middleware::AuthMiddleware;
use tollgate_auth_core::sign::BearerSigner;
use tollgate_auth_core::token::{FetchContext, FetchedToken, TokenSource};

#[cfg(feature = "redis")]
pub mod fleet_chaos;

/// A client with `mw` attached the way the README shows: reqwest's client, built with the
/// middleware's redirect policy so that signed headers never follow a redirect out of the
/// scope. Every fake's conformance client is built here.
pub fn readme_client<S: tollgate_auth_core::Signer>(
    mw: AuthMiddleware<S>,
) -> Result<ClientWithMiddleware, AuthError> {
    let http = reqwest::Client::builder()
        .redirect(mw.redirect_policy())
        .build()
        .map_err(|e| {
            AuthError::new(ErrorKind::Internal, "cannot build the HTTP client")
                .with_source(e.without_url())
        })?;
    Ok(ClientBuilder::new(http).with(mw).build())
}

/// "The next `n` times": a fake arms it with [`set`](Self::set) (reject the next `n` API
/// calls, delay the next `n` token responses…) and consumes one per request with
/// [`take`](Self::take). Shared by every provider fake. It can also fire at random, a
/// given share of the takes ([`set_chance`](Self::set_chance)), for chaos runs.
#[derive(Debug, Default)]
pub struct Countdown {
    left: AtomicU64,
    percent: AtomicU64,
}

impl Countdown {
    /// Arms the countdown for the next `n` takes.
    pub fn set(&self, n: u64) {
        self.left.store(n, Ordering::SeqCst);
    }

    /// Also fires on `percent` % of the takes, at random (0 turns it off).
    pub fn set_chance(&self, percent: u8) {
        self.percent
            .store(u64::from(percent.min(100)), Ordering::SeqCst);
    }

    /// Consumes one; `true` while the countdown was still armed (or the random chance hit).
    pub fn take(&self) -> bool {
        let armed = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let pct = self.percent.load(Ordering::SeqCst);
        armed || (pct > 0 && rand::random::<u64>() % 100 < pct)
    }
}

/// What a fake's API route saw: the headers of its recent calls (for the "retry signed
/// afresh" row), how many tokens it refused as expired (for the soaks) and how many it
/// refused because a later login ended their session (single sign-on).
#[derive(Debug, Default)]
pub struct RequestLog {
    recent: Mutex<std::collections::VecDeque<http::HeaderMap>>,
    expired: AtomicU64,
    superseded: AtomicU64,
}

impl RequestLog {
    /// How many calls' headers are kept.
    pub const KEEP: usize = 16;

    /// Records one API call's headers.
    pub fn record(&self, req: &Request) {
        let mut q = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() == Self::KEEP {
            q.pop_front();
        }
        q.push_back(req.headers.clone());
    }

    /// Notes a call refused because its token had expired.
    pub fn note_expired(&self) {
        self.expired.fetch_add(1, Ordering::SeqCst);
    }

    /// Notes a call refused because a later login ended its token's session (single
    /// sign-on), not because the token had expired.
    pub fn note_superseded(&self) {
        self.superseded.fetch_add(1, Ordering::SeqCst);
    }

    /// Calls refused as superseded so far.
    pub fn superseded(&self) -> u64 {
        self.superseded.load(Ordering::SeqCst)
    }

    /// The recorded headers, oldest first.
    pub fn recent(&self) -> Vec<http::HeaderMap> {
        self.recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Calls refused as expired so far.
    pub fn expired(&self) -> u64 {
        self.expired.load(Ordering::SeqCst)
    }
}

/// The switches and records every fake keeps: the token endpoint's fault switch (which
/// also counts token requests and injects chaos), the "reject the next API calls"
/// countdown (which can also fire at random) and the API request log. A fake that hands it
/// out through [`ConformanceTarget::fake_core`] gets the trait's counting, logging and
/// chaos methods for free.
#[derive(Debug, Default)]
pub struct FakeCore {
    /// The token endpoint's fault switch.
    pub fault: FaultSwitch,
    /// API calls to answer with the provider's "token rejected" response.
    pub reject_next: Countdown,
    /// API calls to answer with `503 Service Unavailable` before the fake looks at them
    /// (a transient outage in front of the provider, for the retry-stack row).
    pub unavailable_next: Countdown,
    /// What the API route saw.
    pub log: RequestLog,
    api_calls: AtomicU64,
    failing: AtomicBool,
    redirect_to: Mutex<Option<String>>,
}

impl FakeCore {
    /// Starts answering one call to the fake's protected API route: counts it (every call,
    /// refused ones too), records its headers, and returns the answer the call gets before
    /// the fake looks at it, if any (a 503 armed with
    /// [`unavailable_next`](Self::unavailable_next), a redirect set with
    /// [`redirect_api_calls`](Self::redirect_api_calls)).
    pub fn api_call(&self, req: &Request) -> Option<ResponseTemplate> {
        self.api_calls.fetch_add(1, Ordering::SeqCst);
        self.log.record(req);
        if self.unavailable_next.take() {
            return Some(
                ResponseTemplate::new(503)
                    .insert_header("content-type", "text/html")
                    .set_body_string("<html><body>503 Service Unavailable</body></html>"),
            );
        }
        let to = self
            .redirect_to
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        Some(ResponseTemplate::new(307).insert_header("location", to.as_str()))
    }

    /// Answers every API call with `307 Temporary Redirect` to `to` (another origin, in the
    /// redirect rows) until called again with `None`.
    pub fn redirect_api_calls(&self, to: Option<String>) {
        *self.redirect_to.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    /// Calls to the protected API route so far.
    pub fn api_calls(&self) -> u64 {
        self.api_calls.load(Ordering::SeqCst)
    }

    /// Makes the token endpoint answer with the provider's server error (`true`) until
    /// called again with `false`.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Whether the token endpoint is set failing.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }
}

/// The fault a fake's token endpoint is currently told to produce (see
/// [`ConformanceTarget::set_token_fault`]); fakes keep one in their shared state.
#[derive(Debug, Default)]
pub struct FaultSwitch {
    fault: Mutex<Option<TokenFault>>,
    attempts: AtomicU64,
    /// Chaos: percent of token requests answered 500, and percent stalled.
    chaos: Mutex<(u8, u8)>,
}

/// How much whitespace [`TokenFault::Oversized`] adds (1 MiB).
pub const OVERSIZED_PADDING: usize = 1024 * 1024;

impl FaultSwitch {
    /// Sets (or clears, with `None`) the fault.
    pub fn set(&self, fault: Option<TokenFault>) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// The current fault.
    pub fn get(&self) -> Option<TokenFault> {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Chaos: from now on `server_error_percent` % of token requests answer the provider's
    /// 500 and `stall_percent` % stall for [`STALL`], at random (0, 0 turns it off).
    pub fn set_chaos(&self, server_error_percent: u8, stall_percent: u8) {
        *self.chaos.lock().unwrap_or_else(|p| p.into_inner()) =
            (server_error_percent.min(100), stall_percent.min(100));
    }

    /// Token requests seen by [`respond`](Self::respond) (every one, failed or not).
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The success response of a fake's token endpoint, shaped by the current fault:
    /// [`TokenFault::HugeLifetime`] lets `huge` rewrite the lifetime field, and
    /// [`TokenFault::Oversized`] pads the body with [`OVERSIZED_PADDING`] bytes of
    /// whitespace (still valid JSON).
    pub fn success(
        &self,
        mut body: serde_json::Value,
        huge: impl FnOnce(&mut serde_json::Value),
    ) -> ResponseTemplate {
        let fault = self.get();
        if fault == Some(TokenFault::HugeLifetime) {
            huge(&mut body);
        }
        let mut text = body.to_string();
        if fault == Some(TokenFault::Oversized) {
            text.push_str(&" ".repeat(OVERSIZED_PADDING));
        }
        let r = ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(text);
        match fault {
            Some(TokenFault::Delay { millis }) => r.set_delay(Duration::from_millis(millis)),
            _ => r,
        }
    }

    /// The response for the current fault, if any: the provider-independent faults are
    /// answered here (503 + `Retry-After`, truncated JSON, a response held back for
    /// [`STALL`]); `server_error` and `refused` build the provider's own HTTP 500 and
    /// credentials-refused responses.
    pub fn respond(
        &self,
        server_error: impl FnOnce() -> ResponseTemplate,
        refused: impl FnOnce() -> ResponseTemplate,
    ) -> Option<ResponseTemplate> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let (errors, stalls) = *self.chaos.lock().unwrap_or_else(|p| p.into_inner());
        if errors > 0 || stalls > 0 {
            let roll = rand::random::<u8>() % 100;
            if roll < errors {
                return Some(server_error());
            }
            if roll < errors.saturating_add(stalls) {
                return Some(
                    ResponseTemplate::new(200)
                        .set_body_string("{}")
                        .set_delay(STALL),
                );
            }
        }
        Some(match self.get()? {
            TokenFault::ServerError => server_error(),
            TokenFault::CredentialsRefused => refused(),
            TokenFault::Unavailable { retry_after_secs } => ResponseTemplate::new(503)
                .insert_header("retry-after", retry_after_secs.to_string().as_str())
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>503 Service Unavailable</body></html>"),
            TokenFault::MalformedJson => ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string("{\"access_token\": \"tok"),
            TokenFault::Stall => ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string("{}")
                .set_delay(STALL),
            TokenFault::Redirect { port } => ResponseTemplate::new(307).insert_header(
                "location",
                format!("http://127.0.0.1:{port}/captured").as_str(),
            ),
            // Shaped on the fake's own success path by `success`.
            TokenFault::HugeLifetime | TokenFault::Oversized | TokenFault::Delay { .. } => {
                return None;
            }
        })
    }
}

/// Lifetime of the tokens the reference fake issues.
pub const REFERENCE_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

const CLIENT_ID: &str = "reference-client";
const CLIENT_SECRET: &str = "reference-secret-0123456789";

#[derive(Debug, Default)]
struct FakeState {
    /// Each issued token's expiry and login number.
    issued: Mutex<HashMap<String, (SystemTime, u64)>>,
    /// Single sign-on: only the token of the latest login is accepted.
    single_sign_on: bool,
    fetches: AtomicU64,
    core: FakeCore,
    delay_next: Countdown,
    delay_ms: AtomicU64,
    token_requests: AtomicU64,
    /// API calls answered 401 (refused tokens, whatever the reason).
    rejected: AtomicU64,
}

struct TokenEndpoint {
    state: Arc<FakeState>,
    clock: ManualClock,
}

impl Respond for TokenEndpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.state.token_requests.fetch_add(1, Ordering::SeqCst);
        let delayed = self.state.delay_next.take();
        let template = self.answer(req);
        if delayed {
            template.set_delay(Duration::from_millis(
                self.state.delay_ms.load(Ordering::SeqCst),
            ))
        } else {
            template
        }
    }
}

impl TokenEndpoint {
    fn answer(&self, req: &Request) -> ResponseTemplate {
        let invalid_client = || {
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": "invalid_client"}))
        };
        if let Some(r) = self.state.core.fault.respond(
            || {
                ResponseTemplate::new(500)
                    .set_body_json(serde_json::json!({"error": "server_error"}))
            },
            invalid_client,
        ) {
            return r;
        }
        if self.state.core.is_failing() {
            return ResponseTemplate::new(503)
                .insert_header("retry-after", "2")
                .set_body_json(serde_json::json!({"error": "temporarily_unavailable"}));
        }
        let body: serde_json::Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(_) => {
                return ResponseTemplate::new(400)
                    .set_body_json(serde_json::json!({"error": "invalid_request"}));
            }
        };
        let secret = body["client_secret"].as_str().unwrap_or_default();
        if body["client_id"] != CLIENT_ID
            || !tollgate_auth_core::credentials::constant_time_eq(
                secret.as_bytes(),
                CLIENT_SECRET.as_bytes(),
            )
        {
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"}));
        }
        let n = self.state.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("ref-token-{n}-{}", rand::random::<u32>());
        let expires = self.clock.now() + REFERENCE_TOKEN_LIFETIME;
        self.state
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), (expires, n));
        self.state.core.fault.success(
            serde_json::json!({
                "access_token": token,
                "expires_in": REFERENCE_TOKEN_LIFETIME.as_secs(),
            }),
            |b| b["expires_in"] = serde_json::json!(u64::MAX),
        )
    }
}

struct Api {
    state: Arc<FakeState>,
    clock: ManualClock,
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        let unauthorized = || {
            self.state.rejected.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": "invalid_token"}))
        };
        if self.state.core.reject_next.take() {
            return unauthorized();
        }
        let Some(token) = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return unauthorized();
        };
        let issued = self.state.issued.lock().unwrap_or_else(|p| p.into_inner());
        match issued.get(token) {
            Some((exp, _)) if self.clock.now() >= *exp => {
                self.state.core.log.note_expired();
                unauthorized()
            }
            Some((_, login))
                if self.state.single_sign_on
                    && *login != self.state.fetches.load(Ordering::SeqCst) =>
            {
                self.state.core.log.note_superseded();
                unauthorized()
            }
            Some(_) => ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})),
            None => unauthorized(),
        }
    }
}

/// The reference fake: `POST /token` (JSON `client_id`/`client_secret` → `access_token`,
/// `expires_in`) and `GET /api/resource` (bearer token required).
#[derive(Debug)]
pub struct ReferenceFake {
    server: MockServer,
    state: Arc<FakeState>,
    clock: ManualClock,
}

impl ReferenceFake {
    /// Starts the fake on loopback; it reads `clock` for token expiry.
    pub async fn start(clock: ManualClock) -> Self {
        Self::start_with(clock, false).await
    }

    /// Starts the fake in single sign-on mode, like GTR's login: each login ends every
    /// earlier session, so a token from an older login is refused with 401 (counted by
    /// [`superseded_rejections`](Self::superseded_rejections)) even before it expires.
    pub async fn start_single_sign_on(clock: ManualClock) -> Self {
        Self::start_with(clock, true).await
    }

    async fn start_with(clock: ManualClock, single_sign_on: bool) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(FakeState {
            single_sign_on,
            ..FakeState::default()
        });
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(TokenEndpoint {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        Mock::given(path("/api/resource"))
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        ReferenceFake {
            server,
            state,
            clock,
        }
    }

    /// The fake's base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// A token source for this fake with the valid (or a wrong) secret.
    pub fn source(&self, creds: Creds) -> ReferenceSource {
        ReferenceSource::for_uri(&self.server.uri(), creds)
    }

    /// Token requests received, answered or not (including ones still being delayed).
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// API calls the fake answered 401 (the token refused: rejected on request, expired,
    /// superseded or unknown).
    pub fn rejected_api_calls(&self) -> u64 {
        self.state.rejected.load(Ordering::SeqCst)
    }

    /// API calls refused because a later login ended their token's session (single
    /// sign-on mode only; an expired token counts as expired, not here).
    pub fn superseded_rejections(&self) -> u64 {
        self.state.core.log.superseded()
    }

    /// The next `n` token responses are held back for `delay` (real time), to simulate a
    /// fetch in progress.
    pub fn delay_next_token_responses(&self, n: u64, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
        self.state.delay_next.set(n);
    }
}

/// Fetches tokens from a [`ReferenceFake`].
#[derive(Debug)]
pub struct ReferenceSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl ReferenceSource {
    /// A source for a reference fake at `base_uri` (for example one started by another
    /// process) with the valid or a wrong secret.
    pub fn for_uri(base_uri: &str, creds: Creds) -> Self {
        let secret = match creds {
            Creds::Valid => CLIENT_SECRET.to_string(),
            Creds::Wrong => "wrong-secret-9876543210".to_string(),
        };
        ReferenceSource {
            // A client that cannot be built (no TLS backend at all) falls back to the
            // default one; send_token_request still refuses redirects and large bodies.
            http: tollgate_auth_core::transport::token_client().unwrap_or_default(),
            token_url: format!("{}/token", base_uri.trim_end_matches('/')),
            client_id: CLIENT_ID.to_string(),
            client_secret: SecretString::from(secret),
        }
    }
}

impl ReferenceSource {
    /// Sends its token requests on the client built from `http`, as a provider builder's
    /// `http_client` does ([`token_client_from`](tollgate_auth_core::transport::token_client_from)).
    pub fn with_http(mut self, http: reqwest::ClientBuilder) -> Result<Self, AuthError> {
        self.http = tollgate_auth_core::transport::token_client_from(http)?;
        Ok(self)
    }
}

impl TokenSource for ReferenceSource {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let body = serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose_secret(),
        });
        let resp = tollgate_auth_core::transport::send_token_request(
            self.http
                .post(&self.token_url)
                .header("content-type", "application/json")
                .body(body.to_string()),
            "reference token request",
        )
        .await?;
        if !resp.status.is_success() {
            return Err(AuthError::from_status(
                "reference token request",
                resp.status,
                Some(&resp.headers),
            ));
        }
        let bytes = resp.body;
        let parsed: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "reference token response is not valid JSON",
            )
        })?;
        Ok(FetchedToken::new(
            parsed.access_token,
            Duration::from_secs(parsed.expires_in),
        ))
    }
}

impl ConformanceTarget for ReferenceFake {
    fn fake_core(&self) -> Option<&FakeCore> {
        Some(&self.state.core)
    }

    fn name(&self) -> &str {
        "reference"
    }

    fn token_lifetime(&self) -> Option<Duration> {
        Some(REFERENCE_TOKEN_LIFETIME)
    }

    fn has_token_endpoint(&self) -> bool {
        true
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let cache = TokenCache::with_config(self.source(creds), self.clock.shared(), cache)
            .named("reference");
        let signer = BearerSigner::new(cache, Vec::new());
        let scope = tollgate_auth_core::scope::Scope::origin(&self.server.uri())?;
        readme_client(AuthMiddleware::new(signer).with_scope(scope))
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        client
            .get(format!("{}/api/resource", self.server.uri()))
            .send()
            .boxed()
    }

    fn token_fetches(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    fn secrets(&self) -> Vec<String> {
        vec![CLIENT_SECRET.to_string()]
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
        Some(client.get(format!("{base}/api/resource")).send().boxed())
    }

    fn one_time_headers(&self) -> &'static [&'static str] {
        &["authorization"]
    }

    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        let build = || {
            let source = self.source(Creds::Valid).with_http(http)?;
            let cache =
                TokenCache::with_config(source, self.clock.shared(), cache).named("reference");
            let scope = tollgate_auth_core::scope::Scope::origin(&self.server.uri())?;
            readme_client(
                AuthMiddleware::new(BearerSigner::new(cache, Vec::new())).with_scope(scope),
            )
        };
        Some(build())
    }

    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        let build = || {
            let url = url::Url::parse(token_base)
                .map_err(|_| AuthError::invalid_field("token_url", "is not a valid URL"))?;
            tollgate_auth_core::scope::check_endpoint_url("token_url", &url, false)?;
            let source = ReferenceSource::for_uri(token_base, Creds::Valid);
            let cache =
                TokenCache::with_config(source, self.clock.shared(), cache).named("reference");
            let scope = tollgate_auth_core::scope::Scope::origin(&self.server.uri())?;
            readme_client(
                AuthMiddleware::new(BearerSigner::new(cache, Vec::new())).with_scope(scope),
            )
        };
        Some(build())
    }
}

#[cfg(test)]
mod tests {
    use super::Countdown;

    #[test]
    fn countdown_takes_exactly_n() {
        let c = Countdown::default();
        assert!(!c.take(), "unarmed");
        c.set(2);
        assert!(c.take());
        assert!(c.take());
        assert!(!c.take(), "spent after n takes");
        c.set(1);
        c.set(0);
        assert!(!c.take(), "set replaces the count");
    }

    #[test]
    fn countdown_chance_fires_at_the_given_rate() {
        let c = Countdown::default();
        c.set_chance(100);
        assert!((0..50).all(|_| c.take()), "100 % always fires");
        c.set_chance(0);
        assert!((0..50).all(|_| !c.take()), "0 % never fires");
        c.set_chance(30);
        let fired = (0..10_000).filter(|_| c.take()).count();
        assert!(
            (2_000..4_000).contains(&fired),
            "30 % fired {fired} of 10 000"
        );
        // An armed count still fires first, whatever the chance.
        c.set_chance(0);
        c.set(2);
        assert!(c.take() && c.take() && !c.take());
    }
}
