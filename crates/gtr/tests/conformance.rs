//! The shared conformance scenarios against both GTR modes.
#![cfg(feature = "test-util")]

use auth_core::ManualClock;
use testkit::conformance::{Outcome, run_scenarios};
use tollgate_gtr::mock::{GtrAppTokenTarget, GtrSsoTarget};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_mode_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_701_734_400);
    let target = GtrSsoTarget::start(clock.clone()).await;
    let report = run_scenarios(&target, &clock).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    // A token endpoint with an expiring session: every scenario applies.
    for r in &report.results {
        assert_eq!(r.outcome, Outcome::Pass, "{}: {:?}", r.scenario, r.outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_token_mode_passes_every_applicable_scenario() {
    let clock = ManualClock::at_unix(1_701_734_400);
    let target = GtrAppTokenTarget::start(clock.clone()).await;
    let report = run_scenarios(&target, &clock).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    let not_applicable = [
        "cold burst -> 1 fetch",
        "expiry -> 1 refresh",
        "outage, valid token",
        "outage, no token",
    ];
    for r in &report.results {
        if not_applicable.contains(&r.scenario) {
            assert!(
                matches!(r.outcome, Outcome::NotApplicable(_)),
                "{}: {:?}",
                r.scenario,
                r.outcome
            );
        } else {
            assert_eq!(r.outcome, Outcome::Pass, "{}: {:?}", r.scenario, r.outcome);
        }
    }
    // Each accepted app token was used once (the fake rejects replays).
    assert!(target.fake().app_tokens_accepted() >= 3);
}
