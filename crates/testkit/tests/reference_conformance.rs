//! The scenario suite against the reference provider proves the harness itself.

use tollgate_auth_core::ManualClock;
use tollgate_testkit::conformance::{Outcome, run_scenarios};
use tollgate_testkit::mock::ReferenceFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_provider_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    assert!(
        report.results.iter().all(|r| r.outcome == Outcome::Pass),
        "every scenario applies to the reference provider:\n{report}"
    );
}
