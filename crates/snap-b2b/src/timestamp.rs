use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The zone designator of `X-TIMESTAMP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

    fn offset(self) -> UtcOffset {
        // Within ±23:59 after the clamp, so always a valid offset.
        UtcOffset::from_whole_seconds(self.minutes() * 60).unwrap_or(UtcOffset::UTC)
    }
}

/// How `X-TIMESTAMP` is written. The default is `yyyy-MM-ddTHH:mm:ss+07:00` (Jakarta time,
/// whole seconds), the form of the SNAP specification's examples and most providers.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tollgate_snap_b2b::{TimestampFormat, Zone};
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
    /// Writes `t` in this format (read to the millisecond; a reading beyond the years
    /// `time` represents is written as the nearest one it does).
    pub fn format(&self, t: SystemTime) -> String {
        let mut out = Vec::with_capacity(32);
        self.write_into(t, &mut out);
        // Only ASCII digits and separators are written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`format`](Self::format) appended to `out` (no allocation beyond `out`'s growth).
    pub(crate) fn write_into(&self, t: SystemTime, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let offset = self.zone.offset();
        let local = OffsetDateTime::UNIX_EPOCH
            .checked_add(time::Duration::milliseconds(signed_millis(t)))
            .and_then(|utc| utc.checked_to_offset(offset))
            .unwrap_or_else(|| {
                let edge = if t < UNIX_EPOCH {
                    PrimitiveDateTime::MIN
                } else {
                    PrimitiveDateTime::MAX
                };
                edge.assume_offset(offset)
            });
        // Writing to a Vec cannot fail.
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute(),
            local.second()
        );
        if self.millis {
            let _ = write!(out, ".{:03}", local.millisecond());
        }
        match self.zone {
            Zone::Utc => out.push(b'Z'),
            Zone::Offset(_) => {
                let sign = if offset.is_negative() { '-' } else { '+' };
                let (h, m, _) = offset.as_hms();
                let _ = write!(out, "{sign}{:02}:{:02}", h.abs(), m.abs());
            }
        }
    }
}

/// Whole milliseconds since the epoch, truncated toward the epoch.
fn signed_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Why an `X-TIMESTAMP` value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed X-TIMESTAMP: {0}")]
pub struct TimestampError(&'static str);

/// Reads an `X-TIMESTAMP` in any of the forms providers use: `yyyy-MM-ddTHH:mm:ss`,
/// optionally followed by a fraction (`.S` to `.SSSSSSSSS`, read to the millisecond), then
/// `Z` or `±HH:MM`.
///
/// ```
/// use tollgate_snap_b2b::parse_timestamp;
/// let a = parse_timestamp("2020-01-01T00:00:00+07:00").unwrap();
/// let b = parse_timestamp("2019-12-31T17:00:00.000Z").unwrap();
/// assert_eq!(a, b);
/// assert!(parse_timestamp("2020-02-30T00:00:00Z").is_err());
/// ```
///
/// `X-TIMESTAMP` formatting and parsing; the calendar is the `time` crate's.
///
/// SNAP signs the `X-TIMESTAMP` header value byte for byte, so the format must match what
/// the provider expects exactly. Providers differ: most want Jakarta local time with an
/// offset (`2020-01-01T00:00:00+07:00`, the default here), some want UTC with `Z`, some
/// want milliseconds. [`TimestampFormat`] covers every combination; [`parse_timestamp`]
/// accepts all of them.
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
    let year = num(0..4)?;
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
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(TimestampError("no such date"))?;
    // Four digits: always a year `time` represents.
    let date = Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|_| TimestampError("no such date"))?;
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
    let time = Time::from_hms_milli(hour as u8, minute as u8, second as u8, millis as u16)
        .map_err(|_| TimestampError("no such time"))?;
    let at = PrimitiveDateTime::new(date, time).assume_offset(UtcOffset::UTC);
    let utc_ms = (at.unix_timestamp_nanos() / 1_000_000) as i64 - offset_minutes * 60_000;
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
    fn formats_across_the_calendar() {
        let f = TimestampFormat {
            zone: Zone::Utc,
            millis: false,
        };
        assert_eq!(f.format(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(11_016 * 86_400);
        assert_eq!(f.format(leap), "2000-02-29T00:00:00Z");
        let before = UNIX_EPOCH - Duration::from_millis(1);
        let ms = TimestampFormat {
            zone: Zone::Offset(-90),
            millis: true,
        };
        assert_eq!(ms.format(before), "1969-12-31T22:29:59.999-01:30");
        assert_eq!(parse_timestamp(&ms.format(before)).expect("parse"), before);
        assert_eq!(
            parse_timestamp("0000-03-01T00:00:00Z").expect("year 0"),
            UNIX_EPOCH - Duration::from_secs(719_468 * 86_400)
        );
        for y in [1900, 2000, 2023, 2024, 2100] {
            for m in 1..=12u8 {
                let month = Month::try_from(m).expect("month");
                let last = month.length(y);
                let ok = format!("{y:04}-{m:02}-{last:02}T12:00:00Z");
                assert!(parse_timestamp(&ok).is_ok(), "{ok}");
                let bad = format!("{y:04}-{m:02}-{:02}T12:00:00Z", last + 1);
                assert!(parse_timestamp(&bad).is_err(), "{bad}");
            }
        }
        // Far beyond the representable years: written, not a panic.
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert!(f.format(far).ends_with("-12-31T23:59:59Z"));
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
