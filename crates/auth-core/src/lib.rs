//! The shared signing layer of the tollgate SDKs.
//!
//! A provider crate implements [`Signer`] (and, when it has a token endpoint or mints
//! tokens, a [`TokenSource`] cached by [`TokenCache`]); users attach it to the reqwest
//! client they already have with [`AuthMiddleware`]:
//!
//! ```no_run
//! # fn demo<S: tollgate_auth_core::Signer>(signer: S) {
//! let mw = tollgate_auth_core::AuthMiddleware::new(signer);
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build().expect("client");
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! # }
//! ```
//!
//! Everything that depends on time reads an injected [`Clock`]; every failure is an
//! [`AuthError`] with an [`ErrorKind`] and a retryable flag, and no message, `Debug` or
//! tracing event contains a secret.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod bearer;
pub mod cache;
pub mod clock;
pub mod credentials;
pub mod envelope;
pub mod error;
pub mod jwt;
pub mod middleware;
pub mod options;
pub mod scope;
pub mod sign;
pub mod store;
pub mod token;
pub mod transport;

pub use bearer::{BearerAuth, BearerSource};
pub use cache::{CacheConfig, TokenCache};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use credentials::{REDACTED, Redacted};
pub use error::{AuthError, ErrorKind, Origin};
pub use middleware::{AuthMiddleware, SkipAuth};
pub use options::ProviderOptions;
pub use scope::Scope;
pub use secrecy::{ExposeSecret, SecretString};
pub use sign::{
    BearerReceipt, BearerSigner, Judgement, RejectionBody, Signer, bearer_header, body_bytes,
    judge_by_status,
};
pub use token::{CachedToken, FetchContext, FetchedToken, TokenSource};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
