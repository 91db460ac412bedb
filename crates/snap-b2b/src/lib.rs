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
//! - **Notifications**: [`notify::NotificationVerifier`] checks provider callbacks.
//! - **Response codes**: [`error::ResponseCode`] reads `HHHSSCC`.
//!
//! Provider divergences are settings in [`auth::SnapConfig`], each defaulting to the
//! specification or the most common practice: `X-TIMESTAMP` as `+07:00` without
//! milliseconds, `EndpointUrl` with the query string, `grantType`, base64 signatures,
//! symmetric signing, token path `/v1.0/access-token/b2b` under the base URL.
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
//! let auth = SnapAuth::builder(creds).base_url("http://localhost:8080/snap").build()?;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(auth.middleware())
//!     .build();
//! let resp = client
//!     .post("http://localhost:8080/snap/v1.0/transfer-va/inquiry")
//!     .body(r#"{"partnerServiceId":"  12345","customerNo":"0001"}"#)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod auth;
pub mod b2b2c;
pub mod canonical;
pub mod credentials;
pub mod error;
pub mod external_id;
pub mod inbound;
mod keys;
pub mod minify;
#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;
#[cfg(feature = "mock")]
mod mock_b2b2c;
pub mod notify;
pub mod profile;
pub mod sign;
pub mod timestamp;
pub mod token;

pub use auth::{SnapAuth, SnapConfig, TransactionSigning};
/// The shared signing layer (clock, errors, token cache, middleware), re-exported.
pub use auth_core;
pub use credentials::{SnapCredentials, SnapPrivateKey, SnapPublicKey};
pub use error::ResponseCode;
pub use notify::{NotificationError, NotificationVerifier, VerifiedNotification};
pub use profile::Profile;
