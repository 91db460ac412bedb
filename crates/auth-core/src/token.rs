//! Tokens and the sources that produce them.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use std::sync::OnceLock;

use http::HeaderValue;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use crate::clock::SharedClock;
use crate::error::{AuthError, ErrorKind};

/// A token as a [`TokenSource`] hands it over: the secret value and how long it lives,
/// counted from when it is received (never from the server's clock).
pub struct FetchedToken {
    /// The token (a JWT, an opaque access token…).
    pub value: SecretString,
    /// Its lifetime from local receive time; `None` for tokens that do not expire on their
    /// own (they live until [`TokenCache::invalidate`](crate::TokenCache::invalidate)).
    pub lifetime: Option<Duration>,
}

impl FetchedToken {
    /// A token with a known lifetime.
    pub fn new(value: impl Into<String>, lifetime: Duration) -> Self {
        FetchedToken {
            value: SecretString::from(value.into()),
            lifetime: Some(lifetime),
        }
    }

    /// A token that lives until invalidated.
    pub fn without_expiry(value: impl Into<String>) -> Self {
        FetchedToken {
            value: SecretString::from(value.into()),
            lifetime: None,
        }
    }
}

impl fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedToken")
            .field("value", &crate::Redacted)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// What a token source may look at while fetching.
#[derive(Debug, Clone)]
pub struct FetchContext {
    /// The clock every time decision uses (JWT `iat`, signed timestamps).
    pub clock: SharedClock,
}

/// Where tokens come from: a provider's token endpoint, or a local signer that mints a JWT.
///
/// The cache calls `fetch` at most once at a time per cache, on a task of its own, so an
/// implementation needs no locking of its own.
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a fresh token.
    fn fetch(
        &self,
        cx: &FetchContext,
    ) -> impl Future<Output = Result<FetchedToken, AuthError>> + Send;
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The longest token accepted from a server, in bytes (16 KiB): a larger "token" is an
/// invalid response, not something to send on every request.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Checks that a token handed over by a server can travel in an HTTP header: 1 to
/// [`MAX_TOKEN_LEN`] visible ASCII characters (RFC 6750's `b64token` and every JWT fit).
/// Anything else is the server's fault: an [`ErrorKind::InvalidResponse`] error that never
/// repeats the value.
pub fn check_token_value(value: &str) -> Result<(), AuthError> {
    if value.is_empty() {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            "the server returned an empty token",
        ));
    }
    if value.len() > MAX_TOKEN_LEN {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            format!("the server returned a token longer than {MAX_TOKEN_LEN} bytes"),
        ));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            "the server returned a token with spaces, control or non-ASCII characters, \
             which cannot be sent in an HTTP header",
        ));
    }
    Ok(())
}

/// How a token's times are derived from its lifetime (see [`CacheConfig`](crate::CacheConfig)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Refresh this long before expiry (margin + this token's jitter); at most half the
    /// lifetime.
    pub refresh_ahead: Duration,
    /// Stop handing the token out this long before expiry; at most a quarter of the lifetime.
    pub expiry_buffer: Duration,
    /// Longest lifetime believed.
    pub max_lifetime: Duration,
}

impl Timing {
    /// `(usable_until, refresh_at)` offsets before expiry for a token of full lifetime `full`.
    pub(crate) fn before_expiry(&self, full: Duration) -> (Duration, Duration) {
        let buffer = self.expiry_buffer.min(full / 4);
        let ahead = self.refresh_ahead.min(full / 2).max(buffer);
        (buffer, ahead)
    }
}

/// A token held by the cache, with the times that govern it.
///
/// The cache knows nothing of header schemes: a signer turns the token into its header with
/// [`header_with`](Self::header_with), which remembers the result for the token's life.
pub struct CachedToken {
    id: u64,
    value: SecretString,
    /// The header value signers derive from the token, one copy per stripe of threads
    /// (see [`header_with`](Self::header_with)).
    header: [OnceLock<HeaderValue>; HEADER_STRIPES],
    received_at: SystemTime,
    expires_at: Option<SystemTime>,
    usable_until: Option<SystemTime>,
    refresh_at: Option<SystemTime>,
    /// The earlier of `usable_until` and `refresh_at`: before it the token is valid and not
    /// yet due for a refresh (one comparison on the cache's warm read).
    warm_until: Option<SystemTime>,
}

/// How many copies of a token's header value threads are spread over. Bench: two tasks
/// signing went from 0.68× one task (one shared reference count) to 1.85–1.98× (floor 2.0×).
const HEADER_STRIPES: usize = 4;

/// This thread's stripe: threads take stripes in turn, in the order they first ask.
#[inline]
fn thread_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE.with(|s| {
        let mut i = s.get();
        if i == usize::MAX {
            i = NEXT.fetch_add(1, Ordering::Relaxed) % HEADER_STRIPES;
            s.set(i);
        }
        i
    })
}

impl CachedToken {
    /// A token with `remaining` life left, counted from `received_at` (see
    /// [`received_at`](Self::received_at)), out of a full lifetime of `full` (the same for a token fresh from its source; longer for one taken from a
    /// shared store). Lifetimes are clamped to `timing.max_lifetime`; every addition is
    /// checked.
    pub(crate) fn new(
        value: SecretString,
        remaining: Option<Duration>,
        full: Option<Duration>,
        received_at: SystemTime,
        timing: &Timing,
    ) -> Result<Self, AuthError> {
        check_token_value(value.expose_secret())?;
        let (expires_at, usable_until, refresh_at) = match remaining {
            Some(left) => {
                let left = left.min(timing.max_lifetime);
                let full = full
                    .unwrap_or(left)
                    .clamp(left, timing.max_lifetime.max(left));
                let (buffer, ahead) = timing.before_expiry(full);
                let expires = received_at.checked_add(left).ok_or_else(|| {
                    AuthError::new(ErrorKind::InvalidResponse, "token expiry is out of range")
                })?;
                let floor = |d: Duration| {
                    expires
                        .checked_sub(d)
                        .map_or(received_at, |t| t.max(received_at))
                };
                (Some(expires), Some(floor(buffer)), Some(floor(ahead)))
            }
            None => (None, None, None),
        };
        Ok(CachedToken {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value,
            header: [const { OnceLock::new() }; HEADER_STRIPES],
            received_at,
            expires_at,
            usable_until,
            refresh_at,
            warm_until: match (usable_until, refresh_at) {
                (Some(u), Some(r)) => Some(u.min(r)),
                (u, r) => u.or(r),
            },
        })
    }

    /// The token itself (SNAP signs it into each request).
    pub fn secret(&self) -> &SecretString {
        &self.value
    }

    /// The header value a signer derives from this token (for example `Bearer <token>`),
    /// built by `make` on first use and remembered for the token's life. The result is
    /// marked sensitive.
    ///
    /// Each request holds a clone of the value, and cloning it writes a reference count.
    /// So that threads on different cores do not all write one count (measured: two tasks
    /// signed no faster than one), threads are spread over four copies, each
    /// built on first use by a thread of its stripe; all are dropped with the token.
    pub fn header_with(
        &self,
        make: impl FnOnce(&str) -> Result<HeaderValue, AuthError>,
    ) -> Result<HeaderValue, AuthError> {
        let slot = &self.header[thread_stripe()];
        if let Some(h) = slot.get() {
            return Ok(h.clone());
        }
        let mut h = make(self.value.expose_secret())?;
        // The copy kept is held by an owner that wipes it when the last request holding it
        // is dropped, and whose clones only count references (a vector-backed value checks
        // on each clone whether it was promoted to shared). Bench: part of the warm signature
        // going from 893 to 854 instructions (DragonPass).
        let kept = Zeroizing::new(h.as_bytes().to_vec());
        if let Ok(owned) = HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(kept)) {
            h = owned;
        }
        h.set_sensitive(true);
        Ok(slot.get_or_init(|| h).clone())
    }

    /// The header value [`header_with`](Self::header_with) built for this thread's stripe,
    /// if it has been built (the signer's warm path; the slow path builds it).
    #[inline]
    pub(crate) fn built_header(&self) -> Option<HeaderValue> {
        self.header[thread_stripe()].get().cloned()
    }

    /// The moment its lifetime counts from, by the cache's clock: when its request was sent
    /// (the server counts from some moment after that, so a slow answer cannot carry the
    /// token past the server's expiry), or when it was read from a shared store.
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// When the token expires, if it does.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When the cache stops handing the token out (the expiry buffer before
    /// [`expires_at`](Self::expires_at)).
    pub fn usable_until(&self) -> Option<SystemTime> {
        self.usable_until
    }

    /// When the cache starts refreshing it in the background.
    pub fn refresh_at(&self) -> Option<SystemTime> {
        self.refresh_at
    }

    /// Whether the cache still hands the token out at `now` (before
    /// [`usable_until`](Self::usable_until)).
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.usable_until.is_none_or(|e| now < e)
    }

    /// Whether the token should be refreshed at `now` (it may still be valid).
    pub fn needs_refresh_at(&self, now: SystemTime) -> bool {
        self.refresh_at.is_some_and(|r| now >= r)
    }

    /// Whether the token is valid at `now` and not yet due for a refresh: the same as
    /// `is_valid_at(now) && !needs_refresh_at(now)`, in one comparison.
    #[inline]
    pub(crate) fn is_warm_at(&self, now: SystemTime) -> bool {
        self.warm_until.is_none_or(|w| now < w)
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &crate::Redacted)
            .field("received_at", &self.received_at)
            .field("expires_at", &self.expires_at)
            .field("usable_until", &self.usable_until)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            refresh_ahead: Duration::from_secs(60),
            expiry_buffer: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(24 * 3600),
        }
    }

    #[test]
    fn huge_lifetime_is_clamped_not_a_panic() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tok = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::from_secs(u64::MAX)),
            None,
            t0,
            &timing(),
        )
        .expect("clamped");
        assert_eq!(tok.expires_at(), Some(t0 + Duration::from_secs(24 * 3600)));
        // Even at the far end of SystemTime's range nothing panics.
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2);
        let _ = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::MAX),
            Some(Duration::MAX),
            far,
            &timing(),
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]
        /// The warm read's single comparison agrees with the two checks it stands for,
        /// whichever of the buffer and the refresh point comes first.
        #[test]
        fn warm_is_valid_and_not_due(
            life in proptest::option::of(0u64..100_000),
            full in proptest::option::of(0u64..200_000),
            ahead in 0u64..50_000,
            buffer in 0u64..50_000,
            at in 0u64..300_000,
        ) {
            let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let timing = Timing {
                refresh_ahead: Duration::from_secs(ahead),
                expiry_buffer: Duration::from_secs(buffer),
                max_lifetime: Duration::from_secs(24 * 3600),
            };
            let tok = CachedToken::new(
                SecretString::from("tok".to_string()),
                life.map(Duration::from_secs),
                full.map(Duration::from_secs),
                t0,
                &timing,
            )
            .expect("token");
            for now in [at, at.saturating_sub(1), at + 1].map(|s| t0 + Duration::from_secs(s)) {
                proptest::prop_assert_eq!(
                    tok.is_warm_at(now),
                    tok.is_valid_at(now) && !tok.needs_refresh_at(now)
                );
            }
        }
    }

    #[test]
    fn header_is_built_once_per_stripe_and_the_same_everywhere() {
        let tok = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::from_secs(600)),
            None,
            SystemTime::UNIX_EPOCH,
            &timing(),
        )
        .expect("token");
        let built = AtomicUsize::new(0);
        let make = |t: &str| {
            built.fetch_add(1, Ordering::Relaxed);
            HeaderValue::try_from(format!("Bearer {t}"))
                .map_err(|_| AuthError::new(ErrorKind::InvalidResponse, "bad"))
        };
        std::thread::scope(|s| {
            for _ in 0..3 * HEADER_STRIPES {
                s.spawn(|| {
                    for _ in 0..3 {
                        let h = tok.header_with(make).expect("header");
                        assert_eq!(h.as_bytes(), b"Bearer tok");
                        assert!(h.is_sensitive());
                    }
                });
            }
        });
        let n = built.load(Ordering::Relaxed);
        assert!((1..=HEADER_STRIPES).contains(&n), "built {n} times");
    }

    #[test]
    fn threads_take_different_copies_of_the_header() {
        let tok = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::from_secs(600)),
            None,
            SystemTime::UNIX_EPOCH,
            &timing(),
        )
        .expect("token");
        let make = |t: &str| {
            HeaderValue::try_from(format!("Bearer {t}"))
                .map_err(|_| AuthError::new(ErrorKind::InvalidResponse, "bad"))
        };
        // Threads started one after another take stripes in turn, so their clones do not
        // all count references on one buffer (other tests' threads may take stripes in
        // between, but not so that all of these land on one).
        let buffers: std::collections::BTreeSet<usize> = (0..2 * HEADER_STRIPES)
            .map(|_| {
                std::thread::scope(|s| {
                    s.spawn(|| tok.header_with(make).expect("header").as_bytes().as_ptr() as usize)
                        .join()
                        .expect("thread")
                })
            })
            .collect();
        assert!(buffers.len() > 1, "every thread shares one header buffer");
        // A thread reads its own stripe's copy again, the one the warm path takes.
        let own = tok.header_with(make).expect("header");
        let built = tok.built_header().expect("built for this thread's stripe");
        assert_eq!(own.as_bytes().as_ptr(), built.as_bytes().as_ptr());
        assert!(built.is_sensitive());
    }

    #[test]
    fn malformed_server_token_is_an_invalid_response() {
        for bad in ["with space", "tab\there", "nl\n", "caf\u{e9}", ""] {
            let e = CachedToken::new(
                SecretString::from(bad.to_string()),
                Some(Duration::from_secs(60)),
                None,
                SystemTime::UNIX_EPOCH,
                &timing(),
            )
            .expect_err(bad);
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{bad:?}");
            assert_eq!(e.field(), None);
        }
    }

    #[test]
    fn expiry_buffer_and_refresh_point() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tok = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::from_secs(600)),
            None,
            t0,
            &timing(),
        )
        .expect("token");
        assert!(tok.is_valid_at(t0 + Duration::from_secs(589)));
        assert!(!tok.is_valid_at(t0 + Duration::from_secs(590)));
        assert_eq!(tok.refresh_at(), Some(t0 + Duration::from_secs(540)));
        // A short token: buffer at most a quarter, refresh at most half-way.
        let short = CachedToken::new(
            SecretString::from("tok".to_string()),
            Some(Duration::from_secs(20)),
            None,
            t0,
            &timing(),
        )
        .expect("token");
        assert_eq!(short.usable_until(), Some(t0 + Duration::from_secs(15)));
        assert_eq!(short.refresh_at(), Some(t0 + Duration::from_secs(10)));
    }
}
