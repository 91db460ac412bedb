//! auth-core's conformance scenarios against the Holidu fake.
#![cfg(feature = "test-util")]

use auth_core::ManualClock;
use testkit::conformance::{Outcome, run_scenarios};
use tollgate_holidu::mock::HoliduFake;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holidu_fake_passes_every_applicable_scenario() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = HoliduFake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    print!("{report}");
    assert!(report.passed(), "{report}");
    for r in &report.results {
        match r.scenario {
            // Tokens are minted locally: there is no endpoint to take down.
            "outage, valid token" | "outage, no token" => {
                assert!(matches!(r.outcome, Outcome::NotApplicable(_)), "{report}")
            }
            _ => assert_eq!(r.outcome, Outcome::Pass, "{}:\n{report}", r.scenario),
        }
    }
}
