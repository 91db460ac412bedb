//! Fleet chaos: eight `fleet_member` processes share tokens through a real `redis-server`
//! that is restarted, stalled and stopped under them, against the reference fake in single
//! sign-on mode (each login ends every earlier session, like GTR's). The driver is
//! `tollgate_testkit::mock::fleet_chaos`, shared with `cargo xtask conformance`.
//!
//! The scenarios need `redis-server`: under CI (`CI` set) its absence fails them, elsewhere
//! they are skipped with a message. They run one at a time (real-time store timeouts on two
//! cores).
#![cfg(feature = "redis")]

use std::path::PathBuf;
use std::time::Duration;

use tollgate_auth_core::store::OnUnavailable;
use tollgate_auth_core::{FetchContext, ManualClock, TokenSource};
use tollgate_testkit::conformance::{ConformanceTarget, Creds};
use tollgate_testkit::mock::ReferenceFake;
use tollgate_testkit::mock::fleet_chaos::{self, ChaosFigures, MEMBERS, RESTART_LIFETIMES, floor};

/// One scenario at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The member binary, or `None` (test skipped) when `redis-server` is missing outside CI.
fn setup() -> Option<PathBuf> {
    if let Some(why) = fleet_chaos::unavailable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}: required under CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {why}");
        return None;
    }
    let exe = std::env::current_exe().expect("test exe");
    let bin = fleet_chaos::member_binary_near(&exe, env!("CARGO_MANIFEST_DIR").as_ref());
    assert!(
        bin.is_some(),
        "the fleet_member example is not built: run with --all-features (cargo test builds examples)"
    );
    bin
}

fn report(f: &ChaosFigures) {
    // The figures, for docs/fleet.md and for anyone reading the test log.
    eprintln!("{}: {f}", f.scenario);
}

#[tokio::test]
async fn the_single_sign_on_fake_refuses_a_superseded_token_apart_from_expired_ones() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start_single_sign_on(clock.clone()).await;
    let source = fake.source(Creds::Valid);
    let cx = FetchContext {
        clock: clock.shared(),
    };
    let first = source.fetch(&cx).await.expect("first login");
    let second = source.fetch(&cx).await.expect("second login");
    let http = reqwest::Client::new();
    let call = |t: &tollgate_auth_core::FetchedToken| {
        use tollgate_auth_core::ExposeSecret;
        http.get(format!("{}/api/resource", fake.uri()))
            .bearer_auth(t.value.expose_secret())
            .send()
    };
    assert_eq!(call(&first).await.expect("call").status(), 401);
    assert_eq!(call(&second).await.expect("call").status(), 200);
    assert_eq!(fake.superseded_rejections(), 1);
    assert_eq!(fake.expired_tokens_seen(), Some(0));
    clock.advance(Duration::from_secs(601));
    assert_eq!(call(&second).await.expect("call").status(), 401);
    assert_eq!(call(&first).await.expect("call").status(), 401);
    assert_eq!(fake.superseded_rejections(), 1, "expired counts as expired");
    assert_eq!(fake.expired_tokens_seen(), Some(2));
}

#[test]
fn the_floor_is_one_login_per_refresh_period() {
    assert_eq!(floor(Duration::ZERO), 1);
    assert_eq!(floor(Duration::from_secs(539)), 1);
    assert_eq!(floor(Duration::from_secs(540)), 2);
    assert_eq!(floor(Duration::from_secs(12_000)), 23);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_fleet_logs_in_once_per_refresh_period() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::healthy(&bin, MEMBERS, 5, OnUnavailable::Fail)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
    assert_eq!(f.logins, f.floor, "{f}");
    assert_eq!(f.failed(), 0, "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_twice_with_fail_costs_at_most_one_login_per_restart() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::restart(&bin, MEMBERS, RESTART_LIFETIMES, OnUnavailable::Fail)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
    assert_eq!(f.expired_sent, 0);
    assert!(f.logins >= f.floor, "{f}");
    assert!(f.logins <= f.floor + 2, "{f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_at_refresh_with_fail_costs_no_login_and_no_request() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::stall(&bin, MEMBERS, OnUnavailable::Fail)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
    assert_eq!(f.logins, f.floor, "{f}");
    assert_eq!(f.failed(), 0, "the valid token carries the fleet: {f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_with_fail_logs_in_once_afterwards_and_fails_retryably_meanwhile() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::unreachable(&bin, MEMBERS, OnUnavailable::Fail)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
    assert!(f.failed() > 0, "requests fail once the token expires: {f}");
    assert!(
        f.failures
            .keys()
            .all(|k| k == "StoreUnavailable retryable=true"),
        "only typed, retryable store errors: {f}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_with_fetch_locally_keeps_requests_flowing_at_a_cost_in_logins() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::unreachable(&bin, MEMBERS, OnUnavailable::FetchLocally)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
    assert!(
        !f.failures.keys().any(|k| k.starts_with("StoreUnavailable")),
        "no store errors reach the caller: {f}"
    );
    assert!(f.logins > f.floor, "each process logs in for itself: {f}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_fetch_locally_sends_no_expired_token() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::restart(
        &bin,
        MEMBERS,
        RESTART_LIFETIMES,
        OnUnavailable::FetchLocally,
    )
    .await
    .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stall_with_fetch_locally_sends_no_expired_token() {
    let Some(bin) = setup() else { return };
    let _one = SERIAL.lock().await;
    let f = fleet_chaos::stall(&bin, MEMBERS, OnUnavailable::FetchLocally)
        .await
        .expect("scenario ran");
    report(&f);
    f.check().expect("targets");
}
