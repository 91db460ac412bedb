//! The row `metrics: counts match the fake` (feature `metrics`): a client of the reference
//! fake, built under a `metrics-util` debugging recorder of the row's own, goes through a
//! cold burst, an expiry, a rejection and a token-endpoint outage; the counters it reports
//! must equal what the fake counted.
//!
//! The recorder is the row's alone: the cache and middleware register their handles with
//! it when they are built (`metrics::with_local_recorder` around building the client) and
//! keep them, so other rows or tests running at the same time, on any thread, cannot add to
//! its counts.

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tollgate_auth_core::clock::ManualClock;

use super::{ConformanceTarget, Creds, Outcome, ScenarioResult, ensure, scenario_cache_config};
use crate::mock::ReferenceFake;

/// The row's name.
pub const METRICS_COUNTS: &str = "metrics: counts match the fake";

/// Requests in the row's cold burst.
const BURST: usize = 200;

/// Runs the row against a reference fake of its own.
pub async fn run_metrics_counts() -> ScenarioResult {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let outcome = scenario(&fake, &clock).await.unwrap_or_else(Outcome::Fail);
    ScenarioResult {
        scenario: METRICS_COUNTS,
        outcome,
        fetches: fake.token_fetches(),
    }
}

/// The counters of `name` whose `provider` and `credential` labels are the row's, summed,
/// by their `outcome` label (`""` when they have none).
fn counters(snapshot: &[(String, String, u64)], name: &str) -> Vec<(String, u64)> {
    snapshot
        .iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, outcome, v)| (outcome.clone(), *v))
        .collect()
}

async fn scenario(fake: &ReferenceFake, clock: &ManualClock) -> Result<Outcome, String> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let client = metrics::with_local_recorder(&recorder, || {
        fake.client(
            Creds::Valid,
            scenario_cache_config().with_metrics_label("conformance"),
        )
    })
    .map_err(|e| format!("building the client failed: {e}"))?;
    let life = fake
        .token_lifetime()
        .ok_or("the reference fake caches tokens")?;
    let ok = |r: Result<reqwest::Response, reqwest_middleware::Error>| match r {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!("HTTP {}", resp.status())),
        Err(e) => Err(e.to_string()),
    };

    // A cold burst: one fetch, every request signed.
    let burst = futures::future::join_all((0..BURST).map(|_| fake.call(&client))).await;
    for r in burst {
        ok(r).map_err(|e| format!("cold burst: {e}"))?;
    }
    // Expiry: one more fetch.
    clock.advance(life + Duration::from_secs(1));
    for _ in 0..10 {
        ok(fake.call(&client).await).map_err(|e| format!("after expiry: {e}"))?;
    }
    // A rejection: the retry is signed afresh with a new token.
    fake.reject_next_api_calls(1);
    ok(fake.call(&client).await).map_err(|e| format!("rejection: {e}"))?;
    // An outage without a valid token: one failed fetch, then recovery after the backoff.
    clock.advance(life + Duration::from_secs(1));
    fake.set_token_endpoint_failing(true);
    let failed = fake.call(&client).await;
    fake.set_token_endpoint_failing(false);
    ensure(failed.is_err(), || {
        "the outage did not fail the request".to_string()
    })?;
    clock.advance(Duration::from_secs(5));
    ok(fake.call(&client).await).map_err(|e| format!("after the outage: {e}"))?;

    // What the recorder holds for this row's provider and credential.
    let snapshot: Vec<(String, String, u64)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(ck, _, _, v)| {
            let key = ck.key();
            let label = |k: &str| {
                key.labels()
                    .find(|l| l.key() == k)
                    .map(|l| l.value().to_string())
            };
            if label("provider").as_deref() != Some("reference") {
                return None;
            }
            let credential = label("credential");
            if credential.as_deref().is_some_and(|c| c != "conformance") {
                return None;
            }
            match v {
                DebugValue::Counter(n) => Some((
                    key.name().to_string(),
                    label("outcome").unwrap_or_default(),
                    n,
                )),
                _ => None,
            }
        })
        .collect();
    let fetches = counters(&snapshot, "tollgate_token_fetches_total");
    let fetched_ok: u64 = fetches
        .iter()
        .filter(|(o, _)| o == "ok")
        .map(|(_, n)| n)
        .sum();
    let fetch_failed: u64 = fetches
        .iter()
        .filter(|(o, _)| o != "ok")
        .map(|(_, n)| n)
        .sum();
    let rejections: u64 = counters(&snapshot, "tollgate_token_rejections_total")
        .iter()
        .map(|(_, n)| n)
        .sum();
    let signed: u64 = counters(&snapshot, "tollgate_requests_signed_total")
        .iter()
        .map(|(_, n)| n)
        .sum();

    let fake_ok = fake.token_fetches();
    let fake_failed = fake.token_requests().saturating_sub(fake_ok);
    let fake_rejected = fake.rejected_api_calls();
    let fake_calls = fake.api_calls();
    let figures = format!(
        "fetches ok {fetched_ok}/{fake_ok}, failed {fetch_failed}/{fake_failed}, \
         rejections {rejections}/{fake_rejected}, signed {signed}/{fake_calls} (metrics/fake)"
    );
    ensure(
        fetched_ok == fake_ok
            && fetch_failed == fake_failed
            && rejections == fake_rejected
            && signed == fake_calls,
        || format!("counters differ from the fake: {figures}"),
    )?;
    // And the scenario did what it says: four fetches, one failure, one rejection.
    ensure((fake_ok, fake_failed, fake_rejected) == (4, 1, 1), || {
        format!("unexpected run: {figures}")
    })?;
    Ok(Outcome::Measured(figures))
}
