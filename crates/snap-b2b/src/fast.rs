//! The per-request path of [`SnapAuth`](crate::SnapAuth)'s signer: the same signature as the
//! stage functions of [`sign`](crate::sign) (which stay the reference, checked against the
//! vectors), with no intermediate `String`s.
//!
//! One buffer per request holds everything the request needs that is not already in memory:
//! the minified body (when it differs from the request's), then `X-TIMESTAMP`,
//! `X-SIGNATURE` and `X-EXTERNAL-ID`. It becomes one shared [`Bytes`] and every value is a
//! slice of it, so the body and the three header values cost two allocations together (the
//! buffer and the shared handle). The body is minified and hashed in one pass; the string to
//! sign is fed to the HMAC piece by piece; the hex digest is on the stack.

use std::ops::Range;
use std::time::SystemTime;

use auth_core::{AuthError, ErrorKind};
use bytes::Bytes;
use http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::canonical::{BodyForm, PreparedSigner, canonical_body};
use crate::minify::{MinifiedBody, minify_and_hash};
use crate::sign::SignatureEncoding;
use crate::timestamp::TimestampFormat;

/// Room kept after the body for the header values (a timestamp, a Base64 or hex HMAC
/// signature and a typical external id); larger values only grow the buffer.
const HEADROOM: usize = 256;

/// What signing one request needs.
pub(crate) struct Input<'a> {
    pub signer: PreparedSigner<'a>,
    pub method: &'a str,
    pub endpoint: &'a str,
    /// The request's body as it is.
    pub body: &'a [u8],
    pub form: BodyForm,
    pub timestamp: TimestampFormat,
    pub now: SystemTime,
    pub encoding: SignatureEncoding,
    /// The `X-EXTERNAL-ID` to set, if the request gets one.
    pub external_id: Option<&'a str>,
}

/// What signing one request produced.
#[derive(Debug)]
pub(crate) struct Output {
    /// The body to send instead of the request's, when the two differ.
    pub body: Option<Bytes>,
    pub timestamp: HeaderValue,
    pub signature: HeaderValue,
    pub external_id: Option<HeaderValue>,
}

/// Signs one request (see the module documentation).
pub(crate) fn sign(input: Input<'_>) -> Result<Output, AuthError> {
    let mut buf = Vec::new();
    let (body, hash): (Option<Range<usize>>, [u8; 32]) = match input.form {
        BodyForm::Minified => match minify_and_hash(input.body, &mut buf, HEADROOM)? {
            (MinifiedBody::InputPrefix(len), hash) if len == input.body.len() => (None, hash),
            (MinifiedBody::InputPrefix(len), hash) => {
                // Only trailing whitespace was dropped: the body is a prefix of the input.
                buf.reserve(len + HEADROOM);
                buf.extend_from_slice(&input.body[..len]);
                (Some(0..len), hash)
            }
            (MinifiedBody::Written { from }, hash) => (Some(from..buf.len()), hash),
        },
        BodyForm::Raw => (None, Sha256::digest(input.body).into()),
        form => {
            let canonical = canonical_body(input.body, form)?;
            let hash = Sha256::digest(&canonical).into();
            if canonical == input.body {
                (None, hash)
            } else {
                buf.reserve(canonical.len() + HEADROOM);
                buf.extend_from_slice(&canonical);
                (Some(0..canonical.len()), hash)
            }
        }
    };
    if buf.capacity() == 0 {
        buf.reserve(HEADROOM);
    }
    let hex = lowercase_hex(&hash);

    let at = buf.len();
    input.timestamp.write_into(input.now, &mut buf);
    let timestamp = at..buf.len();

    let at = buf.len();
    match input.signer {
        PreparedSigner::Symmetric { hmac, token } => {
            // METHOD:EndpointUrl:AccessToken:bodyHash:timestamp
            let tag = hmac.sign_parts(&[
                input.method.as_bytes(),
                b":",
                input.endpoint.as_bytes(),
                b":",
                token.as_bytes(),
                b":",
                &hex,
                b":",
                &buf[timestamp.clone()],
            ]);
            input.encoding.encode_into(&tag, &mut buf);
        }
        PreparedSigner::Asymmetric { key } => {
            // METHOD:EndpointUrl:bodyHash:timestamp
            let parts: [&[u8]; 7] = [
                input.method.as_bytes(),
                b":",
                input.endpoint.as_bytes(),
                b":",
                &hex,
                b":",
                &buf[timestamp.clone()],
            ];
            let signature = key.sign(&parts.concat());
            input.encoding.encode_into(&signature, &mut buf);
        }
    }
    let signature = at..buf.len();

    let external_id = input.external_id.map(|id| {
        let at = buf.len();
        buf.extend_from_slice(id.as_bytes());
        at..buf.len()
    });

    let shared = Bytes::from(buf);
    let value = |range: Range<usize>, what: &str| {
        HeaderValue::from_maybe_shared(shared.slice(range)).map_err(|_| internal(what))
    };
    Ok(Output {
        timestamp: value(timestamp, "X-TIMESTAMP")?,
        signature: value(signature, "X-SIGNATURE")?,
        external_id: external_id.map(|r| value(r, "X-EXTERNAL-ID")).transpose()?,
        body: body.map(|r| shared.slice(r)),
    })
}

fn lowercase_hex(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

fn internal(what: &str) -> AuthError {
    AuthError::new(ErrorKind::Internal, format!("{what} is not a header value"))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use auth_core::SecretString;

    use super::*;
    use crate::credentials::SnapPrivateKey;
    use crate::profile::{EndpointBase, signed_endpoint_url, signed_endpoint_url_ref};
    use crate::sign::{
        EndpointUrlMode, HmacKey, asymmetric_string_to_sign, body_sha256_hex,
        symmetric_string_to_sign,
    };
    use crate::timestamp::Zone;

    const BODIES: &[&str] = &[
        "",
        "   ",
        "{\"a\":1}",
        "{\"a\":1}\n",
        " {\"a\":1}",
        "{\n  \"amount\": 1.50,\n  \"name\": \"Jos\\u00e9  é\",\n  \"list\": [ 1, 2 ]\n}",
    ];

    /// The reference: the public stage functions of `sign` and `canonical_body`.
    fn stages(
        signer: &PreparedSigner<'_>,
        method: &str,
        endpoint: &str,
        body: &[u8],
        form: BodyForm,
        timestamp: &str,
        encoding: SignatureEncoding,
    ) -> (Vec<u8>, String) {
        let canonical = canonical_body(body, form).expect("valid body");
        let hash = body_sha256_hex(&canonical);
        let signature = match signer {
            PreparedSigner::Symmetric { hmac, token } => {
                let sts = symmetric_string_to_sign(method, endpoint, token, &hash, timestamp);
                encoding.encode(&hmac.sign(sts.as_bytes()))
            }
            PreparedSigner::Asymmetric { key } => {
                let sts = asymmetric_string_to_sign(method, endpoint, &hash, timestamp);
                encoding.encode(&key.sign(sts.as_bytes()))
            }
        };
        (canonical, signature)
    }

    #[test]
    fn same_body_and_headers_as_the_stage_functions() {
        let hmac = HmacKey::new(&SecretString::from("a-client-secret".to_string()));
        let key = SnapPrivateKey::from_pem(
            "private_key",
            include_str!("../tests/vectors/keys/client_private_pkcs8.pem"),
        )
        .expect("key");
        let signers = [
            PreparedSigner::Symmetric {
                hmac: &hmac,
                token: "an-access-token",
            },
            PreparedSigner::Asymmetric { key: &key },
        ];
        let now = UNIX_EPOCH + Duration::from_millis(1_709_271_296_789);
        let formats = [
            TimestampFormat::default(),
            TimestampFormat {
                zone: Zone::Utc,
                millis: true,
            },
            TimestampFormat {
                zone: Zone::Offset(-330),
                millis: false,
            },
        ];
        let mut cases = 0;
        for signer in &signers {
            for body in BODIES {
                for form in [BodyForm::Minified, BodyForm::JsCompatible, BodyForm::Raw] {
                    for encoding in [SignatureEncoding::Base64, SignatureEncoding::Hex] {
                        for (i, format) in formats.iter().enumerate() {
                            let id = (i != 1).then_some("0123456789-abc");
                            let out = sign(Input {
                                signer: match signer {
                                    PreparedSigner::Symmetric { hmac, token } => {
                                        PreparedSigner::Symmetric { hmac, token }
                                    }
                                    PreparedSigner::Asymmetric { key } => {
                                        PreparedSigner::Asymmetric { key }
                                    }
                                },
                                method: "POST",
                                endpoint: "/v1.0/x?a=1",
                                body: body.as_bytes(),
                                form,
                                timestamp: *format,
                                now,
                                encoding,
                                external_id: id,
                            })
                            .expect("sign");
                            let timestamp = format.format(now);
                            let (canonical, signature) = stages(
                                signer,
                                "POST",
                                "/v1.0/x?a=1",
                                body.as_bytes(),
                                form,
                                &timestamp,
                                encoding,
                            );
                            let sent = out.body.as_deref().unwrap_or(body.as_bytes());
                            assert_eq!(sent, canonical.as_slice(), "{body:?} {form:?}");
                            assert_eq!(out.body.is_some(), canonical != body.as_bytes());
                            assert_eq!(out.timestamp, timestamp.as_str());
                            assert_eq!(out.signature, signature.as_str());
                            assert_eq!(
                                out.external_id.as_ref().map(|v| v.as_bytes()),
                                id.map(str::as_bytes)
                            );
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 2 * BODIES.len() * 3 * 2 * 3);
    }

    #[test]
    fn refuses_what_the_stage_functions_refuse() {
        let hmac = HmacKey::new(&SecretString::from("s".to_string()));
        for (body, form) in [
            ("{\"a\":1,}", BodyForm::Minified),
            ("{", BodyForm::JsCompatible),
        ] {
            let err = sign(Input {
                signer: PreparedSigner::Symmetric {
                    hmac: &hmac,
                    token: "t",
                },
                method: "POST",
                endpoint: "/x",
                body: body.as_bytes(),
                form,
                timestamp: TimestampFormat::default(),
                now: UNIX_EPOCH,
                encoding: SignatureEncoding::Base64,
                external_id: None,
            })
            .expect_err("invalid JSON");
            let expected: AuthError = canonical_body(body.as_bytes(), form)
                .expect_err("invalid")
                .into();
            assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);
            assert_eq!(err.to_string(), expected.to_string());
        }
        let err = sign(Input {
            signer: PreparedSigner::Symmetric {
                hmac: &hmac,
                token: "t",
            },
            method: "POST",
            endpoint: "/x",
            body: b"",
            form: BodyForm::Minified,
            timestamp: TimestampFormat::default(),
            now: UNIX_EPOCH,
            encoding: SignatureEncoding::Base64,
            external_id: Some("bad\nid"),
        })
        .expect_err("not a header value");
        assert_eq!(err.kind(), ErrorKind::Internal);
    }

    #[test]
    fn borrowed_endpoint_url_is_the_stage_function() {
        for url in [
            "https://h.example/snap/v1.0/x?a=1&b=%20",
            "https://h.example/snap/v1.0/x?",
            "https://h.example/snap?a=1",
            "https://h.example/snap",
            "https://h.example/snap/",
            "https://h.example/snapshot/x",
            "https://h.example/other/x#frag",
            "https://h.example/",
        ] {
            let url = url::Url::parse(url).expect("url");
            for base_path in ["", "/", "/snap", "/snap/"] {
                for base in [EndpointBase::FullPath, EndpointBase::BelowBasePath] {
                    for mode in [EndpointUrlMode::PathAndQuery, EndpointUrlMode::PathOnly] {
                        assert_eq!(
                            signed_endpoint_url_ref(&url, base_path, base, mode),
                            signed_endpoint_url(&url, base_path, base, mode),
                            "{url} {base_path} {base:?} {mode:?}"
                        );
                    }
                }
            }
        }
    }
}
