//! The fault matrix and the soak against the reference fake.

use tollgate_auth_core::ManualClock;
use tollgate_testkit::conformance::{Outcome, run_fault_matrix, run_soak};
use tollgate_testkit::mock::ReferenceFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_fault_matrix_passes_every_row() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let report = run_fault_matrix(&fake, &clock).await;
    assert!(report.passed(), "{report}");
    for r in &report.results {
        assert_eq!(r.outcome, Outcome::Pass, "{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_soak() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let r = run_soak(&fake, &clock).await;
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    assert_eq!(r.fetches, 51);
}
