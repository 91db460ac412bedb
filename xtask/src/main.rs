//! Project automation. `cargo xtask conformance` runs the shared scenario suite against the
//! fake of every registered provider and prints a provider × scenario table.

use std::process::ExitCode;

use auth_core::ManualClock;
use testkit::conformance::{ConformanceTarget, Outcome, Report, run_fleet_scenario, run_scenarios};

mod bench;
mod counts;
mod file_fleet;
mod fleet;
mod fleet_chaos;
mod fuzz;
mod providers;
mod publish;
mod reliability;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  conformance [PROVIDER...]   run the conformance scenarios against the built-in fakes
                              (all providers, or only those named)
  fuzz [--seconds N] [--sanitizer none] [TARGET...]
                              smoke-run the cargo-fuzz targets under fuzz/ (60 s each)
  publish-check [--no-verify|--no-test] package every publishable crate as `cargo publish --dry-run` would, then run each one's tests from its package
  list                        list the registered providers";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("conformance") => conformance(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("publish-check") => publish::run(&args[1..]),
        Some("list") => {
            for p in providers::ALL {
                println!("{}", p.name);
            }
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The row `metrics: counts match the fake` (reference fake only; xtask's feature
/// `metrics`, on by default).
async fn metrics_row() -> testkit::conformance::ScenarioResult {
    #[cfg(feature = "metrics")]
    {
        testkit::conformance::run_metrics_counts().await
    }
    #[cfg(not(feature = "metrics"))]
    {
        testkit::conformance::ScenarioResult {
            scenario: "metrics: counts match the fake",
            outcome: Outcome::NotApplicable("xtask built without its feature `metrics`"),
            fetches: 0,
        }
    }
}

fn conformance(only: &[String]) -> ExitCode {
    let selected: Vec<_> = providers::ALL
        .iter()
        .filter(|p| only.is_empty() || only.iter().any(|o| o == p.name))
        .collect();
    if selected.is_empty() {
        eprintln!("no registered provider matches {only:?}; see `cargo xtask list`");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (reports, fleet_note) = rt.block_on(async {
        let redis = fleet::Redis::start().await;
        let mut reports = Vec::new();
        let mut faults = Vec::new();
        for p in selected {
            let clock = ManualClock::at_unix(1_700_000_000);
            let target: Box<dyn ConformanceTarget> = (p.start)(clock.clone()).await;
            let mut report = run_scenarios(target.as_ref(), &clock).await;
            if p.name == "gtr-sso" {
                // GTR's inbound side (callbacks over mutual TLS): once, with the SSO report.
                report.results.extend(gtr::mock::run_callback_rows().await);
            }
            if let (Ok(redis), true) = (&redis, target.has_token_endpoint()) {
                {
                    let key = format!("conformance:{}", p.name);
                    match redis.store() {
                        Ok(store) => {
                            report.results.push(
                                run_fleet_scenario(target.as_ref(), store.clone(), &key).await,
                            );
                            report.results.extend(
                                testkit::conformance::run_fleet_faults(
                                    target.as_ref(),
                                    store,
                                    &key,
                                )
                                .await,
                            );
                            report.results.push(
                                testkit::conformance::run_redis_foreign_keys(
                                    target.as_ref(),
                                    &redis.url(),
                                    &key,
                                )
                                .await,
                            );
                        }
                        Err(e) => report.results.push(testkit::conformance::ScenarioResult {
                            scenario: "fleet: 8 caches -> 1 fetch",
                            outcome: Outcome::Fail(e),
                            fetches: 0,
                        }),
                    }
                }
            }
            report.results.extend(file_fleet::run(p.name).await);
            if target.has_token_endpoint() {
                report.results.extend(
                    testkit::conformance::run_file_store_faults(
                        target.as_ref(),
                        clock.shared(),
                        &format!("conformance:{}", p.name),
                    )
                    .await,
                );
            }
            report.results.extend(fleet_chaos::run(p.name).await);
            if p.name == "reference" {
                report.results.push(metrics_row().await);
            }
            reports.push(report);
            faults.push(reliability::run(p).await);
        }
        let note = match redis {
            Ok(r) => {
                let note = format!("fleet rows ran on redis-server at {}", r.url());
                r.stop().await;
                note
            }
            Err(why) => format!("fleet rows SKIPPED: {why}"),
        };
        reports.extend(faults);
        (reports, note)
    });
    let split = reports.len() / 2;
    print_table(&reports[..split]);
    println!("\n{fleet_note}\n\nFaults and soak (fresh fakes):\n");
    print_table(&reports[split..]);
    if reports.iter().all(Report::passed) {
        println!(
            "\nconformance: all scenarios passed for {} provider(s)",
            reports.len() / 2
        );
        ExitCode::SUCCESS
    } else {
        println!("\nconformance: FAILED");
        for r in reports.iter().filter(|r| !r.passed()) {
            for s in &r.results {
                if let Outcome::Fail(why) = &s.outcome {
                    println!("  {} / {}: {}", r.provider, s.scenario, why);
                }
            }
        }
        ExitCode::FAILURE
    }
}

fn print_table(reports: &[Report]) {
    println!("| provider | scenario | result | token fetches |");
    println!("|---|---|---|---|");
    for r in reports {
        for s in &r.results {
            let result = match &s.outcome {
                Outcome::Pass => "pass".to_string(),
                Outcome::Measured(figures) => format!("pass ({figures})"),
                Outcome::Fail(_) => "FAIL".to_string(),
                Outcome::NotApplicable(why) => format!("n/a ({why})"),
                other => format!("{other:?}"),
            };
            println!(
                "| {} | {} | {} | {} |",
                r.provider, s.scenario, result, s.fetches
            );
        }
    }
}
