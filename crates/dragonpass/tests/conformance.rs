//! The shared conformance scenarios against the DragonPass fake, in every mode.
#![cfg(feature = "test-util")]

use testkit::conformance::{Outcome, Report, run_scenarios};
use tollgate_dragonpass::ManualClock;
use tollgate_dragonpass::mock::DragonPassFake;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

fn assert_all_pass(report: &Report, expected_na: &[&str]) {
    println!("{report}");
    assert!(report.passed(), "{report}");
    for r in &report.results {
        match &r.outcome {
            Outcome::NotApplicable(why) => assert!(
                expected_na.contains(&r.scenario),
                "{} unexpectedly n/a: {why}",
                r.scenario
            ),
            Outcome::Fail(why) => panic!("{}: {why}", r.scenario),
            // Passed (with or without measured figures).
            _ => assert!(
                !expected_na.contains(&r.scenario),
                "{} was expected to be n/a",
                r.scenario
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_api_mode_passes_every_scenario() {
    let clock = ManualClock::at_unix(1_754_300_000);
    let fake = DragonPassFake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    // Every scenario applies to the token API.
    assert_all_pass(&report, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_hs256_mode_passes_every_applicable_scenario() {
    let clock = ManualClock::at_unix(1_754_300_000);
    let fake = DragonPassFake::start_self_signed(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    // Tokens are minted locally: there is no endpoint to take down.
    assert_all_pass(&report, &["outage, valid token", "outage, no token"]);
    assert!(fake.distinct_tokens_seen() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_rs256_mode_passes_every_applicable_scenario() {
    let clock = ManualClock::at_unix(1_754_300_000);
    let pem = std::fs::read_to_string(format!("{DIR}client_rsa_pkcs8.pem")).expect("key");
    let wrong = std::fs::read_to_string(format!("{DIR}push_key3_private.pem")).expect("key");
    let fake = DragonPassFake::start_rs256(clock.clone(), &pem, &wrong)
        .await
        .expect("fake");
    let report = run_scenarios(&fake, &clock).await;
    assert_all_pass(&report, &["outage, valid token", "outage, no token"]);
}
