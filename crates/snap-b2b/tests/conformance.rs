//! The shared conformance scenarios against the SNAP fake, once per provider preset (the
//! fake verifying the way that provider does) and once with B2B2C customer tokens.
#![cfg(feature = "test-util")]

use auth_core::ManualClock;
use testkit::conformance::{Outcome, run_scenarios};
use tollgate_snap_b2b::Profile;
use tollgate_snap_b2b::mock::SnapFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snap_fake_passes_every_scenario_for_every_preset() {
    for profile in Profile::presets() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let fake = SnapFake::start_with_profile(clock.clone(), profile).await;
        let report = run_scenarios(&fake, &clock).await;
        print!("{report}");
        assert!(report.passed(), "{report}");
        let symmetric = fake.profile().signing == tollgate_snap_b2b::TransactionSigning::Symmetric;
        if symmetric {
            assert!(
                report.results.iter().all(|r| r.outcome == Outcome::Pass),
                "every scenario applies to symmetric SNAP (token endpoint, cached tokens):\n{report}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2b2c_fake_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = SnapFake::start_b2b2c(clock.clone())
        .await
        .expect("b2b2c fake");
    let report = run_scenarios(&fake, &clock).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    assert!(fake.customer_token_requests() >= 1);
}
