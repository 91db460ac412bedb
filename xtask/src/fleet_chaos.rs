//! The conformance rows `fleet chaos: …` (issue 22): eight `fleet_member` processes share
//! tokens through a `redis-server` that is restarted, stalled and stopped under them,
//! against the reference fake in single sign-on mode. The scenarios and their targets live in
//! `testkit::mock::fleet_chaos` (the auth-core tests run the same ones); this file builds
//! the member binary, runs them, and prints their figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use auth_core::store::OnUnavailable;
use testkit::conformance::{Outcome, ScenarioResult};
use testkit::mock::fleet_chaos::{
    self, ChaosFigures, MEMBERS, RESTART, RESTART_LIFETIMES, STALL, UNREACHABLE_FAIL,
    UNREACHABLE_FETCH_LOCALLY,
};

/// The rows for the conformance provider `name` (the scenarios drive the reference fake, so
/// only `reference` gets them).
pub(crate) async fn run(name: &str) -> Vec<ScenarioResult> {
    const ROWS: [&str; 4] = [RESTART, STALL, UNREACHABLE_FAIL, UNREACHABLE_FETCH_LOCALLY];
    if name != "reference" {
        return Vec::new();
    }
    if let Some(why) = fleet_chaos::unavailable() {
        return ROWS
            .iter()
            .map(|s| row(s, Outcome::NotApplicable(why), 0))
            .collect();
    }
    let built = tokio::task::spawn_blocking(member_binary)
        .await
        .unwrap_or_else(|e| Err(format!("building fleet_member failed: {e}")));
    let bin = match built {
        Ok(bin) => bin,
        Err(why) => {
            return ROWS
                .iter()
                .map(|s| row(s, Outcome::Fail(why.clone()), 0))
                .collect();
        }
    };
    let runs = [
        (
            RESTART,
            fleet_chaos::restart(&bin, MEMBERS, RESTART_LIFETIMES, OnUnavailable::Fail).await,
        ),
        (
            STALL,
            fleet_chaos::stall(&bin, MEMBERS, OnUnavailable::Fail).await,
        ),
        (
            UNREACHABLE_FAIL,
            fleet_chaos::unreachable(&bin, MEMBERS, OnUnavailable::Fail).await,
        ),
        (
            UNREACHABLE_FETCH_LOCALLY,
            fleet_chaos::unreachable(&bin, MEMBERS, OnUnavailable::FetchLocally).await,
        ),
    ];
    println!(
        "\nFleet chaos ({MEMBERS} processes, reference fake with single sign-on, real redis-server):\n"
    );
    println!(
        "| scenario | mode | logins (floor) | logins/lifetime | expired sent | superseded | failed / requests | failures |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (scenario, result) in runs {
        match result {
            Ok(f) => {
                print_figures(&f);
                let outcome = f.check().map_or_else(Outcome::Fail, |()| Outcome::Pass);
                rows.push(row(scenario, outcome, f.logins));
            }
            Err(why) => {
                println!("| {scenario} | - | - | - | - | - | - | did not run: {why} |");
                rows.push(row(scenario, Outcome::Fail(why), 0));
            }
        }
    }
    rows
}

fn row(scenario: &'static str, outcome: Outcome, logins: u64) -> ScenarioResult {
    ScenarioResult {
        scenario,
        outcome,
        fetches: logins,
    }
}

fn print_figures(f: &ChaosFigures) {
    let failures = if f.failures.is_empty() {
        "none".to_string()
    } else {
        f.failures
            .iter()
            .map(|(why, n)| format!("{n}× {why}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "| {} | {:?} | {} ({}) | {:.2} | {} | {} | {} / {} | {} |",
        f.scenario,
        f.mode,
        f.logins,
        f.floor,
        f.logins_per_lifetime(),
        f.expired_sent,
        f.superseded,
        f.failed(),
        f.requests,
        failures
    );
}

/// Builds the `fleet_member` example into the target directory this xtask was built into,
/// and finds the build of this checkout there.
fn member_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating xtask: {e}"))?;
    let profile_dir = exe.parent().ok_or("xtask has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args([
        "build",
        "--quiet",
        "--package",
        "tollgate-testkit",
        "--example",
        "fleet_member",
        "--features",
        "redis",
    ]);
    if let Some(target) = profile_dir.parent() {
        build.env("CARGO_TARGET_DIR", target);
    }
    let status = build
        .status()
        .map_err(|e| format!("cargo build --example fleet_member: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build --example fleet_member failed: {status}"
        ));
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/testkit");
    fleet_chaos::member_binary_near(&exe, &crate_dir)
        .ok_or_else(|| "fleet_member not found after the build".to_string())
}
