//! `X-TIMESTAMP` formatting and parsing, without a date crate.
//!
//! SNAP signs the `X-TIMESTAMP` header value byte for byte, so the format must match what
//! the provider expects exactly. Providers differ: most want Jakarta local time with an
//! offset (`2020-01-01T00:00:00+07:00`, the default here), some want UTC with `Z`, some
//! want milliseconds. [`TimestampFormat`] covers every combination; [`parse_timestamp`]
//! accepts all of them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The zone designator of `X-TIMESTAMP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    /// UTC written as `Z`.
    Utc,
    /// A fixed offset from UTC in minutes, written `+HH:MM` / `-HH:MM` (`+00:00` for 0).
    /// Must lie within ±23:59; values outside are clamped.
    Offset(i32),
}

impl Zone {
    /// Western Indonesia Time, `+07:00` (the SNAP default).
    pub const JAKARTA: Zone = Zone::Offset(7 * 60);

    fn minutes(self) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Offset(m) => m.clamp(-(24 * 60 - 1), 24 * 60 - 1),
        }
    }
}

/// How `X-TIMESTAMP` is written. The default is `yyyy-MM-ddTHH:mm:ss+07:00` (Jakarta time,
/// whole seconds), the form of the SNAP specification's examples and most providers.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tollgate_snap_b2b::timestamp::{TimestampFormat, Zone};
/// let t = UNIX_EPOCH + Duration::from_millis(1_577_811_600_123);
/// assert_eq!(TimestampFormat::default().format(t), "2020-01-01T00:00:00+07:00");
/// let utc_ms = TimestampFormat { zone: Zone::Utc, millis: true };
/// assert_eq!(utc_ms.format(t), "2019-12-31T17:00:00.123Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampFormat {
    /// The zone the time is written in.
    pub zone: Zone,
    /// Whether to write milliseconds (`.SSS`).
    pub millis: bool,
}

impl Default for TimestampFormat {
    fn default() -> Self {
        TimestampFormat {
            zone: Zone::JAKARTA,
            millis: false,
        }
    }
}

impl TimestampFormat {
    /// Writes `t` in this format.
    pub fn format(&self, t: SystemTime) -> String {
        let ms = signed_millis(t);
        let offset = i64::from(self.zone.minutes());
        let local_ms = ms + offset * 60_000;
        let days = local_ms.div_euclid(86_400_000);
        let ms_of_day = local_ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
        let mut out = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}");
        if self.millis {
            out.push_str(&format!(".{:03}", ms_of_day % 1000));
        }
        match self.zone {
            Zone::Utc => out.push('Z'),
            Zone::Offset(_) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let a = offset.abs();
                out.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
            }
        }
        out
    }
}

fn signed_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01 (inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Why an `X-TIMESTAMP` value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampError(&'static str);

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed X-TIMESTAMP: {}", self.0)
    }
}

impl std::error::Error for TimestampError {}

/// Reads an `X-TIMESTAMP` in any of the forms providers use: `yyyy-MM-ddTHH:mm:ss`,
/// optionally followed by a fraction (`.S` to `.SSSSSSSSS`, read to the millisecond), then
/// `Z` or `±HH:MM`.
///
/// ```
/// use tollgate_snap_b2b::timestamp::parse_timestamp;
/// let a = parse_timestamp("2020-01-01T00:00:00+07:00").unwrap();
/// let b = parse_timestamp("2019-12-31T17:00:00.000Z").unwrap();
/// assert_eq!(a, b);
/// assert!(parse_timestamp("2020-02-30T00:00:00Z").is_err());
/// ```
pub fn parse_timestamp(s: &str) -> Result<SystemTime, TimestampError> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err(TimestampError("too short"));
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, TimestampError> {
        let part = &b[r];
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
        } else {
            Err(TimestampError("expected digits"))
        }
    };
    let sep = |i: usize, c: u8| {
        if b[i] == c {
            Ok(())
        } else {
            Err(TimestampError("unexpected separator"))
        }
    };
    let year = i64::from(num(0..4)?);
    sep(4, b'-')?;
    let month = num(5..7)?;
    sep(7, b'-')?;
    let day = num(8..10)?;
    sep(10, b'T')?;
    let hour = num(11..13)?;
    sep(13, b':')?;
    let minute = num(14..16)?;
    sep(16, b':')?;
    let second = num(17..19)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(TimestampError("no such date"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(TimestampError("no such time"));
    }
    let mut i = 19;
    let mut millis = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let digits = end - start;
        if digits == 0 || digits > 9 {
            return Err(TimestampError("bad fraction of a second"));
        }
        for k in 0..3 {
            millis = millis * 10
                + if start + k < end {
                    u32::from(b[start + k] - b'0')
                } else {
                    0
                };
        }
        i = end;
    }
    let offset_minutes: i64 = match &b[i..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(TimestampError("bad zone offset"));
            }
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 23 || m > 59 {
                return Err(TimestampError("bad zone offset"));
            }
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        _ => return Err(TimestampError("expected Z or ±HH:MM after the time")),
    };
    let days = days_from_civil(year, month, day);
    let local_secs =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let utc_ms = (local_secs - offset_minutes * 60) * 1000 + i64::from(millis);
    Ok(if utc_ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(utc_ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(utc_ms.unsigned_abs())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000i64..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn format_then_parse_is_identity_to_the_precision() {
        let t = UNIX_EPOCH + Duration::from_millis(1_709_271_296_789);
        for zone in [
            Zone::Utc,
            Zone::JAKARTA,
            Zone::Offset(-330),
            Zone::Offset(0),
        ] {
            let f = TimestampFormat { zone, millis: true };
            assert_eq!(parse_timestamp(&f.format(t)).expect("parse"), t);
            let f = TimestampFormat {
                zone,
                millis: false,
            };
            let whole = UNIX_EPOCH + Duration::from_secs(1_709_271_296);
            assert_eq!(parse_timestamp(&f.format(t)).expect("parse"), whole);
        }
        assert_eq!(
            TimestampFormat {
                zone: Zone::Offset(0),
                millis: false
            }
            .format(UNIX_EPOCH),
            "1970-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2020-01-01 00:00:00+07:00",
            "2020-01-01T00:00:00",
            "2020-13-01T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:00:00+7:00",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00+07:00 ",
            "2020-01-01T00:00:00+24:00",
            "２020-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }
}
