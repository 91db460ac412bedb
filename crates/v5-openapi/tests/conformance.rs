//! auth-core's conformance scenarios against the V5 fake.
#![cfg(feature = "test-util")]

use auth_core::ManualClock;
use testkit::conformance::{Outcome, run_scenarios};
use tollgate_v5_openapi::mock::V5Fake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v5_fake_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = V5Fake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    assert!(
        report.results.iter().all(|r| r.outcome == Outcome::Pass),
        "every scenario applies to V5 (it has a token endpoint):\n{report}"
    );
}
