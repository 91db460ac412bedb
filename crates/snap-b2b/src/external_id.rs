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
    /// `N` random digits, the first not zero (BRI's SDK: 9; BCA's clients: 16; Paydia: 13).
    /// Short ids repeat sooner: 9 digits reach even odds of a repeat near 30,000 a day.
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
            ExternalIdStyle::Digits(n) => Arc::new(move |_: SystemTime| {
                let mut rng = rand::thread_rng();
                let first = char::from(b'0' + rng.gen_range(1..10u8));
                std::iter::once(first)
                    .chain((1..n.clamp(1, 32)).map(|_| char::from(b'0' + rng.gen_range(0..10u8))))
                    .collect()
            }),
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
}
