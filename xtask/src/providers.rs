//! The providers `cargo xtask conformance` knows. Each entry starts that provider's fake
//! (from its crate's `mock` feature) on a manual clock.

use auth_core::ManualClock;
use auth_core::conformance::ConformanceTarget;
use std::future::Future;
use std::pin::Pin;

type Start = fn(ManualClock) -> Pin<Box<dyn Future<Output = Box<dyn ConformanceTarget>>>>;

/// A registered provider.
pub struct Provider {
    /// Name used on the command line and in the table.
    pub name: &'static str,
    /// Starts the fake.
    pub start: Start,
}

/// Every registered provider, in report order.
pub const ALL: &[Provider] = &[Provider {
    name: "reference",
    start: |clock| {
        Box::pin(async move {
            Box::new(auth_core::mock::ReferenceFake::start(clock).await)
                as Box<dyn ConformanceTarget>
        })
    },
}];
