//! Authentication for the Global Travel Rule (GTR) API: mutual TLS, SSO login and
//! per-request app tokens, as middleware for `reqwest`.
//!
//! - [`TlsConfig`]: the client certificate (`certificate.p12` + password, or PEM), extra
//!   trusted CAs (added to the roots) and pinned server certificates (once pinned, only
//!   those are accepted; the roots are not consulted), on rustls with the aws-lc-rs provider
//!   (reqwest's default). Every GTR call needs it.
//! - [`GtrCredentials`]: `vaspCode`, `accessKey`, `secretKey` from `api_key.csv` or the
//!   environment.
//! - [`auth::SsoAuth`]: `POST /api/login` once, then `Authorization: Bearer <jwt>`.
//! - [`auth::AppTokenAuth`]: a fresh `X-Authorization` app token on every request
//!   (recommended by GTR for distributed servers).
//! - [`sign`]: the pure hashing/encoding stages, checked against GTR's worked example.
//! - [`error_from_response`]: GTR's `verifyStatus` codes as typed errors.
//! - `mock` (feature `test-util`): a wiremock fake of GTR that verifies both modes.
//!
//! ```no_run
//! use tollgate_gtr::{ClientIdentity, GtrCredentials, SsoAuth, TlsConfig};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = TlsConfig::new().identity(ClientIdentity::from_pkcs12_file("certificate.p12", "p12-password")?);
//! let auth = SsoAuth::builder().credentials(GtrCredentials::from_api_key_csv("api_key.csv")?)
//!     .base_url(tollgate_gtr::UAT_URL)
//!     .tls(tls.clone())
//!     .build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = tls.reqwest_builder()?.redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! let status = client.get(format!("{}/api/status", tollgate_gtr::UAT_URL)).send().await?;
//! # Ok(()) }
//! ```
//!
//! # Retries and tracing
//!
//! Add `reqwest-retry` (and `reqwest-tracing`) *before* this crate's middleware, so that it
//! runs outside it and every attempt is signed afresh: each attempt gets a new app token and nonce (inside the auth middleware, a retry would re-send the same nonce, which GTR refuses).
//!
//! ```no_run
//! # fn demo(auth: tollgate_gtr::AppTokenAuth, http: reqwest::Client) {
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
pub mod callback;
mod credentials;
mod error;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod extract;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
mod p12;
pub mod sign;
mod tls;
mod token;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

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
    AppTokenAuth, AppTokenAuthBuilder, GtrAuth, PRODUCTION_URL, SsoAuth, SsoAuthBuilder, UAT_URL,
    session_lost,
};
pub use credentials::{ENV_ACCESS_KEY, ENV_SECRET_KEY, ENV_VASP_CODE, GtrCredentials};
pub use error::{Envelope, VerifyStatus, error_from_response, parse_envelope};
pub use tls::{
    ClientIdentity, ENV_CA_PEM_PATH, ENV_CERT_PEM_PATH, ENV_KEY_PEM_PATH, ENV_P12_PASSWORD,
    ENV_P12_PATH, ENV_SERVER_CERT_PEM_PATH, TlsConfig,
};

/// Every variable [`GtrCredentials::from_env`] and [`TlsConfig::from_env`] (with
/// [`ClientIdentity::from_env`]) read.
pub const ENV_VARS: &[auth_core::credentials::EnvVar] = &[
    env(ENV_VASP_CODE, "the vaspCode"),
    env(ENV_ACCESS_KEY, "the accessKey"),
    env(ENV_SECRET_KEY, "the secretKey"),
    env(
        ENV_P12_PATH,
        "path of the mutual-TLS client identity certificate.p12",
    ),
    env(ENV_P12_PASSWORD, "its password"),
    env(
        ENV_CERT_PEM_PATH,
        "or: path of the PEM client certificate (chain)",
    ),
    env(ENV_KEY_PEM_PATH, "and the path of its PEM private key"),
    env(
        ENV_CA_PEM_PATH,
        "optional path of CA certificate(s) (PEM) added to the trusted roots beside the \
         system store: any server certificate they issue for the host is accepted",
    ),
    env(
        ENV_SERVER_CERT_PEM_PATH,
        "optional path of pinned server certificate(s) (PEM): ONLY these certificates (or \
         their public keys) are accepted, checked for validity and host name, not for their \
         issuer; any other is refused, even one issued by a trusted CA",
    ),
];

const fn env(name: &'static str, help: &'static str) -> auth_core::credentials::EnvVar {
    auth_core::credentials::EnvVar { name, help }
}
pub use token::{
    LOGIN_PATH, LoginData, LoginRequest, LoginSource, MAX_EXPIRE_IN_MINUTES, RESERVED_LOGIN_FIELDS,
    parse_login_response,
};
// End of flat re-exports.
