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
//!   [`token`]).
//!
//! Receivers of push events verify them with [`push::PushVerifier`].
//!
//! ```no_run
//! use tollgate_dragonpass::DragonPassAuth;
//! use tollgate_dragonpass::credentials::SelfSignedCredentials;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = DragonPassAuth::builder()
//!     .credentials(SelfSignedCredentials::from_env()?)
//!     .program_id("1234567890123456789")
//!     .allow_origin("https://api.example.com") // the DragonPass API host you were given
//!     .build()?;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(auth.middleware())
//!     .build();
//! let body = client.get("https://api.example.com/v2/transport-hubs").send().await?.bytes().await?;
//! let data: serde_json::Value = tollgate_dragonpass::error::parse_response(
//!     tollgate_dragonpass::error::Origin::Api,
//!     http::StatusCode::OK,
//!     &http::HeaderMap::new(),
//!     &body,
//! )?;
//! # Ok(()) }
//! ```
//!
//! With the `test-util` feature, [`mock::DragonPassFake`] is a local fake of DragonPass for
//! offline tests.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod auth;
pub mod credentials;
pub mod error;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
pub mod push;
pub mod sign;
pub mod token;

pub use auth::{DragonPassAuth, DragonPassAuthBuilder};
/// The shared layer this crate builds on (`tollgate-auth-core`), re-exported.
pub use auth_core;
pub use credentials::{Credentials, ProgramId, SelfSignedCredentials, TokenApiCredentials};
pub use push::{PushEvent, PushPublicKey, PushVerifier};
