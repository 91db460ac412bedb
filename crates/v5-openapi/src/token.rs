use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::clock::unix_seconds;
use auth_core::{AuthError, FetchContext, FetchedToken, TokenSource};
use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time};
use url::Url;

use crate::credentials::V5Credentials;
use crate::error::parse_envelope;
use auth_core::Origin;

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/api/v5/authentication/token";
/// Path of the verify endpoint.
pub const VERIFY_PATH: &str = "/api/v5/authentication/verify";
/// The documented token lifetime: 2 hours.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// The token request body. `time_stamp` is sent as a JSON number of seconds, as in the
/// provider's Python sample (its parameter table says "String"; its examples send a number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// The application id (the documentation's `user_id`).
    pub app_id: String,
    /// Seconds since the Unix epoch, from the injected clock.
    pub time_stamp: u64,
    /// `hex(sha256(app_id + time_stamp + app_secret))`.
    pub signature: String,
}

/// The `data` of a successful token response.
#[derive(Clone, Deserialize)]
pub struct TokenData {
    /// The OpenAPI token.
    pub token: String,
    /// The server's idea of the expiry, without a time zone. Information only.
    #[serde(default)]
    pub expire_time: Option<String>,
}

impl fmt::Debug for TokenData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenData")
            .field("token", &auth_core::Redacted)
            .field("expire_time", &self.expire_time)
            .finish()
    }
}

/// The `data` of a successful `GET /api/v5/authentication/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyData {
    /// The application id the token belongs to.
    pub app_id: String,
    /// The verification result (`"success"`).
    pub result: String,
    /// The server's time of verification (no time zone), as sent.
    pub time: String,
}

/// The time zone `expire_time` is read in. The provider does not document it; the default
/// is UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExpireTimeZone {
    /// Read as UTC (the default).
    #[default]
    Utc,
    /// Read as local time at a fixed offset, in seconds east of UTC (China Standard Time
    /// is `FixedOffset(8 * 3600)`).
    FixedOffset(i32),
}

impl ExpireTimeZone {
    fn offset_seconds(self) -> i64 {
        match self {
            ExpireTimeZone::Utc => 0,
            ExpireTimeZone::FixedOffset(s) => i64::from(s),
        }
    }
}

/// Parses a naive datetime `YYYY-MM-DDTHH:MM:SS[.fraction]` (a space may replace the `T`)
/// in `zone`. Returns `None` for anything else, or for times before the Unix epoch.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tollgate_v5_openapi::{ExpireTimeZone, parse_naive_datetime};
/// let t = parse_naive_datetime("2023-11-10T18:43:23.232093", ExpireTimeZone::Utc).expect("valid");
/// assert_eq!(t, UNIX_EPOCH + Duration::from_micros(1_699_641_803_232_093));
/// assert!(parse_naive_datetime("10/11/2023", ExpireTimeZone::Utc).is_none());
/// ```
pub fn parse_naive_datetime(s: &str, zone: ExpireTimeZone) -> Option<SystemTime> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()?;
    // A leap second (`:60`) is read as the first second of the next minute.
    let leap = second == 60;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(if leap { 59 } else { second }).ok()?,
    )
    .ok()?;
    let mut micros: i64 = 0;
    if b.len() > 19 {
        if b[19] != b'.' || b.len() == 20 {
            return None;
        }
        let frac = &b[20..];
        if !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for i in 0..6 {
            micros = micros * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
        }
    }
    let local = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    let secs = local + i64::from(leap) - zone.offset_seconds();
    let total = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    let total = u64::try_from(total).ok()?;
    Some(UNIX_EPOCH + Duration::from_micros(total))
}

/// Fetches tokens from `POST /api/v5/authentication/token`: a [`TokenSource`] cached by
/// auth-core's [`TokenCache`](auth_core::TokenCache).
///
/// Usually built for you by [`V5Auth::builder`](crate::V5Auth::builder); build one directly
/// to use the token without the middleware.
///
/// **Lifetime.** The provider documents tokens as "valid within 2 hours". The cache counts
/// that lifetime ([`DEFAULT_TOKEN_LIFETIME`], configurable) from the moment the token request
/// is sent, by the injected clock. The response's `expire_time` has no time zone
/// (`"2023-11-10T18:43:23.232093"`); it is parsed only as information, in the zone set with
/// [`ExpireTimeZone`] (default UTC, because the provider does not say), made available
/// through [`V5TokenSource::last_expire_time`], and never used to decide expiry.
pub struct V5TokenSource {
    pub(crate) http: reqwest::Client,
    token_url: Url,
    pub(crate) verify_url: Url,
    pub(crate) rejection_codes: Arc<[i64]>,
    creds: Arc<V5Credentials>,
    lifetime: Duration,
    zone: ExpireTimeZone,
    last_expire_time: Mutex<Option<SystemTime>>,
}

impl fmt::Debug for V5TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V5TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("creds", &self.creds)
            .field("lifetime", &self.lifetime)
            .field("zone", &self.zone)
            .field("rejection_codes", &self.rejection_codes)
            .finish()
    }
}

impl V5TokenSource {
    /// A token source for the service at `base_url` (for example `https://api.example.com`;
    /// the token path is appended).
    pub fn new(
        http: reqwest::Client,
        base_url: &Url,
        creds: Arc<V5Credentials>,
        lifetime: Duration,
        zone: ExpireTimeZone,
    ) -> Result<Self, AuthError> {
        let token_url = join(base_url, TOKEN_PATH)?;
        Ok(V5TokenSource {
            http,
            token_url,
            verify_url: join(base_url, VERIFY_PATH)?,
            rejection_codes: Arc::from(Vec::new()),
            creds,
            lifetime,
            zone,
            last_expire_time: Mutex::new(None),
        })
    }

    /// The server's `expire_time` of the last token fetched, parsed in the configured zone
    /// (`None` before the first fetch, or when the server sent none or an unreadable one).
    /// Information only: expiry is decided by the local clock and the configured lifetime.
    pub fn last_expire_time(&self) -> Option<SystemTime> {
        *self
            .last_expire_time
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The credential used.
    pub fn credentials(&self) -> &V5Credentials {
        &self.creds
    }

    /// The body codes that mean "token rejected" in an HTTP 200 answer.
    pub fn rejection_codes(&self) -> &[i64] {
        &self.rejection_codes
    }
}

/// Joins an absolute `path` onto `base`, keeping any path prefix of `base`.
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, AuthError> {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    s.push_str(path);
    Url::parse(&s).map_err(|_| AuthError::invalid_field("base_url", "is not a valid base URL"))
}

impl TokenSource for V5TokenSource {
    async fn fetch(&self, cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let time_stamp = unix_seconds(cx.clock.now());
        let req = crate::sign::token_request(&self.creds, time_stamp);
        let body = crate::sign::token_request_body(&req)?;
        let resp = auth_core::transport::send_token_request(
            self.http
                .post(self.token_url.clone())
                .header(
                    http::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .header(http::header::ACCEPT, "application/json")
                .body(body),
            "V5 token request",
        )
        .await?;
        let (status, headers, bytes) = (resp.status, resp.headers, resp.body);
        let data: TokenData = parse_envelope(Origin::TokenEndpoint, status, &headers, &bytes, &[])?;
        if data.token.is_empty() {
            return Err(AuthError::new(
                auth_core::ErrorKind::InvalidResponse,
                "V5 token response: empty token",
            ));
        }
        let server_expiry = data
            .expire_time
            .as_deref()
            .and_then(|s| parse_naive_datetime(s, self.zone));
        if data.expire_time.is_some() && server_expiry.is_none() {
            tracing::debug!("V5 token response: expire_time not understood; ignored");
        }
        *self
            .last_expire_time
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = server_expiry;
        Ok(FetchedToken::new(data.token, self.lifetime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_datetime_rejects_garbage() {
        for bad in [
            "",
            "2023-13-01T00:00:00",
            "2023-02-29T00:00:00",
            "2023-01-01T24:00:00",
            "2023-01-01T00:00:00.",
            "2023-01-01T00:00:00Z",
            "2023-01-01X00:00:00",
            "1969-12-31T23:59:59",
            "２０２３-01-01T00:00:00",
        ] {
            assert!(
                parse_naive_datetime(bad, ExpireTimeZone::Utc).is_none(),
                "{bad}"
            );
        }
        assert!(parse_naive_datetime("2024-02-29 12:00:00", ExpireTimeZone::Utc).is_some());
        assert!(parse_naive_datetime("2100-02-29T00:00:00", ExpireTimeZone::Utc).is_none());
        assert_eq!(
            parse_naive_datetime("2016-12-31T23:59:60", ExpireTimeZone::Utc),
            parse_naive_datetime("2017-01-01T00:00:00", ExpireTimeZone::Utc)
        );
        assert_eq!(
            parse_naive_datetime("1970-01-01T08:00:00", ExpireTimeZone::FixedOffset(8 * 3600)),
            Some(UNIX_EPOCH)
        );
    }

    #[test]
    fn join_keeps_prefix() {
        let base = Url::parse("http://h:1/prefix/").expect("url");
        assert_eq!(
            join(&base, TOKEN_PATH).expect("join").as_str(),
            "http://h:1/prefix/api/v5/authentication/token"
        );
    }
}
