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

/// Whether `url`'s host is a loopback address (`127.0.0.0/8`, `[::1]`) or exactly
/// `localhost`. Names under `.localhost` do not count: resolvers may send them to DNS.
///
/// ```
/// use tollgate_auth_core::scope::is_loopback;
/// assert!(is_loopback(&"http://127.0.0.1:8080/x".parse().unwrap()));
/// assert!(is_loopback(&"http://localhost/".parse().unwrap()));
/// assert!(!is_loopback(&"http://api.localhost/".parse().unwrap()));
/// assert!(!is_loopback(&"http://10.0.0.1/".parse().unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The most redirects [`Scope::redirect_policy`] follows in one chain (reqwest's default).
pub const MAX_REDIRECTS: usize = 10;

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

/// One origin as the middleware compares it: scheme, host and port (the scheme's default
/// when the URL names none), matched against each request without allocating.
#[derive(Clone, PartialEq, Eq)]
struct SignedOrigin {
    scheme: String,
    host: String,
    port: u16,
}

impl SignedOrigin {
    fn of(url: &Url) -> Option<Self> {
        Some(SignedOrigin {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_string(),
            port: url.port_or_known_default()?,
        })
    }

    fn matches(&self, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url.host_str() == Some(self.host.as_str())
            && url.port_or_known_default() == Some(self.port)
    }
}

impl fmt::Debug for SignedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
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
    origins: Vec<SignedOrigin>,
    any: bool,
    insecure_http: bool,
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("Scope(any https or loopback origin)");
        }
        f.debug_list().entries(self.origins.iter()).finish()
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
            insecure_http: false,
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

    /// Adds the origin of a parsed `url`. It must be https, or http on loopback (or
    /// anywhere, after [`allowing_insecure_http`](Self::allowing_insecure_http)).
    pub fn with_url(mut self, url: &Url) -> Result<Self, AuthError> {
        check_endpoint_url("origin", url, self.insecure_http)?;
        let origin = SignedOrigin::of(url)
            .ok_or_else(|| AuthError::invalid_field("origin", "must name a host"))?;
        if !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
        Ok(self)
    }

    /// Also signs plain-HTTP origins off loopback: an explicit opt-in for test setups that
    /// run a fake on another host. Never for production traffic.
    #[must_use]
    pub fn allowing_insecure_http(mut self) -> Self {
        self.insecure_http = true;
        self
    }

    /// Adds every origin of `other`.
    #[must_use]
    pub fn union(mut self, other: &Scope) -> Self {
        self.any |= other.any;
        self.insecure_http |= other.insecure_http;
        for o in &other.origins {
            if !self.origins.contains(o) {
                self.origins.push(o.clone());
            }
        }
        self
    }

    /// A redirect policy for the `reqwest::Client` under the middleware: a chain that starts
    /// inside this scope (a signed request) follows redirects only while they stay inside
    /// it, and hands the first redirect that leaves it back to the caller as the 3xx answer
    /// it is; any other chain is followed as reqwest's default policy does (at most
    /// [`MAX_REDIRECTS`] hops).
    ///
    /// Why: reqwest drops `Authorization` on a cross-host redirect, but not the other
    /// headers a signer adds (`X-SIGNATURE`, `X-PARTNER-ID`, `X-EXTERNAL-ID`, a customer
    /// token…), and a middleware cannot see the hops a client follows. Without this policy
    /// a signed request redirected elsewhere carries those headers there; the middleware
    /// then refuses the answer, but too late.
    ///
    /// ```
    /// use tollgate_auth_core::Scope;
    /// let scope = Scope::origin("https://api.example.com")?;
    /// let http = reqwest::Client::builder()
    ///     .redirect(scope.redirect_policy())
    ///     .build()
    ///     .expect("client");
    /// # let _ = http;
    /// # Ok::<(), tollgate_auth_core::AuthError>(())
    /// ```
    pub fn redirect_policy(&self) -> reqwest::redirect::Policy {
        let scope = self.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(TooManyRedirects);
            }
            let signed = attempt.previous().first().is_some_and(|u| scope.allows(u));
            if signed && !scope.allows(attempt.url()) {
                attempt.stop()
            } else {
                attempt.follow()
            }
        })
    }

    /// Whether a request to `url` is signed: https (or loopback) and one of the origins.
    pub fn allows(&self, url: &Url) -> bool {
        let transport_ok = url.scheme() == "https"
            || (url.scheme() == "http" && (self.insecure_http || is_loopback(url)));
        if !transport_ok {
            return false;
        }
        self.any || self.origins.iter().any(|o| o.matches(url))
    }
}

#[derive(Debug)]
struct TooManyRedirects;

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl std::error::Error for TooManyRedirects {}

/// The origin settings every provider builder shares: which origins its middleware signs
/// for beyond the provider's own, and the plain-HTTP opt-in for test setups.
///
/// ```
/// use tollgate_auth_core::scope::Origins;
/// let mut o = Origins::default();
/// o.allow("https://sandbox.example.com");
/// let base: url::Url = "https://api.example.com/v1/".parse().unwrap();
/// let scope = o.scope("base_url", Some(&base)).unwrap();
/// assert!(scope.allows(&"https://sandbox.example.com/x".parse().unwrap()));
/// assert!(scope.allows(&"https://api.example.com/y".parse().unwrap()));
/// assert!(!scope.allows(&"https://other.example.com/".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Origins {
    extra: Vec<String>,
    insecure_http: bool,
    any: bool,
}

impl Origins {
    /// Also signs requests to the origin of `url`.
    pub fn allow(&mut self, url: impl Into<String>) {
        self.extra.push(url.into());
    }

    /// Signs requests to every https (or loopback) origin: an explicit opt-in for clients
    /// that call nothing but the provider (a command-line tool signing the URL it was
    /// given). Prefer [`allow`](Self::allow).
    pub fn allow_any(&mut self, any: bool) {
        self.any = any;
    }

    /// Accepts plain-HTTP token URLs and signs plain-HTTP origins off loopback (test setups
    /// only).
    pub fn allow_insecure_http(&mut self, allow: bool) {
        self.insecure_http = allow;
    }

    /// Whether plain HTTP off loopback was allowed.
    pub fn insecure_http(&self) -> bool {
        self.insecure_http
    }

    /// Checks a token or login URL with [`check_endpoint_url`].
    pub fn check_endpoint(&self, field: &'static str, url: &Url) -> Result<(), AuthError> {
        check_endpoint_url(field, url, self.insecure_http)
    }

    /// The scope: `base` (the provider's configured API URL, if any) plus every allowed
    /// origin. Empty is an error naming `field`: a middleware that signs nothing is a
    /// mistake, not a configuration.
    pub fn scope(&self, field: &'static str, base: Option<&Url>) -> Result<Scope, AuthError> {
        let mut scope = Scope::none();
        if self.insecure_http {
            scope = scope.allowing_insecure_http();
        }
        if let Some(b) = base {
            scope = scope
                .with_url(b)
                .map_err(|e| AuthError::invalid_field(field, e.message().to_string()))?;
        }
        for o in &self.extra {
            scope = scope.with_origin(o)?;
        }
        if self.any {
            scope = scope.union(&Scope::any());
        }
        if scope.origins.is_empty() && !scope.any {
            return Err(AuthError::invalid_field(
                field,
                "no origin to sign for: set the provider's API URL, or allow_origin(url)",
            ));
        }
        Ok(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn origins_match_by_scheme_host_and_effective_port() {
        let scope = Scope::origin("https://api.example.com/base/").expect("scope");
        assert!(scope.allows(&url("https://api.example.com:443/other?q=1")));
        assert!(
            scope.allows(&url("https://API.example.com/x")),
            "hosts are case-folded"
        );
        assert!(!scope.allows(&url("https://api.example.com:8443/x")));
        assert!(!scope.allows(&url("https://api.example.com.evil.net/x")));
        assert!(!scope.allows(&url("https://evil.net/api.example.com")));
        let local = Scope::origin("http://127.0.0.1:8080").expect("loopback");
        assert!(local.allows(&url("http://127.0.0.1:8080/x")));
        assert!(!local.allows(&url("http://127.0.0.1:8081/x")));
        let v6 = Scope::origin("http://[::1]:9000").expect("v6");
        assert!(v6.allows(&url("http://[::1]:9000/x")));
        assert!(Scope::origin("data:text/plain,hi").is_err());
    }
}
