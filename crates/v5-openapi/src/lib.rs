//! V5 OpenAPI authentication for `reqwest`.
//!
//! The provider issues a bearer token from `POST /api/v5/authentication/token` in exchange
//! for `{"app_id", "time_stamp", "signature"}`, where
//! `signature = hex(sha256(app_id + time_stamp + app_secret))`. The token lives two hours;
//! authenticated calls carry `Authorization: Bearer <token>` and `X-APP-ID: <app_id>`.
//!
//! This crate signs the token request ([`sign`]), fetches and caches the token through
//! `tollgate-auth-core` ([`V5TokenSource`]), maps the `{code, msg, data}` envelope onto typed errors
//! ([`error_from_response`]), and gives you [`V5Auth`] to attach to a `reqwest_middleware` client.
//!
//! ```no_run
//! use tollgate_v5_openapi::{V5Auth, V5Credentials};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = V5Auth::builder()
//!     .base_url("https://openapi.example.com")
//!     .credentials(V5Credentials::from_env()?)
//!     .build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
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
//! - expiry = local time the token request was sent + 2 h (configurable); `expire_time` (no
//!   zone) is read only as information, in a configurable zone defaulting to UTC;
//! - error codes are unpublished: the kind comes from the HTTP status and the endpoint
//!   (see [`error_from_response`]); `msg` text is never compared.
//!
//! With the `test-util` feature, [`mock::V5Fake`] is a loopback fake of the provider for tests.
//!
//! # Retries and tracing
//!
//! Add `reqwest-retry` (and `reqwest-tracing`) *before* this crate's middleware, so that it
//! runs outside it and every attempt is signed afresh: the cached token is reused and a rejected one replaced.
//!
//! ```no_run
//! # fn demo(auth: tollgate_v5_openapi::V5Auth, http: reqwest::Client) {
//! use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
//! let retry = RetryTransientMiddleware::new_with_policy(ExponentialBackoff::builder().build_with_max_retries(3));
//! let client = reqwest_middleware::ClientBuilder::new(http)
//!     .with(retry) // added first: outside
//!     .with(auth.middleware())
//!     .build();
//! # let _ = client; }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod auth;
mod credentials;
mod error;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
pub mod sign;
mod token;

/// The shared layer this crate builds on (`tollgate-auth-core`), for what the flat
/// re-exports below leave out (token stores, the `Signer` trait, credential helpers).
pub use auth_core;
// The shared items a user of this crate needs, so that attaching it takes no other crate
// (a comment, not a doc comment: rustdoc would prepend it to each item's own docs).
pub use auth_core::{
    AuthError, AuthMiddleware, CacheConfig, Clock, ErrorKind, ExposeSecret, ManualClock, Origin,
    SecretString, SharedClock, SkipAuth, SystemClock,
};

// Flat re-exports: the modules are private.
pub use auth::{V5Api, V5Auth, V5AuthBuilder};
pub use credentials::{
    ENV_APP_ID, ENV_APP_SECRET, ENV_USER_API_SECRET, ENV_USER_ID, ENV_VARS, V5Credentials,
};
pub use error::{Envelope, error_from_response, parse_envelope};
pub use token::{
    DEFAULT_TOKEN_LIFETIME, ExpireTimeZone, TOKEN_PATH, TokenData, TokenRequest, V5TokenSource,
    VERIFY_PATH, VerifyData, parse_naive_datetime,
};
// End of flat re-exports.

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
