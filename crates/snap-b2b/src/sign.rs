//! Pure SNAP signing functions: no I/O, no clock. The stages are public so they can be
//! checked one by one against vectors, and [`sign_symmetric`] / [`sign_asymmetric`] run the
//! same composition of them as every request [`SnapAuth`](crate::SnapAuth) signs.
//!
//! - Access token: `X-SIGNATURE = enc(SHA256withRSA(private key, clientKey + "|" + X-TIMESTAMP))`.
//! - Symmetric transaction: `X-SIGNATURE = enc(HMAC-SHA512(clientSecret,
//!   METHOD:EndpointUrl:AccessToken:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP))`.
//! - Asymmetric transaction / notification: `enc(SHA256withRSA(key,
//!   METHOD:EndpointUrl:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP))`.
//!
//! `enc` is base64 (standard alphabet, padded) by default, hex for the providers that want it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use auth_core::{ExposeSecret, SecretString};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use crate::canonical::{BodyForm, CanonicalError, canonical_body};
use crate::credentials::SnapPrivateKey;
use crate::minify::{MinifiedBody, minify_and_hash};

/// How signature bytes are written into `X-SIGNATURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// Standard base64 with padding (the SNAP specification; default).
    #[default]
    Base64,
    /// Lowercase hex (a few providers).
    Hex,
}

impl SignatureEncoding {
    /// Encodes signature bytes.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            SignatureEncoding::Base64 => STANDARD.encode(bytes),
            SignatureEncoding::Hex => hex::encode(bytes),
        }
    }

    /// [`encode`](Self::encode) appended to `out`.
    pub(crate) fn encode_into(self, bytes: &[u8], out: &mut Vec<u8>) {
        let at = out.len();
        match self {
            SignatureEncoding::Base64 => {
                out.resize(at + base64::encoded_len(bytes.len(), true).unwrap_or(0), 0);
                let written = STANDARD.encode_slice(bytes, &mut out[at..]).unwrap_or(0);
                out.truncate(at + written);
            }
            SignatureEncoding::Hex => {
                out.resize(at + 2 * bytes.len(), 0);
                if hex::encode_to_slice(bytes, &mut out[at..]).is_err() {
                    out.truncate(at);
                }
            }
        }
    }

    /// Decodes a received signature (hex is accepted in either case).
    pub fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            SignatureEncoding::Base64 => STANDARD.decode(text.trim()).ok(),
            SignatureEncoding::Hex => hex::decode(text.trim()).ok(),
        }
    }
}

/// Which part of the request URL is signed as `EndpointUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EndpointUrlMode {
    /// Path and query string as sent, e.g. `/snap/v1.0/balance-inquiry?accountNo=1`
    /// (default; the specification signs the relative URL).
    #[default]
    PathAndQuery,
    /// The path only; the query string is left out of the signature (some providers).
    PathOnly,
    /// The path, then `?` and the query's `name=value` pairs sorted by name, then value (as
    /// sent, percent-encoded). Seen only in a third-party BCA simulator; no provider page
    /// confirms it.
    PathAndSortedQuery,
}

/// Which path the signed `EndpointUrl` starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EndpointBase {
    /// The request's full path (default): `https://host/snap/v1.0/x` signs `/snap/v1.0/x`.
    #[default]
    FullPath,
    /// The path below the configured base URL's path: with base URL `https://host/snap`,
    /// `https://host/snap/v1.0/x` signs `/v1.0/x`. A request outside the base path (another
    /// allowed origin, say) signs its full path.
    BelowBasePath,
}

/// The `EndpointUrl` of a request: its path (as percent-encoded in the URL, i.e. as sent;
/// below `base_path` with [`EndpointBase::BelowBasePath`]) and, in
/// [`EndpointUrlMode::PathAndQuery`], `?` and the query. Borrowed from the URL except for a
/// request to the base path itself below it.
///
/// ```
/// use tollgate_snap_b2b::sign::{EndpointBase, EndpointUrlMode, endpoint_url};
/// use EndpointBase::{BelowBasePath as Below, FullPath as Full};
/// use EndpointUrlMode::{PathAndQuery as Query, PathOnly as Path};
/// let url = url::Url::parse("https://h.example/snap/v1.0/x?a=1&b=2#f").unwrap();
/// assert_eq!(endpoint_url(&url, Query, Full, ""), "/snap/v1.0/x?a=1&b=2");
/// assert_eq!(endpoint_url(&url, Path, Full, "/snap"), "/snap/v1.0/x");
/// assert_eq!(endpoint_url(&url, Query, Below, "/snap"), "/v1.0/x?a=1&b=2");
/// assert_eq!(endpoint_url(&url, Path, Below, "/snap/"), "/v1.0/x");
/// assert_eq!(endpoint_url(&url, Path, Below, "/sna"), "/snap/v1.0/x");
/// let base = url::Url::parse("https://h.example/snap?a=1").unwrap();
/// assert_eq!(endpoint_url(&base, Query, Below, "/snap"), "/?a=1");
/// let unsorted = url::Url::parse("https://h.example/x?b=2&a=9&a=1&c").unwrap();
/// let sorted = EndpointUrlMode::PathAndSortedQuery;
/// assert_eq!(endpoint_url(&unsorted, sorted, Full, ""), "/x?a=1&a=9&b=2&c");
/// ```
pub fn endpoint_url<'u>(
    url: &'u Url,
    mode: EndpointUrlMode,
    base: EndpointBase,
    base_path: &str,
) -> Cow<'u, str> {
    // The path and the query are contiguous in the URL's serialisation.
    let full = match mode {
        EndpointUrlMode::PathAndSortedQuery => match url.query() {
            Some(q) => {
                // Each pair as sent, ordered by name, then value.
                let mut pairs: Vec<&str> = q.split('&').collect();
                pairs.sort_unstable_by_key(|p| p.split_once('=').unwrap_or((p, "")));
                let url = format!("{}?{}", url.path(), pairs.join("&"));
                return endpoint_url_below(Cow::Owned(url), base, base_path);
            }
            None => url.path(),
        },
        EndpointUrlMode::PathAndQuery => &url[url::Position::BeforePath..url::Position::AfterQuery],
        EndpointUrlMode::PathOnly => url.path(),
    };
    endpoint_url_below(Cow::Borrowed(full), base, base_path)
}

/// `full` below `base_path` with [`EndpointBase::BelowBasePath`].
fn endpoint_url_below<'u>(full: Cow<'u, str>, base: EndpointBase, base_path: &str) -> Cow<'u, str> {
    let prefix = base_path.trim_end_matches('/');
    if base != EndpointBase::BelowBasePath || prefix.is_empty() {
        return full;
    }
    let below = match full.strip_prefix(prefix) {
        Some(rest) if rest.starts_with('/') => Some(Ok(rest.len())),
        Some(rest) if rest.is_empty() || rest.starts_with('?') => Some(Err(format!("/{rest}"))),
        _ => None,
    };
    match (below, full) {
        (Some(Err(owned)), _) => Cow::Owned(owned),
        (Some(Ok(len)), Cow::Borrowed(f)) => Cow::Borrowed(&f[f.len() - len..]),
        (Some(Ok(len)), Cow::Owned(f)) => Cow::Owned(f[f.len() - len..].to_string()),
        (None, full) => full,
    }
}

/// The string signed in the access token request: `clientKey|timestamp`.
pub fn token_string_to_sign(client_key: &str, timestamp: &str) -> String {
    format!("{client_key}|{timestamp}")
}

/// The `X-SIGNATURE` of the access token request.
///
/// ```no_run
/// # fn demo(key: &tollgate_snap_b2b::SnapPrivateKey) {
/// use tollgate_snap_b2b::sign::{token_signature, SignatureEncoding};
/// let sig = token_signature(key, "10001", "2020-01-01T00:00:00+07:00", SignatureEncoding::Base64);
/// # }
/// ```
pub fn token_signature(
    key: &SnapPrivateKey,
    client_key: &str,
    timestamp: &str,
    encoding: SignatureEncoding,
) -> String {
    encoding.encode(&key.sign(token_string_to_sign(client_key, timestamp).as_bytes()))
}

/// `lowercase(hex(SHA-256(body)))` of an already minified body.
///
/// ```
/// // SNAP hashes an absent body as the empty string.
/// assert_eq!(
///     tollgate_snap_b2b::sign::body_sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn body_sha256_hex(minified_body: &[u8]) -> String {
    hex::encode(Sha256::digest(minified_body))
}

/// `METHOD:EndpointUrl:AccessToken:bodyHash:timestamp` (the token without `Bearer `).
pub fn symmetric_string_to_sign(
    method: &str,
    endpoint_url: &str,
    access_token: &str,
    body_sha256_hex: &str,
    timestamp: &str,
) -> String {
    let hash = body_sha256_hex.as_bytes();
    text(&string_to_sign(
        method,
        endpoint_url,
        Some(access_token),
        hash,
        timestamp.as_bytes(),
    ))
}

/// `METHOD:EndpointUrl:bodyHash:timestamp` (asymmetric transactions and notifications).
pub fn asymmetric_string_to_sign(
    method: &str,
    endpoint_url: &str,
    body_sha256_hex: &str,
    timestamp: &str,
) -> String {
    let hash = body_sha256_hex.as_bytes();
    text(&string_to_sign(
        method,
        endpoint_url,
        None,
        hash,
        timestamp.as_bytes(),
    ))
}

/// The string to sign in pieces, `METHOD:EndpointUrl:AccessToken:bodyHash:timestamp` (the
/// token and its colon empty for an asymmetric signature): the one definition of its layout.
/// Requests feed the pieces to the signature without assembling the string.
fn string_to_sign<'a>(
    method: &'a str,
    endpoint_url: &'a str,
    access_token: Option<&'a str>,
    body_sha256_hex: &'a [u8],
    timestamp: &'a [u8],
) -> [&'a [u8]; 9] {
    let (token, colon): (&[u8], &[u8]) = match access_token {
        Some(t) => (t.as_bytes(), b":"),
        None => (b"", b""),
    };
    let (method, endpoint_url) = (method.as_bytes(), endpoint_url.as_bytes());
    [
        method,
        b":",
        endpoint_url,
        b":",
        token,
        colon,
        body_sha256_hex,
        b":",
        timestamp,
    ]
}

/// The pieces of [`string_to_sign`] as one string (each piece is text).
fn text(parts: &[&[u8]]) -> String {
    parts.iter().map(|p| String::from_utf8_lossy(p)).collect()
}

/// The client secret prepared as an HMAC-SHA512 key (the key schedule is computed once and
/// cloned per request).
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha512>);

impl HmacKey {
    /// Prepares `secret` (its UTF-8 bytes) as the key.
    pub fn new(secret: &SecretString) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <Hmac<Sha512> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        HmacKey(mac)
    }

    /// HMAC-SHA512 of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA512 of the concatenation of `parts` (the string to sign is fed piece by
    /// piece, never assembled).
    pub(crate) fn sign_parts(&self, parts: &[&[u8]]) -> [u8; 64] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC-SHA512 of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.0.clone();
        mac.update(message);
        mac.verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey([REDACTED])")
    }
}

/// Every stage of a transaction signature.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionSignature {
    /// The signed `EndpointUrl`.
    pub endpoint_url: String,
    /// The exact body bytes to send (the minified body).
    pub minified_body: Vec<u8>,
    /// `lowercase(hex(SHA-256(minified_body)))`.
    pub body_sha256_hex: String,
    /// The string that was signed (contains the access token in symmetric mode).
    pub string_to_sign: String,
    /// The `X-SIGNATURE` value.
    pub signature: String,
}

impl fmt::Debug for TransactionSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionSignature")
            .field("endpoint_url", &self.endpoint_url)
            .field("body_len", &self.minified_body.len())
            .field("body_sha256_hex", &self.body_sha256_hex)
            .field("string_to_sign", &"[REDACTED: contains the access token]")
            .field("signature", &self.signature)
            .finish()
    }
}

/// Signs a transaction symmetrically: minifies `body`, hashes it, builds the string to sign
/// and computes the HMAC-SHA512 (what a request runs, reported stage by stage).
///
/// ```
/// use tollgate_snap_b2b::sign::{sign_symmetric, HmacKey, SignatureEncoding};
/// let key = HmacKey::new(&"secret".to_string().into());
/// let s = sign_symmetric(&key, "POST", "/v1.0/x", "tok", b"{ \"a\" : 1 }",
///     "2020-01-01T00:00:00+07:00", SignatureEncoding::Base64).unwrap();
/// assert_eq!(s.minified_body, b"{\"a\":1}");
/// assert!(s.string_to_sign.starts_with("POST:/v1.0/x:tok:"));
/// ```
pub fn sign_symmetric(
    key: &HmacKey,
    method: &str,
    endpoint_url: &str,
    access_token: &str,
    body: &[u8],
    timestamp: &str,
    encoding: SignatureEncoding,
) -> Result<TransactionSignature, CanonicalError> {
    let key = TransactionKey::Symmetric {
        hmac: key,
        token: access_token,
    };
    Transaction::minified(method, endpoint_url, body, encoding).stages(&key, timestamp)
}

/// Signs a transaction asymmetrically (SHA256withRSA, no access token in the string).
pub fn sign_asymmetric(
    key: &SnapPrivateKey,
    method: &str,
    endpoint_url: &str,
    body: &[u8],
    timestamp: &str,
    encoding: SignatureEncoding,
) -> Result<TransactionSignature, CanonicalError> {
    let key = TransactionKey::Asymmetric(key);
    Transaction::minified(method, endpoint_url, body, encoding).stages(&key, timestamp)
}

/// The key a transaction is signed with.
pub(crate) enum TransactionKey<'a> {
    /// HMAC-SHA512 with the client secret, over a string that includes the access token.
    Symmetric {
        /// The prepared client secret.
        hmac: &'a HmacKey,
        /// The B2B access token (without `Bearer `).
        token: &'a str,
    },
    /// SHA256withRSA with the client's private key; no access token.
    Asymmetric(&'a SnapPrivateKey),
}

impl TransactionKey<'_> {
    fn token(&self) -> Option<&str> {
        match self {
            TransactionKey::Symmetric { token, .. } => Some(token),
            TransactionKey::Asymmetric(_) => None,
        }
    }
}

impl fmt::Debug for TransactionKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionKey([REDACTED])")
    }
}

/// What a transaction signature covers, besides the key and the timestamp.
pub(crate) struct Transaction<'a> {
    /// The HTTP method.
    pub(crate) method: &'a str,
    /// The signed `EndpointUrl` ([`endpoint_url`]).
    pub(crate) endpoint_url: &'a str,
    /// The body as the caller has it.
    pub(crate) body: &'a [u8],
    /// The form of the body that is hashed and sent.
    pub(crate) form: BodyForm,
    /// How `X-SIGNATURE` is written.
    pub(crate) encoding: SignatureEncoding,
}

/// Where [`Transaction::sign_into`] wrote each value in the buffer.
#[derive(Debug)]
pub(crate) struct Signed {
    /// The body to send, when it differs from the caller's.
    pub(crate) body: Option<Range<usize>>,
    /// SHA-256 of the body as sent.
    pub(crate) body_sha256: [u8; 32],
    /// `X-TIMESTAMP`.
    pub(crate) timestamp: Range<usize>,
    /// `X-SIGNATURE`.
    pub(crate) signature: Range<usize>,
}

/// Room kept after the body for the header values (a timestamp, a Base64 or hex HMAC
/// signature and a typical external id); larger values only grow the buffer.
pub(crate) const HEADROOM: usize = 256;

impl<'a> Transaction<'a> {
    /// A transaction whose body is minified (the specification's form).
    fn minified(
        method: &'a str,
        endpoint_url: &'a str,
        body: &'a [u8],
        encoding: SignatureEncoding,
    ) -> Self {
        Transaction {
            method,
            endpoint_url,
            body,
            form: BodyForm::Minified,
            encoding,
        }
    }

    /// [`sign_into`](Self::sign_into) with every stage reported.
    fn stages(
        &self,
        key: &TransactionKey<'_>,
        timestamp: &str,
    ) -> Result<TransactionSignature, CanonicalError> {
        let mut buf = Vec::new();
        let signed =
            self.sign_into(key, |b| b.extend_from_slice(timestamp.as_bytes()), &mut buf)?;
        let hash = lowercase_hex(&signed.body_sha256);
        let ts = timestamp.as_bytes();
        let parts = string_to_sign(self.method, self.endpoint_url, key.token(), &hash, ts);
        Ok(TransactionSignature {
            endpoint_url: self.endpoint_url.to_string(),
            minified_body: match signed.body {
                Some(range) => buf[range].to_vec(),
                None => self.body.to_vec(),
            },
            body_sha256_hex: text(&[&hash[..]]),
            string_to_sign: text(&parts),
            signature: text(&[&buf[signed.signature]]),
        })
    }

    /// Signs the transaction: the one composition of the stages, which requests,
    /// [`sign_symmetric`] and [`sign_asymmetric`] all run. Appends to `buf` the body in its
    /// form (when it differs from the caller's), the timestamp `write_timestamp` writes, and
    /// the signature. One buffer holds every value a request sends that is not already in
    /// memory, so that they become one shared allocation (5 allocations per signed request,
    /// BENCHMARKS.md §5).
    pub(crate) fn sign_into(
        &self,
        key: &TransactionKey<'_>,
        write_timestamp: impl FnOnce(&mut Vec<u8>),
        buf: &mut Vec<u8>,
    ) -> Result<Signed, CanonicalError> {
        let (body, body_sha256) = body_and_hash(self.body, self.form, buf)?;
        if buf.capacity() == 0 {
            buf.reserve(HEADROOM);
        }
        // On the stack: no allocation for the hex digest.
        let hash = lowercase_hex(&body_sha256);
        let at = buf.len();
        write_timestamp(buf);
        let timestamp = at..buf.len();
        let parts = string_to_sign(
            self.method,
            self.endpoint_url,
            key.token(),
            &hash,
            &buf[timestamp.clone()],
        );
        let at = buf.len();
        match key {
            // Fed piece by piece: the string to sign is never assembled.
            TransactionKey::Symmetric { hmac, .. } => {
                let tag = hmac.sign_parts(&parts);
                self.encoding.encode_into(&tag, buf);
            }
            TransactionKey::Asymmetric(key) => {
                let signature = key.sign(&parts.concat());
                self.encoding.encode_into(&signature, buf);
            }
        }
        Ok(Signed {
            body,
            body_sha256,
            timestamp,
            signature: at..buf.len(),
        })
    }
}

/// The body stage: `body` in `form` and the SHA-256 of it. The body is appended to `buf`
/// (reserved with [`HEADROOM`] to spare) only when it differs from `body`.
fn body_and_hash(
    body: &[u8],
    form: BodyForm,
    buf: &mut Vec<u8>,
) -> Result<(Option<Range<usize>>, [u8; 32]), CanonicalError> {
    Ok(match form {
        // Minified and hashed in one pass: 1.07× SHA-256 alone at 1 MiB (BENCHMARKS.md §3);
        // a body that is already minified is hashed in place and never copied.
        BodyForm::Minified => match minify_and_hash(body, buf, HEADROOM)? {
            (MinifiedBody::InputPrefix(len), hash) if len == body.len() => (None, hash),
            // Only trailing whitespace was dropped: the body is a prefix of the input.
            (MinifiedBody::InputPrefix(len), hash) => (Some(append(buf, &body[..len])), hash),
            (MinifiedBody::Written { from }, hash) => (Some(from..buf.len()), hash),
        },
        BodyForm::Raw => (None, Sha256::digest(body).into()),
        form => {
            let canonical = canonical_body(body, form)?;
            let hash = Sha256::digest(&canonical).into();
            let sent = (canonical != body).then(|| append(buf, &canonical));
            (sent, hash)
        }
    })
}

/// Appends `bytes` to `buf` with [`HEADROOM`] to spare; returns where they are.
fn append(buf: &mut Vec<u8>, bytes: &[u8]) -> Range<usize> {
    let at = buf.len();
    buf.reserve(bytes.len() + HEADROOM);
    buf.extend_from_slice(bytes);
    at..buf.len()
}

/// `lowercase(hex(bytes))`.
fn lowercase_hex(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body stage copies a body only when its form differs from it, and hashes what is
    /// sent.
    #[test]
    fn body_stage_copies_only_what_changes() {
        for (body, form, sent) in [
            ("{\"a\":1}", BodyForm::Minified, None),
            ("{\"a\":1}\n", BodyForm::Minified, Some("{\"a\":1}")),
            (" {\"a\": 1}", BodyForm::Minified, Some("{\"a\":1}")),
            ("", BodyForm::Minified, None),
            ("{\"a\": 1.50}", BodyForm::Raw, None),
            ("{\"a\":1.50}", BodyForm::JsCompatible, Some("{\"a\":1.5}")),
            ("{\"a\":1.5}", BodyForm::JsCompatible, None),
        ] {
            let mut buf = b"x".to_vec();
            let (range, hash) = body_and_hash(body.as_bytes(), form, &mut buf).expect("valid");
            let got = range.map(|r| &buf[r]);
            assert_eq!(got, sent.map(str::as_bytes), "{body:?} {form:?}");
            let hashed = sent.unwrap_or(body);
            assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(hashed)), "{body:?}");
            assert_eq!(
                &lowercase_hex(&hash)[..],
                body_sha256_hex(hashed.as_bytes()).as_bytes()
            );
        }
    }
}
