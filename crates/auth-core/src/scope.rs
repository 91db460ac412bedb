//! [`Scope`]: which requests a provider's middleware signs.
//!
//! A client is often shared: the same `reqwest::Client` calls the provider and several other
//! APIs. A middleware that signs everything hands the provider's bearer token (or signature)
//! to every one of them. Each provider's middleware therefore signs only requests to its
//! configured origins — scheme, host and port, HTTPS only except on loopback — and passes
//! every other request through untouched.

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::error::AuthError;

/// Whether `url`'s host is a loopback address (`127.0.0.0/8`, `[::1]`) or `localhost`.
///
/// ```
/// use tollgate_auth_core::scope::is_loopback;
/// assert!(is_loopback(&"http://127.0.0.1:8080/x".parse().unwrap()));
/// assert!(is_loopback(&"http://localhost/".parse().unwrap()));
/// assert!(!is_loopback(&"http://10.0.0.1/".parse().unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        None => false,
    }
}

/// Checks a token or login endpoint URL: `https`, or `http` on loopback only — unless
/// `allow_insecure_http` is set (an explicit opt-in for test setups off loopback). Plain
/// HTTP elsewhere would send the credential in clear text.
///
/// ```
/// use tollgate_auth_core::scope::check_endpoint_url;
/// let ok: url::Url = "https://api.example.com/token".parse().unwrap();
/// assert!(check_endpoint_url("token_url", &ok, false).is_ok());
/// let local: url::Url = "http://127.0.0.1:8080/token".parse().unwrap();
/// assert!(check_endpoint_url("token_url", &local, false).is_ok());
/// let plain: url::Url = "http://api.example.com/token".parse().unwrap();
/// let err = check_endpoint_url("token_url", &plain, false).unwrap_err();
/// assert_eq!(err.field(), Some("token_url"));
/// assert!(check_endpoint_url("token_url", &plain, true).is_ok());
/// ```
pub fn check_endpoint_url(
    field: &'static str,
    url: &Url,
    allow_insecure_http: bool,
) -> Result<(), AuthError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(AuthError::invalid_field(
            field,
            "must use https (plain http is accepted only on loopback, or with \
             allow_insecure_http for test setups)",
        )),
        _ => Err(AuthError::invalid_field(field, "must be an http(s) URL")),
    }
}

/// The origins a middleware signs requests for.
///
/// ```
/// use tollgate_auth_core::Scope;
/// let scope = Scope::origin("https://api.example.com/v1/").unwrap();
/// assert!(scope.allows(&"https://api.example.com/v2/other".parse().unwrap()));
/// assert!(!scope.allows(&"https://evil.example.net/".parse().unwrap()));
/// assert!(!scope.allows(&"http://api.example.com/".parse().unwrap())); // other scheme
/// assert!(!scope.allows(&"https://api.example.com:8443/".parse().unwrap())); // other port
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scope {
    origins: Vec<url::Origin>,
    any: bool,
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("Scope(any https or loopback origin)");
        }
        f.debug_list()
            .entries(self.origins.iter().map(|o| o.ascii_serialization()))
            .finish()
    }
}

impl Scope {
    /// Signs nothing until origins are added.
    pub fn none() -> Self {
        Scope::default()
    }

    /// Signs requests to every https (or loopback) origin. Only for clients that call the
    /// provider alone; prefer explicit origins.
    pub fn any() -> Self {
        Scope {
            origins: Vec::new(),
            any: true,
        }
    }

    /// Signs requests to the origin of `url` (its path is ignored).
    pub fn origin(url: &str) -> Result<Self, AuthError> {
        Scope::none().with_origin(url)
    }

    /// Adds the origin of `url`. It must be https, or http on loopback.
    pub fn with_origin(self, url: &str) -> Result<Self, AuthError> {
        let parsed = Url::parse(url)
            .map_err(|_| AuthError::invalid_field("origin", "is not a valid absolute URL"))?;
        self.with_url(&parsed)
    }

    /// Adds the origin of a parsed `url`. It must be https, or http on loopback.
    pub fn with_url(mut self, url: &Url) -> Result<Self, AuthError> {
        check_endpoint_url("origin", url, false)?;
        let origin = url.origin();
        if !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
        Ok(self)
    }

    /// Adds every origin of `other`.
    #[must_use]
    pub fn union(mut self, other: &Scope) -> Self {
        self.any |= other.any;
        for o in &other.origins {
            if !self.origins.contains(o) {
                self.origins.push(o.clone());
            }
        }
        self
    }

    /// Whether a request to `url` is signed: https (or loopback) and one of the origins.
    pub fn allows(&self, url: &Url) -> bool {
        let transport_ok = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url));
        if !transport_ok {
            return false;
        }
        self.any || self.origins.contains(&url.origin())
    }
}
