//! Compact JWS (JWT) encoding and verification, written once for every provider that mints
//! or checks JWTs.
//!
//! Encoding is byte-exact: the header is `{"alg":…,"typ":"JWT"}` with an optional `"kid"`
//! last, the registered claims are `{"iss":…,"iat":…,"exp":…}` in that order (`iat`
//! optional), both compact JSON with strings escaped as `serde_json` escapes them, and every
//! segment is base64url without padding:
//!
//! ```text
//! signing_input = b64url(header_json) + "." + b64url(claims_json)
//! token         = signing_input + "." + b64url(signature)
//! ```
//!
//! Verification pins the algorithm: [`Jws::decode`] refuses any `alg` other than the one the
//! caller names (so `none` and HS/RS key confusion are refused before a key is touched) and
//! any `crit` header (RFC 7515 §4.1.11: extensions it does not understand must be refused),
//! then [`Jws::verify`] hands the signing input and the raw signature to the caller's
//! key and, only when the key accepts them, decodes the claims. The cryptography stays with
//! the caller, so this module adds no crypto dependency.
//!
//! ```
//! use tollgate_auth_core::jwt::{self, Algorithm, Jws};
//!
//! let header = jwt::header_json(Algorithm::Hs256, Some("k1"));
//! let claims = jwt::claims_json("ISS", None, 1_700_000_000);
//! assert_eq!(header, r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
//! assert_eq!(claims, r#"{"iss":"ISS","exp":1700000000}"#);
//! let stages = jwt::encode(header, claims, |input| {
//!     Ok::<_, std::convert::Infallible>(input.len().to_be_bytes().to_vec())
//! })
//! .expect("signed");
//!
//! let jws = Jws::decode(&stages.token, Algorithm::Hs256).expect("structure");
//! assert_eq!(jws.kid(), Some("k1"));
//! let claims = jws
//!     .verify(|input, signature| {
//!         if signature == input.len().to_be_bytes() {
//!             Ok(())
//!         } else {
//!             Err(jwt::JwtError::new("bad signature"))
//!         }
//!     })
//!     .expect("verified");
//! assert_eq!(claims, br#"{"iss":"ISS","exp":1700000000}"#);
//! assert!(Jws::decode(&stages.token, Algorithm::Rs256).is_err());
//! ```

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{AuthError, ErrorKind};

/// The JWS algorithms the tollgate providers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA256.
    Hs256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256, signature as raw `r || s`.
    Es256,
}

impl Algorithm {
    /// The JOSE name (`"HS256"`, `"RS256"`, `"ES256"`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// base64url without padding, as every JWS segment is encoded.
pub fn b64url(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    exp: u64,
}

/// The JOSE header, compact JSON in the order `alg`, `typ` (always `"JWT"`), `kid` (only
/// when given).
pub fn header_json(alg: Algorithm, kid: Option<&str>) -> String {
    let header = Header {
        alg: alg.name(),
        typ: "JWT",
        kid,
    };
    // Serialising a struct of strings cannot fail.
    serde_json::to_string(&header).unwrap_or_default()
}

/// The registered claims, compact JSON in the order `iss`, `iat` (only when given), `exp`
/// (Unix seconds).
pub fn claims_json(issuer: &str, iat: Option<u64>, exp: u64) -> String {
    let claims = Claims {
        iss: issuer,
        iat,
        exp,
    };
    // Serialising a struct of a string and numbers cannot fail.
    serde_json::to_string(&claims).unwrap_or_default()
}

/// Joins two encoded segments with a dot: `header_b64 + "." + claims_b64`.
pub fn join_segments(header_b64: &str, claims_b64: &str) -> String {
    let mut s = String::with_capacity(header_b64.len() + 1 + claims_b64.len());
    s.push_str(header_b64);
    s.push('.');
    s.push_str(claims_b64);
    s
}

/// Every stage of one signed token. `Debug` hides the signature and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtStages<S = Vec<u8>> {
    /// The JOSE header JSON.
    pub header_json: String,
    /// `b64url(header_json)`.
    pub header_b64: String,
    /// The claims JSON.
    pub claims_json: String,
    /// `b64url(claims_json)`.
    pub claims_b64: String,
    /// `header_b64 + "." + claims_b64`: the bytes the signature covers.
    pub signing_input: String,
    /// The raw signature.
    pub signature: S,
    /// `b64url(signature)`.
    pub signature_b64: String,
    /// The compact token (a bearer credential: keep it secret).
    pub token: String,
}

impl<S> fmt::Debug for JwtStages<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtStages")
            .field("header_json", &self.header_json)
            .field("claims_json", &self.claims_json)
            .field("signature", &crate::Redacted)
            .field("token", &crate::Redacted)
            .finish()
    }
}

/// Encodes `header_json` and `claims_json`, signs the signing input with `sign` and
/// returns every stage of the token.
pub fn encode<S: AsRef<[u8]>, E>(
    header_json: String,
    claims_json: String,
    sign: impl FnOnce(&str) -> Result<S, E>,
) -> Result<JwtStages<S>, E> {
    let header_b64 = b64url(&header_json);
    let claims_b64 = b64url(&claims_json);
    let signing_input = join_segments(&header_b64, &claims_b64);
    let signature = sign(&signing_input)?;
    let signature_b64 = b64url(&signature);
    let token = format!("{signing_input}.{signature_b64}");
    Ok(JwtStages {
        header_json,
        header_b64,
        claims_json,
        claims_b64,
        signing_input,
        signature,
        signature_b64,
        token,
    })
}

/// Why a token was refused: a short description that never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct JwtError {
    problem: Cow<'static, str>,
}

impl JwtError {
    /// A refusal for `problem` (for example `"bad signature"`).
    pub fn new(problem: impl Into<Cow<'static, str>>) -> Self {
        JwtError {
            problem: problem.into(),
        }
    }

    /// What was wrong.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// A [`Verification`](ErrorKind::Verification) error reading `"{context}: {problem}"`
    /// (for example `context` = `"JWT rejected"`).
    pub fn into_auth_error(self, context: &str) -> AuthError {
        AuthError::new(
            ErrorKind::Verification,
            format!("{context}: {}", self.problem),
        )
    }
}

fn segment(part: &str, what: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::new(format!("{what} is not base64url")))
}

/// A compact JWS whose header has been read and whose `alg` is the pinned one; its
/// signature is not checked yet.
#[derive(Debug)]
pub struct Jws<'a> {
    header: Map<String, Value>,
    signing_input: &'a str,
    claims_b64: &'a str,
    signature_b64: &'a str,
}

impl<'a> Jws<'a> {
    /// Splits `token` into its three segments and reads the header, refusing anything but a
    /// JSON object whose `alg` is exactly `alg` and that has no `crit`.
    pub fn decode(token: &'a str, alg: Algorithm) -> Result<Self, JwtError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::new(
                "not a compact JWS (three dot-separated parts)",
            ));
        };
        let header: Map<String, Value> = serde_json::from_slice(&segment(h, "header")?)
            .map_err(|_| JwtError::new("header is not a JSON object"))?;
        match header.get("alg").and_then(Value::as_str) {
            Some(name) if name == alg.name() => {}
            Some(_) => {
                return Err(JwtError::new(format!(
                    "algorithm not allowed (only {} is accepted)",
                    alg.name()
                )));
            }
            None => return Err(JwtError::new("header has no alg")),
        }
        if header.contains_key("crit") {
            return Err(JwtError::new(
                "critical header extensions are not supported",
            ));
        }
        Ok(Jws {
            header,
            signing_input: &token[..h.len() + 1 + c.len()],
            claims_b64: c,
            signature_b64: s,
        })
    }

    /// The decoded header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The header's `kid`, when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// `header_b64 + "." + claims_b64`, as received.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    /// Decodes the signature, lets `check` verify it over the signing input and, only when
    /// it succeeds, returns the decoded claims bytes (JSON, not parsed yet).
    pub fn verify(
        self,
        check: impl FnOnce(&[u8], &[u8]) -> Result<(), JwtError>,
    ) -> Result<Vec<u8>, JwtError> {
        let signature = segment(self.signature_b64, "signature")?;
        check(self.signing_input.as_bytes(), &signature)?;
        segment(self.claims_b64, "claims")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(header: &str, claims: &str) -> String {
        format!("{}.{}.AAAA", b64url(header), b64url(claims))
    }

    #[test]
    fn header_and_claims_bytes() {
        assert_eq!(
            header_json(Algorithm::Rs256, None),
            r#"{"alg":"RS256","typ":"JWT"}"#
        );
        assert_eq!(
            header_json(Algorithm::Es256, Some("a\"b")),
            r#"{"alg":"ES256","typ":"JWT","kid":"a\"b"}"#
        );
        assert_eq!(
            claims_json("NEW_PARTNER", Some(1511900000), 1511903600),
            r#"{"iss":"NEW_PARTNER","iat":1511900000,"exp":1511903600}"#
        );
        assert_eq!(join_segments("a", "b"), "a.b");
    }

    #[test]
    fn decode_pins_the_algorithm_and_refuses_crit() {
        let ok = unsigned(r#"{"alg":"ES256","kid":"k"}"#, "{}");
        assert_eq!(
            Jws::decode(&ok, Algorithm::Es256).expect("ok").kid(),
            Some("k")
        );
        let err = Jws::decode(&ok, Algorithm::Rs256).expect_err("pinned");
        assert_eq!(
            err.problem(),
            "algorithm not allowed (only RS256 is accepted)"
        );
        let none = unsigned(r#"{"alg":"none"}"#, "{}");
        assert!(Jws::decode(&none, Algorithm::Es256).is_err());
        let no_alg = unsigned(r#"{"kid":"k"}"#, "{}");
        assert_eq!(
            Jws::decode(&no_alg, Algorithm::Es256)
                .expect_err("no alg")
                .problem(),
            "header has no alg"
        );
        let crit = unsigned(r#"{"alg":"ES256","crit":["x"]}"#, "{}");
        assert!(Jws::decode(&crit, Algorithm::Es256).is_err());
        for bad in ["", "a.b", "a.b.c.d", "!!.b.c"] {
            assert!(Jws::decode(bad, Algorithm::Es256).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_are_read_only_after_the_signature_is_accepted() {
        let token = unsigned(r#"{"alg":"ES256"}"#, r#"{"iss":"x"}"#);
        let refused = Jws::decode(&token, Algorithm::Es256)
            .expect("ok")
            .verify(|_, _| Err(JwtError::new("bad signature")))
            .expect_err("refused");
        assert_eq!(refused.problem(), "bad signature");
        let claims = Jws::decode(&token, Algorithm::Es256)
            .expect("ok")
            .verify(|input, sig| {
                assert_eq!(input, token.rsplit_once('.').expect("dot").0.as_bytes());
                assert_eq!(sig, [0, 0, 0]);
                Ok(())
            })
            .expect("accepted");
        assert_eq!(claims, br#"{"iss":"x"}"#);
        let err = JwtError::new("bad signature").into_auth_error("JWT rejected");
        assert_eq!(err.kind(), ErrorKind::Verification);
        assert_eq!(err.message(), "JWT rejected: bad signature");
    }
}
