//! SNAP B2B authentication for reqwest: Indonesia's national open-API payment standard
//! (Bank Indonesia / ASPI) as used by banks and payment providers.
//!
//! - **Access token** (service 73): `X-SIGNATURE` = base64(SHA256withRSA(private key,
//!   `clientKey|X-TIMESTAMP`)), cached and refreshed ahead of expiry by auth-core's
//!   [`TokenCache`](auth_core::TokenCache) (single fetch for any number of concurrent
//!   requests).
//! - **Transactions**: the body is minified (whitespace outside strings only — key order,
//!   numbers and escapes are kept), the request carries exactly the minified bytes, and
//!   `X-SIGNATURE` = base64(HMAC-SHA512(clientSecret,
//!   `METHOD:EndpointUrl:AccessToken:hex(sha256(body)):X-TIMESTAMP`)), with
//!   `Authorization`, `X-TIMESTAMP`, `X-PARTNER-ID`, `X-EXTERNAL-ID`, `CHANNEL-ID` and
//!   `ORIGIN`. The asymmetric (RSA, no token) variant is a setting.
//! - **Notifications**: [`NotificationVerifier`] checks provider callbacks.
//! - **Response codes**: [`ResponseCode`] reads `HHHSSCC`.
//!
//! Provider divergences are the fields of one settings type, [`Profile`], with a preset per
//! provider. The default, [`Profile::aspi`], follows the specification or the most common
//! practice: `X-TIMESTAMP` as `+07:00` without milliseconds, `EndpointUrl` with the query
//! string, `grantType`, base64 signatures, symmetric signing, token path
//! `/v1.0/access-token/b2b` under the base URL.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate_snap_b2b::{SnapAuth, SnapCredentials};
//! let creds = SnapCredentials::builder()
//!     .client_key("10001")
//!     .client_secret(std::env::var("SNAP_CLIENT_SECRET")?)
//!     .private_key_file("private_key.pem")
//!     .channel_id("95221")
//!     .build()?;
//! let auth = SnapAuth::builder().credentials(creds).base_url("http://localhost:8080/snap").build()?;
//! let mw = auth.middleware();
//! // Signed headers never follow a redirect to another origin.
//! let http = reqwest::Client::builder().redirect(mw.redirect_policy()).build()?;
//! let client = reqwest_middleware::ClientBuilder::new(http).with(mw).build();
//! let resp = client
//!     .post("http://localhost:8080/snap/v1.0/transfer-va/inquiry")
//!     .body(r#"{"partnerServiceId":"  12345","customerNo":"0001"}"#)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Retries and tracing
//!
//! Add `reqwest-retry` (and `reqwest-tracing`) *before* this crate's middleware, so that it
//! runs outside it and every attempt is signed afresh: each attempt gets a new `X-TIMESTAMP`, `X-SIGNATURE` and `X-EXTERNAL-ID` (inside the auth middleware, a retry would re-send the same `X-EXTERNAL-ID`, which a bank answers 409).
//!
//! ```no_run
//! # fn demo(auth: tollgate_snap_b2b::SnapAuth, http: reqwest::Client) {
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
mod b2b2c;
mod canonical;
mod credentials;
mod error;
mod external_id;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod extract;
mod inbound;
mod keys;
mod minify;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod mock;
mod notify;
mod profile;
pub mod sign;
mod timestamp;
mod token;

/// The shared layer this crate builds on (`tollgate-auth-core`), for what the flat
/// re-exports below leave out (token stores, the `Signer` trait, credential helpers).
pub use auth_core;
// The shared items a user of this crate needs, so that attaching it takes no other crate.
pub use auth_core::{
    AuthError, AuthMiddleware, CacheConfig, Clock, ErrorKind, ExposeSecret, ManualClock, Origin,
    SecretString, SharedClock, SkipAuth, SystemClock,
};

// Flat re-exports: the modules are private.
pub use auth::{CHANNEL_ID, ORIGIN, SnapAuth, SnapAuthBuilder, X_EXTERNAL_ID, X_PARTNER_ID};
pub use b2b2c::{
    AUTHORIZATION_CUSTOMER, CUSTOMER_ID, CustomerTokenError, CustomerTokens, CustomerTokensBuilder,
    DEFAULT_MAX_CUSTOMERS, DEFAULT_REFRESH_MARGIN,
};
pub use canonical::{
    BodyForm, CanonicalError, MAX_JS_DEPTH, canonical_body, js_compatible, js_number,
};
pub use credentials::{
    ENV_CHANNEL_ID, ENV_CLIENT_KEY, ENV_CLIENT_SECRET, ENV_ORIGIN, ENV_PARTNER_ID, ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_FILE, ENV_VARS, MIN_RSA_BITS, SnapCredentials, SnapCredentialsBuilder,
    SnapPrivateKey, SnapPublicKey,
};
pub use error::{InvalidResponseCode, ResponseCode, SnapEnvelope, error_from_response};
pub use external_id::{
    ExternalIdGenerator, ExternalIdStyle, Numeric32, SharedExternalIdGenerator, uuid_v4,
};
pub use inbound::{
    INBOUND_TIMESTAMP_WINDOW, ISSUED_TOKEN_LIFETIME, InboundError, InboundVerifier, IssuedToken,
    MAX_EXTERNAL_IDS, MAX_TOKENS, VerifiedTransaction,
};
pub use minify::{MAX_DEPTH, MinifyError, minify_json};
pub use notify::{DEFAULT_WINDOW, NotificationError, NotificationVerifier, VerifiedNotification};
pub use profile::{
    DEFAULT_B2B2C_TOKEN_PATH, DEFAULT_TOKEN_PATH, GrantTypeField, GrantValueCase, PROFILE_SETTINGS,
    Profile, ProfileSetting, TransactionSigning,
};
pub use sign::EndpointBase;
pub use timestamp::{TimestampError, TimestampFormat, Zone, parse_timestamp};
pub use token::{
    AccessTokenResponse, DEFAULT_TOKEN_LIFETIME, SnapTokenSource, X_CLIENT_KEY, X_SIGNATURE,
    X_TIMESTAMP,
};
// End of flat re-exports.

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
