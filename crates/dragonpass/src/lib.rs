//! DragonPass API authentication for `reqwest`, built on `tollgate-auth-core` (re-exported as
//! [`auth_core`]).
//!
//! DragonPass clients send `Authorization: Bearer <JWT>` (and `X-Program-ID` on calls that
//! need it). The JWT comes from one of three sources, all cached through auth-core's
//! [`TokenCache`](auth_core::TokenCache) so it is signed or fetched once and reused:
//!
//! - **self-signed HS256**: claims `iss` + `exp`, HMAC-SHA256 with the UTF-8 bytes of the
//!   account's secret key ([`credentials::SelfSignedCredentials::hs256`]);
//! - **self-signed RS256** (the v2 recommendation) with the client's RSA private key
//!   ([`credentials::SelfSignedCredentials::rs256_pem`]);
//! - **the token API**: `clientId` + `secret` posted to a configurable URL, one-hour tokens
//!   ([`credentials::TokenApiCredentials`]; the assumed response shape is documented in
//!   [`DragonPassTokenSource`]).
//!
//! Receivers of push events verify them with [`push::PushVerifier`].
//!
//! ```no_run
//! use tollgate_dragonpass::DragonPassAuth;
//! use tollgate_dragonpass::SelfSignedCredentials;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = DragonPassAuth::builder()
//!     .credentials(SelfSignedCredentials::from_env()?)
//!     .program_id("1234567890123456789")
//!     .allow_origin("https://api.example.com") // the DragonPass API host you were given
//!     .build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! let body = client.get("https://api.example.com/v2/transport-hubs").send().await?.bytes().await?;
//! let data: serde_json::Value = tollgate_dragonpass::parse_envelope(
//!     tollgate_dragonpass::Origin::Api,
//!     http::StatusCode::OK,
//!     &http::HeaderMap::new(),
//!     &body,
//! )?;
//! # Ok(()) }
//! ```
//!
//! With the `test-util` feature, [`mock::DragonPassFake`] is a local fake of DragonPass for
//! offline tests.
//!
//! # Retries and tracing
//!
//! Add `reqwest-retry` (and `reqwest-tracing`) *before* this crate's middleware, so that it
//! runs outside it and every attempt is signed afresh: the cached token is reused and a rejected one replaced.
//!
//! ```no_run
//! # fn demo(auth: tollgate_dragonpass::DragonPassAuth, http: reqwest::Client) {
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
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod extract;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
mod push;
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
pub use auth::{
    DragonPassAuth, DragonPassAuthBuilder, MAX_SELF_SIGNED_LIFETIME, PROGRAM_ID_HEADER,
};
pub use credentials::{
    DragonPassCredentials, ENV_CLIENT_ID, ENV_ISSUER, ENV_KEY_ID, ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_FILE, ENV_PROGRAM_ID, ENV_SECRET, ENV_TOKEN_URL, ENV_VARS, MIN_RSA_BITS,
    ProgramId, RsaSigningKey, SelfSignedCredentials, SigningKey, TokenApiCredentials,
    parse_rsa_private_key,
};
pub use error::{Envelope, error_from_response, parse_envelope};
pub use push::{
    DEFAULT_LEEWAY, DEFAULT_MAX_AGE, DEFAULT_MAX_LIFETIME, DEFAULT_REPLAY_CAPACITY,
    EVENT_TYPE_CLAIM, MAX_LEEWAY, MAX_PUSH_KEYS, MAX_TOKEN_LEN, PUSH_ISSUER, PushEvent, PushPolicy,
    PushPublicKey, PushVerifier, is_push_replay, verify_push_token, verify_push_token_with,
};
pub use token::{
    DEFAULT_SELF_SIGNED_LIFETIME, DragonPassTokenSource, SharedTokenResponseParser,
    TOKEN_API_LIFETIME, TokenRequest, TokenResponse, TokenResponseParser, default_token_response,
    extract_token,
};
// End of flat re-exports.

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
