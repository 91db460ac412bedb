//! The second conformance table: the fault matrix and the soak, each provider on a fresh
//! fake (see `testkit::conformance::{run_fault_matrix, run_soak}`).

use auth_core::ManualClock;
use testkit::conformance::{Report, run_chaos_soak, run_fault_matrix, run_soak};

use crate::providers::Provider;

/// Runs the fault matrix and the soak against a fresh fake of `p`.
pub(crate) async fn run(p: &Provider) -> Report {
    let clock = ManualClock::at_unix(1_700_000_000);
    let target = (p.start)(clock.clone()).await;
    let mut report = run_fault_matrix(target.as_ref(), &clock).await;
    report.results.push(run_soak(target.as_ref(), &clock).await);
    report
        .results
        .push(run_chaos_soak(target.as_ref(), &clock).await);
    report
}
