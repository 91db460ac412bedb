//! Bookiply Holidu Channel API authentication for `reqwest`.
//!
//! Every call carries `Authorization: Bearer <JWT>` and `Accept: application/json`. The JWT
//! is an ES256 token signed with the P-256 key from the `account_info.json` Holidu hands
//! out at onboarding: header `{"alg":"ES256","typ":"JWT","kid":<keyId>}`, claims
//! `{"iss":<issuer>,"iat","exp"}`, with `exp - iat` at most one hour.
//!
//! - [`HoliduCredentials`] loads and checks `account_info.json` (P-256, PKCS#8, matching pair);
//! - [`sign`] builds and verifies tokens as pure functions, stage by stage;
//! - [`HoliduAuth`] mints the token through auth-core's cache (signed once, reused until the
//!   refresh-ahead margin; `iat` from the injected clock, never in the future) and
//!   attaches it through [`HoliduAuth::middleware`];
//! - [`error_from_response`] maps error responses onto typed errors;
//! - `mock` (feature `test-util`) is a loopback fake that verifies tokens the way Holidu does.
//!
//! There is no token endpoint, hence no `token` module.
//!
//! ```no_run
//! use tollgate_holidu::{HoliduAuth, HoliduCredentials};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = HoliduAuth::builder()
//!     .credentials(HoliduCredentials::from_env()?)
//!     .build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! let resp = client
//!     .get(format!("{}/some/endpoint", tollgate_holidu::DEFAULT_BASE_URL))
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Retries and tracing
//!
//! Add `reqwest-retry` (and `reqwest-tracing`) *before* this crate's middleware, so that it
//! runs outside it and every attempt is signed afresh: the cached JWT is reused and a rejected one replaced.
//!
//! ```no_run
//! # fn demo(auth: tollgate_holidu::HoliduAuth, http: reqwest::Client) {
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
pub use auth::{
    DEFAULT_BASE_URL, DEFAULT_IAT_SKEW, DEFAULT_TOKEN_LIFETIME, HoliduAuth, HoliduAuthBuilder,
    JwtSource, LEGACY_BASE_URL, MAX_IAT_SKEW,
};
pub use credentials::{
    ENV_ACCOUNT_INFO, ENV_ACCOUNT_INFO_FILE, ENV_ISSUER, ENV_KEY_ID, ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY, ENV_VARS, HoliduCredentials,
};
pub use error::{ErrorBody, error_from_response};
// End of flat re-exports.

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
