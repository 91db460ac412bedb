use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::clock::system_clock;
use auth_core::{SecretString, SharedClock};
use http::HeaderMap;
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::canonical::{BodyForm, canonical_body, check_unique_keys};
use crate::credentials::SnapPublicKey;
use crate::error::ResponseCode;
use crate::sign::{
    HmacKey, SignatureEncoding, asymmetric_string_to_sign, body_sha256_hex,
    symmetric_string_to_sign, token_string_to_sign,
};
use crate::timestamp::{TimestampFormat, parse_timestamp};

/// Default window around the local clock for `X-TIMESTAMP`.
pub const INBOUND_TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);
/// Default lifetime of issued tokens.
pub const ISSUED_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// The most tokens held at once; the oldest expiring are dropped first.
pub const MAX_TOKENS: usize = 100_000;
/// The most `X-EXTERNAL-ID`s remembered at once for replay detection; the oldest expiring
/// are dropped first.
pub const MAX_EXTERNAL_IDS: usize = 100_000;

/// Why an inbound request is refused, and the SNAP code to answer with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboundError {
    /// A mandatory header or field is missing (`400xx02`).
    #[error("invalid mandatory field {0}")]
    MissingField(&'static str),
    /// A field has the wrong format (`400xx01`), e.g. `X-TIMESTAMP` or `Content-Type`.
    #[error("invalid field format {0}")]
    InvalidFieldFormat(&'static str),
    /// The client key is unknown (`401xx00`).
    #[error("unknown client")]
    UnknownClient,
    /// `X-TIMESTAMP` is outside the window (`401xx00`).
    #[error("X-TIMESTAMP outside the window")]
    StaleTimestamp,
    /// The signature does not verify (`401xx00`: `4017300` for the token request,
    /// `4012400` for a transaction of service 24).
    #[error("signature does not verify")]
    BadSignature,
    /// The bearer token is missing, unknown or expired (`401xx01`).
    #[error("invalid token")]
    InvalidToken,
    /// The client already used this `X-EXTERNAL-ID` the same (Jakarta) day (`409xx00`).
    #[error("duplicate X-EXTERNAL-ID")]
    DuplicateExternalId,
}

impl InboundError {
    /// The HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            InboundError::MissingField(_) | InboundError::InvalidFieldFormat(_) => 400,
            InboundError::DuplicateExternalId => 409,
            _ => 401,
        }
    }

    /// The case code (last two digits).
    pub fn case_code(&self) -> u8 {
        match self {
            InboundError::MissingField(_) => 2,
            InboundError::InvalidFieldFormat(_) => 1,
            InboundError::InvalidToken => 1,
            _ => 0,
        }
    }

    /// The seven-digit `responseCode` for `service` (73 token, 24 VA inquiry…).
    ///
    /// ```
    /// use tollgate_snap_b2b::InboundError;
    /// assert_eq!(InboundError::BadSignature.response_code(24).as_str(), "4012400");
    /// assert_eq!(InboundError::InvalidToken.response_code(24).as_str(), "4012401");
    /// ```
    pub fn response_code(&self, service: u8) -> ResponseCode {
        ResponseCode::new(self.http_status(), service.min(99), self.case_code())
            .unwrap_or_else(|| unreachable!("status, service and case are in range"))
    }

    /// The SNAP response body: `{"responseCode":…,"responseMessage":…}`.
    pub fn body(&self, service: u8) -> serde_json::Value {
        serde_json::json!({
            "responseCode": self.response_code(service).as_str(),
            "responseMessage": match self {
                InboundError::MissingField(f) => format!("Invalid Mandatory Field {f}"),
                InboundError::InvalidFieldFormat(f) => format!("Invalid Field Format {f}"),
                InboundError::InvalidToken => "Invalid Token (B2B)".to_string(),
                InboundError::DuplicateExternalId => "Conflict".to_string(),
                _ => "Unauthorized. [Signature]".to_string(),
            },
        })
    }
}

#[derive(Clone)]
struct Client {
    public: SnapPublicKey,
    hmac: Option<HmacKey>,
}

/// Client, Jakarta day, `X-EXTERNAL-ID`.
type ExternalIdKey = (String, String, String);

/// The `X-EXTERNAL-ID`s seen per client and Jakarta day (at most [`MAX_EXTERNAL_IDS`], the
/// oldest dropped first): the replay memory of both inbound verifiers. Clones of a verifier
/// share it.
#[derive(Debug, Default)]
pub(crate) struct ExternalIds(Mutex<HashMap<ExternalIdKey, SystemTime>>);

impl ExternalIds {
    /// Remembers `id` for `client` on the (Jakarta) day of `at` (the request's
    /// `X-TIMESTAMP`); refuses an id already remembered for that client and day. `window` is
    /// the verifier's timestamp window.
    pub(crate) fn record(
        &self,
        client: &str,
        id: &str,
        at: SystemTime,
        now: SystemTime,
        window: Duration,
    ) -> Result<(), InboundError> {
        const DAY: Duration = Duration::from_secs(86_400);
        // A day's ids matter until that day is over on every clock within the window.
        let keep = DAY + window + window;
        let day = TimestampFormat::default().format(at);
        let key = (
            client.to_string(),
            day.get(..10).unwrap_or_default().to_string(),
            id.to_string(),
        );
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        ids.retain(|_, seen| seen.checked_add(keep).is_some_and(|end| end > now));
        if ids.contains_key(&key) {
            return Err(InboundError::DuplicateExternalId);
        }
        if ids.len() >= MAX_EXTERNAL_IDS
            && let Some(k) = ids
                .iter()
                .min_by_key(|(_, seen)| **seen)
                .map(|(k, _)| k.clone())
        {
            ids.remove(&k);
        }
        ids.insert(key, at);
        Ok(())
    }
}

struct Issued {
    client: String,
    expires: SystemTime,
}

/// A token handed out by [`InboundVerifier::issue_token`].
#[non_exhaustive]
pub struct IssuedToken {
    /// The bearer token.
    pub access_token: SecretString,
    /// Its lifetime.
    pub expires_in: Duration,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl IssuedToken {
    /// The SNAP token response body (`2007300`).
    pub fn response_body(&self) -> serde_json::Value {
        use auth_core::ExposeSecret;
        serde_json::json!({
            "responseCode": "2007300",
            "responseMessage": "Successful",
            "accessToken": self.access_token.expose_secret(),
            "tokenType": "Bearer",
            "expiresIn": self.expires_in.as_secs().to_string(),
        })
    }
}

/// What a verified transaction proved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedTransaction {
    /// The client key (from the token, or `X-PARTNER-ID` for asymmetric calls).
    pub client_key: String,
    /// Whether the call was signed with HMAC and a token.
    pub symmetric: bool,
    /// `lowercase(hex(SHA-256(body form)))` that verified.
    pub body_sha256_hex: String,
    /// The body in the form whose hash verified: what the signature covers. Read the
    /// request from these bytes, not from what arrived (with
    /// [`BodyForm::WhitespaceStripped`] they differ inside strings).
    pub body: Vec<u8>,
    /// The client already sent this `X-EXTERNAL-ID` today and this is a re-send (only with
    /// [`InboundVerifier::report_resends`]): answer it as the first one was answered.
    pub resend: bool,
}

/// Verifies SNAP requests a provider sends to the merchant. Cheap to clone (clones share
/// the issued tokens).
///
/// Inbound verification: the merchant as SNAP server.
///
/// Some providers call the merchant (DOKU asks the merchant for a B2B token, then calls the
/// merchant's endpoints). [`InboundVerifier`] does the server side without tying you to a
/// web framework: hand it the method, the signed `EndpointUrl`, the headers and the raw
/// body; it answers with what it proved or an [`InboundError`] that names the SNAP response
/// code to answer ([`InboundError::response_code`]).
///
/// - [`verify_token_request`](InboundVerifier::verify_token_request): `Content-Type`, a
///   known `X-CLIENT-KEY`, `X-TIMESTAMP` format and window, `X-SIGNATURE` =
///   SHA256withRSA(`clientKey|X-TIMESTAMP`) with that client's public key, `grantType`
///   `client_credentials` (`4017300` when the signature fails).
/// - [`issue_token`](InboundVerifier::issue_token) / [`check_token`](InboundVerifier::check_token):
///   random bearer tokens with a lifetime, kept in memory (bounded).
/// - [`verify_transaction`](InboundVerifier::verify_transaction): symmetric (HMAC-SHA512 with
///   the client's secret and the issued token) or asymmetric (SHA256withRSA, no token);
///   `4012401` for a bad token, `4012400` for a bad signature, `4092400` for an
///   `X-EXTERNAL-ID` used twice the same day.
///
/// ```
/// use tollgate_snap_b2b::auth_core::ManualClock;
/// use tollgate_snap_b2b::SnapPublicKey;
/// use tollgate_snap_b2b::{InboundError, InboundVerifier};
/// # let pem = include_str!("mock_keys/client_public.pem");
/// let verifier = InboundVerifier::new()
///     .client("provider-client", SnapPublicKey::from_pem("key", pem).unwrap(), Some("secret"))
///     .clock(ManualClock::at_unix(1_709_271_296).shared());
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-type", "application/json".parse().unwrap());
/// headers.insert("x-client-key", "provider-client".parse().unwrap());
/// headers.insert("x-timestamp", "2024-03-01T12:34:56+07:00".parse().unwrap());
/// headers.insert("x-signature", "AAAA".parse().unwrap());
/// let err = verifier
///     .verify_token_request(&headers, br#"{"grantType":"client_credentials"}"#)
///     .unwrap_err();
/// assert_eq!(err, InboundError::BadSignature);
/// assert_eq!(err.response_code(73).as_str(), "4017300");
/// ```
#[derive(Clone)]
pub struct InboundVerifier {
    clients: Arc<HashMap<String, Client>>,
    issued: Arc<Mutex<HashMap<String, Issued>>>,
    external_ids: Option<Arc<ExternalIds>>,
    clock: SharedClock,
    window: Duration,
    lifetime: Duration,
    encoding: SignatureEncoding,
    token_encoding: SignatureEncoding,
    timestamp: Option<TimestampFormat>,
    forms: Vec<BodyForm>,
    report_resends: bool,
    rsa_with_token: bool,
}

impl fmt::Debug for InboundVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundVerifier")
            .field("clients", &self.clients.keys().collect::<Vec<_>>())
            .field("window", &self.window)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl Default for InboundVerifier {
    fn default() -> Self {
        Self::new()
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, InboundError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or(InboundError::MissingField(name))
}

impl InboundVerifier {
    /// No clients yet, ±5 minute window, 15-minute tokens, base64 signatures, any
    /// well-formed `X-TIMESTAMP`, minified bodies, repeated `X-EXTERNAL-ID`s refused, the
    /// system clock.
    pub fn new() -> Self {
        InboundVerifier {
            clients: Arc::new(HashMap::new()),
            issued: Arc::new(Mutex::new(HashMap::new())),
            external_ids: Some(Arc::default()),
            clock: system_clock(),
            window: INBOUND_TIMESTAMP_WINDOW,
            lifetime: ISSUED_TOKEN_LIFETIME,
            encoding: SignatureEncoding::Base64,
            token_encoding: SignatureEncoding::Base64,
            timestamp: None,
            forms: vec![BodyForm::Minified],
            report_resends: false,
            rsa_with_token: false,
        }
    }

    /// Whether a verified call whose `X-EXTERNAL-ID` this client already used today is
    /// handed over with [`VerifiedTransaction::resend`] set, instead of refused with
    /// [`InboundError::DuplicateExternalId`] (`409xx00`). BCA re-sends payment
    /// notifications with the same id and `"flagAdvise": "Y"`; answering them 409 reverses
    /// the customer's payment, so the application must answer them as it answered the
    /// first. Default: off (refused).
    #[must_use]
    pub fn report_resends(mut self, report: bool) -> Self {
        self.report_resends = report;
        self
    }

    /// Whether calls carrying `Authorization` are signed with the client's RSA key rather
    /// than HMAC ("asymmetric with access token", as BNC's calls are): the token is checked
    /// and the signature covers `METHOD:EndpointUrl:bodyHash:X-TIMESTAMP`. Default: off.
    #[must_use]
    pub fn asymmetric_with_token(mut self, on: bool) -> Self {
        self.rsa_with_token = on;
        self
    }

    /// Registers a client: its key, public key, and shared secret for symmetric calls.
    #[must_use]
    pub fn client(mut self, client_key: &str, public: SnapPublicKey, secret: Option<&str>) -> Self {
        let hmac = secret.map(|s| HmacKey::new(&SecretString::from(s.to_string())));
        Arc::make_mut(&mut self.clients).insert(client_key.to_string(), Client { public, hmac });
        self
    }

    /// The clock for the window and token expiry.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Tolerated distance of `X-TIMESTAMP` from the clock.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Lifetime of issued tokens.
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// base64 or hex signatures, on token requests and transactions.
    #[must_use]
    pub fn signature_encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self.token_encoding = encoding;
        self
    }

    /// base64 or hex token-request signatures, where they differ from the transactions'
    /// (call after [`signature_encoding`](Self::signature_encoding)).
    #[must_use]
    pub fn token_signature_encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.token_encoding = encoding;
        self
    }

    /// Verifies what a client signing with `profile` sends: its signature encodings, its
    /// exact `X-TIMESTAMP` format, its body form (the whitespace-stripped form is never a
    /// profile's) and whether its RSA transactions carry a token.
    ///
    /// ```
    /// use tollgate_snap_b2b::{InboundVerifier, Profile};
    /// let verifier = InboundVerifier::new().profile(&Profile::bri());
    /// # let _ = verifier;
    /// ```
    #[must_use]
    pub fn profile(self, profile: &crate::Profile) -> Self {
        let form = match profile.body_form {
            BodyForm::WhitespaceStripped => BodyForm::Minified,
            f => f,
        };
        let mut v = self
            .signature_encoding(profile.signature_encoding)
            .token_signature_encoding(profile.token_signature_encoding)
            .timestamp_format(profile.timestamp)
            .body_forms([form]);
        v.rsa_with_token = matches!(
            profile.signing,
            crate::TransactionSigning::AsymmetricWithToken
        );
        v
    }

    /// Requires `X-TIMESTAMP` in exactly this format (zone and milliseconds).
    #[must_use]
    pub fn timestamp_format(mut self, format: TimestampFormat) -> Self {
        self.timestamp = Some(format);
        self
    }

    /// Whether [`verify_transaction`](Self::verify_transaction) requires `X-EXTERNAL-ID`
    /// and refuses one the same client already used the same day (Jakarta time, the day of
    /// `X-TIMESTAMP`) with [`InboundError::DuplicateExternalId`] (`409xx00`), as SNAP
    /// requires. Default: on. Ids are remembered in memory (at most
    /// [`MAX_EXTERNAL_IDS`], the oldest dropped first) and only once the signature
    /// verifies, so a forged request cannot use up a client's ids. `X-EXTERNAL-ID` is not
    /// part of the signed string: this catches a request sent twice, not a captured
    /// request replayed under a new id (the timestamp window bounds that).
    #[must_use]
    pub fn reject_replayed_external_ids(mut self, reject: bool) -> Self {
        self.external_ids = reject.then(Arc::default);
        self
    }

    /// Body forms tried in order (see [`BodyForm`](crate::BodyForm)).
    #[must_use]
    pub fn body_forms(mut self, forms: impl IntoIterator<Item = BodyForm>) -> Self {
        self.forms = forms.into_iter().collect();
        if self.forms.is_empty() {
            self.forms.push(BodyForm::Minified);
        }
        self
    }

    /// Checks `Content-Type: application/json` (parameters such as `charset` allowed).
    pub(crate) fn check_content_type(&self, headers: &HeaderMap) -> Result<(), InboundError> {
        let ct = header(headers, "content-type")?;
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/json") {
            Ok(())
        } else {
            Err(InboundError::InvalidFieldFormat("[Content-Type]"))
        }
    }

    /// Checks the `X-TIMESTAMP` format (the configured one, or any SNAP form) and window.
    pub(crate) fn check_timestamp(&self, ts: &str) -> Result<SystemTime, InboundError> {
        let bad = InboundError::InvalidFieldFormat("[X-TIMESTAMP]");
        let at = parse_timestamp(ts).map_err(|_| bad.clone())?;
        if let Some(f) = self.timestamp
            && f.format(at) != ts
        {
            return Err(bad);
        }
        let now = self.clock.now();
        let skew = match at.duration_since(now) {
            Ok(d) => d,
            Err(e) => e.duration(),
        };
        if skew > self.window {
            return Err(InboundError::StaleTimestamp);
        }
        Ok(at)
    }

    /// Verifies a B2B access-token request; returns the client key.
    pub fn verify_token_request(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, InboundError> {
        self.check_content_type(headers)?;
        let client_key = header(headers, "x-client-key")?;
        let ts = header(headers, "x-timestamp")?;
        let sig = header(headers, "x-signature")?;
        let client = self
            .clients
            .get(client_key)
            .ok_or(InboundError::UnknownClient)?;
        self.check_timestamp(ts)?;
        let bytes = self
            .token_encoding
            .decode(sig)
            .ok_or(InboundError::BadSignature)?;
        if !client
            .public
            .verify(token_string_to_sign(client_key, ts).as_bytes(), &bytes)
        {
            return Err(InboundError::BadSignature);
        }
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| InboundError::MissingField("[grantType]"))?;
        let grant = v
            .get("grantType")
            .or_else(|| v.get("grant_type"))
            .and_then(|g| g.as_str())
            .ok_or(InboundError::MissingField("[grantType]"))?;
        if grant != "client_credentials" {
            return Err(InboundError::InvalidFieldFormat("[grantType]"));
        }
        Ok(client_key.to_string())
    }

    /// Issues a token for `client_key`.
    pub fn issue_token(&self, client_key: &str) -> IssuedToken {
        let token: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        let token = SecretString::from(token);
        self.accept_token(&token, client_key, self.lifetime);
        IssuedToken {
            access_token: token,
            expires_in: self.lifetime,
        }
    }

    /// Accepts `token` for `client_key` for `expires_in` from now, as if this verifier had
    /// issued it: for tokens issued by another instance of your server (kept in a shared
    /// store) or restored after a restart.
    pub fn accept_token(&self, token: &SecretString, client_key: &str, expires_in: Duration) {
        use auth_core::ExposeSecret;
        let now = self.clock.now();
        let expires = now.checked_add(expires_in).unwrap_or(now);
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued.retain(|_, i| i.expires > now);
        if issued.len() >= MAX_TOKENS
            && let Some(k) = issued
                .iter()
                .min_by_key(|(_, i)| i.expires)
                .map(|(k, _)| k.clone())
        {
            issued.remove(&k);
        }
        issued.insert(
            token.expose_secret().to_string(),
            Issued {
                client: client_key.to_string(),
                expires,
            },
        );
    }

    /// Checks `Authorization: Bearer <token>`; returns the client key it was issued to.
    pub fn check_token(&self, authorization: &str) -> Result<String, InboundError> {
        let token = authorization
            .strip_prefix("Bearer ")
            .ok_or(InboundError::InvalidToken)?;
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        match issued.get(token) {
            Some(i) if self.clock.now() < i.expires => Ok(i.client.clone()),
            _ => Err(InboundError::InvalidToken),
        }
    }

    /// Verifies a transaction: with `Authorization`, symmetric (token checked, HMAC-SHA512
    /// with the client's secret); without, asymmetric with the public key of the client named
    /// by `X-PARTNER-ID`. `endpoint_url` is what the caller signs (your path, with the query
    /// if your callers sign it). Unless turned off with
    /// [`reject_replayed_external_ids`](Self::reject_replayed_external_ids), `X-EXTERNAL-ID`
    /// is mandatory and one used twice the same day is refused.
    pub fn verify_transaction(
        &self,
        method: &str,
        endpoint_url: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<VerifiedTransaction, InboundError> {
        let with_token = headers.contains_key(http::header::AUTHORIZATION);
        let symmetric = with_token && !self.rsa_with_token;
        let client_key = if with_token {
            self.check_token(
                header(headers, "authorization").map_err(|_| InboundError::InvalidToken)?,
            )?
        } else {
            // X-CLIENT-KEY names the client where X-PARTNER-ID is not sent (BNC).
            header(headers, "x-partner-id")
                .or_else(|missing| header(headers, "x-client-key").map_err(|_| missing))?
                .to_string()
        };
        self.check_content_type(headers)?;
        let ts = header(headers, "x-timestamp")?;
        let sig = header(headers, "x-signature")?;
        let external_id = match self.external_ids {
            Some(_) => Some(header(headers, "x-external-id")?),
            None => None,
        };
        let at = self.check_timestamp(ts)?;
        let client = self
            .clients
            .get(&client_key)
            .ok_or(InboundError::UnknownClient)?;
        let sig = self
            .encoding
            .decode(sig)
            .ok_or(InboundError::BadSignature)?;
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        for &form in &self.forms {
            let Ok(b) = canonical_body(body, form) else {
                continue;
            };
            let hash = body_sha256_hex(&b);
            let ok = if symmetric {
                let sts = symmetric_string_to_sign(method, endpoint_url, token, &hash, ts);
                client
                    .hmac
                    .as_ref()
                    .is_some_and(|h| h.verify(sts.as_bytes(), &sig))
            } else {
                let sts = asymmetric_string_to_sign(method, endpoint_url, &hash, ts);
                client.public.verify(sts.as_bytes(), &sig)
            };
            if ok {
                check_unique_keys(body).map_err(|_| InboundError::InvalidFieldFormat("[body]"))?;
                let resend =
                    match external_id.map(|id| self.record_external_id(&client_key, id, at)) {
                        Some(Err(InboundError::DuplicateExternalId)) if self.report_resends => true,
                        Some(Err(e)) => return Err(e),
                        _ => false,
                    };
                return Ok(VerifiedTransaction {
                    client_key,
                    symmetric,
                    body_sha256_hex: hash,
                    body: b,
                    resend,
                });
            }
        }
        Err(InboundError::BadSignature)
    }

    /// Remembers `id` for `client` on the (Jakarta) day of `at`, the request's
    /// `X-TIMESTAMP`; refuses an id already remembered for that client and day.
    fn record_external_id(
        &self,
        client: &str,
        id: &str,
        at: SystemTime,
    ) -> Result<(), InboundError> {
        match &self.external_ids {
            Some(ids) => ids.record(client, id, at, self.clock.now(), self.window),
            None => Ok(()),
        }
    }
}
