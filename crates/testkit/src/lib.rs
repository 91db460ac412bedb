//! The test kit of the tollgate SDKs: what a provider crate's fake and a user's own tests
//! build on, kept out of `tollgate-auth-core` so that the signing layer every user depends on
//! carries no test harness.
//!
//! - [`conformance`]: the contract a provider fake implements ([`ConformanceTarget`]) and the
//!   scenario runner, fault matrix, hostile-server rows, fleet rows and chaos soak that
//!   `cargo xtask conformance` runs against every provider.
//! - [`corpus`]: the bad-input corpus runner every provider crate's `tests/corpus.rs` uses.
//! - [`mock`]: the reference provider fake, and the building blocks every provider fake
//!   composes ([`FakeCore`], [`Countdown`], [`FaultSwitch`], [`RequestLog`]).
//!
//! Provider crates expose their fakes behind their `test-util` feature, for your own
//! tests:
//!
//! ```no_run
//! use tollgate_auth_core::ManualClock;
//! use tollgate_testkit::conformance::{Outcome, run_scenarios};
//! use tollgate_testkit::mock::ReferenceFake;
//!
//! # async fn demo() {
//! let clock = ManualClock::new(std::time::SystemTime::now());
//! let fake = ReferenceFake::start(clock.clone()).await;
//! let report = run_scenarios(&fake, &clock).await;
//! assert!(report.results.iter().all(|r| !matches!(r.outcome, Outcome::Fail(_))));
//! # }
//! ```
//!
//! [`ConformanceTarget`]: conformance::ConformanceTarget
//! [`FakeCore`]: mock::FakeCore
//! [`Countdown`]: mock::Countdown
//! [`FaultSwitch`]: mock::FaultSwitch
//! [`RequestLog`]: mock::RequestLog
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod conformance;
pub mod corpus;
pub mod mock;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
