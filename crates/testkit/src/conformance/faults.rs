//! The fault matrix, the soak and the secret canaries: what must hold when the token
//! endpoint misbehaves, under sustained concurrent load, and in every text a run produces.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest_middleware::ClientWithMiddleware;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ConformanceTarget, Creds, Outcome, Report, ScenarioResult, TokenFault};
use tollgate_auth_core::cache::CacheConfig;
use tollgate_auth_core::clock::ManualClock;
use tollgate_auth_core::error::{AuthError, ErrorKind};

/// The fetch timeout of the fault matrix (real time): how long a stalled token endpoint may
/// hold a caller.
pub const FAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(1);

/// Requests the soak sends.
pub const SOAK_REQUESTS: usize = 10_000;
/// Token lifetimes the soak's manual clock crosses.
pub const SOAK_LIFETIMES: u32 = 50;
/// Concurrent tasks sending the soak's requests.
pub const SOAK_TASKS: usize = 64;

/// The cache configuration of the fault matrix: like
/// [`scenario_cache_config`](super::scenario_cache_config) with a
/// [`FAULT_FETCH_TIMEOUT`] fetch timeout.
pub fn fault_cache_config() -> CacheConfig {
    super::scenario_cache_config().with_fetch_timeout(FAULT_FETCH_TIMEOUT)
}

/// A loopback URL nobody listens on (a port bound and released at once), for the
/// connection-refused row.
pub fn closed_loopback_url() -> String {
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => format!("http://127.0.0.1:{}", addr.port()),
        // Port 9 (discard) is closed on any machine that runs these tests.
        Err(_) => "http://127.0.0.1:9".to_string(),
    }
}

/// A loopback HTTP server whose every response never finishes: it reads the request, sends
/// a `200` status line and headers announcing a 4 KiB JSON body, the first bytes of that
/// body, and then nothing, keeping the connection open until the server is dropped.
#[derive(Debug)]
pub struct StalledServer {
    url: String,
    accept: tokio::task::JoinHandle<()>,
}

impl StalledServer {
    /// Starts the server on `127.0.0.1` (an ephemeral port).
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let accept = tokio::spawn(async move {
            // Dropping the set (when the accept task is aborted) aborts every connection.
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut sock, _)) = listener.accept().await {
                conns.spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                content-length: 4096\r\n\r\n{\"access";
                    if sock.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = sock.flush().await;
                    // Hold the connection open; drain whatever the client sends.
                    while let Ok(n) = sock.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                });
            }
        });
        Ok(StalledServer { url, accept })
    }

    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for StalledServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Every form in which `secret` could leak: itself, lower- and upper-case hex, and the
/// standard and URL-safe base64 alphabets at each of the three byte alignments (the
/// characters of an encoding that depend on the secret's bytes only, so the form is found
/// inside a longer encoded value such as `base64(id:secret)` too). Derived forms shorter
/// than 8 characters are left out (they would match by chance).
///
/// ```
/// use tollgate_testkit::conformance::secret_forms;
/// let forms = secret_forms("hunter2-secret");
/// assert!(forms.contains(&"hunter2-secret".to_string()));
/// assert!(forms.contains(&"68756e746572322d736563726574".to_string()));
/// assert!(forms.iter().any(|f| "aHVudGVyMi1zZWNyZXQ=".contains(f.as_str())));
/// ```
pub fn secret_forms(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut out = vec![secret.to_string()];
    let mut push = |s: String| {
        if s.len() >= 8 && !out.contains(&s) {
            out.push(s);
        }
    };
    push(hex::encode(bytes));
    push(hex::encode_upper(bytes));
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for k in 0..3usize {
            let mut padded = vec![0u8; k];
            padded.extend_from_slice(bytes);
            let enc = engine.encode(&padded);
            // Character i covers bits [6i, 6i + 6); the secret covers [8k, 8(k + len)).
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + bytes.len())) / 6;
            if end > start && end <= enc.len() {
                push(enc[start..end].to_string());
            }
        }
    }
    out
}

/// Which of `secrets` (in any [`secret_forms`] form) appear in `texts`: one line per leak
/// naming the secret's index, the form and the text's index, never the value.
pub fn text_leaks(secrets: &[String], texts: &[String]) -> Vec<String> {
    let mut leaks = Vec::new();
    for (si, secret) in secrets.iter().enumerate() {
        if secret.len() < 6 {
            continue;
        }
        for (fi, form) in secret_forms(secret).iter().enumerate() {
            for (ti, text) in texts.iter().enumerate() {
                if text.contains(form.as_str()) {
                    leaks.push(format!("secret #{si} (form #{fi}) in text #{ti}"));
                }
            }
        }
    }
    leaks
}

/// What a fault must produce.
struct Expect {
    kinds: &'static [ErrorKind],
    retryable: bool,
    retry_after: Option<Duration>,
}

type Check = Result<Outcome, String>;

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

struct Faults<'a> {
    target: &'a dyn ConformanceTarget,
    clock: &'a ManualClock,
    texts: Vec<String>,
}

impl Faults<'_> {
    async fn call_ok(&mut self, client: &ClientWithMiddleware) -> Result<(), String> {
        match self.target.call(client).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                self.texts.push(body);
                Err(format!("expected success, got HTTP {status}"))
            }
            Err(e) => {
                let text = format!("{e} / {e:?}");
                self.texts.push(text.clone());
                Err(format!("expected success, got error: {text:.300}"))
            }
        }
    }

    /// Sends one call that must fail with an `AuthError` matching `expect`, within
    /// `bound` of real time.
    async fn call_err(
        &mut self,
        client: &ClientWithMiddleware,
        expect: &Expect,
        bound: Duration,
    ) -> Result<(), String> {
        let started = Instant::now();
        let r = self.target.call(client).await;
        let took = started.elapsed();
        ensure(took <= bound, || {
            format!("the failing call took {took:?}, more than {bound:?}")
        })?;
        let e = match r {
            Ok(resp) => return Err(format!("expected an error, got HTTP {}", resp.status())),
            Err(e) => e,
        };
        self.texts.push(format!("{e} / {e:?}"));
        let ae = AuthError::from_middleware(&e)
            .ok_or_else(|| format!("error is not an AuthError: {e}"))?;
        self.texts.push(format!("{ae} / {ae:?}"));
        ensure(expect.kinds.contains(&ae.kind()), || {
            format!(
                "expected kind {:?}, got {:?}: {ae}",
                expect.kinds,
                ae.kind()
            )
        })?;
        ensure(ae.is_retryable() == expect.retryable, || {
            format!("expected retryable={}, got: {ae:?}", expect.retryable)
        })?;
        if let Some(after) = expect.retry_after {
            ensure(ae.retry_after() == Some(after), || {
                format!("expected retry_after {after:?}, got {:?}", ae.retry_after())
            })?;
        }
        Ok(())
    }

    /// A cached token, then `fault`: refreshes inside the refresh window fail in the
    /// background while the cached token keeps serving; after expiry the caller gets the
    /// typed error; clearing the fault recovers with one fetch.
    async fn injected(&mut self, fault: TokenFault, expect: Expect) -> Check {
        let Some(life) = self.target.token_lifetime() else {
            return Ok(Outcome::NotApplicable("no token cache"));
        };
        if !self.target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable("tokens are minted locally"));
        }
        let c = self
            .target
            .client(Creds::Valid, fault_cache_config())
            .map_err(|e| format!("building the client failed: {e}"))?;
        self.texts.push(format!("{c:?}"));
        self.call_ok(&c).await?;
        if !self.target.set_token_fault(Some(fault)) {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = self.injected_inner(&c, life, &expect).await;
        self.target.set_token_fault(None);
        r?;
        // Wait out the backoff window (and any Retry-After) the failure set.
        self.clock.advance(BACKOFF_WAIT);
        let before = self.target.token_fetches();
        self.call_ok(&c)
            .await
            .map_err(|e| format!("no recovery after the fault cleared: {e}"))?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("recovery made {fetched} token fetches, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    async fn injected_inner(
        &mut self,
        c: &ClientWithMiddleware,
        life: Duration,
        expect: &Expect,
    ) -> Result<(), String> {
        let issued = self.target.token_fetches();
        // Inside the refresh window (margin 60 s, at most half the lifetime) and still
        // valid; saturating so that a short-lived token cannot underflow.
        self.clock
            .advance(life.saturating_sub((life / 4).min(Duration::from_secs(30))));
        for _ in 0..4 {
            self.call_ok(c)
                .await
                .map_err(|e| format!("the still-valid cached token was not used: {e}"))?;
            self.clock.advance(Duration::from_secs(2));
        }
        let fetched = self.target.token_fetches() - issued;
        ensure(fetched == 0, || {
            format!("the fake issued {fetched} tokens while failing")
        })?;
        // Expired: the caller waits for a fetch, which must fail typed and bounded.
        self.clock.advance(Duration::from_secs(60));
        let bound = FAULT_FETCH_TIMEOUT + Duration::from_secs(4);
        self.call_err(c, expect, bound).await
    }

    /// A fresh client whose token endpoint is `base`; its first call must fail as expected.
    async fn redirected(&mut self, base: &str, expect: Expect) -> Check {
        if !self.target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable("tokens are minted locally"));
        }
        let Some(c) = self
            .target
            .client_with_token_base(base, fault_cache_config())
        else {
            return Ok(Outcome::NotApplicable(
                "the fake's token URL cannot be redirected",
            ));
        };
        let c = c.map_err(|e| format!("building the client failed: {e}"))?;
        let bound = FAULT_FETCH_TIMEOUT + Duration::from_secs(4);
        self.call_err(&c, &expect, bound).await?;
        // And again after the backoff window: a failure is not cached as a token, the next
        // call tries (and fails) afresh.
        self.clock.advance(BACKOFF_WAIT);
        self.call_err(&c, &expect, bound).await?;
        Ok(Outcome::Pass)
    }
}

const RETRY_AFTER_SECS: u64 = 7;

/// Longer than any backoff window the matrix causes (max backoff 4 s, `Retry-After` 7 s).
const BACKOFF_WAIT: Duration = Duration::from_secs(30);

/// Runs the fault matrix against `target`: the token endpoint answers 500, 503 with
/// `Retry-After`, malformed JSON, the provider's credentials-refused envelope, or never
/// finishes (fake-side stall, and a loopback server that stops mid-body), or nobody listens.
///
/// Expected errors (a documented decision for every provider):
///
/// | fault | kind | retryable |
/// |---|---|---|
/// | 500 | `ServerError` | yes |
/// | 503 + `Retry-After: 7` | `ServerError` or `RateLimited`, `retry_after` = 7 s | yes |
/// | malformed JSON (HTTP 200) | `InvalidResponse` | no: the endpoint answered, and answering the same request again is not expected to fix a protocol mismatch; the cache still retries in the background with backoff |
/// | credentials refused | `Unauthorized` or `InvalidCredentials` | no |
/// | stalled response / stalled body | `Timeout` (after [`FAULT_FETCH_TIMEOUT`]) | yes |
/// | connection refused | `Transport` | yes |
///
/// For the injected faults a still-valid cached token keeps serving requests and, once the
/// fault clears, the next call recovers with exactly one fetch. A final row checks that no
/// credential (in any [`secret_forms`] form) appears in the errors collected.
pub async fn run_fault_matrix(target: &dyn ConformanceTarget, clock: &ManualClock) -> Report {
    let mut run = Faults {
        target,
        clock,
        texts: Vec::new(),
    };
    let mut results = Vec::new();
    use ErrorKind as K;
    record_row!(
        results,
        run.target,
        "fault: HTTP 500",
        run.injected(
            TokenFault::ServerError,
            Expect {
                kinds: &[K::ServerError],
                retryable: true,
                retry_after: None,
            },
        )
        .await
    );
    record_row!(
        results,
        run.target,
        "fault: 503 + Retry-After",
        run.injected(
            TokenFault::Unavailable {
                retry_after_secs: RETRY_AFTER_SECS,
            },
            Expect {
                kinds: &[K::ServerError, K::RateLimited],
                retryable: true,
                retry_after: Some(Duration::from_secs(RETRY_AFTER_SECS)),
            },
        )
        .await
    );
    record_row!(
        results,
        run.target,
        "fault: malformed JSON",
        run.injected(
            TokenFault::MalformedJson,
            Expect {
                kinds: &[K::InvalidResponse],
                retryable: false,
                retry_after: None,
            },
        )
        .await
    );
    record_row!(
        results,
        run.target,
        "fault: error envelope",
        run.injected(
            TokenFault::CredentialsRefused,
            Expect {
                kinds: &[K::Unauthorized, K::InvalidCredentials],
                retryable: false,
                retry_after: None,
            },
        )
        .await
    );
    record_row!(
        results,
        run.target,
        "fault: response stalls",
        run.injected(
            TokenFault::Stall,
            Expect {
                kinds: &[K::Timeout],
                retryable: true,
                retry_after: None,
            },
        )
        .await
    );
    let stalled = StalledServer::start().await;
    record_row!(
        results,
        run.target,
        "fault: body never finishes",
        match &stalled {
            Ok(s) => {
                run.redirected(
                    s.url(),
                    Expect {
                        kinds: &[K::Timeout],
                        retryable: true,
                        retry_after: None,
                    },
                )
                .await
            }
            Err(e) => Err(format!("cannot start the stalled server: {e}")),
        }
    );
    drop(stalled);
    record_row!(
        results,
        run.target,
        "fault: connection refused",
        run.redirected(
            &closed_loopback_url(),
            Expect {
                kinds: &[K::Transport],
                retryable: true,
                retry_after: None,
            },
        )
        .await
    );
    results.extend(super::hostile::run_hostile(target, clock, &mut run.texts).await);
    let leaks = text_leaks(&target.secrets(), &run.texts);
    results.push(ScenarioResult {
        scenario: "fault: no secrets in errors",
        outcome: if leaks.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail(leaks.join("; "))
        },
        fetches: 0,
    });
    Report {
        provider: target.name().to_string(),
        results,
    }
}

/// The soak: [`SOAK_REQUESTS`] requests from [`SOAK_TASKS`] concurrent tasks while the
/// manual clock crosses [`SOAK_LIFETIMES`] token lifetimes, through one client (one cache,
/// refresh margin 0, no jitter, so every token is used for exactly one lifetime).
///
/// The clock moves in quarter-lifetime steps between rounds of requests (201 rounds, the
/// last at exactly 50 lifetimes). Must hold: every response is a success; the fake saw
/// exactly [`SOAK_REQUESTS`] API calls (a request sent with an expired token would be
/// rejected and retried, adding a call); token fetches = lifetimes + 1, exactly.
pub async fn run_soak(target: &dyn ConformanceTarget, clock: &ManualClock) -> ScenarioResult {
    let before = target.token_fetches();
    let outcome = soak(target, clock).await.unwrap_or_else(Outcome::Fail);
    ScenarioResult {
        scenario: "soak: 10k req, 50 lifetimes",
        outcome,
        fetches: target.token_fetches() - before,
    }
}

/// What one soak run saw.
struct SoakRun {
    failed: u64,
    /// Failures by reason (HTTP status or error kind), for the report.
    reasons: std::collections::BTreeMap<String, u64>,
    first_failure: Option<String>,
    calls: u64,
    fetches: u64,
}

/// Sends [`SOAK_REQUESTS`] requests from [`SOAK_TASKS`] tasks while the clock crosses
/// [`SOAK_LIFETIMES`] lifetimes in quarter-lifetime steps, through one client built with
/// `cfg`.
async fn soak_run(
    target: &dyn ConformanceTarget,
    clock: &ManualClock,
    life: Duration,
    cfg: CacheConfig,
) -> Result<SoakRun, String> {
    let c = target
        .client(Creds::Valid, cfg)
        .map_err(|e| format!("building the client failed: {e}"))?;
    let steps_per_life: u32 = if life.as_millis().is_multiple_of(4) {
        4
    } else {
        1
    };
    let step = life / steps_per_life;
    let rounds = (SOAK_LIFETIMES * steps_per_life + 1) as usize;
    let fetches0 = target.token_fetches();
    let calls0 = target.api_calls();
    let failures = std::sync::Mutex::new((
        std::collections::BTreeMap::<String, u64>::new(),
        None::<String>,
    ));
    for r in 0..rounds {
        let budget = SOAK_REQUESTS * (r + 1) / rounds - SOAK_REQUESTS * r / rounds;
        let remaining = AtomicUsize::new(budget);
        let tasks = (0..SOAK_TASKS).map(|_| async {
            while remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let (reason, why) = match target.call(&c).await {
                    Ok(resp) if resp.status().is_success() => continue,
                    Ok(resp) => (
                        format!("HTTP {}", resp.status().as_u16()),
                        resp.status().to_string(),
                    ),
                    Err(e) => match AuthError::from_middleware(&e) {
                        Some(a) => (
                            format!(
                                "{:?}{}",
                                a.kind(),
                                if a.is_retryable() {
                                    ""
                                } else {
                                    " (not retryable)"
                                }
                            ),
                            e.to_string(),
                        ),
                        None => ("transport".to_string(), e.to_string()),
                    },
                };
                let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
                *f.0.entry(reason).or_default() += 1;
                f.1.get_or_insert(why);
            }
        });
        futures::future::join_all(tasks).await;
        if r + 1 < rounds {
            clock.advance(step);
        }
    }
    let (reasons, first_failure) = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(SoakRun {
        failed: reasons.values().sum(),
        reasons,
        first_failure,
        calls: target.api_calls() - calls0,
        fetches: target.token_fetches() - fetches0,
    })
}

async fn soak(target: &dyn ConformanceTarget, clock: &ManualClock) -> Check {
    let Some(life) = target.token_lifetime() else {
        return Ok(Outcome::NotApplicable("no token cache"));
    };
    let cfg = super::scenario_cache_config()
        .with_refresh_margin(Duration::ZERO)
        .with_jitter(Duration::ZERO);
    let run = soak_run(target, clock, life, cfg).await?;
    let failed = run.failed;
    ensure(failed == 0, || {
        format!(
            "{failed} of {SOAK_REQUESTS} requests failed, first: {}",
            run.first_failure.clone().unwrap_or_default()
        )
    })?;
    let calls = run.calls;
    ensure(calls == SOAK_REQUESTS as u64, || {
        format!(
            "the fake saw {calls} API calls for {SOAK_REQUESTS} requests: {} were rejected \
             (an expired token was sent) and retried",
            calls.saturating_sub(SOAK_REQUESTS as u64)
        )
    })?;
    let fetched = run.fetches;
    let expected = u64::from(SOAK_LIFETIMES) + 1;
    ensure(fetched == expected, || {
        format!("{fetched} token fetches, expected lifetimes + 1 = {expected}")
    })?;
    Ok(Outcome::Pass)
}

/// Chaos at the token endpoint of the soak: share of token requests answered 500.
pub const CHAOS_SERVER_ERRORS: u8 = 10;
/// Share of token requests that stall past the fetch timeout.
pub const CHAOS_STALLS: u8 = 5;
/// Share of API calls answered "token rejected".
pub const CHAOS_REJECTIONS: u8 = 5;

/// The soak again, with chaos: [`CHAOS_SERVER_ERRORS`] % of token requests answer 500,
/// [`CHAOS_STALLS`] % stall past the fetch timeout ([`FAULT_FETCH_TIMEOUT`]) and
/// [`CHAOS_REJECTIONS`] % of API calls are answered "token rejected". Requests may fail
/// (typed, retryable), but no expired token is ever sent, nothing panics, and token
/// fetches stay bounded: one per lifetime plus at most one rejection-driven refetch per
/// round of requests. The figures are printed in the row.
pub async fn run_chaos_soak(target: &dyn ConformanceTarget, clock: &ManualClock) -> ScenarioResult {
    let before = target.token_fetches();
    let outcome = chaos_soak(target, clock)
        .await
        .unwrap_or_else(Outcome::Fail);
    target.set_token_chaos(0, 0);
    target.reject_api_calls_at_random(0);
    ScenarioResult {
        scenario: "soak with chaos: 10k req, 50 lifetimes",
        outcome,
        fetches: target.token_fetches() - before,
    }
}

async fn chaos_soak(target: &dyn ConformanceTarget, clock: &ManualClock) -> Check {
    let Some(life) = target.token_lifetime() else {
        return Ok(Outcome::NotApplicable("no token cache"));
    };
    if !target.has_token_endpoint() {
        return Ok(Outcome::NotApplicable(
            "tokens are minted locally: no token endpoint",
        ));
    }
    let Some(expired0) = target.expired_tokens_seen() else {
        return Ok(Outcome::NotApplicable(
            "the fake does not count expired tokens",
        ));
    };
    if !target.set_token_chaos(CHAOS_SERVER_ERRORS, CHAOS_STALLS)
        || !target.reject_api_calls_at_random(CHAOS_REJECTIONS)
    {
        return Ok(Outcome::NotApplicable("the fake cannot inject chaos"));
    }
    let requests0 = target.token_requests();
    let cfg = fault_cache_config()
        .with_refresh_margin(Duration::ZERO)
        .with_jitter(Duration::ZERO);
    let run = soak_run(target, clock, life, cfg).await?;
    let expired = target.expired_tokens_seen().unwrap_or(expired0) - expired0;
    ensure(expired == 0, || {
        format!("{expired} requests were sent with an expired token")
    })?;
    let not_retryable: u64 = run
        .reasons
        .iter()
        .filter(|(k, _)| k.contains("not retryable") || k.as_str() == "transport")
        .map(|(_, n)| *n)
        .sum();
    ensure(not_retryable == 0, || {
        format!(
            "{not_retryable} failures were not typed and retryable: {:?} (first: {})",
            run.reasons,
            run.first_failure.clone().unwrap_or_default()
        )
    })?;
    let steps_per_life: u64 = if life.as_millis().is_multiple_of(4) {
        4
    } else {
        1
    };
    let rounds = u64::from(SOAK_LIFETIMES) * steps_per_life + 1;
    let bound = u64::from(SOAK_LIFETIMES) + 1 + rounds;
    ensure(run.fetches <= bound, || {
        format!("{} token fetches, more than the bound {bound}", run.fetches)
    })?;
    let requests = match (requests0, target.token_requests()) {
        (Some(a), Some(b)) => format!("{}", b - a),
        _ => "?".to_string(),
    };
    Ok(Outcome::Measured(format!(
        "token requests {requests}, tokens issued {} (bound {bound}), expired sent 0, \
         failed {} of {SOAK_REQUESTS}: {:?}",
        run.fetches, run.failed, run.reasons
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_find_embedded_base64_at_every_alignment() {
        let secret = "s3cr3t-value-42";
        let forms = secret_forms(secret);
        let e = &base64::engine::general_purpose::STANDARD;
        for prefix in ["", "a:", "ab:", "abc:"] {
            let whole = e.encode(format!("{prefix}{secret}"));
            assert!(
                forms.iter().skip(1).any(|f| whole.contains(f.as_str())),
                "prefix {prefix:?}: {whole}"
            );
        }
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
        assert!(forms.iter().any(|f| url.contains(f.as_str())));
        assert!(forms.contains(&hex::encode_upper(secret)));
        assert!(text_leaks(&[secret.to_string()], &["nothing here".to_string()]).is_empty());
        assert_eq!(
            text_leaks(
                &[secret.to_string()],
                &[format!("x{}y", hex::encode(secret))]
            )
            .len(),
            1
        );
    }
}
