use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::clock::system_clock;
use auth_core::{AuthError, ErrorKind, ExposeSecret, SecretString, SharedClock};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

use crate::canonical::{BodyForm, CanonicalError, canonical_body, check_unique_keys};
use crate::credentials::SnapPublicKey;
use crate::inbound::ExternalIds;
use crate::minify::MinifyError;
use crate::sign::{SignatureEncoding, asymmetric_string_to_sign, body_sha256_hex};
use crate::timestamp::parse_timestamp;

/// Default tolerated distance between `X-TIMESTAMP` and the local clock, either way.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// Why a notification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// A required header is missing or not visible ASCII.
    #[error("notification lacks the {0} header")]
    MissingHeader(&'static str),
    /// `X-TIMESTAMP` cannot be read.
    #[error("notification X-TIMESTAMP is malformed")]
    MalformedTimestamp,
    /// `X-TIMESTAMP` lies outside the window around the local clock.
    #[error(
        "notification X-TIMESTAMP is {}s {} the local clock, outside the window",
        skew.as_secs(),
        if *in_future { "ahead of" } else { "behind" }
    )]
    StaleTimestamp {
        /// How far it is from the local clock.
        skew: Duration,
        /// Whether it lies in the future.
        in_future: bool,
    },
    /// `X-SIGNATURE` is not valid base64 (or hex).
    #[error("notification X-SIGNATURE is not decodable")]
    MalformedSignature,
    /// The body is not valid JSON, so it cannot be minified and hashed.
    #[error("notification body: {0}")]
    InvalidBody(MinifyError),
    /// The signature does not verify with the provider's key.
    #[error("notification signature does not verify")]
    BadSignature,
    /// The body cannot be brought into any of the configured forms (not JSON).
    #[error("notification body cannot be read as JSON in the {form} form")]
    UnreadableBody {
        /// The first form tried.
        form: &'static str,
    },
    /// The body repeats a key in one object: readers disagree on which value counts.
    #[error("notification body repeats a key in one object")]
    RepeatedKey,
    /// This `X-EXTERNAL-ID` was already accepted the same (Jakarta) day (only with
    /// [`NotificationVerifier::reject_replayed_external_ids`]).
    #[error("duplicate notification X-EXTERNAL-ID")]
    DuplicateExternalId,
}

impl From<NotificationError> for AuthError {
    fn from(e: NotificationError) -> Self {
        AuthError::new(ErrorKind::Verification, e.to_string())
    }
}

/// What a verified notification proved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedNotification {
    /// The instant `X-TIMESTAMP` names.
    pub timestamp: SystemTime,
    /// The body form that was hashed (minified by default; see
    /// [`NotificationVerifier::body_forms`]).
    pub minified_body: Vec<u8>,
    /// `lowercase(hex(SHA-256(minified_body)))`.
    pub body_sha256_hex: String,
    /// Whether the signature covers the body. Signatures over `clientId|timestamp`
    /// ([`NotificationVerifier::client_and_timestamp`]) do not: such a body is as the
    /// network delivered it, and its fields must be confirmed with the provider (a status
    /// inquiry) before money moves.
    pub covers_body: bool,
}

/// The key a notification is checked with.
#[derive(Clone)]
enum NotificationKey {
    /// The provider's public key (SHA256withRSA).
    Rsa(SnapPublicKey),
    /// A shared secret (HMAC-SHA256; BRI's direct-debit notifications).
    HmacSha256(Hmac<Sha256>),
}

impl fmt::Debug for NotificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationKey::Rsa(k) => k.fmt(f),
            NotificationKey::HmacSha256(_) => f.write_str("HmacSha256([REDACTED])"),
        }
    }
}

/// Verifies provider-signed notifications.
///
/// ```
/// use std::time::Duration;
/// use tollgate_snap_b2b::ManualClock;
/// use tollgate_snap_b2b::SnapPublicKey;
/// use tollgate_snap_b2b::{NotificationError, NotificationVerifier};
/// # let pem = include_str!("mock_keys/provider_public.pem");
/// let key = SnapPublicKey::from_pem("provider_public_key", pem).unwrap();
/// let verifier = NotificationVerifier::new(key)
///     .window(Duration::from_secs(120))
///     .clock(ManualClock::at_unix(1_709_271_296).shared());
/// let err = verifier
///     .verify("POST", "/v1.0/transfer-va/payment", "2024-03-01T12:34:56+07:00", "AAAA", b"{}")
///     .unwrap_err();
/// assert_eq!(err, NotificationError::BadSignature);
/// ```
///
/// Verifying notifications (callbacks) a SNAP provider sends to the merchant.
///
/// The provider signs `METHOD:EndpointUrl:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP`
/// with SHA256withRSA and its own private key; `EndpointUrl` is the merchant's own
/// notification path. [`NotificationVerifier`] recomputes the string over the raw body as
/// received (minified here, exactly as the provider did before hashing), verifies the
/// signature with the provider's public key and checks `X-TIMESTAMP` against a window
/// around the injected clock.
#[derive(Clone)]
pub struct NotificationVerifier {
    key: NotificationKey,
    /// `Some(clientId)`: the string signed is `clientId|X-TIMESTAMP`.
    client: Option<String>,
    window: Duration,
    clock: SharedClock,
    encoding: SignatureEncoding,
    forms: Vec<BodyForm>,
    external_ids: Option<Arc<ExternalIds>>,
}

impl fmt::Debug for NotificationVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationVerifier")
            .field("key", &self.key)
            .field("window", &self.window)
            .field("encoding", &self.encoding)
            .field("forms", &self.forms)
            .field("reject_replayed_external_ids", &self.external_ids.is_some())
            .finish()
    }
}

impl NotificationVerifier {
    /// A verifier with the provider's public key, a ±5 minute window, the system clock and
    /// base64 signatures.
    pub fn new(provider_key: SnapPublicKey) -> Self {
        Self::with_key(NotificationKey::Rsa(provider_key))
    }

    fn with_key(key: NotificationKey) -> Self {
        NotificationVerifier {
            key,
            client: None,
            window: DEFAULT_WINDOW,
            clock: system_clock(),
            encoding: SignatureEncoding::Base64,
            forms: vec![BodyForm::Minified],
            external_ids: None,
        }
    }

    /// Checks notifications by a shared secret: hex HMAC-SHA256 over `clientId|X-TIMESTAMP`,
    /// as BRI signs its direct-debit notifications (`bri-oss/bridex-api-php-sdk`,
    /// `PrepareRequest.php`). BRI's `X-TIMESTAMP` there is `yyyy-MM-dd HH:mm:ss`, Jakarta
    /// time without a zone, which is read as `+07:00`. The body is not signed
    /// ([`VerifiedNotification::covers_body`]).
    ///
    /// ```
    /// use tollgate_snap_b2b::{ManualClock, NotificationVerifier, SecretString};
    /// let secret = SecretString::from("preset-client-secret-0123456789".to_string());
    /// let v = NotificationVerifier::hmac_sha256("10001", &secret)
    ///     .clock(ManualClock::at_unix(1_709_271_296).shared());
    /// let sig = "44930fab65ba17edab5085f679029665a4808bf2d5ee38e2d09433fe6d692b58";
    /// let ok = v.verify("POST", "/snap/v2.0/debit/notify", "2024-03-01 12:34:56", sig, b"{}").unwrap();
    /// assert!(!ok.covers_body);
    /// ```
    pub fn hmac_sha256(client_id: &str, secret: &SecretString) -> Self {
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        NotificationVerifier {
            client: Some(client_id.to_string()),
            encoding: SignatureEncoding::Hex,
            ..Self::with_key(NotificationKey::HmacSha256(mac))
        }
    }

    /// Checks the provider's RSA signature over `clientId|X-TIMESTAMP` instead of
    /// `METHOD:EndpointUrl:bodyHash:X-TIMESTAMP`, as NICEPay signs its notifications
    /// (docs.nicepay.co.id, "Notification - API Virtual Account SNAP"; verify with the
    /// notification key NICEPay sends, not the transaction key). The body is not signed
    /// ([`VerifiedNotification::covers_body`]).
    #[must_use]
    pub fn client_and_timestamp(mut self, client_id: &str) -> Self {
        self.client = Some(client_id.to_string());
        self
    }

    /// The body forms whose hash may have been signed, tried in order until one verifies
    /// (default: only [`BodyForm::Minified`]). Node/PHP-based providers hash
    /// `JSON.stringify(JSON.parse(body))` ([`BodyForm::JsCompatible`]); DOKU's helper
    /// strips all whitespace ([`BodyForm::WhitespaceStripped`]); some hash the bytes as
    /// sent ([`BodyForm::Raw`]). An empty list means the default.
    ///
    /// ```
    /// use tollgate_snap_b2b::BodyForm;
    /// # fn demo(v: tollgate_snap_b2b::NotificationVerifier) {
    /// let v = v.body_forms([BodyForm::Minified, BodyForm::JsCompatible, BodyForm::Raw]);
    /// # }
    /// ```
    #[must_use]
    pub fn body_forms(mut self, forms: impl IntoIterator<Item = BodyForm>) -> Self {
        self.forms = forms.into_iter().collect();
        if self.forms.is_empty() {
            self.forms.push(BodyForm::Minified);
        }
        self
    }

    /// Tolerated distance between `X-TIMESTAMP` and the clock, either way.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The clock the window is measured against.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Whether [`verify_headers`](Self::verify_headers) requires `X-EXTERNAL-ID` and
    /// refuses one already accepted the same (Jakarta) day, the day of `X-TIMESTAMP`, with
    /// [`NotificationError::DuplicateExternalId`] (`409xx00`), as
    /// [`InboundVerifier`](crate::InboundVerifier) does for transactions. Default: off
    /// ([`verify`](Self::verify) sees no headers, and some providers re-send a notification
    /// with the same id on purpose: BCA's `"flagAdvise": "Y"`). Ids are remembered in memory
    /// (at most [`MAX_EXTERNAL_IDS`](crate::MAX_EXTERNAL_IDS)), only once the signature
    /// verifies; clones share the memory.
    #[must_use]
    pub fn reject_replayed_external_ids(mut self, reject: bool) -> Self {
        self.external_ids = reject.then(Arc::default);
        self
    }

    /// How `X-SIGNATURE` is encoded (default base64).
    #[must_use]
    pub fn signature_encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Verifies one notification from its parts: the HTTP method, the `EndpointUrl` the
    /// provider signed (your notification path, with the query if the provider signs it),
    /// the `X-TIMESTAMP` and `X-SIGNATURE` header values and the raw body as received.
    pub fn verify(
        &self,
        method: &str,
        endpoint_url: &str,
        timestamp: &str,
        signature: &str,
        raw_body: &[u8],
    ) -> Result<VerifiedNotification, NotificationError> {
        let at = parse_timestamp(timestamp)
            .or_else(|e| match self.client {
                // BRI: `yyyy-MM-dd HH:mm:ss`, Jakarta wall-clock time.
                Some(_) if timestamp.len() == 19 && timestamp.as_bytes().get(10) == Some(&b' ') => {
                    parse_timestamp(&format!("{}T{}+07:00", &timestamp[..10], &timestamp[11..]))
                }
                _ => Err(e),
            })
            .map_err(|_| NotificationError::MalformedTimestamp)?;
        let now = self.clock.now();
        let (skew, in_future) = match at.duration_since(now) {
            Ok(ahead) => (ahead, true),
            Err(e) => (e.duration(), false),
        };
        if skew > self.window {
            return Err(NotificationError::StaleTimestamp { skew, in_future });
        }
        let sig = self
            .encoding
            .decode(signature)
            .ok_or(NotificationError::MalformedSignature)?;
        if let Some(client) = &self.client {
            let signed = format!("{client}|{timestamp}");
            if !self.key_verifies(signed.as_bytes(), &sig) {
                return Err(NotificationError::BadSignature);
            }
            return Ok(VerifiedNotification {
                timestamp: at,
                body_sha256_hex: body_sha256_hex(raw_body),
                minified_body: raw_body.to_vec(),
                covers_body: false,
            });
        }
        let mut first_error = None;
        let mut any_form = false;
        for &form in &self.forms {
            let body = match canonical_body(raw_body, form) {
                Ok(b) => b,
                Err(e) => {
                    first_error.get_or_insert(match e {
                        CanonicalError::Minify(m) => NotificationError::InvalidBody(m),
                        _ => NotificationError::UnreadableBody { form: form.name() },
                    });
                    continue;
                }
            };
            any_form = true;
            let hash = body_sha256_hex(&body);
            let sts = asymmetric_string_to_sign(method, endpoint_url, &hash, timestamp);
            if self.key_verifies(sts.as_bytes(), &sig) {
                check_unique_keys(raw_body).map_err(|_| NotificationError::RepeatedKey)?;
                return Ok(VerifiedNotification {
                    timestamp: at,
                    minified_body: body,
                    body_sha256_hex: hash,
                    covers_body: true,
                });
            }
        }
        match first_error {
            Some(e) if !any_form => Err(e),
            _ => Err(NotificationError::BadSignature),
        }
    }

    fn key_verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.key {
            NotificationKey::Rsa(k) => k.verify(message, signature),
            NotificationKey::HmacSha256(mac) => {
                let mut mac = mac.clone();
                mac.update(message);
                mac.verify_slice(signature).is_ok()
            }
        }
    }

    /// [`verify`](Self::verify) reading `X-TIMESTAMP` and `X-SIGNATURE` from `headers`.
    pub fn verify_headers(
        &self,
        method: &str,
        endpoint_url: &str,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<VerifiedNotification, NotificationError> {
        let get = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(NotificationError::MissingHeader(name))
        };
        let timestamp = get("x-timestamp")?;
        let signature = get("x-signature")?;
        let external_id = match self.external_ids {
            Some(_) => Some(get("x-external-id").and_then(|v| {
                (!v.is_empty())
                    .then_some(v)
                    .ok_or(NotificationError::MissingHeader("x-external-id"))
            })?),
            None => None,
        };
        let verified = self.verify(method, endpoint_url, timestamp, signature, raw_body)?;
        if let (Some(ids), Some(id)) = (&self.external_ids, external_id) {
            let client = self.client.as_deref().unwrap_or_default();
            ids.record(
                client,
                id,
                verified.timestamp,
                self.clock.now(),
                self.window,
            )
            .map_err(|_| NotificationError::DuplicateExternalId)?;
        }
        Ok(verified)
    }
}
