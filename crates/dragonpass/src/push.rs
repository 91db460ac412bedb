//! Verifying DragonPass push events (v2).
//!
//! DragonPass signs every push event it sends to a receiver as an RS256 JWT whose `iss` is
//! `"dragonpass"` and whose header `kid` names the signing key; during a key rotation two
//! key sets are live for one to two weeks, so a [`PushVerifier`] holds up to two public keys.
//!
//! Verification order (every failure is an [`ErrorKind::Verification`] error, never
//! retryable): compact form → header → `alg` must be exactly `RS256` (so `none`, `HS256`
//! key-confusion and every other algorithm are refused before any key is used) → no `crit`
//! → `kid` present and configured → signature → claims are a JSON object → `iss` is
//! `"dragonpass"` → `exp` present and `now < exp + leeway` → `nbf`, if present,
//! `nbf <= now + leeway`. `now` comes from the injected clock.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use auth_core::clock::{system_clock, unix_seconds};
use auth_core::credentials::{pem_label, read_text_file, require_header_safe, unescape_newlines};
use auth_core::{AuthError, ErrorKind, ExposeSecret, SharedClock};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::credentials::MIN_RSA_BITS;

/// The `iss` DragonPass puts in every push event.
pub const PUSH_ISSUER: &str = "dragonpass";

/// How many public keys may be configured at once (current + next during rotation).
pub const MAX_PUSH_KEYS: usize = 2;

/// Default leeway for `exp` / `nbf` (30 s).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Largest leeway accepted (5 min): the leeway is for clock skew, not for stale events.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Largest token accepted (1 MiB), checked before any decoding.
pub const MAX_TOKEN_LEN: usize = 1 << 20;

fn reject(problem: &str) -> AuthError {
    AuthError::new(
        ErrorKind::Verification,
        format!("DragonPass push event rejected: {problem}"),
    )
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
#[derive(Debug, Clone)]
pub struct PushEvent {
    /// The `kid` that verified.
    pub kid: String,
    /// `exp`, Unix seconds.
    pub exp: u64,
    /// Every claim of the token (the event payload included).
    pub claims: Map<String, Value>,
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

fn b64_part(part: &str, what: &str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| reject(&format!("{what} is not base64url")))
}

/// Verifies a push-event token against `keys` at `now` (Unix seconds) with `leeway` seconds.
/// Pure: no clock, no I/O. See the [module docs](self) for the checks and their order.
pub fn verify_push_token(
    token: &str,
    keys: &[PushPublicKey],
    now: u64,
    leeway: u64,
) -> Result<PushEvent, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(reject("token is too large"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(reject("not a compact JWS (three dot-separated parts)"));
    };
    let header: Map<String, Value> = serde_json::from_slice(&b64_part(h, "header")?)
        .map_err(|_| reject("header is not a JSON object"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => {}
        Some(_) => return Err(reject("algorithm not allowed (only RS256 is accepted)")),
        None => return Err(reject("header has no alg")),
    }
    if header.contains_key("crit") {
        return Err(reject("critical header extensions are not supported"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| reject("header has no kid"))?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| reject("unknown kid"))?;
    let sig_bytes = b64_part(s, "signature")?;
    let signature = rsa::pkcs1v15::Signature::try_from(sig_bytes.as_slice())
        .map_err(|_| reject("bad signature"))?;
    let signed = &token[..h.len() + 1 + c.len()];
    key.key
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| reject("bad signature"))?;
    let claims: Map<String, Value> = serde_json::from_slice(&b64_part(c, "claims")?)
        .map_err(|_| reject("claims are not a JSON object"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(PUSH_ISSUER) {
        return Err(reject("wrong issuer (iss must be \"dragonpass\")"));
    }
    let exp = numeric_date(&claims, "exp")?.ok_or_else(|| reject("no exp claim"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(reject("expired"));
    }
    if let Some(nbf) = numeric_date(&claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(reject("not valid yet (nbf)"));
    }
    Ok(PushEvent {
        kid: kid.to_string(),
        exp,
        claims,
    })
}

/// Verifies DragonPass push events with one or two configured public keys.
///
/// ```no_run
/// use tollgate_dragonpass::push::{PushPublicKey, PushVerifier};
/// # fn demo(pem_current: &str, pem_next: &str, token: &str) -> Result<(), tollgate_dragonpass::auth_core::AuthError> {
/// let verifier = PushVerifier::new(vec![
///     PushPublicKey::from_pem("2025-01", pem_current)?,
///     PushPublicKey::from_pem("2025-07", pem_next)?,
/// ])?;
/// let event = verifier.verify(token)?;
/// println!("event signed with {}: {:?}", event.kid, event.claims.get("eventType"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PushVerifier {
    keys: Vec<PushPublicKey>,
    leeway: Duration,
    clock: SharedClock,
}

impl PushVerifier {
    /// A verifier over 1 or 2 keys with distinct `kid`s, the default leeway and the system
    /// clock.
    pub fn new(keys: Vec<PushPublicKey>) -> Result<Self, AuthError> {
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
        Ok(PushVerifier {
            keys,
            leeway: DEFAULT_LEEWAY,
            clock: system_clock(),
        })
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

    /// The configured keys.
    pub fn keys(&self) -> &[PushPublicKey] {
        &self.keys
    }

    /// Verifies a token (a leading `Bearer ` is stripped, surrounding whitespace ignored).
    pub fn verify(&self, token: &str) -> Result<PushEvent, AuthError> {
        let token = token.trim();
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        verify_push_token(
            token,
            &self.keys,
            unix_seconds(self.clock.now()),
            self.leeway.as_secs(),
        )
    }
}
