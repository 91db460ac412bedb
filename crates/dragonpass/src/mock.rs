//! A wiremock fake of DragonPass for offline tests (feature `test-util`).
//!
//! The fake verifies bearer JWTs the way DragonPass does, with an implementation independent
//! of this crate's signer (`jsonwebtoken`): HS256 with the account secret (self-generated
//! tokens and the tokens its token API issues, which DragonPass also signs with HMAC-SHA256)
//! or RS256 with the client's public key when started with [`DragonPassFake::start_rs256`];
//! `iss` must be the account's issuer and `exp` in the future by the fake's [`ManualClock`].
//! Failures are answered with DragonPass's envelope:
//!
//! | situation | HTTP | body |
//! |---|---|---|
//! | bad / expired / missing token | 401 | `{"code":401,"message":"Unauthorized: ...","data":null}` |
//! | missing or wrong `X-Program-ID` | 400 | `{"code":400,"message":"invalid X-Program-ID","data":null}` |
//! | wrong `clientId` / `secret` | 401 | `{"code":401,"message":"invalid clientId or secret","data":null}` |
//! | token endpoint made to fail | 500 | `{"code":500,"message":"system error, please retry later","data":null}` |
//!
//! Routes: `POST /auth/token` (token API; path chosen by this fake, the real one is not
//! published) and `GET /v2/transport-hubs` (a protected API call).
//!
//! ```no_run
//! use tollgate_dragonpass::ManualClock;
//! use tollgate_dragonpass::mock::Creds;
//! use tollgate_dragonpass::DragonPassAuth;
//! use tollgate_dragonpass::mock::DragonPassFake;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::at_unix(1_754_300_000);
//! let fake = DragonPassFake::start_self_signed(clock.clone()).await;
//! let auth = DragonPassAuth::builder()
//!     .credentials(fake.credentials(Creds::Valid))
//!     .allow_origin(fake.uri())
//!     .program_id(fake.program_id())
//!     .clock(clock.shared())
//!     .build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! assert!(client.get(fake.api_url()).send().await?.status().is_success());
//! # Ok(()) }
//! ```

// The conformance contract this fake implements, and the credential variants it hands out
// (a comment: as a doc comment rustdoc would prepend it to both items' own docs).
pub use testkit::conformance::{ConformanceTarget, Creds};

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::clock::unix_seconds;
use auth_core::credentials::constant_time_eq;
use auth_core::{AuthError, CacheConfig, Clock, ManualClock};
use futures::FutureExt;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest_middleware::ClientWithMiddleware;
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use testkit::conformance::TokenFault;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::auth::DragonPassAuth;
use crate::credentials::{
    DragonPassCredentials, SelfSignedCredentials, TokenApiCredentials, parse_rsa_private_key,
};
use crate::token::TOKEN_API_LIFETIME;

/// The issuer of the fake's account.
pub const FAKE_ISSUER: &str = "FA4E0000000000000000000000155AE2";
/// The fake account's secret key (HS256; also signs the tokens the token API issues).
pub const FAKE_SECRET: &str = "FA4E5EC2E7000000000000000000D0E5";
/// A well-formed secret the fake does not accept.
pub const WRONG_SECRET: &str = "00000000000000000000000000BADBAD";
/// The token API `clientId` the fake accepts.
pub const FAKE_CLIENT_ID: &str = "tollgate-fake-client";
/// The token API `secret` the fake accepts.
pub const FAKE_CLIENT_SECRET: &str = "fake-client-secret-3f9a1c77";
/// The program id the fake requires in `X-Program-ID` (19 digits, kept as a string).
pub const FAKE_PROGRAM_ID: &str = "1234567890123456789";
/// The token API path of the fake.
pub const TOKEN_PATH: &str = "/auth/token";
/// The protected API path of the fake.
pub const API_PATH: &str = "/v2/transport-hubs";
/// Lifetime of self-generated tokens in conformance clients (10 minutes).
pub const SELF_SIGNED_LIFETIME: Duration = Duration::from_secs(600);

/// How the fake expects clients to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeMode {
    /// Tokens from the fake's token API.
    TokenApi,
    /// Self-generated HS256 tokens.
    SelfSignedHs256,
    /// Self-generated RS256 tokens.
    SelfSignedRs256,
}

#[derive(Default)]
struct State {
    fetches: AtomicU64,
    core: testkit::mock::FakeCore,
    seen: Mutex<HashSet<String>>,
}

fn envelope(status: u16, code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "code": code,
        "message": message,
        "data": null,
    }))
}

#[derive(Serialize, Deserialize)]
struct IssuedClaims {
    iss: String,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

struct TokenEndpoint {
    state: Arc<State>,
    clock: ManualClock,
}

impl Respond for TokenEndpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if self.state.core.is_failing() {
            return envelope(500, 500, "system error, please retry later");
        }
        if let Some(r) = self.state.core.fault.respond(
            || envelope(500, 500, "system error, please retry later"),
            || envelope(401, 401, "invalid clientId or secret"),
        ) {
            return r;
        }
        let body: serde_json::Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(_) => return envelope(400, 400, "request body must be JSON"),
        };
        let secret = body["secret"].as_str().unwrap_or_default();
        if body["clientId"] != FAKE_CLIENT_ID
            || !constant_time_eq(secret.as_bytes(), FAKE_CLIENT_SECRET.as_bytes())
        {
            return envelope(401, 401, "invalid clientId or secret");
        }
        let n = self.state.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let claims = IssuedClaims {
            iss: FAKE_ISSUER.to_string(),
            exp: unix_seconds(self.clock.now()) + TOKEN_API_LIFETIME.as_secs(),
            jti: Some(format!("fake-{n}")),
        };
        match jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(FAKE_SECRET.as_bytes()),
        ) {
            Ok(token) => self.state.core.fault.success(
                serde_json::json!({
                    "code": 0,
                    "message": "success",
                    "data": {"accessToken": token, "expiresIn": TOKEN_API_LIFETIME.as_secs()},
                }),
                |b| b["data"]["expiresIn"] = serde_json::json!(u64::MAX),
            ),
            Err(_) => envelope(500, 500, "system error, please retry later"),
        }
    }
}

struct Api {
    state: Arc<State>,
    clock: ManualClock,
    rs256: Option<DecodingKey>,
}

impl Api {
    /// Verifies a bearer JWT like DragonPass: algorithm → key, signature, `iss`, `exp`.
    fn check(&self, token: &str) -> Result<(), &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "malformed token")?;
        // The algorithm is pinned by the account's configuration, never chosen by the
        // token: an RS256 account refuses HS256 tokens and the other way round.
        let (key, alg) = match (&self.rs256, header.alg) {
            (None, Algorithm::HS256) => (
                DecodingKey::from_secret(FAKE_SECRET.as_bytes()),
                Algorithm::HS256,
            ),
            (Some(k), Algorithm::RS256) => (k.clone(), Algorithm::RS256),
            _ => return Err("algorithm not allowed"),
        };
        let mut v = Validation::new(alg);
        // exp is checked below against the fake's clock, not the system clock.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims = HashSet::new();
        let data = jsonwebtoken::decode::<IssuedClaims>(token, &key, &v)
            .map_err(|_| "invalid signature or claims")?;
        if data.claims.iss != FAKE_ISSUER {
            return Err("wrong issuer");
        }
        if unix_seconds(self.clock.now()) >= data.claims.exp {
            self.state.core.log.note_expired();
            return Err("token expired");
        }
        Ok(())
    }
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        if self.state.core.reject_next.take() {
            return envelope(401, 401, "Unauthorized: token rejected");
        }
        let Some(token) = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return envelope(401, 401, "Unauthorized: missing bearer token");
        };
        if let Err(why) = self.check(token) {
            return envelope(401, 401, &format!("Unauthorized: {why}"));
        }
        let program = req
            .headers
            .get("x-program-id")
            .and_then(|v| v.to_str().ok());
        if program != Some(FAKE_PROGRAM_ID) {
            return envelope(400, 400, "invalid X-Program-ID");
        }
        self.state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string());
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "code": 0,
            "message": "success",
            "data": {"programId": FAKE_PROGRAM_ID, "transportHubs": []},
        }))
    }
}

/// A running DragonPass fake (see the [module docs](self)). Implements
/// [`ConformanceTarget`].
pub struct DragonPassFake {
    server: MockServer,
    state: Arc<State>,
    clock: ManualClock,
    mode: FakeMode,
    valid: DragonPassCredentials,
    wrong: DragonPassCredentials,
    clients: Mutex<Vec<DragonPassAuth>>,
}

impl std::fmt::Debug for DragonPassFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DragonPassFake")
            .field("uri", &self.server.uri())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl DragonPassFake {
    /// Starts the fake in token-API mode (clients use [`TokenApiCredentials`] for
    /// [`token_url`](Self::token_url)); it reads `clock` for `exp`.
    pub async fn start(clock: ManualClock) -> Self {
        Self::start_token_api(MockServer::start().await, clock).await
    }

    /// Like [`start`](Self::start) (token-API mode), but serving on `listener` (for example
    /// a fixed port chosen by the caller: `std::net::TcpListener::bind("127.0.0.1:8080")`).
    /// The fake also accepts self-generated HS256 tokens for [`FAKE_ISSUER`] /
    /// [`FAKE_SECRET`] in this mode, as DragonPass accepts both on the same API.
    pub async fn start_on(listener: std::net::TcpListener, clock: ManualClock) -> Self {
        let server = MockServer::builder().listener(listener).start().await;
        Self::start_token_api(server, clock).await
    }

    async fn start_token_api(server: MockServer, clock: ManualClock) -> Self {
        let token_url = format!("{}{TOKEN_PATH}", server.uri());
        let creds = |secret: &str| {
            TokenApiCredentials::new(FAKE_CLIENT_ID, secret, &token_url)
                .map(DragonPassCredentials::from)
        };
        // The constants are valid: these cannot fail.
        let (Ok(valid), Ok(wrong)) = (creds(FAKE_CLIENT_SECRET), creds(WRONG_SECRET)) else {
            unreachable!("the fake's own credentials are valid")
        };
        Self::mount(server, clock, FakeMode::TokenApi, valid, wrong, None).await
    }

    /// Starts the fake for self-generated HS256 tokens with [`FAKE_ISSUER`] / [`FAKE_SECRET`].
    pub async fn start_self_signed(clock: ManualClock) -> Self {
        let creds = |secret: &str| {
            SelfSignedCredentials::hs256(FAKE_ISSUER, secret).map(DragonPassCredentials::from)
        };
        let (Ok(valid), Ok(wrong)) = (creds(FAKE_SECRET), creds(WRONG_SECRET)) else {
            unreachable!("the fake's own credentials are valid")
        };
        let server = MockServer::start().await;
        Self::mount(server, clock, FakeMode::SelfSignedHs256, valid, wrong, None).await
    }

    /// Starts the fake for self-generated RS256 tokens: it accepts tokens signed with
    /// `private_key_pem` (it keeps only the public half for verification) and hands out
    /// `wrong_private_key_pem` as the [`Creds::Wrong`] credentials.
    pub async fn start_rs256(
        clock: ManualClock,
        private_key_pem: &str,
        wrong_private_key_pem: &str,
    ) -> Result<Self, AuthError> {
        let key = parse_rsa_private_key("private_key", private_key_pem)?;
        let public = key.to_public_key();
        let decoding = DecodingKey::from_rsa_raw_components(
            &public.n().to_bytes_be(),
            &public.e().to_bytes_be(),
        );
        let valid = SelfSignedCredentials::rs256_pem(FAKE_ISSUER, private_key_pem)?.into();
        let wrong = SelfSignedCredentials::rs256_pem(FAKE_ISSUER, wrong_private_key_pem)?.into();
        let server = MockServer::start().await;
        Ok(Self::mount(
            server,
            clock,
            FakeMode::SelfSignedRs256,
            valid,
            wrong,
            Some(decoding),
        )
        .await)
    }

    async fn mount(
        server: MockServer,
        clock: ManualClock,
        mode: FakeMode,
        valid: DragonPassCredentials,
        wrong: DragonPassCredentials,
        rs256: Option<DecodingKey>,
    ) -> Self {
        let state = Arc::new(State::default());
        Mock::given(method("POST"))
            .and(path(TOKEN_PATH))
            .respond_with(TokenEndpoint {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        Mock::given(path(API_PATH))
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
                rs256,
            })
            .mount(&server)
            .await;
        DragonPassFake {
            server,
            state,
            clock,
            mode,
            valid,
            wrong,
            clients: Mutex::new(Vec::new()),
        }
    }

    /// The fake's base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The token API URL.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.uri())
    }

    /// The protected API URL.
    pub fn api_url(&self) -> String {
        format!("{}{API_PATH}", self.server.uri())
    }

    /// The mode the fake was started in.
    pub fn mode(&self) -> FakeMode {
        self.mode
    }

    /// The program id the fake requires.
    pub fn program_id(&self) -> &'static str {
        FAKE_PROGRAM_ID
    }

    /// Credentials for this fake: the accepted ones or well-formed wrong ones.
    pub fn credentials(&self, creds: Creds) -> DragonPassCredentials {
        match creds {
            Creds::Valid => self.valid.clone(),
            Creds::Wrong => self.wrong.clone(),
        }
    }

    /// Tokens issued by the token API.
    pub fn tokens_issued(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// Distinct tokens the API has accepted.
    pub fn distinct_tokens_seen(&self) -> u64 {
        self.state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len() as u64
    }
}

impl ConformanceTarget for DragonPassFake {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.state.core)
    }

    fn name(&self) -> &str {
        match self.mode {
            FakeMode::TokenApi => "dragonpass",
            FakeMode::SelfSignedHs256 => "dragonpass-hs256",
            FakeMode::SelfSignedRs256 => "dragonpass-rs256",
        }
    }

    fn token_lifetime(&self) -> Option<Duration> {
        Some(match self.mode {
            FakeMode::TokenApi => TOKEN_API_LIFETIME,
            _ => SELF_SIGNED_LIFETIME,
        })
    }

    fn has_token_endpoint(&self) -> bool {
        self.mode == FakeMode::TokenApi
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let auth = DragonPassAuth::builder()
            .credentials(self.credentials(creds))
            .program_id(FAKE_PROGRAM_ID)
            .allow_origin(self.uri())
            .token_lifetime(SELF_SIGNED_LIFETIME)
            .clock(self.clock.shared())
            .cache_config(cache)
            .build()?;
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(auth.clone());
        testkit::mock::readme_client(auth.middleware())
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        client.get(self.api_url()).send().boxed()
    }

    /// Token-API mode: tokens the endpoint issued. Self-signed modes: tokens minted by the
    /// clients built through [`ConformanceTarget::client`] (their caches' fetch counts). A
    /// self-signed JWT re-minted in the same second is byte-identical to the previous one,
    /// so counting the distinct tokens the fake saw (available as
    /// [`distinct_tokens_seen`](DragonPassFake::distinct_tokens_seen)) would hide the
    /// re-mint after a rejection.
    fn token_fetches(&self) -> u64 {
        match self.mode {
            FakeMode::TokenApi => self.state.fetches.load(Ordering::SeqCst),
            _ => self
                .clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|a| a.cache().fetches_started())
                .sum(),
        }
    }

    fn set_token_fault(&self, fault: Option<TokenFault>) -> bool {
        self.state.core.fault.set(fault);
        self.mode == FakeMode::TokenApi
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        Some(client.get(format!("{base}{API_PATH}")).send().boxed())
    }

    /// Token-API mode fetches a new token for the retry; self-signed JWTs are minted
    /// again byte for byte within the same second.
    fn one_time_headers(&self) -> &'static [&'static str] {
        if self.mode == FakeMode::TokenApi {
            &["authorization"]
        } else {
            &[]
        }
    }

    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        if self.mode != FakeMode::TokenApi {
            return None;
        }
        let url = format!("{}{TOKEN_PATH}", token_base.trim_end_matches('/'));
        Some((|| {
            let creds = TokenApiCredentials::new(FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, &url)?;
            let auth = DragonPassAuth::builder()
                .credentials(DragonPassCredentials::from(creds))
                .program_id(FAKE_PROGRAM_ID)
                .allow_origin(self.uri())
                .clock(self.clock.shared())
                .cache_config(cache)
                .build()?;
            testkit::mock::readme_client(auth.middleware())
        })())
    }

    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        if self.mode != FakeMode::TokenApi {
            return None;
        }
        Some((|| {
            let auth = DragonPassAuth::builder()
                .credentials(self.credentials(Creds::Valid))
                .program_id(FAKE_PROGRAM_ID)
                .allow_origin(self.uri())
                .http_client(http)
                .clock(self.clock.shared())
                .cache_config(cache)
                .build()?;
            testkit::mock::readme_client(auth.middleware())
        })())
    }

    fn secrets(&self) -> Vec<String> {
        vec![
            FAKE_SECRET.to_string(),
            WRONG_SECRET.to_string(),
            FAKE_CLIENT_SECRET.to_string(),
        ]
    }
}
