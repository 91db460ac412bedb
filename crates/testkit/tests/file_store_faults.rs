//! The file-store fault rows of `cargo xtask conformance` against the reference fake.
#![cfg(feature = "file-store")]

use tollgate_auth_core::ManualClock;
use tollgate_testkit::conformance::{Outcome, run_file_store_faults};
use tollgate_testkit::mock::ReferenceFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_store_fault_rows_pass_on_the_reference_fake() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let rows = run_file_store_faults(&fake, clock.shared(), "reference:file-faults").await;
    let names: Vec<&str> = rows.iter().map(|r| r.scenario).collect();
    assert_eq!(
        names,
        [
            "fleet: file store swapped directory",
            "fleet: file store lock past its TTL",
            "fleet: file store blocked lock times out",
        ]
    );
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{}: {:?} (fetches {})", r.scenario, r.outcome, r.fetches))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
