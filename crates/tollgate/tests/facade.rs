//! The facade gives the provider crates' own types, under one feature each.
#![cfg(feature = "full")]

#[test]
fn root_items_are_the_provider_crates_own() {
    // The same type through the facade's root and through each provider module: these
    // functions only compile if the types are identical.
    fn same_error(e: tollgate::AuthError) -> tollgate::holidu::AuthError {
        e
    }
    fn same_kind(k: tollgate::ErrorKind) -> tollgate::snap_b2b::ErrorKind {
        k
    }
    fn same_cache(c: tollgate::CacheConfig) -> tollgate::gtr::CacheConfig {
        c
    }
    fn same_clock(c: tollgate::ManualClock) -> tollgate::v5_openapi::ManualClock {
        c
    }
    fn same_origin(o: tollgate::Origin) -> tollgate::dragonpass::Origin {
        o
    }
    let err = tollgate::AuthError::invalid_field("credentials", "are not set");
    assert_eq!(same_error(err).field(), Some("credentials"));
    assert_eq!(
        same_kind(tollgate::ErrorKind::Unauthorized),
        tollgate::ErrorKind::Unauthorized
    );
    let _ = same_cache(tollgate::CacheConfig::default());
    let _ = same_clock(tollgate::ManualClock::at_unix(1_700_000_000));
    assert_eq!(
        same_origin(tollgate::Origin::Api),
        tollgate::core::Origin::Api
    );
}

#[test]
fn a_provider_builds_through_the_facade() {
    let err = tollgate::holidu::HoliduAuth::builder()
        .build()
        .expect_err("no credentials");
    assert_eq!(err.field(), Some("credentials"));
}
