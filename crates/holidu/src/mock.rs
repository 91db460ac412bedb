//! A loopback fake of the Holidu Channel API's authentication (wiremock), and the
//! [`ConformanceTarget`] that runs auth-core's scenario suite against it.
//!
//! Every route of the fake is a protected API route. It checks the bearer JWT the way
//! Holidu describes: ES256 signature with the partner's public key, `kid`, `iss`,
//! `exp - iat <= 3600`, and the time window against the fake's [`ManualClock`] (`iat` at
//! most [`CLOCK_LEEWAY`] in the future, `exp` not passed). A refused token gets HTTP 401
//! with a JSON [`ErrorBody`] (`{"status":401,"error":"Unauthorized","message":…}` — the
//! shape is this fake's choice; Holidu does not publish it).
//!
//! Holidu has no token endpoint: [`HoliduFake::token_fetches`] counts the *distinct valid
//! tokens* the fake has seen, which is how many tokens a client minted and used.
//!
//! The valid credentials are the seed page's public example `account_info.json`; the
//! "wrong" credentials are a fresh P-256 key with the same `kid` and issuer.
//!
//! ```no_run
//! use tollgate_holidu::ManualClock;
//! use tollgate_holidu::mock::HoliduFake;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::at_unix(1_700_000_000);
//! let fake = HoliduFake::start(clock.clone()).await;
//! let auth = fake.auth_builder().clock(clock.shared()).build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! assert_eq!(client.get(format!("{}/properties", fake.uri())).send().await?.status(), 200);
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
use auth_core::{AuthError, CacheConfig, Clock, ManualClock};
use futures::FutureExt;
use futures::future::BoxFuture;
use p256::ecdsa::{SigningKey, VerifyingKey};
use reqwest_middleware::ClientWithMiddleware;

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::auth::{DEFAULT_TOKEN_LIFETIME, HoliduAuth, HoliduAuthBuilder};
use crate::credentials::HoliduCredentials;
use crate::error::ErrorBody;
use crate::sign::{Expectations, verify};

/// How far the fake tolerates clock differences (`iat` in the future, `exp` just passed).
pub const CLOCK_LEEWAY: Duration = Duration::from_secs(30);

/// The seed page's example key id.
pub const KEY_ID: &str = "123e4567-e89b-12d3-a456-556642440000";
/// The seed page's example issuer.
pub const ISSUER: &str = "NEW_PARTNER";
/// The seed page's example private key (public knowledge: it is printed in Holidu's docs).
pub const PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2\nOF/2NxApJCzGCEDdfSp6VQO30hyhRANCAAQRWz+jn65BtOMvdyHKcvjBeBSDZH2r\n1RTwjmYSi9R/zpBnuQ4EiMnCqfMPWiZqB4QdbAd0E7oH50VpuZ1P087G\n-----END PRIVATE KEY-----";
/// The seed page's example public key.
pub const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\nq9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n-----END PUBLIC KEY-----";

#[derive(Debug, Default)]
struct State {
    seen: Mutex<HashSet<String>>,
    valid_tokens: AtomicU64,
    core: testkit::mock::FakeCore,
}

fn unauthorized(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(ErrorBody {
        status: Some(401),
        error: Some("Unauthorized".into()),
        message: Some(message.into()),
    })
}

struct Api {
    state: Arc<State>,
    clock: ManualClock,
    key: VerifyingKey,
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        if self.state.core.reject_next.take() {
            return unauthorized("JWT rejected: token revoked");
        }
        let Some(token) = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return unauthorized("missing bearer token");
        };
        let expect = Expectations {
            key_id: KEY_ID,
            issuer: ISSUER,
            now: unix_seconds(self.clock.now()),
            leeway: CLOCK_LEEWAY.as_secs(),
        };
        if let Err(e) = verify(token, &self.key, &expect) {
            if e.message().contains("expired") {
                self.state.core.log.note_expired();
            }
            return unauthorized(e.message());
        }
        let new = self
            .state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string());
        if new {
            self.state.valid_tokens.fetch_add(1, Ordering::SeqCst);
        }
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "OK"}))
    }
}

/// The running fake. Drop it to stop the server.
pub struct HoliduFake {
    server: MockServer,
    state: Arc<State>,
    clock: ManualClock,
    valid: HoliduCredentials,
    wrong: HoliduCredentials,
}

impl std::fmt::Debug for HoliduFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoliduFake")
            .field("uri", &self.server.uri())
            .finish()
    }
}

impl HoliduFake {
    /// Starts the fake on loopback; every time check reads `clock`.
    ///
    /// # Panics
    /// Only if the embedded example key failed to parse, which the crate's tests rule out.
    pub async fn start(clock: ManualClock) -> Self {
        Self::start_with(MockServer::start().await, clock).await
    }

    /// Like [`start`](Self::start), but serving on `listener` (for example a fixed port
    /// chosen by the caller: `std::net::TcpListener::bind("127.0.0.1:8080")`).
    ///
    /// # Panics
    /// Only if the embedded example key failed to parse, which the crate's tests rule out.
    pub async fn start_on(listener: std::net::TcpListener, clock: ManualClock) -> Self {
        Self::start_with(
            MockServer::builder().listener(listener).start().await,
            clock,
        )
        .await
    }

    async fn start_with(server: MockServer, clock: ManualClock) -> Self {
        #[allow(clippy::expect_used)]
        let valid = HoliduCredentials::new(KEY_ID, ISSUER, PRIVATE_KEY_PEM, Some(PUBLIC_KEY_PEM))
            .expect("the embedded example key is valid");
        #[allow(clippy::expect_used)]
        let wrong = HoliduCredentials::from_signing_key(
            KEY_ID,
            ISSUER,
            SigningKey::random(&mut rand::rngs::OsRng),
        )
        .expect("a generated key is valid");
        let state = Arc::new(State::default());
        Mock::given(any())
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
                key: *valid.verifying_key(),
            })
            .mount(&server)
            .await;
        HoliduFake {
            server,
            state,
            clock,
            valid,
            wrong,
        }
    }

    /// The fake's base URL.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Credentials the fake accepts (the seed page's example key).
    pub fn credentials(&self) -> HoliduCredentials {
        self.valid.clone()
    }

    /// Well-formed credentials the fake refuses (another P-256 key, same `kid`).
    pub fn wrong_credentials(&self) -> HoliduCredentials {
        self.wrong.clone()
    }

    /// A builder preset with valid credentials (add a clock).
    pub fn auth_builder(&self) -> HoliduAuthBuilder {
        HoliduAuth::builder()
            .credentials(self.credentials())
            .base_url(self.uri())
    }

    /// Distinct valid tokens seen so far.
    pub fn token_fetches(&self) -> u64 {
        self.state.valid_tokens.load(Ordering::SeqCst)
    }

    /// The clock the fake reads.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }
}

impl ConformanceTarget for HoliduFake {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.state.core)
    }

    fn name(&self) -> &str {
        "holidu"
    }

    fn token_lifetime(&self) -> Option<Duration> {
        Some(DEFAULT_TOKEN_LIFETIME)
    }

    fn has_token_endpoint(&self) -> bool {
        false
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let creds = match creds {
            Creds::Valid => self.credentials(),
            Creds::Wrong => self.wrong_credentials(),
        };
        let auth = HoliduAuth::builder()
            .credentials(creds)
            .base_url(self.uri())
            .token_lifetime(DEFAULT_TOKEN_LIFETIME)
            .clock(self.clock.shared())
            .cache_config(cache)
            .build()?;
        testkit::mock::readme_client(auth.middleware())
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        Some(client.get(format!("{base}/properties")).send().boxed())
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        client
            .get(format!("{}/properties", self.uri()))
            .send()
            .boxed()
    }

    fn token_fetches(&self) -> u64 {
        HoliduFake::token_fetches(self)
    }

    fn secrets(&self) -> Vec<String> {
        // The base64 body lines of the private key, as they would appear if leaked.
        PRIVATE_KEY_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_string)
            .collect()
    }
}
