//! The conformance contract: what a provider crate implements (behind its `test-util` feature)
//! so that one scenario suite runs against every provider's fake.
//!
//! `cargo xtask conformance` starts each provider's [`ConformanceTarget`] and runs
//! [`run_scenarios`] on it; provider crates call it from their own tests as well.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest_middleware::ClientWithMiddleware;

use tollgate_auth_core::cache::CacheConfig;
use tollgate_auth_core::clock::ManualClock;
use tollgate_auth_core::error::{AuthError, ErrorKind};

/// Runs one scenario check (an expression of type `Result<Outcome, String>`) and pushes its
/// row, with the token fetches it caused, onto `results`. Defined before the submodules so
/// that every table records its rows the same way.
macro_rules! record_row {
    ($results:ident, $target:expr, $name:literal, $call:expr) => {{
        let before = $target.token_fetches();
        let outcome = match $call {
            Ok(o) => o,
            Err(why) => Outcome::Fail(why),
        };
        $results.push(ScenarioResult {
            scenario: $name,
            outcome,
            fetches: $target.token_fetches() - before,
        });
    }};
}

mod faults;
#[cfg(feature = "file-store")]
mod file_store_faults;
mod fleet_faults;
mod hostile;
#[cfg(feature = "metrics")]
mod metrics_counts;
mod stack;
pub use faults::{
    CHAOS_REJECTIONS, CHAOS_SERVER_ERRORS, CHAOS_STALLS, FAULT_FETCH_TIMEOUT, SOAK_LIFETIMES,
    SOAK_REQUESTS, SOAK_TASKS, StalledServer, closed_loopback_url, fault_cache_config,
    run_chaos_soak, run_fault_matrix, run_soak, secret_forms, text_leaks,
};
#[cfg(feature = "file-store")]
pub use file_store_faults::run_file_store_faults;
pub use fleet_faults::run_fleet_faults;
#[cfg(feature = "redis")]
pub use fleet_faults::run_redis_foreign_keys;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use metrics_counts::{METRICS_COUNTS, run_metrics_counts};
#[cfg(feature = "reqwest-retry")]
pub use stack::{reqwest_retry, reqwest_retry_outside};

/// Which credentials a conformance client is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creds {
    /// The credentials the fake was started with.
    Valid,
    /// Well-formed credentials the fake does not accept (wrong secret or key).
    Wrong,
}

/// A provider's fake plus the means to drive it. Implemented by each provider crate's
/// `mock` module; the fake must read the [`ManualClock`] it was started with.
pub trait ConformanceTarget: Send + Sync {
    /// Short provider name for the report (`"dragonpass"`, `"snap-b2b"`…).
    fn name(&self) -> &str;
    /// How long a cached token lives; `None` when the provider signs every request afresh
    /// and caches nothing.
    fn token_lifetime(&self) -> Option<Duration>;
    /// Whether tokens come from an endpoint of the fake (which can be made to fail).
    fn has_token_endpoint(&self) -> bool;
    /// A client with the provider's auth attached, using `creds`, the fake's clock and
    /// `cache` as the token cache configuration.
    fn client(&self, creds: Creds, cache: CacheConfig) -> Result<ClientWithMiddleware, AuthError>;
    /// Sends one authenticated API call to the fake with `client`.
    fn call<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
    ) -> BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>;
    /// Tokens the fake has issued (token endpoint successes) or, for self-signed tokens,
    /// distinct valid tokens it has seen.
    fn token_fetches(&self) -> u64;
    /// API calls the fake has received (accepted or not).
    fn api_calls(&self) -> u64 {
        self.fake_core().map(|c| c.api_calls()).unwrap_or(0)
    }
    /// While `true`, the token endpoint answers with the provider's server-error shape.
    fn set_token_endpoint_failing(&self, failing: bool) {
        if let Some(c) = self.fake_core() {
            c.set_failing(failing);
        }
    }
    /// The next `n` API calls are answered with the provider's "token rejected" response.
    fn reject_next_api_calls(&self, n: u64) {
        if let Some(c) = self.fake_core() {
            c.reject_next.set(n);
        }
    }
    /// Every credential value in use, so reports can prove none of them leaked.
    fn secrets(&self) -> Vec<String>;

    /// Makes the token endpoint answer with `fault` until called again with `None`.
    /// Returns `false` when the fake does not support it (the default; the fault-matrix
    /// rows are then reported as not applicable).
    fn set_token_fault(&self, fault: Option<TokenFault>) -> bool {
        let _ = fault;
        false
    }

    /// The fake's shared switches and records ([`FakeCore`](crate::mock::FakeCore)), if
    /// it keeps them there: the counting, logging and chaos methods below read it by default.
    fn fake_core(&self) -> Option<&crate::mock::FakeCore> {
        None
    }

    /// Token-endpoint requests the fake received, failed ones included (`None` when the
    /// fake does not count them; rows that need the count are then not applicable).
    fn token_requests(&self) -> Option<u64> {
        self.fake_core()
            .filter(|_| self.has_token_endpoint())
            .map(|c| c.fault.attempts())
    }

    /// Sends the same API call as [`call`](Self::call), but to `base` (another origin,
    /// e.g. `http://127.0.0.1:PORT`) instead of the fake. `None` when not supported.
    fn call_to<'a>(
        &'a self,
        client: &'a ClientWithMiddleware,
        base: &'a str,
    ) -> Option<BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>>> {
        let _ = (client, base);
        None
    }

    /// Headers of the most recent API calls the fake received, oldest first.
    fn recent_api_headers(&self) -> Vec<http::HeaderMap> {
        self.fake_core().map(|c| c.log.recent()).unwrap_or_default()
    }

    /// Requests the fake refused because their token had expired by its clock (`None`
    /// when it does not count them).
    fn expired_tokens_seen(&self) -> Option<u64> {
        self.fake_core().map(|c| c.log.expired())
    }

    /// Headers that must change between a rejected request and its retry (one-time
    /// values: nonces, external ids, a freshly fetched token). Empty when the provider
    /// signs deterministically (a self-minted JWT minted again in the same second).
    fn one_time_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Headers that differ on every signing, even inside one clock second with one cached
    /// token (SNAP's `X-EXTERNAL-ID`, GTR's per-request app token): a retry from outside the
    /// auth middleware must carry new values. Empty for a pure bearer provider.
    fn per_attempt_headers(&self) -> &'static [&'static str] {
        &[]
    }

    /// The next `n` API calls are answered `503 Service Unavailable` before the fake looks
    /// at them (`0` disarms). Returns `false` when not supported.
    fn fail_next_api_calls(&self, n: u64) -> bool {
        match self.fake_core() {
            Some(c) => {
                c.unavailable_next.set(n);
                true
            }
            None => false,
        }
    }

    /// Chaos at the token endpoint: `server_error_percent` % of token requests answer the
    /// provider's HTTP 500 and `stall_percent` % stall for [`STALL`], at random, until
    /// called again with zeros. Returns `false` when not supported.
    fn set_token_chaos(&self, server_error_percent: u8, stall_percent: u8) -> bool {
        match self.fake_core().filter(|_| self.has_token_endpoint()) {
            Some(c) => {
                c.fault.set_chaos(server_error_percent, stall_percent);
                true
            }
            None => false,
        }
    }

    /// Makes a share of API calls (in percent) answer with the provider's "token
    /// rejected" response, at random, until called again with 0. Returns `false` when not
    /// supported.
    fn reject_api_calls_at_random(&self, percent: u8) -> bool {
        match self.fake_core() {
            Some(c) => {
                c.reject_next.set_chance(percent);
                true
            }
            None => false,
        }
    }

    /// Answers every API call with `307 Temporary Redirect` to `to` (another origin) until
    /// called again with `None`. Returns `false` when not supported.
    fn redirect_api_calls(&self, to: Option<String>) -> bool {
        match self.fake_core() {
            Some(c) => {
                c.redirect_api_calls(to);
                true
            }
            None => false,
        }
    }

    /// A client like [`client`](Self::client) with valid credentials whose token requests
    /// run on the client a user passes the builder (`http_client(http)`); the rows pass
    /// `reqwest::Client::builder()`, which follows redirects unless tollgate turns that off.
    /// `None` (the default) when the provider takes no client for token requests.
    fn client_with_http(
        &self,
        http: reqwest::ClientBuilder,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        let _ = (http, cache);
        None
    }

    /// A client like [`client`](Self::client) with valid credentials, except that its
    /// token requests go to `token_base` (a loopback URL such as `http://127.0.0.1:PORT`,
    /// standing in for the fake's base URL) while API calls still go to the fake. `None`
    /// (the default) when the provider cannot be pointed elsewhere. Used for the
    /// connection-refused and stalled-body rows of [`run_fault_matrix`].
    fn client_with_token_base(
        &self,
        token_base: &str,
        cache: CacheConfig,
    ) -> Option<Result<ClientWithMiddleware, AuthError>> {
        let _ = (token_base, cache);
        None
    }
}

/// A failure a fake's token endpoint can be told to produce
/// ([`ConformanceTarget::set_token_fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenFault {
    /// HTTP 500 with the provider's server-error body.
    ServerError,
    /// HTTP 503 with `Retry-After: <seconds>`.
    Unavailable {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// HTTP 200 whose body is truncated JSON.
    MalformedJson,
    /// The provider's error envelope refusing the credentials (what it sends for a wrong
    /// secret), whatever the request held.
    CredentialsRefused,
    /// The response is held back far longer than any sensible fetch timeout
    /// ([`STALL`]), so only the client's timeout ends the wait.
    Stall,
    /// A successful token response whose lifetime is the largest number the provider's
    /// field can carry (`"expiresIn": 18446744073709551615`). Fakes whose provider does not
    /// send a lifetime refuse this fault.
    HugeLifetime,
    /// A successful token response followed by 1 MiB of JSON whitespace: valid, and far
    /// larger than any token response should be.
    Oversized,
    /// `307 Temporary Redirect` to `http://127.0.0.1:<port>/captured`: a token request must
    /// not follow it (and so must not re-send its secret).
    Redirect {
        /// The loopback port of the redirect target.
        port: u16,
    },
    /// A successful token response, sent after this many milliseconds (a slow login).
    Delay {
        /// The delay in milliseconds.
        millis: u64,
    },
}

/// How long a [`TokenFault::Stall`] response is held back (real time).
pub const STALL: Duration = Duration::from_secs(30);

/// The outcome of one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The scenario passed.
    Pass,
    /// The scenario failed, with the reason.
    Fail(String),
    /// The scenario does not apply to this provider, with the reason.
    NotApplicable(&'static str),
    /// The scenario passed; the figures it measured.
    Measured(String),
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// Token fetches the fake saw during the scenario.
    pub fetches: u64,
}

/// All scenario results of one provider.
#[derive(Debug, Clone)]
pub struct Report {
    /// Provider name.
    pub provider: String,
    /// Results in run order.
    pub results: Vec<ScenarioResult>,
}

impl Report {
    /// Whether no scenario failed.
    pub fn passed(&self) -> bool {
        !self
            .results
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Fail(_)))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let (status, detail) = match &r.outcome {
                Outcome::Pass => ("pass", String::new()),
                Outcome::Measured(figures) => ("pass", figures.clone()),
                Outcome::Fail(why) => ("FAIL", why.clone()),
                Outcome::NotApplicable(why) => ("n/a", (*why).to_string()),
            };
            writeln!(
                f,
                "{:<12} {:<28} {:<5} fetches={:<3} {}",
                self.provider, r.scenario, status, r.fetches, detail
            )?;
        }
        Ok(())
    }
}

/// Concurrent requests in the cold-burst scenario.
pub const COLD_BURST: usize = 500;

/// The cache configuration scenarios use: 60 s margin, no jitter, short backoff.
pub fn scenario_cache_config() -> CacheConfig {
    CacheConfig::default()
        .with_refresh_margin(Duration::from_secs(60))
        .with_jitter(Duration::ZERO)
        .with_backoff(Duration::from_secs(1), Duration::from_secs(4))
        .with_fetch_timeout(Duration::from_secs(10))
}

struct Run<'a> {
    target: &'a dyn ConformanceTarget,
    clock: &'a ManualClock,
    leaks: BTreeMap<String, ()>,
    texts: Vec<String>,
}

type Check = Result<Outcome, String>;

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

impl Run<'_> {
    fn client(&mut self, creds: Creds) -> Result<ClientWithMiddleware, String> {
        let c = self
            .target
            .client(creds, scenario_cache_config())
            .map_err(|e| format!("building the client failed: {e}"))?;
        self.texts.push(format!("{c:?}"));
        Ok(c)
    }

    async fn call_ok(&mut self, client: &ClientWithMiddleware) -> Result<(), String> {
        match self.target.call(client).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                self.texts.push(body.clone());
                Err(format!("expected success, got HTTP {status}: {body:.200}"))
            }
            Err(e) => {
                let text = format!("{e} / {e:?}");
                self.texts.push(text.clone());
                Err(format!("expected success, got error: {text:.300}"))
            }
        }
    }

    async fn burst(&mut self, client: &ClientWithMiddleware, n: usize) -> Result<(), String> {
        let calls = (0..n).map(|_| self.target.call(client));
        let results = futures::future::join_all(calls).await;
        let mut failed = 0;
        let mut first = None;
        for r in results {
            match r {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    failed += 1;
                    first.get_or_insert_with(|| format!("HTTP {}", r.status()));
                }
                Err(e) => {
                    failed += 1;
                    first.get_or_insert_with(|| e.to_string());
                }
            }
        }
        ensure(failed == 0, || {
            format!(
                "{failed} of {n} requests failed, first: {}",
                first.unwrap_or_default()
            )
        })
    }

    fn cached(&self) -> Result<Duration, Outcome> {
        self.target.token_lifetime().ok_or(Outcome::NotApplicable(
            "signs every request; no token cache",
        ))
    }

    async fn signatures_accepted(&mut self) -> Check {
        let c = self.client(Creds::Valid)?;
        self.call_ok(&c).await?;
        self.call_ok(&c).await?;
        Ok(Outcome::Pass)
    }

    async fn cold_burst(&mut self) -> Check {
        if let Err(na) = self.cached() {
            return Ok(na);
        }
        let c = self.client(Creds::Valid)?;
        let before = self.target.token_fetches();
        self.burst(&c, COLD_BURST).await?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("{COLD_BURST} cold requests made {fetched} token fetches, expected 1")
        })?;
        // Steady state: more requests, no more fetches.
        self.burst(&c, 100).await?;
        let more = self.target.token_fetches() - before - 1;
        ensure(more == 0, || {
            format!("steady state made {more} extra fetches")
        })?;
        Ok(Outcome::Pass)
    }

    async fn expiry(&mut self) -> Check {
        let life = match self.cached() {
            Ok(l) => l,
            Err(na) => return Ok(na),
        };
        let c = self.client(Creds::Valid)?;
        self.call_ok(&c).await?;
        let before = self.target.token_fetches();
        self.clock.advance(life + Duration::from_secs(1));
        self.burst(&c, 50).await?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("after expiry 50 requests made {fetched} fetches, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    async fn outage_with_valid_token(&mut self) -> Check {
        let life = match self.cached() {
            Ok(l) => l,
            Err(na) => return Ok(na),
        };
        if !self.target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable("tokens are minted locally"));
        }
        let c = self.client(Creds::Valid)?;
        self.call_ok(&c).await?;
        self.target.set_token_endpoint_failing(true);
        // Inside the refresh window, still valid: refreshes fail in the background.
        self.clock.advance(life - Duration::from_secs(30));
        let r = async {
            for _ in 0..5 {
                self.call_ok(&c).await?;
                self.clock.advance(Duration::from_secs(2));
            }
            Ok::<_, String>(())
        }
        .await;
        self.target.set_token_endpoint_failing(false);
        r?;
        Ok(Outcome::Pass)
    }

    async fn outage_without_token(&mut self) -> Check {
        let life = match self.cached() {
            Ok(l) => l,
            Err(na) => return Ok(na),
        };
        if !self.target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable("tokens are minted locally"));
        }
        let c = self.client(Creds::Valid)?;
        self.call_ok(&c).await?;
        self.clock.advance(life + Duration::from_secs(1));
        self.target.set_token_endpoint_failing(true);
        let r = self.target.call(&c).await;
        self.target.set_token_endpoint_failing(false);
        match r {
            Ok(resp) => return Err(format!("expected an error, got HTTP {}", resp.status())),
            Err(e) => {
                self.texts.push(format!("{e} / {e:?}"));
                let ae = AuthError::from_middleware(&e)
                    .ok_or_else(|| format!("error is not an AuthError: {e}"))?;
                ensure(ae.is_retryable(), || format!("error not retryable: {ae}"))?;
            }
        }
        // Inside the backoff window the failure comes back at once, with the time left.
        let fetches = self.target.token_fetches();
        let wait = match self.target.call(&c).await {
            Ok(resp) => {
                return Err(format!(
                    "inside the backoff window: expected the failure again, got HTTP {}",
                    resp.status()
                ));
            }
            Err(e) => AuthError::from_middleware(&e)
                .and_then(AuthError::retry_after)
                .ok_or_else(|| format!("the repeated failure carries no retry_after: {e}"))?,
        };
        ensure(self.target.token_fetches() == fetches, || {
            "a call inside the backoff window reached the token endpoint".to_string()
        })?;
        self.clock.advance(wait);
        self.call_ok(&c).await?;
        Ok(Outcome::Pass)
    }

    async fn rejected_token(&mut self) -> Check {
        let c = self.client(Creds::Valid)?;
        self.call_ok(&c).await?;
        let fetches = self.target.token_fetches();
        let calls = self.target.api_calls();
        self.target.reject_next_api_calls(1);
        self.call_ok(&c).await?;
        let new_calls = self.target.api_calls() - calls;
        ensure(new_calls == 2, || {
            format!("a rejected request should be retried once: {new_calls} calls seen")
        })?;
        if self.target.token_lifetime().is_some() {
            let new_fetches = self.target.token_fetches() - fetches;
            ensure(new_fetches == 1, || {
                format!("the retry should use one fresh token, saw {new_fetches} fetches")
            })?;
        }
        Ok(Outcome::Pass)
    }

    async fn wrong_credentials(&mut self) -> Check {
        let c = self.client(Creds::Wrong)?;
        let calls = self.target.api_calls();
        match self.target.call(&c).await {
            Ok(resp) => {
                ensure(!self.target.has_token_endpoint(), || {
                    format!("expected a typed error, got HTTP {}", resp.status())
                })?;
                ensure(resp.status() == http::StatusCode::UNAUTHORIZED, || {
                    format!("expected HTTP 401, got {}", resp.status())
                })?;
                let n = self.target.api_calls() - calls;
                ensure(n <= 2, || format!("wrong credentials were tried {n} times"))?;
                let body = resp.text().await.unwrap_or_default();
                self.texts.push(body);
            }
            Err(e) => {
                self.texts.push(format!("{e} / {e:?}"));
                let ae = AuthError::from_middleware(&e)
                    .ok_or_else(|| format!("error is not an AuthError: {e}"))?;
                ensure(!ae.is_retryable(), || {
                    format!("error should not be retryable: {ae}")
                })?;
                ensure(
                    matches!(
                        ae.kind(),
                        ErrorKind::Unauthorized | ErrorKind::InvalidCredentials
                    ),
                    || format!("unexpected error kind: {ae}"),
                )?;
            }
        }
        Ok(Outcome::Pass)
    }

    /// The `stack:` row: [`check_retry_outside`] on the target's client with a minimal retry
    /// in front of it.
    async fn retry_outside(&mut self) -> Check {
        let inner = self.client(Creds::Valid)?;
        check_retry_outside(self.target, &stack::retry_outside(inner)?).await
    }

    fn no_leaks(&mut self) -> Check {
        // Raw values and their hex/base64 forms (see `secret_forms`).
        for leak in text_leaks(&self.target.secrets(), &self.texts) {
            self.leaks.insert(leak, ());
        }
        ensure(self.leaks.is_empty(), || {
            format!(
                "{} credential value(s) appeared in errors, bodies or Debug output",
                self.leaks.len()
            )
        })?;
        Ok(Outcome::Pass)
    }
}

/// Checks a client whose retry middleware sits outside the provider's auth middleware (as
/// `reqwest-retry` does when it is added first, `ClientBuilder::new(http).with(retry).with(auth)`)
/// and retries a 503 at once: after a warm call, the fake answers the next API call 503; the
/// retry must succeed, carry fresh [per-attempt headers](ConformanceTarget::per_attempt_headers)
/// (it went through the signer again) and, where a token is cached, fetch none (a 503 is not
/// a rejection). Provider crates run it with the real `reqwest-retry`.
pub async fn check_retry_outside(
    target: &dyn ConformanceTarget,
    client: &ClientWithMiddleware,
) -> Result<Outcome, String> {
    let ok = |r: Result<reqwest::Response, reqwest_middleware::Error>| match r {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("expected success, got HTTP {}", r.status())),
        Err(e) => Err(format!("expected success, got error: {e}")),
    };
    // Warm: a token, if any, is fetched and cached before the outage.
    ok(target.call(client).await)?;
    let fetches = target.token_fetches();
    let calls = target.api_calls();
    if !target.fail_next_api_calls(1) {
        return Ok(Outcome::NotApplicable(
            "the fake cannot answer an API call 503",
        ));
    }
    let r = target.call(client).await;
    target.fail_next_api_calls(0);
    ok(r)?;
    let n = target.api_calls() - calls;
    ensure(n == 2, || {
        format!("a 503 then a success should be 2 API calls, saw {n}")
    })?;
    let seen = target.recent_api_headers();
    let [first, second] = seen.get(seen.len().saturating_sub(2)..).unwrap_or_default() else {
        return Err("the fake did not record both attempts".to_string());
    };
    for name in target.per_attempt_headers() {
        let (a, b) = (first.get(*name), second.get(*name));
        ensure(a.is_some() && b.is_some() && a != b, || {
            format!("{name} was not sent afresh on the retry after a 503")
        })?;
    }
    if target.token_lifetime().is_some() {
        let new = target.token_fetches() - fetches;
        ensure(new == 0, || {
            format!("a 503 is not a rejection, yet the retry fetched {new} token(s)")
        })?;
    }
    Ok(Outcome::Pass)
}

/// Fleet members in [`run_fleet_scenario`].
pub const FLEET_MEMBERS: usize = 8;

/// The fleet scenario: [`FLEET_MEMBERS`] clients, each with its own token cache (as separate
/// processes would have) but sharing `store` under `key`, send 50 concurrent requests each
/// from a cold start; the fake must see exactly one token fetch.
pub async fn run_fleet_scenario(
    target: &dyn ConformanceTarget,
    store: std::sync::Arc<dyn tollgate_auth_core::store::TokenStore>,
    key: &str,
) -> ScenarioResult {
    let before = target.token_fetches();
    let outcome = async {
        if !target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable("no token endpoint to share"));
        }
        let mut clients = Vec::new();
        for _ in 0..FLEET_MEMBERS {
            let shared = tollgate_auth_core::store::SharedStore::new(store.clone(), key)
                .map_err(|e| format!("binding the store failed: {e}"))?;
            let cfg = scenario_cache_config().with_shared_store(
                shared
                    .on_unavailable(tollgate_auth_core::store::OnUnavailable::Fail)
                    .poll_interval(Duration::from_millis(5)),
            );
            clients.push(
                target
                    .client(Creds::Valid, cfg)
                    .map_err(|e| format!("building the client failed: {e}"))?,
            );
        }
        let calls = clients
            .iter()
            .flat_map(|c| (0..50).map(move |_| target.call(c)));
        let results = futures::future::join_all(calls).await;
        let failed = results
            .iter()
            .filter(|r| !matches!(r, Ok(resp) if resp.status().is_success()))
            .count();
        ensure(failed == 0, || format!("{failed} fleet requests failed"))?;
        let fetched = target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!(
                "{FLEET_MEMBERS} cold caches sharing a store made {fetched} fetches, expected 1"
            )
        })?;
        Ok(Outcome::Pass)
    }
    .await
    .unwrap_or_else(Outcome::Fail);
    ScenarioResult {
        scenario: "fleet: 8 caches -> 1 fetch",
        outcome,
        fetches: target.token_fetches() - before,
    }
}

/// Runs every scenario against `target`, whose fake reads `clock`.
pub async fn run_scenarios(target: &dyn ConformanceTarget, clock: &ManualClock) -> Report {
    let mut run = Run {
        target,
        clock,
        leaks: BTreeMap::new(),
        texts: Vec::new(),
    };
    let mut results = Vec::new();
    record_row!(
        results,
        run.target,
        "signatures accepted",
        run.signatures_accepted().await
    );
    record_row!(
        results,
        run.target,
        "cold burst -> 1 fetch",
        run.cold_burst().await
    );
    record_row!(
        results,
        run.target,
        "expiry -> 1 refresh",
        run.expiry().await
    );
    record_row!(
        results,
        run.target,
        "outage, valid token",
        run.outage_with_valid_token().await
    );
    record_row!(
        results,
        run.target,
        "outage, no token",
        run.outage_without_token().await
    );
    record_row!(
        results,
        run.target,
        "rejected token -> 1 retry",
        run.rejected_token().await
    );
    record_row!(
        results,
        run.target,
        "wrong credentials",
        run.wrong_credentials().await
    );
    record_row!(
        results,
        run.target,
        "stack: retry outside signs each attempt afresh",
        run.retry_outside().await
    );
    record_row!(results, run.target, "no secrets in output", run.no_leaks());
    Report {
        provider: target.name().to_string(),
        results,
    }
}
