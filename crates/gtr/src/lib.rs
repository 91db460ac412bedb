//! Authentication for the Global Travel Rule (GTR) API: mutual TLS, SSO login and
//! per-request app tokens, as middleware for `reqwest`.
//!
//! - [`tls`]: the client certificate (`certificate.p12` + password, or PEM) and extra
//!   trusted CAs, on rustls with the aws-lc-rs provider (reqwest's default). Every GTR call needs it.
//! - [`credentials`]: `vaspCode`, `accessKey`, `secretKey` from `api_key.csv` or the
//!   environment.
//! - [`auth::SsoAuth`]: `POST /api/login` once, then `Authorization: Bearer <jwt>`.
//! - [`auth::AppTokenAuth`]: a fresh `X-Authorization` app token on every request
//!   (recommended by GTR for distributed servers).
//! - [`sign`]: the pure hashing/encoding stages, checked against GTR's worked example.
//! - [`error`]: GTR's `verifyStatus` codes as typed errors.
//! - `mock` (feature `test-util`): a wiremock fake of GTR that verifies both modes.
//!
//! ```no_run
//! use tollgate_gtr::{auth::SsoAuth, credentials::GtrCredentials, tls::{ClientIdentity, TlsConfig}};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = TlsConfig::new().identity(ClientIdentity::from_pkcs12_file("certificate.p12", "p12-password")?);
//! let auth = SsoAuth::builder(GtrCredentials::from_api_key_csv("api_key.csv")?)
//!     .base_url(tollgate_gtr::auth::UAT_URL)
//!     .tls(tls.clone())
//!     .build()?;
//! let client = reqwest_middleware::ClientBuilder::new(tls.build_client()?)
//!     .with(auth.middleware())
//!     .build();
//! let status = client.get(format!("{}/api/status", tollgate_gtr::auth::UAT_URL)).send().await?;
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod auth;
pub mod credentials;
pub mod error;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
mod p12;
pub mod sign;
pub mod tls;
pub mod token;

pub use auth::{AppTokenAuth, GtrAuth, SsoAuth};
pub use auth_core::{AuthError, CacheConfig, ErrorKind, ManualClock, SharedClock};
pub use credentials::GtrCredentials;
pub use tls::{ClientIdentity, TlsConfig};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
