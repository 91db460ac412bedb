//! The conformance row `metrics: counts match the fake` passes against the reference fake.
#![cfg(feature = "metrics")]

use tollgate_testkit::conformance::{METRICS_COUNTS, Outcome, run_metrics_counts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_counts_match_the_reference_fake() {
    let row = run_metrics_counts().await;
    assert_eq!(row.scenario, METRICS_COUNTS);
    assert!(
        matches!(row.outcome, Outcome::Measured(_)),
        "{:?}",
        row.outcome
    );
}
