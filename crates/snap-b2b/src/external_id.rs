use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

/// Makes `X-EXTERNAL-ID` values. `now` is the signer's clock reading for the attempt.
///
/// `X-EXTERNAL-ID` generation.
///
/// SNAP wants the id unique per partner per day (a repeat is refused with `409xx00`), and
/// providers differ on its shape. The signer asks its generator for a fresh id for every
/// attempt it signs — a retry after a rejected token included — unless the request already
/// carries `X-EXTERNAL-ID`, which is then kept.
///
/// Give your own with [`SnapAuthBuilder::external_id_generator`](crate::SnapAuthBuilder::external_id_generator)
/// (any `Fn(SystemTime) -> String + Send + Sync`, or a type implementing
/// [`ExternalIdGenerator`]), or choose one of the shapes in [`ExternalIdStyle`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tollgate_snap_b2b::{ExternalIdGenerator, ExternalIdStyle};
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let dana = ExternalIdStyle::SdkUuid.generator();
/// let id = dana.generate(at);
/// assert!(id.starts_with("sdk") && id.len() == 36);
/// let bni = ExternalIdStyle::Digits19.generator().generate(at);
/// assert!(bni.len() == 19 && bni.ends_with("1700000000"));
/// ```
pub trait ExternalIdGenerator: Send + Sync + 'static {
    /// A fresh id; it must be a valid header value (visible ASCII).
    fn generate(&self, now: SystemTime) -> String;
}

impl<F> ExternalIdGenerator for F
where
    F: Fn(SystemTime) -> String + Send + Sync + 'static,
{
    fn generate(&self, now: SystemTime) -> String {
        self(now)
    }
}

/// A shared generator.
pub type SharedExternalIdGenerator = Arc<dyn ExternalIdGenerator>;

/// Id shapes the providers' own SDKs send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ExternalIdStyle {
    /// 32 decimal digits: a random 16-digit prefix chosen per signer and a 16-digit counter
    /// (the crate's default; digits only, which every provider accepts).
    #[default]
    Numeric32,
    /// A random (version 4) UUID, lowercase (Midtrans's SnapBi samples pass one).
    Uuid,
    /// `sdk` followed by a UUID without its first three characters, 36 characters (DANA's
    /// `dana-go`/`dana-node`: `"sdk" + uuid[3:]`).
    SdkUuid,
    /// A UUID, `-`, and the Unix time in milliseconds (DOKU's `doku-nodejs-library`).
    UuidMillis,
    /// 19 digits: 9 random digits then the 10-digit Unix time in seconds (BNI's
    /// `bni-nodejs`).
    Digits19,
    /// `N` digits (1 to 32), the first not zero (BRI's SDK: 9; BCA's clients: 16; Paydia: 13).
    /// A random start then a counter: one signer repeats an id only after it has used every
    /// `N`-digit number, where random draws of 9 digits reach even odds near 30,000 a day.
    Digits(u8),
}

impl ExternalIdStyle {
    /// A generator of this shape.
    pub fn generator(self) -> SharedExternalIdGenerator {
        match self {
            ExternalIdStyle::Numeric32 => Arc::new(Numeric32::new()),
            ExternalIdStyle::Uuid => Arc::new(|_: SystemTime| uuid_v4()),
            ExternalIdStyle::SdkUuid => Arc::new(|_: SystemTime| {
                let u = uuid_v4();
                format!("sdk{}", &u[3..])
            }),
            ExternalIdStyle::UuidMillis => {
                Arc::new(|now: SystemTime| format!("{}-{}", uuid_v4(), unix(now).1))
            }
            ExternalIdStyle::Digits19 => Arc::new(|now: SystemTime| {
                let r: u32 = rand::thread_rng().gen_range(100_000_000..1_000_000_000);
                format!("{r}{:010}", unix(now).0 % 10_000_000_000)
            }),
            ExternalIdStyle::Digits(n) => Arc::new(Digits::new(n)),
        }
    }
}

fn unix(now: SystemTime) -> (u64, u128) {
    let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs(), d.as_millis())
}

/// A random version-4 UUID in lowercase hex with dashes.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::thread_rng().r#gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The default generator: 32 decimal digits, a 16-digit random prefix chosen when it is
/// made followed by a 16-digit counter.
pub struct Numeric32 {
    prefix: u64,
    counter: AtomicU64,
}

impl Numeric32 {
    const MOD: u64 = 10_000_000_000_000_000;

    /// A generator with a fresh random prefix.
    pub fn new() -> Self {
        Numeric32 {
            prefix: rand::thread_rng().gen_range(0..Self::MOD),
            counter: AtomicU64::new(0),
        }
    }
}

impl Default for Numeric32 {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Numeric32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Numeric32").finish_non_exhaustive()
    }
}

impl ExternalIdGenerator for Numeric32 {
    fn generate(&self, _now: SystemTime) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) % Self::MOD;
        format!("{:016}{:016}", self.prefix, n)
    }
}

/// `ExternalIdStyle::Digits`: `n` digits without a leading zero, counting up from a random
/// start (wrapping), so one signer never repeats an id while the bank's window is open.
#[derive(Debug)]
struct Digits {
    low: u128,
    span: u128,
    start: u128,
    counter: AtomicU64,
}

impl Digits {
    fn new(n: u8) -> Self {
        let low = 10u128.pow(u32::from(n.clamp(1, 32)) - 1);
        let span = 9 * low;
        Digits {
            low,
            span,
            start: rand::thread_rng().gen_range(0..span),
            counter: AtomicU64::new(0),
        }
    }
}

impl ExternalIdGenerator for Digits {
    fn generate(&self, _now: SystemTime) -> String {
        let n = u128::from(self.counter.fetch_add(1, Ordering::Relaxed));
        (self.low + (self.start + n % self.span) % self.span).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        let u = ExternalIdStyle::Uuid.generator().generate(at);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        let d = ExternalIdStyle::UuidMillis.generator().generate(at);
        assert!(d.ends_with("-1700000000123"), "{d}");
        let n = ExternalIdStyle::Numeric32.generator();
        let (a, b) = (n.generate(at), n.generate(at));
        assert_ne!(a, b);
        assert!(a.len() == 32 && a.bytes().all(|c| c.is_ascii_digit()));
        let bni = ExternalIdStyle::Digits19.generator().generate(at);
        assert!(bni.len() == 19 && bni.bytes().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn short_digit_ids_do_not_repeat_within_one_signer() {
        // 90,000 five-digit ids exist; random draws would repeat within a few hundred.
        let g = ExternalIdStyle::Digits(5).generator();
        let ids: std::collections::HashSet<String> =
            (0..90_000).map(|_| g.generate(UNIX_EPOCH)).collect();
        assert_eq!(ids.len(), 90_000);
        assert!(ids.iter().all(|id| id.len() == 5 && !id.starts_with('0')));
        for n in [1, 9, 16, 19, 32] {
            let id = ExternalIdStyle::Digits(n).generator().generate(UNIX_EPOCH);
            assert!(id.len() == usize::from(n) && id.bytes().all(|c| c.is_ascii_digit()));
        }
    }
}
