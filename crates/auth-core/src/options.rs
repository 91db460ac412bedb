//! The settings every provider builder shares, held once: the clock, the token cache's
//! configuration, the HTTP client for token requests, the token lifetime and the origins the
//! middleware signs for.
//!
//! A provider builder keeps a [`ProviderOptions`] in a field named `options` and gets the
//! matching setters from [`builder_options!`](crate::builder_options), so that every provider
//! offers the same setters with the same meaning:
//!
//! ```
//! use tollgate_auth_core::options::ProviderOptions;
//!
//! /// A provider's builder.
//! #[derive(Debug, Default)]
//! pub struct MyAuthBuilder {
//!     options: ProviderOptions,
//! }
//!
//! impl MyAuthBuilder {
//!     tollgate_auth_core::builder_options!(clock, cache_config, http_client, allow_origin, allow_insecure_http);
//! }
//!
//! let b = MyAuthBuilder::default().allow_origin("https://api.example.com");
//! let scope = b.options.origins().scope("base_url", None)?;
//! assert!(scope.allows(&"https://api.example.com/v1".parse().unwrap()));
//! # Ok::<(), tollgate_auth_core::AuthError>(())
//! ```

use std::borrow::Cow;
use std::time::Duration;

use crate::cache::CacheConfig;
use crate::clock::{SharedClock, system_clock};
use crate::error::AuthError;
use crate::scope::Origins;

/// The settings every provider builder shares (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    clock: Option<SharedClock>,
    cache: Option<CacheConfig>,
    http: Option<Result<reqwest::Client, AuthError>>,
    token_lifetime: Option<Duration>,
    origins: Origins,
    metrics_label: Option<Cow<'static, str>>,
}

impl ProviderOptions {
    /// The clock set, or the system clock.
    pub fn clock(&self) -> SharedClock {
        self.clock.clone().unwrap_or_else(system_clock)
    }

    /// Sets the clock.
    pub fn set_clock(&mut self, clock: SharedClock) {
        self.clock = Some(clock);
    }

    /// The cache configuration set, or [`CacheConfig::default`], with the
    /// [metrics label](Self::set_metrics_label) when one was set.
    pub fn cache_config(&self) -> CacheConfig {
        let config = self.cache.clone().unwrap_or_default();
        match &self.metrics_label {
            Some(label) => config.with_metrics_label(label.clone()),
            None => config,
        }
    }

    /// Sets the `credential` label of the cache's metrics
    /// ([`CacheConfig::metrics_label`]), whichever cache configuration is set.
    pub fn set_metrics_label(&mut self, label: Cow<'static, str>) {
        self.metrics_label = Some(label);
    }

    /// Sets the cache configuration.
    pub fn set_cache_config(&mut self, config: CacheConfig) {
        self.cache = Some(config);
    }

    /// The client for token requests: the one built from the builder given to
    /// [`set_http_client`](Self::set_http_client), or auth-core's
    /// [`token_client`](crate::transport::token_client).
    pub fn token_http_client(&self) -> Result<reqwest::Client, AuthError> {
        match &self.http {
            Some(built) => built.clone(),
            None => crate::transport::token_client(),
        }
    }

    /// Whether a client for token requests was given.
    pub fn has_http_client(&self) -> bool {
        self.http.is_some()
    }

    /// Sets the client for token requests from `builder`, with redirects turned off
    /// whatever the builder said ([`token_client_from`](crate::transport::token_client_from)).
    pub fn set_http_client(&mut self, builder: reqwest::ClientBuilder) {
        self.http = Some(crate::transport::token_client_from(builder));
    }

    /// The token lifetime set, if any (each provider has its own default and bounds).
    pub fn token_lifetime(&self) -> Option<Duration> {
        self.token_lifetime
    }

    /// Sets the token lifetime.
    pub fn set_token_lifetime(&mut self, lifetime: Duration) {
        self.token_lifetime = Some(lifetime);
    }

    /// The origins the middleware signs for, beyond the provider's own.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// The origins, to change.
    pub fn origins_mut(&mut self) -> &mut Origins {
        &mut self.origins
    }
}

/// Writes the shared setters of a provider builder whose settings live in a field
/// `options: ProviderOptions`. Name the ones the provider uses: `clock`, `cache_config` (with
/// it, `metrics_label`),
/// `http_client`, `token_lifetime`, `allow_origin`, `allow_insecure_http`.
/// See [`options`](crate::options).
#[macro_export]
macro_rules! builder_options {
    ($($option:ident),* $(,)?) => {
        $( $crate::builder_options!(@one $option); )*
    };
    (@one clock) => {
        /// The clock every time decision reads (token expiry, signing timestamps); default:
        /// the system clock. Tests pass a `ManualClock`'s `shared()`.
        #[must_use]
        pub fn clock(mut self, clock: $crate::SharedClock) -> Self {
            self.options.set_clock(clock);
            self
        }
    };
    (@one cache_config) => {
        /// The token cache's configuration (refresh margin, backoff, shared store…);
        /// default: `CacheConfig::default()`.
        #[must_use]
        pub fn cache_config(mut self, config: $crate::CacheConfig) -> Self {
            self.options.set_cache_config(config);
            self
        }

        /// The `credential` label of this auth's metrics (feature `metrics`): a name you
        /// choose for the credential, such as `"payments-prod"`; default `"default"`. Never
        /// the credential itself or a digest of it. Overrides the cache configuration's
        /// `metrics_label`.
        #[must_use]
        pub fn metrics_label(mut self, label: impl Into<std::borrow::Cow<'static, str>>) -> Self {
            self.options.set_metrics_label(label.into());
            self
        }
    };
    (@one http_client) => {
        /// The HTTP client for token requests (for a proxy or your own TLS settings), as a
        /// builder: tollgate turns its redirects off, since a token request carries a
        /// secret that a redirect would re-post elsewhere. Default: auth-core's token
        /// client (no redirects, bounded timeouts). Requests you send go through your own
        /// client, not this one.
        #[must_use]
        pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
            self.options.set_http_client(builder);
            self
        }
    };
    (@one token_lifetime) => {
        /// How long a token is valid; the provider's default and bounds apply, and a value
        /// out of bounds is an error at `build`.
        #[must_use]
        pub fn token_lifetime(mut self, lifetime: std::time::Duration) -> Self {
            self.options.set_token_lifetime(lifetime);
            self
        }
    };
    (@one allow_origin) => {
        /// Also signs requests to the origin of `url`; repeat for more. HTTPS only, except
        /// on loopback.
        #[must_use]
        pub fn allow_origin(mut self, url: impl Into<String>) -> Self {
            self.options.origins_mut().allow(url);
            self
        }
    };
    (@one allow_insecure_http) => {
        /// Accepts plain-HTTP token URLs and signs plain-HTTP origins off loopback. For test
        /// setups only.
        #[must_use]
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.options.origins_mut().allow_insecure_http(allow);
            self
        }
    };
}
