//! The providers `cargo xtask conformance` knows. Each entry starts that provider's fake
//! (from its crate's `test-util` feature) on a manual clock.

use auth_core::ManualClock;
use std::future::Future;
use std::pin::Pin;
use testkit::conformance::ConformanceTarget;

type Start = fn(ManualClock) -> Pin<Box<dyn Future<Output = Box<dyn ConformanceTarget>>>>;

/// A registered provider.
pub(crate) struct Provider {
    /// Name used on the command line and in the table.
    pub name: &'static str,
    /// Starts the fake.
    pub start: Start,
}

const DRAGONPASS_KEY: &str =
    include_str!("../../crates/dragonpass/tests/vectors/client_rsa_pkcs8.pem");
const DRAGONPASS_WRONG_KEY: &str =
    include_str!("../../crates/dragonpass/tests/vectors/push_key3_private.pem");

fn boxed<T: ConformanceTarget + 'static>(t: T) -> Box<dyn ConformanceTarget> {
    Box::new(t)
}

async fn snap_preset(clock: ManualClock, profile: snap_b2b::Profile) -> Box<dyn ConformanceTarget> {
    boxed(snap_b2b::mock::SnapFake::start_with_profile(clock, profile).await)
}

/// Every registered provider, in report order.
pub(crate) const ALL: &[Provider] = &[
    Provider {
        name: "reference",
        start: |clock| {
            Box::pin(async move { boxed(testkit::mock::ReferenceFake::start(clock).await) })
        },
    },
    Provider {
        name: "dragonpass",
        start: |clock| {
            Box::pin(async move { boxed(dragonpass::mock::DragonPassFake::start(clock).await) })
        },
    },
    Provider {
        name: "dragonpass-hs256",
        start: |clock| {
            Box::pin(async move {
                boxed(dragonpass::mock::DragonPassFake::start_self_signed(clock).await)
            })
        },
    },
    Provider {
        name: "dragonpass-rs256",
        start: |clock| {
            Box::pin(async move {
                match dragonpass::mock::DragonPassFake::start_rs256(
                    clock,
                    DRAGONPASS_KEY,
                    DRAGONPASS_WRONG_KEY,
                )
                .await
                {
                    Ok(fake) => boxed(fake),
                    Err(e) => boxed(StartFailed("dragonpass-rs256", e.to_string())),
                }
            })
        },
    },
    Provider {
        name: "snap-b2b/aspi",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::aspi())),
    },
    Provider {
        name: "snap-b2b/midtrans",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::midtrans())),
    },
    Provider {
        name: "snap-b2b/doku",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::doku())),
    },
    Provider {
        name: "snap-b2b/dana",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::dana())),
    },
    Provider {
        name: "snap-b2b/bni",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::bni())),
    },
    Provider {
        name: "snap-b2b/bca",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::bca())),
    },
    Provider {
        name: "snap-b2b/bri",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::bri())),
    },
    Provider {
        name: "snap-b2b/nicepay",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::nicepay())),
    },
    Provider {
        name: "snap-b2b/paydia",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::paydia())),
    },
    Provider {
        name: "snap-b2b/faspay",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::faspay())),
    },
    Provider {
        name: "snap-b2b/winpay",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::winpay())),
    },
    Provider {
        name: "snap-b2b/ovo",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::ovo())),
    },
    Provider {
        name: "snap-b2b/bnc",
        start: |clock| Box::pin(snap_preset(clock, snap_b2b::Profile::bnc())),
    },
    Provider {
        name: "snap-b2b2c",
        start: |clock| {
            Box::pin(async move {
                match snap_b2b::mock::SnapFake::start_b2b2c(clock).await {
                    Ok(fake) => boxed(fake),
                    Err(e) => boxed(StartFailed("snap-b2b2c", e.to_string())),
                }
            })
        },
    },
    Provider {
        name: "v5-openapi",
        start: |clock| Box::pin(async move { boxed(v5_openapi::mock::V5Fake::start(clock).await) }),
    },
    Provider {
        name: "holidu",
        start: |clock| Box::pin(async move { boxed(holidu::mock::HoliduFake::start(clock).await) }),
    },
    Provider {
        name: "gtr-sso",
        start: |clock| Box::pin(async move { boxed(gtr::mock::GtrSsoTarget::start(clock).await) }),
    },
    Provider {
        name: "gtr-app-token",
        start: |clock| {
            Box::pin(async move { boxed(gtr::mock::GtrAppTokenTarget::start(clock).await) })
        },
    },
];

/// A provider whose fake could not start: every scenario fails with the reason.
struct StartFailed(&'static str, String);

impl ConformanceTarget for StartFailed {
    fn name(&self) -> &str {
        self.0
    }
    fn token_lifetime(&self) -> Option<std::time::Duration> {
        None
    }
    fn has_token_endpoint(&self) -> bool {
        false
    }
    fn client(
        &self,
        _creds: testkit::conformance::Creds,
        _cache: auth_core::CacheConfig,
    ) -> Result<reqwest_middleware::ClientWithMiddleware, auth_core::AuthError> {
        Err(auth_core::AuthError::new(
            auth_core::ErrorKind::Internal,
            format!("the fake did not start: {}", self.1),
        ))
    }
    fn call<'a>(
        &'a self,
        _client: &'a reqwest_middleware::ClientWithMiddleware,
    ) -> futures::future::BoxFuture<'a, Result<reqwest::Response, reqwest_middleware::Error>> {
        Box::pin(async { Err(reqwest_middleware::Error::middleware(std::fmt::Error)) })
    }
    fn token_fetches(&self) -> u64 {
        0
    }
    fn api_calls(&self) -> u64 {
        0
    }
    fn set_token_endpoint_failing(&self, _failing: bool) {}
    fn reject_next_api_calls(&self, _n: u64) {}
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}
