//! V5 OpenAPI authentication for `reqwest`.
//!
//! The provider issues a bearer token from `POST /api/v5/authentication/token` in exchange
//! for `{"app_id", "time_stamp", "signature"}`, where
//! `signature = hex(sha256(app_id + time_stamp + app_secret))`. The token lives two hours;
//! authenticated calls carry `Authorization: Bearer <token>` and `X-APP-ID: <app_id>`.
//!
//! This crate signs the token request ([`sign`]), fetches and caches the token through
//! `tollgate-auth-core` ([`token`]), maps the `{code, msg, data}` envelope onto typed errors
//! ([`error`]), and gives you [`V5Auth`] to attach to a `reqwest_middleware` client.
//!
//! ```no_run
//! use tollgate_v5_openapi::{V5Auth, V5Credentials};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = V5Auth::builder()
//!     .base_url("https://openapi.example.com")
//!     .credentials(V5Credentials::from_env()?)
//!     .build()?;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(auth.middleware())
//!     .build();
//! let resp = client
//!     .get("https://openapi.example.com/api/v5/authentication/verify")
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Provider decisions (the documentation is silent or inconsistent):
//! - the id is `app_id` (examples, header) and `user_id` (parameter table): both accepted;
//! - `time_stamp` is sent as a JSON number of seconds from the injected clock;
//! - expiry = local receive time + 2 h (configurable); `expire_time` (no zone) is read only
//!   as information, in a configurable zone defaulting to UTC;
//! - error codes are unpublished: the kind comes from the HTTP status and the endpoint
//!   (see [`error`]); `msg` text is never compared.
//!
//! With the `test-util` feature, [`mock::V5Fake`] is a loopback fake of the provider for tests.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod auth;
pub mod credentials;
pub mod error;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
pub mod sign;
pub mod token;

pub use auth::{V5Auth, V5AuthBuilder};
pub use credentials::V5Credentials;
pub use token::{ExpireTimeZone, V5TokenSource, VerifyData};
