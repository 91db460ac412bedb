//! V5's `expire_time` parser (`parse_naive_datetime`) with any text and any fixed zone.
//! Must never panic or overflow; a date read in a zone is the same date read in UTC moved
//! by the zone's offset.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use v5_openapi::ExpireTimeZone;
use v5_openapi::parse_naive_datetime;

fuzz_target!(|data: &[u8]| {
    let Some((off, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let offset = i32::from_le_bytes(*off);
    let text = String::from_utf8_lossy(rest);
    let zoned = parse_naive_datetime(&text, ExpireTimeZone::FixedOffset(offset));
    let utc = parse_naive_datetime(&text, ExpireTimeZone::Utc);
    if let (Some(_), None) = (zoned, utc) {
        // Before the epoch in UTC, after it in a zone west of Greenwich.
        assert!(offset < 0, "{text:?} is a date in a zone but not in UTC");
    }
    if let (Some(z), Some(u)) = (zoned, utc) {
        let shift = Duration::from_secs(u64::from(offset.unsigned_abs()));
        if offset >= 0 {
            assert_eq!(z + shift, u);
        } else {
            assert_eq!(z, u + shift);
        }
    }
});
