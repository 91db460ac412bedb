//! The shared signing layer of the tollgate SDKs.
//!
//! A provider crate implements [`Signer`] (and, when it has a token endpoint or mints
//! tokens, a [`TokenSource`] cached by [`TokenCache`]); a bearer provider's auth is a
//! [`BearerAuth`] over its token source (`DragonPassAuth`, `HoliduAuth`, `V5Auth` and GTR's
//! `SsoAuth` are such aliases). Users attach it to the reqwest client they already have with
//! [`AuthMiddleware`]:
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
//!
//! Build the client with the middleware's [`redirect_policy`](AuthMiddleware::redirect_policy),
//! as above: reqwest drops `Authorization` when it follows a redirect to another host, but
//! not the other headers a signer adds (`X-SIGNATURE`, `X-EXTERNAL-ID`,
//! `Authorization-Customer`, GTR's `X-Authorization`…), and a middleware cannot see the hops
//! its client follows. With the policy, a signed request follows redirects only inside the
//! signer's origins; the first redirect out is handed back as the 3xx it is. Without it, a
//! signed request answered from another origin is an [`ErrorKind::InvalidResponse`] error —
//! but its headers have already gone there.
//!
//! Requests to public endpoints skip signing with the [`SkipAuth`] extension
//! (`.with_extension(SkipAuth)`). Errors raised while signing come back as
//! `reqwest_middleware::Error::Middleware`; get the typed error with
//! [`AuthError::from_middleware`] and branch on [`kind`](AuthError::kind) and
//! [`is_retryable`](AuthError::is_retryable).
//!
//! # How the shared layer behaves
//!
//! Every provider crate gets these from here; the defaults are [`CacheConfig`]'s.
//!
//! - **One fetch at a time per credential.** Any number of concurrent cold requests cause
//!   exactly one token fetch ([`TokenCache`]). The fetch runs on its own task, so a cancelled
//!   caller does not cancel it; the task clears its own "in flight" marker however it ends
//!   (result, panic, its runtime shut down), so a dead fetch never sticks the cache and a
//!   cache used from several runtimes in turn keeps working. A token source that panics is a
//!   failed fetch, backed off like any other.
//! - **Refresh ahead, expiry buffer.** From [`refresh_margin`](CacheConfig::refresh_margin)
//!   (60 s, plus random [`jitter`](CacheConfig::jitter) up to 10 s; at most half the token's
//!   lifetime) before expiry, requests keep using the valid token while one background fetch
//!   replaces it. A token is not handed out in its last
//!   [`expiry_buffer`](CacheConfig::expiry_buffer) (10 s, at most a quarter of its lifetime).
//!   Expiry is counted by the local clock from when the token request was sent (a slow
//!   answer cannot carry a token past the server's expiry), never by the server's clock.
//! - **Caps on numbers from outside.** Lifetimes are clamped to
//!   [`max_lifetime`](CacheConfig::max_lifetime) (24 h), `Retry-After` (both RFC 9110 forms:
//!   seconds and HTTP-date) to [`MAX_RETRY_AFTER`](error::MAX_RETRY_AFTER) (1 h); every
//!   addition of time and input is checked. `"expiresIn": 18446744073709551615` is a token
//!   that lives 24 h, not a panic.
//! - **Backoff, with or without a token.** A failed fetch is returned to the requests that
//!   waited on it and never cached; it never evicts a token that is still valid. After a
//!   failure the cache backs off exponentially (1 s doubling to 60 s, or longer when
//!   `Retry-After` says so): callers with a valid token keep using it, callers without one
//!   get the failure back at once — typed, with [`retry_after`](AuthError::retry_after) set
//!   to the time left — and one fetch runs per window. A 429 with `Retry-After: 60` costs one
//!   token request per minute, not one per call. Each fetch is bounded by
//!   [`fetch_timeout`](CacheConfig::fetch_timeout) (30 s).
//! - **Rejections, rate-limited.** When the server rejects a token (HTTP 401 by default; a
//!   signer may also judge small bodies, as GTR does for `verifyStatus`
//!   100014/100020/100021 and V5 for its configured codes) the middleware drops that token
//!   and retries the request once — signed afresh from the unsigned request, so one-time
//!   headers (SNAP's `X-EXTERNAL-ID`, GTR's nonce) are never replayed — if the request can be
//!   replayed. A rejection of the retry is passed to the caller without evicting the fresh
//!   token. Rejection-driven refetches are limited to one per credential per
//!   [`rejection_cooldown`](CacheConfig::rejection_cooldown) (10 s): an endpoint that answers
//!   401 for a permission problem costs one fetch per 10 s, not two per request. A retry
//!   never receives the token it rejected.
//! - **Scoped signing.** Each provider's middleware signs only requests to its own origins
//!   ([`Scope`]: scheme, host and port of the configured base URL, plus those added with
//!   `allow_origin`), over HTTPS or on loopback (an IP loopback literal or exactly
//!   `localhost`, see [`scope::is_loopback`]; names under `.localhost` still go to DNS);
//!   every other request the same client sends goes out untouched. On a client built with
//!   the middleware's [`redirect_policy`](AuthMiddleware::redirect_policy)
//!   ([`Scope::redirect_policy`]), no redirect carries a signed request out of those origins;
//!   an answer that comes from another origin anyway is a typed error.
//! - **Token requests** ([`transport`]). They run on auth-core's token client (redirects off,
//!   10 s connect and 30 s total timeouts), or on the client built from the
//!   `reqwest::ClientBuilder` you pass a provider builder's `http_client`, with its redirects
//!   forced off ([`transport::token_client_from`]); a 3xx answer is a typed error, never a
//!   re-post of the secret elsewhere, and [`transport::send_token_request`] ends every token
//!   request within 30 s ([`transport::REQUEST_TIMEOUT`]) whatever its client's timeouts.
//!   Answers are read up to 64 KiB. Token and login URLs must be `https` except on loopback
//!   (`allow_insecure_http(true)` is the explicit opt-in for test setups).
//! - **Secrets.** Credentials and tokens live in `secrecy` types; `Debug`, `Display`, errors
//!   and tracing events never contain them; header values are validated (no CR/LF); a server
//!   token that cannot travel in a header is an [`ErrorKind::InvalidResponse`] error.
//! - **Sharing beyond one process** ([`store`]): a [`SharedStore`](store::SharedStore) over
//!   Redis (feature `redis`, `redis-cluster` for a cluster) or over private files on one host
//!   (feature `file-store`) gives a fleet one token per credential; see the module and the
//!   repository's `docs/fleet.md`.
//!
//! # Metrics and health
//!
//! With the feature `metrics` (also on each provider crate and the `tollgate` facade), the
//! caches, the middleware and the store bindings report through the
//! [`metrics`](https://docs.rs/metrics/0.24) facade: token fetches by outcome
//! ([`ErrorKind::name`] or `ok`), fetch time, time to expiry, rejections, signed requests,
//! store operations and fleet lock waits, labelled by provider and by the `credential` name
//! you give ([`CacheConfig::with_metrics_label`], or the builders' `metrics_label`). Handles
//! are registered once, when a cache or middleware is built: install your recorder first.
//! The one table of names and labels, which are stable, is the repository's
//! `docs/metrics.md`.
//!
//! [`TokenCache::health`] (and `health()` on each provider's auth) reports the cache's state
//! for readiness probes: [`health`] shows how to serve it to Kubernetes.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod bearer;
pub mod cache;
pub mod clock;
pub mod credentials;
pub mod envelope;
pub mod error;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod extract;
pub mod health;
#[cfg(feature = "metrics")]
mod instrument;
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
pub use health::{CacheHealth, CacheState};
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
