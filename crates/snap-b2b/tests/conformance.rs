//! The shared conformance scenarios against the SNAP fake.
#![cfg(feature = "test-util")]

use auth_core::ManualClock;
use testkit::conformance::{Outcome, run_scenarios};
use tollgate_snap_b2b::mock::SnapFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snap_fake_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = SnapFake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    assert!(
        report.results.iter().all(|r| r.outcome == Outcome::Pass),
        "every scenario applies to SNAP (token endpoint, cached tokens):\n{report}"
    );
}
