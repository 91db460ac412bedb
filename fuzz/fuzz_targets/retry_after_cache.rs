//! `Retry-After` and the cache arithmetic behind it. The input picks a header value (any
//! bytes), a clock reading, a token lifetime and the cache's margin, buffer, cap and
//! backoff; the cache then fetches a token (or fails with that `Retry-After`). Must never
//! panic or overflow; the hint is capped at one hour; the token's times keep their order;
//! a failure's backoff is handed back with the wait it promised.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use auth_core::error::{MAX_RETRY_AFTER, retry_after_header_at};
use auth_core::{
    AuthError, CacheConfig, ErrorKind, FetchContext, FetchedToken, ManualClock, TokenCache,
    TokenSource,
};
use libfuzzer_sys::fuzz_target;

struct Once {
    lifetime: Duration,
    fail_with: Option<Option<Duration>>,
}

impl TokenSource for Once {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        match self.fail_with {
            Some(after) => {
                let e = AuthError::new(ErrorKind::ServerError, "fuzzed failure");
                Err(match after {
                    Some(a) => e.with_retry_after(a),
                    None => e,
                })
            }
            None => Ok(FetchedToken::new("fuzz-token", self.lifetime)),
        }
    }
}

fn u64_at(data: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    for (k, x) in b.iter_mut().enumerate() {
        *x = data.get(i * 8 + k).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 49 {
        return;
    }
    let (nums, header) = data.split_at(49);
    let flags = nums[48];
    // A clock anywhere a SystemTime can stand (plus or minus 2^40 s around the epoch).
    let now_secs = u64_at(nums, 0) % (1 << 41);
    let now = UNIX_EPOCH + Duration::from_secs(now_secs);
    let lifetime =
        Duration::from_nanos(u64_at(nums, 1)).saturating_mul(1 + u32::from(flags & 0x0f));
    let margin = Duration::from_millis(u64_at(nums, 2));
    let buffer = Duration::from_millis(u64_at(nums, 3));
    let max_life = if flags & 0x10 != 0 {
        Duration::MAX
    } else {
        Duration::from_secs(u64_at(nums, 4))
    };
    let backoff = Duration::from_millis(u64_at(nums, 5) % 10_000_000);

    // The header, in any bytes the http crate lets through.
    let mut headers = http::HeaderMap::new();
    let hint = http::HeaderValue::from_bytes(header).ok().and_then(|v| {
        headers.insert(http::header::RETRY_AFTER, v);
        retry_after_header_at(&headers, now)
    });
    assert!(hint.is_none_or(|d| d <= MAX_RETRY_AFTER));
    let e = AuthError::from_status(
        "fuzz",
        http::StatusCode::SERVICE_UNAVAILABLE,
        Some(&headers),
    );
    if hint.is_some() && header.iter().all(|b| b.is_ascii_digit()) {
        assert_eq!(e.retry_after(), hint);
    }

    let clock = ManualClock::new(now);
    let cfg = CacheConfig::without_jitter()
        .with_refresh_margin(margin)
        .with_expiry_buffer(buffer)
        .with_max_lifetime(max_life)
        .with_backoff(backoff, backoff.saturating_mul(4));
    let fail = flags & 0x20 != 0;
    let source = Once {
        lifetime,
        fail_with: fail.then_some(hint),
    };
    let cache = TokenCache::with_config(source, clock.shared(), cfg);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    match rt.block_on(cache.token()) {
        Ok(t) => {
            assert!(!fail);
            let expires = t.expires_at().expect("a lifetime");
            let usable = t.usable_until().expect("a lifetime");
            let refresh = t.refresh_at().expect("a lifetime");
            assert!(t.received_at() <= refresh && refresh <= usable && usable <= expires);
            assert_eq!(expires, now + lifetime.min(max_life));
        }
        Err(e) if fail => {
            assert_eq!(e.kind(), ErrorKind::ServerError);
            // Inside the backoff the failure comes back with the time left, never more
            // than the longer of the backoff and the hint.
            if let Err(again) = rt.block_on(cache.token()) {
                let left = again.retry_after().unwrap_or_default();
                let bound = backoff.max(hint.unwrap_or_default());
                assert!(left <= bound, "{left:?} > {bound:?}");
            }
            assert_eq!(
                cache.fetches_started(),
                1 + u64::from(backoff.max(hint.unwrap_or_default()).is_zero())
            );
        }
        // Only an expiry out of range may refuse a token the source handed over.
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            assert!(now.checked_add(lifetime.min(max_life)).is_none());
        }
    }
});
