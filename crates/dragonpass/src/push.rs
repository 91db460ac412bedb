use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::clock::{system_clock, unix_seconds};
use auth_core::credentials::{pem_label, read_text_file, require_header_safe, unescape_newlines};
use auth_core::jwt::{Algorithm, Jws, JwtError};
use auth_core::{AuthError, ExposeSecret, SharedClock};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::credentials::MIN_RSA_BITS;

/// The `iss` DragonPass puts in every push event.
pub const PUSH_ISSUER: &str = "dragonpass";

/// How many public keys may be configured at once (current + next during rotation).
pub const MAX_PUSH_KEYS: usize = 2;

/// Default leeway for `exp` / `nbf` (30 s).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Largest leeway accepted (5 min): the leeway is for clock skew, not for stale events.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Default [`PushPolicy::max_age`]: 5 minutes.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// Default [`PushPolicy::max_lifetime`]: 24 hours.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How fresh a push event must be; see
/// [`PushVerifier`'s freshness policy](PushVerifier#freshness-policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushPolicy {
    /// Refuse events without `exp` (default `false`: judge them by `iat` and `max_age`).
    pub require_exp: bool,
    /// How long after `iat` an event without `exp` is accepted (default 5 min; 1 s – 24 h).
    pub max_age: Duration,
    /// The longest `exp - iat` (or `exp - now` without `iat`) accepted (default 24 h;
    /// 1 s – 30 days).
    pub max_lifetime: Duration,
}

impl Default for PushPolicy {
    fn default() -> Self {
        PushPolicy {
            require_exp: false,
            max_age: DEFAULT_MAX_AGE,
            max_lifetime: DEFAULT_MAX_LIFETIME,
        }
    }
}

impl PushPolicy {
    fn validate(&self) -> Result<(), AuthError> {
        let s = Duration::from_secs;
        if self.max_age < s(1) || self.max_age > s(24 * 3600) {
            return Err(AuthError::invalid_field(
                "push_policy",
                "max_age must be between 1 second and 24 hours",
            ));
        }
        if self.max_lifetime < s(1) || self.max_lifetime > s(30 * 24 * 3600) {
            return Err(AuthError::invalid_field(
                "push_policy",
                "max_lifetime must be between 1 second and 30 days",
            ));
        }
        Ok(())
    }
}

/// Largest token accepted (1 MiB), checked before any decoding.
pub const MAX_TOKEN_LEN: usize = 1 << 20;

/// The claim holding a push event's type, compared by [`PushVerifier::verify_event`].
pub const EVENT_TYPE_CLAIM: &str = "eventType";

/// Default [`PushVerifier::with_replay_capacity`]: the most accepted push tokens remembered
/// at once for replay detection.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// The [`AuthError::field`] of a replay error (see [`is_push_replay`]).
const REPLAY_FIELD: &str = "replay";

/// Whether `err` is [`PushVerifier`]'s report of a token it already accepted (a replay, or
/// DragonPass delivering the same token again): an [`auth_core::ErrorKind::Verification`]
/// error on field `"replay"`. Answer it as you answered the first delivery (a success status,
/// without processing the event again); see [Replays](PushVerifier#replays-and-redeliveries).
pub fn is_push_replay(err: &AuthError) -> bool {
    err.kind() == auth_core::ErrorKind::Verification && err.field() == Some(REPLAY_FIELD)
}

fn rejected(err: JwtError) -> AuthError {
    err.into_auth_error("DragonPass push event rejected")
}

fn reject(problem: &str) -> AuthError {
    rejected(JwtError::new(problem.to_string()))
}

/// One DragonPass public key with its `kid`.
#[derive(Clone)]
pub struct PushPublicKey {
    kid: String,
    key: rsa::pkcs1v15::VerifyingKey<Sha256>,
}

impl fmt::Debug for PushPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushPublicKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PushPublicKey {
    /// Parses an RSA public key PEM (`PUBLIC KEY` / SPKI or `RSA PUBLIC KEY` / PKCS#1; literal
    /// `\n` escapes accepted) of at least 2048 bits, known under `kid`.
    pub fn from_pem(kid: impl Into<String>, pem: &str) -> Result<Self, AuthError> {
        let kid = kid.into();
        require_header_safe("push_key_id", &kid)?;
        let pem = unescape_newlines(pem.trim());
        let label = pem_label("push_public_key", &pem, &["PUBLIC KEY", "RSA PUBLIC KEY"])?;
        let key = if label == "PUBLIC KEY" {
            rsa::RsaPublicKey::from_public_key_pem(&pem)
        } else {
            rsa::RsaPublicKey::from_pkcs1_pem(&pem)
                .map_err(|_| rsa::pkcs8::spki::Error::KeyMalformed)
        }
        .map_err(|_| {
            AuthError::invalid_field("push_public_key", "is not a valid RSA public key")
        })?;
        // Counted in bits: a 2047-bit modulus has the same byte length as a 2048-bit one.
        let bits = key.n().bits();
        if bits < MIN_RSA_BITS {
            return Err(AuthError::invalid_field(
                "push_public_key",
                format!("RSA key is {bits} bits, at least {MIN_RSA_BITS} are required"),
            ));
        }
        Ok(PushPublicKey {
            kid,
            key: rsa::pkcs1v15::VerifyingKey::new(key),
        })
    }

    /// Reads the PEM from a file.
    pub fn from_pem_file(
        kid: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let pem = read_text_file("push_public_key", path.as_ref())?;
        Self::from_pem(kid, pem.expose_secret())
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// A verified push event: the key that signed it and its claims.
#[derive(Clone)]
#[non_exhaustive]
pub struct PushEvent {
    /// The `kid` that verified.
    pub kid: String,
    /// `exp`, Unix seconds; for an event without `exp`, `iat + max_age` (when it stops
    /// being accepted).
    pub exp: u64,
    /// Every claim of the token (the event payload included).
    pub claims: Map<String, Value>,
    /// SHA-256 of the signed part of the token (header and claims), set by
    /// [`PushVerifier`] for its replay check.
    seen_key: Option<[u8; 32]>,
}

impl fmt::Debug for PushEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushEvent")
            .field("kid", &self.kid)
            .field("exp", &self.exp)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => {
            if let Some(n) = v.as_u64() {
                Ok(Some(n))
            } else if let Some(f) = v.as_f64().filter(|f| f.is_finite() && *f >= 0.0) {
                Ok(Some(f.floor() as u64))
            } else {
                Err(reject(&format!("{name} is not a NumericDate")))
            }
        }
    }
}

/// Verifies a push-event token against `keys` at `now` (Unix seconds) with `leeway` seconds
/// and the default [`PushPolicy`]. Pure: no clock, no I/O, no memory of earlier tokens — so no
/// replay check and no event-type check ([`PushVerifier`] adds both). See the
/// [type docs](PushVerifier) for the checks and their order.
pub fn verify_push_token(
    token: &str,
    keys: &[PushPublicKey],
    now: u64,
    leeway: u64,
) -> Result<PushEvent, AuthError> {
    verify_push_token_with(token, keys, now, leeway, &PushPolicy::default())
}

/// [`verify_push_token`] with an explicit freshness `policy`.
pub fn verify_push_token_with(
    token: &str,
    keys: &[PushPublicKey],
    now: u64,
    leeway: u64,
    policy: &PushPolicy,
) -> Result<PushEvent, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(reject("token is too large"));
    }
    let jws = Jws::decode(token, Algorithm::Rs256).map_err(rejected)?;
    let kid = jws.kid().ok_or_else(|| reject("header has no kid"))?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| reject("unknown kid"))?;
    let kid = kid.to_string();
    let claims = jws
        .verify(|signed, sig| {
            let signature = rsa::pkcs1v15::Signature::try_from(sig)
                .map_err(|_| JwtError::new("bad signature"))?;
            key.key
                .verify(signed, &signature)
                .map_err(|_| JwtError::new("bad signature"))
        })
        .map_err(rejected)?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&claims).map_err(|_| reject("claims are not a JSON object"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(PUSH_ISSUER) {
        return Err(reject("wrong issuer (iss must be \"dragonpass\")"));
    }
    let iat = numeric_date(&claims, "iat")?;
    if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(reject("issued in the future (iat)"));
    }
    let exp = match numeric_date(&claims, "exp")? {
        Some(exp) => {
            if now >= exp.saturating_add(leeway) {
                return Err(reject("expired"));
            }
            // exp - iat compares two readings of the issuer's clock; exp - now needs the
            // skew allowance.
            let (base, skew) = match iat {
                Some(iat) => (iat, 0),
                None => (now, leeway),
            };
            if exp.saturating_sub(base) > policy.max_lifetime.as_secs().saturating_add(skew) {
                return Err(reject(
                    "exp too far in the future (beyond the maximum lifetime)",
                ));
            }
            exp
        }
        None if policy.require_exp => return Err(reject("no exp claim")),
        None => {
            let iat = iat.ok_or_else(|| reject("no exp claim (and no iat to judge its age)"))?;
            let until = iat.saturating_add(policy.max_age.as_secs());
            if now >= until.saturating_add(leeway) {
                return Err(reject("too old (iat is older than the maximum age)"));
            }
            until
        }
    };
    if let Some(nbf) = numeric_date(&claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(reject("not valid yet (nbf)"));
    }
    Ok(PushEvent {
        kid,
        exp,
        claims,
        seen_key: None,
    })
}

/// Verifies DragonPass push events (v2) with one or two configured public keys.
///
/// ```no_run
/// use tollgate_dragonpass::{PushPublicKey, PushVerifier};
/// # fn demo(pem_current: &str, pem_next: &str, token: &str) -> Result<(), tollgate_dragonpass::AuthError> {
/// let verifier = PushVerifier::new(vec![
///     PushPublicKey::from_pem("2025-01", pem_current)?,
///     PushPublicKey::from_pem("2025-07", pem_next)?,
/// ])?;
/// let event = verifier.verify(token)?;
/// println!("event signed with {}: {:?}", event.kid, event.claims.get("eventType"));
/// # Ok(()) }
/// ```
///
/// DragonPass signs every push event it sends to a receiver as an RS256 JWT whose `iss` is
/// `"dragonpass"` and whose header `kid` names the signing key; during a key rotation two
/// key sets are live for one to two weeks, so a [`PushVerifier`] holds up to two public keys
/// (for any event type, and two per event type).
///
/// Verification order (every failure is an [`auth_core::ErrorKind::Verification`] error, never
/// retryable): compact form → header → `alg` must be exactly `RS256` (so `none`, `HS256`
/// key-confusion and every other algorithm are refused before any key is used) → no `crit`
/// → `kid` present and configured → signature → claims are a JSON object → `iss` is
/// `"dragonpass"` → the freshness policy below → `nbf`, if present, `nbf <= now + leeway` →
/// with [`verify_event`](PushVerifier::verify_event), the `eventType` claim equals the
/// endpoint's event type → the replay check below. `now` comes from the injected clock.
///
/// # Freshness policy ([`PushPolicy`])
///
/// DragonPass's docs show `exp` but never promise it, so by default:
/// - `iat`, if present, must not be in the future (`iat <= now + leeway`);
/// - with `exp`: `now < exp + leeway`, and `exp` at most [`PushPolicy::max_lifetime`]
///   (default 24 h) after `iat` (or after `now` without `iat`): an `exp` years out is refused;
/// - without `exp`: refused if [`PushPolicy::require_exp`] is set (default: not set);
///   otherwise `iat` is required and the event is accepted until `iat + max_age + leeway`
///   ([`PushPolicy::max_age`], default 5 minutes).
///
/// # Keys
///
/// Up to two keys (current and next, for the rotation overlap) for events of any type
/// ([`PushVerifier::new`]), and up to two more per event type
/// ([`PushVerifier::with_event_type_keys`], verified with [`PushVerifier::verify_event`]):
/// an event type with its own keys is verified with those only.
///
/// # Event types
///
/// [`verify_event(event_type, token)`](PushVerifier::verify_event) is for an endpoint that
/// serves one event type: besides choosing that type's keys, it refuses a token whose
/// `eventType` claim is not exactly `event_type` (absent or not a string included) with an
/// [`auth_core::ErrorKind::Verification`] error on field `"eventType"`, so a valid event of
/// one type cannot be played against another type's endpoint. [`verify`](PushVerifier::verify)
/// has no expected type and checks none.
///
/// # Replays and redeliveries
///
/// The verifier remembers every token it accepted (SHA-256 of the token's signed part —
/// header and claims — so re-encodings of the same signed message count as the same token)
/// until the token's own window closes (`exp + leeway`, with `exp` as in [`PushEvent::exp`]),
/// after which the token is refused as expired anyway. A second delivery of an accepted
/// token is refused with an [`auth_core::ErrorKind::Verification`] error on field `"replay"`
/// ([`is_push_replay`]); only tokens that pass every other check are remembered, so a forged
/// token never uses up room nor turns into a "replay". Clones of a verifier share one memory.
/// At most [`DEFAULT_REPLAY_CAPACITY`] tokens are held (set with
/// [`with_replay_capacity`](PushVerifier::with_replay_capacity); `0` turns the check off); when
/// it is full of tokens still inside their window, the one whose window closes first is
/// dropped (a replay of that token would then be accepted). The memory is per process: with
/// several receivers behind a load balancer, also deduplicate in your shared store.
///
/// DragonPass retries a push event up to 3 times when the receiver does not acknowledge it.
/// Whether a retry resends the identical token or a newly signed one (new `iat`/`exp`) is not
/// documented: an identical token is reported as a replay; a newly signed one is a new token
/// and verifies, so deduplicate on the event's own identifiers as well (for example
/// `eventType` + `orderNo`). Answer a replay as you answered the first delivery — a success
/// status, without processing the event again: an error answer only makes DragonPass retry.
/// If you could not process an accepted event and answer with an error so that DragonPass
/// redelivers it, call [`forget`](PushVerifier::forget) first, or the redelivery would be
/// reported as a replay.
///
/// Freshness against retries: an event without `exp` is accepted until `iat + max_age`
/// (5 minutes by default). DragonPass does not document its retry schedule, so a redelivery
/// of the *identical* token that arrives later than that is refused as expired, not as a
/// replay. If your endpoint may be down longer than 5 minutes and you want those
/// redeliveries processed, raise [`PushPolicy::max_age`] to cover the span of the three
/// retries (at most 24 hours); a newly signed retry carries its own `iat` and is unaffected.
///
/// ```no_run
/// use tollgate_dragonpass::{PushVerifier, is_push_replay};
/// # fn process(_: &tollgate_dragonpass::PushEvent) -> Result<(), ()> { Ok(()) }
/// fn on_order_used(verifier: &PushVerifier, token: &str) -> u16 {
///     match verifier.verify_event("ORDER_USED", token) {
///         Ok(event) => match process(&event) {
///             Ok(()) => 200,
///             Err(()) => {
///                 verifier.forget(&event); // let DragonPass's retry through
///                 503
///             }
///         },
///         Err(e) if is_push_replay(&e) => 200, // already processed: acknowledge again
///         Err(_) => 401,
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct PushVerifier {
    keys: Vec<PushPublicKey>,
    by_event_type: std::collections::BTreeMap<String, Vec<PushPublicKey>>,
    leeway: Duration,
    policy: PushPolicy,
    clock: SharedClock,
    seen: Option<Arc<SeenTokens>>,
}

/// Accepted tokens (SHA-256 of the signed part) and when each one's window closes (Unix
/// seconds), at most `capacity` of them.
struct SeenTokens {
    capacity: usize,
    until: Mutex<HashMap<[u8; 32], u64>>,
}

impl fmt::Debug for SeenTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenTokens")
            .field("capacity", &self.capacity)
            .field("held", &self.lock().len())
            .finish()
    }
}

impl SeenTokens {
    fn new(capacity: usize) -> Self {
        SeenTokens {
            capacity,
            until: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], u64>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers `key` until `until`; a replay error if it is remembered and still inside
    /// its window at `now`.
    fn record(&self, key: [u8; 32], until: u64, now: u64) -> Result<(), AuthError> {
        let mut seen = self.lock();
        if seen.get(&key).is_some_and(|end| *end > now) {
            return Err(
                reject("already accepted (a replay, or DragonPass delivering it again)")
                    .with_field(REPLAY_FIELD),
            );
        }
        if seen.len() >= self.capacity && !seen.contains_key(&key) {
            seen.retain(|_, end| *end > now);
            if seen.len() >= self.capacity
                && let Some(first) = seen.iter().min_by_key(|(_, end)| **end).map(|(k, _)| *k)
            {
                seen.remove(&first);
            }
        }
        seen.insert(key, until);
        Ok(())
    }
}

/// 1 or 2 keys with distinct `kid`s.
fn check_key_set(keys: &[PushPublicKey]) -> Result<(), AuthError> {
    if keys.is_empty() {
        return Err(AuthError::invalid_field(
            "push_keys",
            "at least one key is required",
        ));
    }
    if keys.len() > MAX_PUSH_KEYS {
        return Err(AuthError::invalid_field(
            "push_keys",
            "at most two keys (current and next) may be configured",
        ));
    }
    if keys.len() == 2 && keys[0].kid == keys[1].kid {
        return Err(AuthError::invalid_field(
            "push_keys",
            "key ids must be distinct",
        ));
    }
    Ok(())
}

impl PushVerifier {
    /// A verifier over 1 or 2 keys with distinct `kid`s (for events of any type), the default
    /// leeway and policy, the system clock and the replay check on
    /// ([`DEFAULT_REPLAY_CAPACITY`]).
    pub fn new(keys: Vec<PushPublicKey>) -> Result<Self, AuthError> {
        check_key_set(&keys)?;
        Ok(PushVerifier {
            keys,
            by_event_type: std::collections::BTreeMap::new(),
            leeway: DEFAULT_LEEWAY,
            policy: PushPolicy::default(),
            clock: system_clock(),
            seen: Some(Arc::new(SeenTokens::new(DEFAULT_REPLAY_CAPACITY))),
        })
    }

    /// A verifier with keys for one event type only (add more types with
    /// [`with_event_type_keys`](Self::with_event_type_keys)); [`verify`](Self::verify),
    /// which has no event type, refuses everything.
    pub fn for_event_type(
        event_type: impl Into<String>,
        keys: Vec<PushPublicKey>,
    ) -> Result<Self, AuthError> {
        PushVerifier {
            keys: Vec::new(),
            by_event_type: std::collections::BTreeMap::new(),
            leeway: DEFAULT_LEEWAY,
            policy: PushPolicy::default(),
            clock: system_clock(),
            seen: Some(Arc::new(SeenTokens::new(DEFAULT_REPLAY_CAPACITY))),
        }
        .with_event_type_keys(event_type, keys)
    }

    /// Sets 1 or 2 keys (distinct `kid`s) for events of `event_type`, replacing any set
    /// before: [`verify_event`](Self::verify_event) for that type uses these keys only.
    pub fn with_event_type_keys(
        mut self,
        event_type: impl Into<String>,
        keys: Vec<PushPublicKey>,
    ) -> Result<Self, AuthError> {
        check_key_set(&keys)?;
        self.by_event_type.insert(event_type.into(), keys);
        Ok(self)
    }

    /// Sets the freshness policy (see
    /// [`PushVerifier`'s freshness policy](PushVerifier#freshness-policy)).
    pub fn with_policy(mut self, policy: PushPolicy) -> Result<Self, AuthError> {
        policy.validate()?;
        self.policy = policy;
        Ok(self)
    }

    /// The freshness policy.
    pub fn policy(&self) -> &PushPolicy {
        &self.policy
    }

    /// Sets the `exp`/`nbf` leeway (at most [`MAX_LEEWAY`]).
    pub fn with_leeway(mut self, leeway: Duration) -> Result<Self, AuthError> {
        if leeway > MAX_LEEWAY {
            return Err(AuthError::invalid_field(
                "leeway",
                "must be at most 5 minutes",
            ));
        }
        self.leeway = leeway;
        Ok(self)
    }

    /// Reads time from `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Remembers at most `capacity` accepted tokens for the replay check (default
    /// [`DEFAULT_REPLAY_CAPACITY`]); `0` turns the check off. Starts a new, empty memory:
    /// clones made before keep sharing the old one. See
    /// [Replays](PushVerifier#replays-and-redeliveries).
    #[must_use]
    pub fn with_replay_capacity(mut self, capacity: usize) -> Self {
        self.seen = (capacity > 0).then(|| Arc::new(SeenTokens::new(capacity)));
        self
    }

    /// How many accepted tokens are remembered and still inside their window.
    pub fn replay_entries(&self) -> usize {
        let now = unix_seconds(self.clock.now());
        self.seen
            .as_ref()
            .map_or(0, |s| s.lock().values().filter(|end| **end > now).count())
    }

    /// Forgets that `event`'s token was accepted, so that its next delivery verifies again
    /// instead of being reported as a replay: call it when you could not process the event
    /// and answer with an error so that DragonPass delivers it again.
    pub fn forget(&self, event: &PushEvent) {
        if let (Some(seen), Some(key)) = (&self.seen, &event.seen_key) {
            seen.lock().remove(key);
        }
    }

    /// The configured keys.
    pub fn keys(&self) -> &[PushPublicKey] {
        &self.keys
    }

    /// Verifies a token with the keys for events of any type (a leading `Bearer ` is
    /// stripped, surrounding whitespace ignored); any `eventType` is accepted. A token
    /// accepted before is refused as a replay ([`is_push_replay`]).
    pub fn verify(&self, token: &str) -> Result<PushEvent, AuthError> {
        self.verify_with_keys(&self.keys, None, token)
    }

    /// Verifies a token received at your endpoint for events of `event_type`: with that
    /// type's keys if it has any, otherwise with the keys for any type, and refuses a token
    /// whose `eventType` claim is not exactly `event_type` (absent, another type, not a
    /// string) with an [`auth_core::ErrorKind::Verification`] error on field `"eventType"`.
    /// A token accepted before is refused as a replay ([`is_push_replay`]).
    pub fn verify_event(&self, event_type: &str, token: &str) -> Result<PushEvent, AuthError> {
        let keys = self.by_event_type.get(event_type).unwrap_or(&self.keys);
        self.verify_with_keys(keys, Some(event_type), token)
    }

    fn verify_with_keys(
        &self,
        keys: &[PushPublicKey],
        event_type: Option<&str>,
        token: &str,
    ) -> Result<PushEvent, AuthError> {
        if keys.is_empty() {
            return Err(reject("no keys are configured for this event type"));
        }
        let token = token.trim();
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        let now = unix_seconds(self.clock.now());
        let leeway = self.leeway.as_secs();
        let mut event = verify_push_token_with(token, keys, now, leeway, &self.policy)?;
        if let Some(endpoint_type) = event_type
            && event.claims.get(EVENT_TYPE_CLAIM).and_then(Value::as_str) != Some(endpoint_type)
        {
            return Err(
                reject("the event type (eventType) is not the one this endpoint serves")
                    .with_field(EVENT_TYPE_CLAIM),
            );
        }
        if let Some(seen) = &self.seen {
            // Verified, so the token is `header.claims.signature`: the key covers what was
            // signed.
            let signed = token.rsplit_once('.').map_or(token, |(signed, _)| signed);
            let key: [u8; 32] = Sha256::digest(signed.as_bytes()).into();
            // The verifier refuses the token once `now >= exp + leeway`.
            seen.record(key, event.exp.saturating_add(leeway), now)?;
            event.seen_key = Some(key);
        }
        Ok(event)
    }
}
