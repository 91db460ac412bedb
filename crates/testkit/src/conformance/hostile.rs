//! Hostile servers and faults: absurd numbers, redirects, huge bodies, plain HTTP, other
//! origins, a refresh task that dies, a rate-limited cold start, a permanent 401 and the
//! retry's freshness. Each row says `n/a` (and why) where it does not apply.

use std::time::Duration;

use reqwest_middleware::ClientWithMiddleware;

use super::faults::fault_cache_config;
use super::{ConformanceTarget, Creds, Outcome, ScenarioResult, TokenFault};
use tollgate_auth_core::clock::ManualClock;
use tollgate_auth_core::error::{AuthError, ErrorKind, MAX_RETRY_AFTER};

type Check = Result<Outcome, String>;

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

/// Headers a request may carry without carrying a credential: anything else on a request
/// to another origin is a leak.
const PLAIN_HEADERS: &[&str] = &[
    "host",
    "accept",
    "accept-encoding",
    "content-type",
    "content-length",
    "user-agent",
    "connection",
];

/// How long after `MAX_RETRY_AFTER` / the lifetime cap the rows wait (manual clock).
const PAST: Duration = Duration::from_secs(1);

pub(super) struct Hostile<'a> {
    pub target: &'a dyn ConformanceTarget,
    pub clock: &'a ManualClock,
    pub texts: &'a mut Vec<String>,
}

impl Hostile<'_> {
    fn client(&mut self) -> Result<ClientWithMiddleware, String> {
        let c = self
            .target
            .client(Creds::Valid, fault_cache_config())
            .map_err(|e| format!("building the client failed: {e}"))?;
        self.texts.push(format!("{c:?}"));
        Ok(c)
    }

    async fn ok(&mut self, c: &ClientWithMiddleware) -> Result<(), String> {
        match self.target.call(c).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("expected success, got HTTP {}", r.status())),
            Err(e) => {
                let t = format!("{e} / {e:?}");
                self.texts.push(t.clone());
                Err(format!("expected success, got error: {t:.300}"))
            }
        }
    }

    async fn err(&mut self, c: &ClientWithMiddleware) -> Result<AuthError, String> {
        match self.target.call(c).await {
            Ok(r) => Err(format!("expected an error, got HTTP {}", r.status())),
            Err(e) => {
                self.texts.push(format!("{e} / {e:?}"));
                AuthError::from_middleware(&e)
                    .cloned()
                    .ok_or_else(|| format!("not an AuthError: {e}"))
            }
        }
    }

    fn endpoint(&self) -> Result<(), Outcome> {
        if self.target.token_lifetime().is_none() || !self.target.has_token_endpoint() {
            return Err(Outcome::NotApplicable("no token endpoint"));
        }
        Ok(())
    }

    /// `expiresIn: u64::MAX`: the token works, its lifetime is clamped (so it is
    /// refreshed after the cap), and nothing panics.
    pub(super) async fn huge_expires_in(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let c = self.client()?;
        if !self.target.set_token_fault(Some(TokenFault::HugeLifetime)) {
            return Ok(Outcome::NotApplicable(
                "the server does not set the token lifetime",
            ));
        }
        let r = self.ok(&c).await;
        self.target.set_token_fault(None);
        r.map_err(|e| format!("a huge expiresIn broke the client: {e}"))?;
        let before = self.target.token_fetches();
        self.clock
            .advance(tollgate_auth_core::cache::CacheConfig::default().max_lifetime + PAST);
        self.ok(&c).await?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("after the lifetime cap {fetched} fetches, expected 1 (lifetime not clamped)")
        })?;
        Ok(Outcome::Pass)
    }

    /// `Retry-After: u64::MAX` on a cold start: a typed retryable error with the wait
    /// clamped to [`MAX_RETRY_AFTER`], no fetch inside the window, recovery after it.
    pub(super) async fn huge_retry_after(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let c = self.client()?;
        let fault = TokenFault::Unavailable {
            retry_after_secs: u64::MAX,
        };
        if !self.target.set_token_fault(Some(fault)) {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = async {
            let e = self.err(&c).await?;
            ensure(e.is_retryable(), || format!("not retryable: {e}"))?;
            ensure(
                e.retry_after()
                    .is_some_and(|d| d <= MAX_RETRY_AFTER && !d.is_zero()),
                || format!("retry_after not clamped: {:?}", e.retry_after()),
            )?;
            Ok::<_, String>(())
        }
        .await;
        self.target.set_token_fault(None);
        r?;
        self.clock.advance(MAX_RETRY_AFTER + PAST);
        self.ok(&c).await?;
        Ok(Outcome::Pass)
    }

    /// A 307 from the token endpoint: a typed error, and the redirect target receives
    /// nothing (the secret is not re-posted).
    pub(super) async fn token_redirect(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let capture = wiremock::MockServer::start().await;
        let port = capture.address().port();
        let c = self.client()?;
        if !self
            .target
            .set_token_fault(Some(TokenFault::Redirect { port }))
        {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = self.err(&c).await;
        self.target.set_token_fault(None);
        let e = r?;
        let seen = capture.received_requests().await.unwrap_or_default();
        ensure(seen.is_empty(), || {
            format!(
                "the token request followed the redirect: {} request(s) reached the target",
                seen.len()
            )
        })?;
        ensure(
            e.kind() == ErrorKind::InvalidResponse && !e.is_retryable(),
            || format!("expected a non-retryable InvalidResponse, got {e:?}"),
        )?;
        Ok(Outcome::Pass)
    }

    /// The same 307 as [`token_redirect`](Self::token_redirect), on a token client the user
    /// passed that follows redirects: the secret is still not re-posted.
    pub(super) async fn token_redirect_user_client(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let capture = wiremock::MockServer::start().await;
        let port = capture.address().port();
        let Some(built) = self
            .target
            .client_with_http(reqwest::Client::builder(), fault_cache_config())
        else {
            return Ok(Outcome::NotApplicable(
                "the provider takes no client for token requests",
            ));
        };
        let c = built.map_err(|e| format!("building the client failed: {e}"))?;
        if !self
            .target
            .set_token_fault(Some(TokenFault::Redirect { port }))
        {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = self.err(&c).await;
        self.target.set_token_fault(None);
        let seen = capture.received_requests().await.unwrap_or_default();
        ensure(seen.is_empty(), || {
            format!(
                "the user's client followed the token redirect: {} request(s) re-posted",
                seen.len()
            )
        })?;
        let e = r?;
        ensure(
            e.kind() == ErrorKind::InvalidResponse && !e.is_retryable(),
            || format!("expected a non-retryable InvalidResponse, got {e:?}"),
        )?;
        Ok(Outcome::Pass)
    }

    /// A signed API call answered `307` to a recorder on another origin, on the client the
    /// README builds: the recorder sees no header the signer added, and the caller gets no
    /// success from it.
    pub(super) async fn api_redirect(&mut self) -> Check {
        let recorder = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&recorder)
            .await;
        let c = self.client()?;
        self.ok(&c).await?;
        if !self
            .target
            .redirect_api_calls(Some(format!("{}/captured", recorder.uri())))
        {
            return Ok(Outcome::NotApplicable("the fake cannot redirect its API"));
        }
        let r = self.target.call(&c).await;
        self.target.redirect_api_calls(None);
        let seen = recorder.received_requests().await.unwrap_or_default();
        let leaked: Vec<String> = seen
            .iter()
            .flat_map(|req| req.headers.keys())
            .map(|k| k.as_str().to_string())
            .filter(|k| !PLAIN_HEADERS.contains(&k.as_str()) && k != "referer")
            .collect();
        ensure(leaked.is_empty(), || {
            format!("the redirect carried signed headers to another origin: {leaked:?}")
        })?;
        match r {
            Ok(resp) => ensure(!resp.status().is_success(), || {
                "an answer from another origin was handed back as a success".to_string()
            })?,
            Err(e) => self.texts.push(format!("{e} / {e:?}")),
        }
        Ok(Outcome::Pass)
    }

    /// A valid token response padded to over 1 MiB: refused as `InvalidResponse`.
    pub(super) async fn oversized(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let c = self.client()?;
        if !self.target.set_token_fault(Some(TokenFault::Oversized)) {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = self.err(&c).await;
        self.target.set_token_fault(None);
        let e = r?;
        ensure(e.kind() == ErrorKind::InvalidResponse, || {
            format!("expected InvalidResponse, got {e:?}")
        })?;
        Ok(Outcome::Pass)
    }

    /// A token URL on plain HTTP off loopback: refused when the client is built (or, at
    /// the latest, before anything is sent), naming the field.
    pub(super) async fn plain_http(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        // `.invalid` never resolves: if anything were sent, it would fail as Transport.
        let Some(built) = self
            .target
            .client_with_token_base("http://tollgate-test.invalid:8080", fault_cache_config())
        else {
            return Ok(Outcome::NotApplicable(
                "the fake's token URL cannot be redirected",
            ));
        };
        let e = match built {
            Err(e) => e,
            Ok(c) => self.err(&c).await?,
        };
        self.texts.push(format!("{e:?}"));
        ensure(e.kind() == ErrorKind::InvalidCredentials, || {
            format!("expected InvalidCredentials naming the URL, got {e:?}")
        })?;
        Ok(Outcome::Pass)
    }

    /// The same call sent to another origin carries no credential header at all.
    pub(super) async fn other_origin(&mut self) -> Check {
        let other = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&other)
            .await;
        let c = self.client()?;
        let uri = other.uri();
        let Some(call) = self.target.call_to(&c, &uri) else {
            return Ok(Outcome::NotApplicable(
                "the fake cannot address another origin",
            ));
        };
        call.await
            .map_err(|e| format!("the call to another origin failed: {e}"))?;
        let seen = other.received_requests().await.unwrap_or_default();
        ensure(seen.len() == 1, || {
            format!("expected 1 request at the other origin, saw {}", seen.len())
        })?;
        let leaked: Vec<String> = seen[0]
            .headers
            .keys()
            .map(|k| k.as_str().to_string())
            .filter(|k| !PLAIN_HEADERS.contains(&k.as_str()))
            .collect();
        ensure(leaked.is_empty(), || {
            format!("a request to another origin carried {leaked:?}")
        })?;
        Ok(Outcome::Pass)
    }

    /// A background refresh whose runtime shuts down mid-fetch: the cache keeps working
    /// from another runtime, with exactly one fetch after expiry.
    pub(super) async fn refresh_task_dies(&mut self) -> Check {
        let Some(life) = self.target.token_lifetime() else {
            return Ok(Outcome::NotApplicable("no token cache"));
        };
        if !self.target.has_token_endpoint() {
            return Ok(Outcome::NotApplicable(
                "tokens are minted locally: a fetch cannot be caught in flight",
            ));
        }
        if tokio::runtime::Handle::current().runtime_flavor()
            != tokio::runtime::RuntimeFlavor::MultiThread
        {
            return Ok(Outcome::NotApplicable("needs a multi-thread runtime"));
        }
        let c = self.client()?;
        self.ok(&c).await?;
        if !self.target.set_token_fault(Some(TokenFault::Stall)) {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        // Inside the refresh window: the next call starts a background refresh, which
        // stalls at the token endpoint.
        self.clock
            .advance(life.saturating_sub((life / 4).min(Duration::from_secs(30))));
        let target = self.target;
        let client = c.clone();
        let side = tokio::task::block_in_place(|| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| format!("cannot start a runtime: {e}"))?;
                    let r = rt.block_on(async {
                        let r = target.call(&client).await;
                        // Let the refresh reach the stalled endpoint.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        r
                    });
                    // Dropping the runtime kills the refresh task mid-fetch.
                    drop(rt);
                    match r {
                        Ok(resp) if resp.status().is_success() => Ok(()),
                        Ok(resp) => Err(format!("HTTP {}", resp.status())),
                        Err(e) => Err(e.to_string()),
                    }
                })
                .join()
                .unwrap_or_else(|_| Err("the side thread panicked".to_string()))
            })
        });
        self.target.set_token_fault(None);
        side.map_err(|e| format!("the call on the short-lived runtime failed: {e}"))?;
        self.clock.advance(life);
        let before = self.target.token_fetches();
        self.ok(&c)
            .await
            .map_err(|e| format!("the dead refresh stuck the cache: {e}"))?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("{fetched} fetches after the dead refresh, expected 1")
        })?;
        Ok(Outcome::Pass)
    }

    /// 503 + `Retry-After: 60` with no token: five calls make one token request, each
    /// failure is typed, retryable and carries the wait; after it, recovery.
    pub(super) async fn rate_limited_cold_start(&mut self) -> Check {
        if let Err(na) = self.endpoint() {
            return Ok(na);
        }
        let Some(before) = self.target.token_requests() else {
            return Ok(Outcome::NotApplicable(
                "the fake does not count token requests",
            ));
        };
        let c = self.client()?;
        let fault = TokenFault::Unavailable {
            retry_after_secs: 60,
        };
        if !self.target.set_token_fault(Some(fault)) {
            return Ok(Outcome::NotApplicable("the fake cannot inject this fault"));
        }
        let r = async {
            for i in 0..5 {
                let e = self.err(&c).await?;
                ensure(
                    e.is_retryable()
                        && e.retry_after()
                            .is_some_and(|d| d <= Duration::from_secs(60) && !d.is_zero()),
                    || format!("call {i}: expected retryable with retry_after ≤ 60 s: {e:?}"),
                )?;
            }
            Ok::<_, String>(())
        }
        .await;
        self.target.set_token_fault(None);
        r?;
        let sent = self.target.token_requests().unwrap_or(before) - before;
        ensure(sent == 1, || {
            format!("5 calls made {sent} token requests, expected 1 per Retry-After window")
        })?;
        self.clock.advance(Duration::from_secs(60));
        self.ok(&c).await?;
        Ok(Outcome::Pass)
    }

    /// Every API call answered "token rejected": five requests cost at most two fetches
    /// (the first rejection refetches once; later ones within the cooldown do not), and
    /// the caller sees the provider's rejection.
    pub(super) async fn permanent_401(&mut self) -> Check {
        let c = self.client()?;
        self.ok(&c).await?;
        let before = self.target.token_fetches();
        self.target.reject_next_api_calls(u64::MAX);
        let mut statuses = Vec::new();
        for _ in 0..5 {
            match self.target.call(&c).await {
                Ok(r) => statuses.push(r.status().as_u16()),
                Err(e) => statuses.push(AuthError::from_middleware(&e).map_or(0, |a| {
                    if a.kind() == ErrorKind::TokenRejected {
                        401
                    } else {
                        0
                    }
                })),
            }
        }
        self.target.reject_next_api_calls(0);
        let fetched = self.target.token_fetches() - before;
        if self.target.token_lifetime().is_some() {
            ensure(fetched <= 1, || {
                format!("5 rejected requests made {fetched} token fetches, expected at most 1")
            })?;
        }
        ensure(statuses.iter().all(|s| *s == 401), || {
            format!("the callers should see the rejection: {statuses:?}")
        })?;
        // The cooldown passes: the service recovers without a restart.
        self.clock.advance(Duration::from_secs(11));
        self.ok(&c).await?;
        Ok(Outcome::Pass)
    }

    /// A rejected request's retry is signed afresh: its one-time headers differ.
    pub(super) async fn retry_signed_afresh(&mut self) -> Check {
        let names = self.target.one_time_headers();
        if names.is_empty() {
            return Ok(Outcome::NotApplicable(
                "deterministic signature: re-signing in the same second gives the same bytes",
            ));
        }
        let c = self.client()?;
        self.ok(&c).await?;
        self.clock.advance(Duration::from_secs(11)); // past any rejection cooldown
        self.target.reject_next_api_calls(1);
        self.ok(&c).await?;
        let recent = self.target.recent_api_headers();
        let Some([first, retry]) = recent.get(recent.len().saturating_sub(2)..) else {
            return Ok(Outcome::NotApplicable("the fake does not record API calls"));
        };
        for name in names {
            let (a, b) = (first.get(*name), retry.get(*name));
            ensure(a.is_some() && a != b, || {
                format!("the retry reused the rejected attempt's {name}")
            })?;
        }
        Ok(Outcome::Pass)
    }
}

/// Runs the hostile rows against `target`, pushing the texts they produced (for the leak
/// check) into `texts`.
pub(super) async fn run_hostile(
    target: &dyn ConformanceTarget,
    clock: &ManualClock,
    texts: &mut Vec<String>,
) -> Vec<ScenarioResult> {
    let mut h = Hostile {
        target,
        clock,
        texts,
    };
    let mut results = Vec::new();
    record_row!(
        results,
        h.target,
        "hostile: huge expiresIn",
        h.huge_expires_in().await
    );
    record_row!(
        results,
        h.target,
        "hostile: huge Retry-After",
        h.huge_retry_after().await
    );
    record_row!(
        results,
        h.target,
        "hostile: token redirect",
        h.token_redirect().await
    );
    record_row!(
        results,
        h.target,
        "hostile: token redirect, user client",
        h.token_redirect_user_client().await
    );
    record_row!(
        results,
        h.target,
        "hostile: API redirect to another origin",
        h.api_redirect().await
    );
    record_row!(
        results,
        h.target,
        "hostile: oversized token response",
        h.oversized().await
    );
    record_row!(
        results,
        h.target,
        "hostile: plain-http token URL",
        h.plain_http().await
    );
    record_row!(
        results,
        h.target,
        "hostile: other origin unsigned",
        h.other_origin().await
    );
    record_row!(
        results,
        h.target,
        "fault: refresh task dies",
        h.refresh_task_dies().await
    );
    record_row!(
        results,
        h.target,
        "fault: rate-limited cold start",
        h.rate_limited_cold_start().await
    );
    record_row!(
        results,
        h.target,
        "fault: permanent 401",
        h.permanent_401().await
    );
    record_row!(
        results,
        h.target,
        "fault: retry signed afresh",
        h.retry_signed_afresh().await
    );
    results
}
