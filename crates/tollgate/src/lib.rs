// The crate docs are the README alone: a `//!` summary here would repeat its first lines.
#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

/// The shared signing layer (`tollgate-auth-core`): token cache, middleware, stores.
pub use auth_core as core;
pub use auth_core::{
    AuthError, AuthMiddleware, CacheConfig, Clock, ErrorKind, ManualClock, Origin, SharedClock,
    SkipAuth, SystemClock,
};

/// DragonPass (`tollgate-dragonpass`).
#[cfg(feature = "dragonpass")]
#[cfg_attr(docsrs, doc(cfg(feature = "dragonpass")))]
pub use tollgate_dragonpass as dragonpass;

/// Indonesia's SNAP standard (`tollgate-snap-b2b`).
#[cfg(feature = "snap-b2b")]
#[cfg_attr(docsrs, doc(cfg(feature = "snap-b2b")))]
pub use tollgate_snap_b2b as snap_b2b;

/// Global Travel Rule (`tollgate-gtr`).
#[cfg(feature = "gtr")]
#[cfg_attr(docsrs, doc(cfg(feature = "gtr")))]
pub use tollgate_gtr as gtr;

/// V5 OpenAPI (`tollgate-v5-openapi`).
#[cfg(feature = "v5-openapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "v5-openapi")))]
pub use tollgate_v5_openapi as v5_openapi;

/// The Bookiply Holidu Channel API (`tollgate-holidu`).
#[cfg(feature = "holidu")]
#[cfg_attr(docsrs, doc(cfg(feature = "holidu")))]
pub use tollgate_holidu as holidu;
