//! A loopback fake of the V5 OpenAPI authentication endpoints (wiremock), and the
//! [`ConformanceTarget`] that runs auth-core's scenario suite against it.
//!
//! The fake authenticates the way the provider does:
//! - `POST /api/v5/authentication/token` recomputes
//!   `hex(sha256(app_id + time_stamp + app_secret))`, checks `time_stamp` is within
//!   [`TIMESTAMP_WINDOW`] of the fake's [`ManualClock`], and issues a token valid for two
//!   hours by that clock, with `expire_time` as a zone-less UTC datetime;
//! - `GET /api/v5/authentication/verify` (and any other `/api/v5/...` route) requires
//!   `Authorization: Bearer <token>` with a live token and the matching `X-APP-ID`.
//!
//! Failures answer the `{code, msg, data}` envelope. **The codes are this fake's own**: the
//! provider publishes none. Token-endpoint refusals come with HTTP 200 and a non-zero code
//! (the harder case for a client: the code, not the status, carries the error); a rejected
//! token gets HTTP 401; an outage gets HTTP 500. See [`codes`].
//!
//! ```no_run
//! use tollgate_v5_openapi::ManualClock;
//! use tollgate_v5_openapi::V5Api;
//! use tollgate_v5_openapi::mock::V5Fake;
//! # async fn demo() -> Result<(), auth_core::AuthError> {
//! let clock = ManualClock::at_unix(1_700_000_000);
//! let fake = V5Fake::start(clock.clone()).await;
//! let auth = fake.auth_builder().clock(clock.shared()).build()?;
//! assert_eq!(auth.verify().await?.result, "success");
//! assert_eq!(fake.token_fetches(), 1);
//! # Ok(()) }
//! ```

// The conformance contract this fake implements, and the credential variants it hands out
// (a comment: as a doc comment rustdoc would prepend it to both items' own docs).
pub use testkit::conformance::{ConformanceTarget, Creds};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::clock::unix_seconds;
use auth_core::credentials::constant_time_eq;
use auth_core::{AuthError, CacheConfig, Clock, ManualClock, SecretString};
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest_middleware::ClientWithMiddleware;
use serde_json::json;
use testkit::conformance::TokenFault;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::auth::{V5Auth, V5AuthBuilder};
use crate::sign::{signature, string_to_sign};
use crate::token::{DEFAULT_TOKEN_LIFETIME, TOKEN_PATH, VERIFY_PATH};

/// The fake's error codes (its own choice; the provider does not publish codes).
pub mod codes {
    /// Malformed token request (not JSON, missing or mistyped fields).
    pub const BAD_REQUEST: i64 = 40001;
    /// Unknown `app_id`.
    pub const UNKNOWN_APP: i64 = 40002;
    /// The signature does not match.
    pub const BAD_SIGNATURE: i64 = 40003;
    /// `time_stamp` outside the accepted window.
    pub const STALE_TIMESTAMP: i64 = 40004;
    /// Missing, unknown or expired token (HTTP 401).
    pub const TOKEN_INVALID: i64 = 40101;
    /// `X-APP-ID` missing or not the token's application (HTTP 401).
    pub const APP_ID_MISMATCH: i64 = 40102;
    /// Internal error (HTTP 500), answered while the fake is set failing.
    pub const INTERNAL: i64 = 50000;
}

/// How far `time_stamp` may be from the fake's clock.
pub const TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);

/// The application id the fake accepts.
pub const APP_ID: &str = "tollgate-fake-app";
const APP_SECRET: &str = "fake-app-secret-5f0c9d2e7a41b836";
const WRONG_SECRET: &str = "wrong-app-secret-0000000000000000";

#[derive(Debug, Default)]
struct State {
    issued: Mutex<HashMap<String, (String, SystemTime)>>,
    fetches: AtomicU64,
    core: testkit::mock::FakeCore,
}

fn envelope(status: u16, code: i64, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"code": code, "msg": msg, "data": null}))
}

/// Formats `t` as the provider does: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
fn naive_utc(t: SystemTime) -> String {
    let micros = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let secs = (micros / 1_000_000) as i64;
    let frac = micros % 1_000_000;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

struct TokenEndpoint {
    state: Arc<State>,
    clock: ManualClock,
}

impl Respond for TokenEndpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if self.state.core.is_failing() {
            return envelope(500, codes::INTERNAL, "internal server error");
        }
        if let Some(r) = self.state.core.fault.respond(
            || envelope(500, codes::INTERNAL, "internal server error"),
            || envelope(200, codes::BAD_SIGNATURE, "signature verification failed"),
        ) {
            return r;
        }
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return envelope(200, codes::BAD_REQUEST, "invalid request body");
        };
        let app_id = body.get("app_id").and_then(|v| v.as_str());
        // The documentation's table says String, its examples send a number: accept both.
        let ts = match body.get("time_stamp") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse::<u64>().ok(),
            _ => None,
        };
        let sig = body.get("signature").and_then(|v| v.as_str());
        let (Some(app_id), Some(ts), Some(sig)) = (app_id, ts, sig) else {
            return envelope(
                200,
                codes::BAD_REQUEST,
                "app_id, time_stamp and signature required",
            );
        };
        if app_id != APP_ID {
            return envelope(200, codes::UNKNOWN_APP, "app not found");
        }
        let expected = signature(&string_to_sign(
            app_id,
            ts,
            &SecretString::from(APP_SECRET.to_string()),
        ));
        if !constant_time_eq(sig.as_bytes(), expected.as_bytes()) {
            return envelope(200, codes::BAD_SIGNATURE, "signature verification failed");
        }
        let now = self.clock.now();
        if unix_seconds(now).abs_diff(ts) > TIMESTAMP_WINDOW.as_secs() {
            return envelope(200, codes::STALE_TIMESTAMP, "time_stamp expired");
        }
        let n = self.state.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("v5tok.{n}.{:016x}", rand::random::<u64>());
        let expires = now + DEFAULT_TOKEN_LIFETIME;
        self.state
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), (app_id.to_string(), expires));
        // The client keeps its own lifetime (expire_time is never trusted), so there is no
        // lifetime to make huge: HugeLifetime is refused in `set_token_fault`.
        self.state.core.fault.success(
            json!({
                "code": 0,
                "msg": "success.",
                "data": {"token": token, "expire_time": naive_utc(expires)},
            }),
            |_| {},
        )
    }
}

struct Api {
    state: Arc<State>,
    clock: ManualClock,
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if let Some(early) = self.state.core.api_call(req) {
            return early;
        }
        if self.state.core.reject_next.take() {
            return envelope(401, codes::TOKEN_INVALID, "token expired");
        }
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let Some(token) = header("authorization").and_then(|v| v.strip_prefix("Bearer ")) else {
            return envelope(401, codes::TOKEN_INVALID, "missing token");
        };
        let now = self.clock.now();
        let owner = {
            let issued = self.state.issued.lock().unwrap_or_else(|p| p.into_inner());
            match issued.get(token) {
                Some((app, exp)) if now < *exp => app.clone(),
                Some(_) => {
                    self.state.core.log.note_expired();
                    return envelope(401, codes::TOKEN_INVALID, "invalid or expired token");
                }
                None => return envelope(401, codes::TOKEN_INVALID, "invalid or expired token"),
            }
        };
        if header("x-app-id") != Some(owner.as_str()) {
            return envelope(
                401,
                codes::APP_ID_MISMATCH,
                "X-APP-ID does not match the token",
            );
        }
        ResponseTemplate::new(200).set_body_json(json!({
            "code": 0,
            "msg": "success.",
            "data": {"app_id": owner, "result": "success", "time": naive_utc(now)},
        }))
    }
}

/// The running fake. Drop it to stop the server.
pub struct V5Fake {
    server: MockServer,
    state: Arc<State>,
    clock: ManualClock,
}

impl std::fmt::Debug for V5Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V5Fake")
            .field("uri", &self.server.uri())
            .finish()
    }
}

impl V5Fake {
    /// Starts the fake on loopback; every time check reads `clock`.
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
            .and(path(TOKEN_PATH))
            .respond_with(TokenEndpoint {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        Mock::given(path_regex(r"^/api/v5/"))
            .respond_with(Api {
                state: state.clone(),
                clock: clock.clone(),
            })
            .mount(&server)
            .await;
        V5Fake {
            server,
            state,
            clock,
        }
    }

    /// The fake's base URL (pass it to [`V5AuthBuilder::base_url`]).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The application id the fake accepts.
    pub fn app_id(&self) -> &'static str {
        APP_ID
    }

    /// The secret the fake accepts.
    pub fn app_secret(&self) -> SecretString {
        SecretString::from(APP_SECRET.to_string())
    }

    /// A builder preset with the fake's URL and valid credentials (add a clock).
    pub fn auth_builder(&self) -> V5AuthBuilder {
        V5Auth::builder()
            .base_url(self.uri())
            .app_id(APP_ID)
            .app_secret(APP_SECRET)
    }

    /// Tokens issued so far.
    pub fn token_fetches(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// The clock the fake reads.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }
}

impl ConformanceTarget for V5Fake {
    fn fake_core(&self) -> Option<&testkit::mock::FakeCore> {
        Some(&self.state.core)
    }

    fn name(&self) -> &str {
        "v5-openapi"
    }

    fn token_lifetime(&self) -> Option<Duration> {
        Some(DEFAULT_TOKEN_LIFETIME)
    }

    fn has_token_endpoint(&self) -> bool {
        true
    }

    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError> {
        let secret = match creds {
            Creds::Valid => APP_SECRET,
            Creds::Wrong => WRONG_SECRET,
        };
        let auth = V5Auth::builder()
            .base_url(self.uri())
            .app_id(APP_ID)
            .app_secret(secret)
            .clock(self.clock.shared())
            .cache_config(cache)
            .build()?;
        testkit::mock::readme_client(auth.middleware())
    }

    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        Some(
            V5Auth::builder()
                .base_url(self.uri())
                .app_id(APP_ID)
                .app_secret(APP_SECRET)
                .http_client(http)
                .clock(self.clock.shared())
                .cache_config(cache)
                .build()
                .and_then(|auth| testkit::mock::readme_client(auth.middleware())),
        )
    }

    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        client
            .get(format!("{}{VERIFY_PATH}", self.uri()))
            .send()
            .boxed()
    }

    fn token_fetches(&self) -> u64 {
        V5Fake::token_fetches(self)
    }

    fn set_token_fault(&self, fault: Option<TokenFault>) -> bool {
        if fault == Some(TokenFault::HugeLifetime) {
            return false;
        }
        self.state.core.fault.set(fault);
        true
    }

    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        Some(client.get(format!("{base}{VERIFY_PATH}")).send().boxed())
    }

    fn one_time_headers(&self) -> &'static [&'static str] {
        &["authorization"]
    }

    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        Some(
            V5Auth::builder()
                .base_url(token_base)
                .allow_origin(self.uri())
                .app_id(APP_ID)
                .app_secret(APP_SECRET)
                .clock(self.clock.shared())
                .cache_config(cache)
                .build()
                .and_then(|auth| testkit::mock::readme_client(auth.middleware())),
        )
    }

    fn secrets(&self) -> Vec<String> {
        vec![APP_SECRET.to_string(), WRONG_SECRET.to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{ExpireTimeZone, parse_naive_datetime};

    #[test]
    fn naive_utc_round_trips_through_the_parser() {
        for secs in [0u64, 951_782_399, 1_699_641_803, 4_102_444_800] {
            let t = SystemTime::UNIX_EPOCH + Duration::from_micros(secs * 1_000_000 + 232_093);
            let s = naive_utc(t);
            assert_eq!(
                parse_naive_datetime(&s, ExpireTimeZone::Utc),
                Some(t),
                "{s}"
            );
        }
        assert_eq!(
            naive_utc(SystemTime::UNIX_EPOCH + Duration::from_micros(1_699_641_803_232_093)),
            "2023-11-10T18:43:23.232093"
        );
    }
}
