use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthError, ErrorKind, FetchContext, FetchedToken, TokenSource};
use http::{HeaderName, HeaderValue};
use serde::Deserialize;
use url::Url;

use crate::credentials::SnapPrivateKey;
use crate::error::{ResponseCode, error_from_response};
use crate::sign::{SignatureEncoding, token_signature};
use crate::timestamp::TimestampFormat;

/// Token lifetime assumed when the response has no `expiresIn` (the specification's 900 s).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(900);

/// `X-TIMESTAMP`.
pub const X_TIMESTAMP: HeaderName = HeaderName::from_static("x-timestamp");
/// `X-CLIENT-KEY`.
pub const X_CLIENT_KEY: HeaderName = HeaderName::from_static("x-client-key");
/// `X-SIGNATURE`.
pub const X_SIGNATURE: HeaderName = HeaderName::from_static("x-signature");

/// The token response. Field names follow the specification (`accessToken`…); the
/// snake_case spellings some providers use are accepted too.
#[derive(Clone, Deserialize)]
pub struct AccessTokenResponse {
    /// `2007300` on success.
    #[serde(rename = "responseCode", alias = "response_code", default)]
    pub response_code: Option<String>,
    /// Provider description.
    #[serde(rename = "responseMessage", alias = "response_message", default)]
    pub response_message: Option<String>,
    /// The token (without `Bearer `).
    #[serde(rename = "accessToken", alias = "access_token", default)]
    pub access_token: Option<String>,
    /// `Bearer`.
    #[serde(rename = "tokenType", alias = "token_type", default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds: a string per the specification, a number from some providers.
    #[serde(rename = "expiresIn", alias = "expires_in", default)]
    pub expires_in: Option<serde_json::Value>,
}

impl fmt::Debug for AccessTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenResponse")
            .field("response_code", &self.response_code)
            .field("response_message", &self.response_message)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl AccessTokenResponse {
    /// The lifetime from `expiresIn` ([`DEFAULT_TOKEN_LIFETIME`] when absent). A zero,
    /// negative or unreadable value is an [`ErrorKind::InvalidResponse`].
    pub fn lifetime(&self) -> Result<Duration, AuthError> {
        let bad = || {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "SNAP token response: expiresIn is not a positive number of seconds",
            )
        };
        let secs = match &self.expires_in {
            None | Some(serde_json::Value::Null) => return Ok(DEFAULT_TOKEN_LIFETIME),
            Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().map_err(|_| bad())?,
            Some(serde_json::Value::Number(n)) => n.as_u64().ok_or_else(bad)?,
            Some(_) => return Err(bad()),
        };
        if secs == 0 {
            return Err(bad());
        }
        Ok(Duration::from_secs(secs))
    }

    /// Turns a parsed response of an HTTP 2xx answer into a token: the `responseCode`, if
    /// present, must be a success code and the token must be there.
    pub fn into_token(self) -> Result<FetchedToken, AuthError> {
        if let Some(raw) = self.response_code.as_deref() {
            let code: Option<ResponseCode> = raw.parse().ok();
            if !code.is_some_and(|c| c.is_success()) {
                let mut e = AuthError::new(
                    ErrorKind::InvalidResponse,
                    "SNAP token response: HTTP success with a non-success responseCode",
                );
                if let Some(c) = code {
                    e = e.with_provider_code(c.as_str());
                }
                return Err(e);
            }
        }
        let lifetime = self.lifetime()?;
        match self.access_token {
            Some(t) if !t.trim().is_empty() => Ok(FetchedToken::new(t, lifetime)),
            _ => Err(AuthError::new(
                ErrorKind::InvalidResponse,
                "SNAP token response has no accessToken",
            )),
        }
    }
}

/// Fetches B2B access tokens: signs `clientKey|X-TIMESTAMP` with the client's RSA key at
/// the cache's clock time and posts the grant ([`Profile::token_request_body`]). The
/// signer's [`token_cache`](crate::SnapAuth::token_cache) holds one.
///
/// [`Profile::token_request_body`]: crate::Profile::token_request_body
///
/// The B2B access token endpoint (service code 73): typed request and response, and the
/// [`SnapTokenSource`] the token cache fetches through.
///
/// ```text
/// POST {base}/v1.0/access-token/b2b
/// Content-Type: application/json
/// X-TIMESTAMP: 2020-01-01T00:00:00+07:00
/// X-CLIENT-KEY: 10001
/// X-SIGNATURE: base64(SHA256withRSA(clientKey|X-TIMESTAMP))
///
/// {"grantType":"client_credentials"}
/// ```
/// Success is `responseCode` `2007300` with `accessToken` and `expiresIn` (a string of
/// seconds, `"900"`).
#[derive(Clone)]
pub struct SnapTokenSource {
    http: reqwest::Client,
    token_url: Url,
    client_key: String,
    client_key_header: HeaderValue,
    key: Arc<SnapPrivateKey>,
    timestamp: TimestampFormat,
    encoding: SignatureEncoding,
    body: String,
}

impl fmt::Debug for SnapTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapTokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_key", &self.client_key)
            .field("key", &self.key)
            .field("timestamp", &self.timestamp)
            .field("body", &self.body)
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl SnapTokenSource {
    /// A token source posting `body` (the profile's
    /// [`token_request_body`](crate::Profile::token_request_body)) to `token_url`.
    pub(crate) fn new(
        http: reqwest::Client,
        token_url: Url,
        client_key: &str,
        key: Arc<SnapPrivateKey>,
        timestamp: TimestampFormat,
        encoding: SignatureEncoding,
        body: String,
    ) -> Result<Self, AuthError> {
        let client_key_header = auth_core::credentials::header_value("client_key", client_key)?;
        Ok(SnapTokenSource {
            http,
            token_url,
            client_key: client_key.to_string(),
            client_key_header,
            key,
            timestamp,
            encoding,
            body,
        })
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }
}

impl TokenSource for SnapTokenSource {
    async fn fetch(&self, cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let timestamp = self.timestamp.format(cx.clock.now());
        let signature = token_signature(&self.key, &self.client_key, &timestamp, self.encoding);
        let ts_header = HeaderValue::from_str(&timestamp)
            .map_err(|_| AuthError::new(ErrorKind::Internal, "timestamp is not a header value"))?;
        let sig_header = HeaderValue::from_str(&signature)
            .map_err(|_| AuthError::new(ErrorKind::Internal, "signature is not a header value"))?;
        let resp = auth_core::transport::send_token_request(
            self.http
                .post(self.token_url.clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .header(X_TIMESTAMP, ts_header)
                .header(X_CLIENT_KEY, self.client_key_header.clone())
                .header(X_SIGNATURE, sig_header)
                .body(self.body.clone()),
            "SNAP access token request",
        )
        .await?;
        let (status, headers, body) = (resp.status, resp.headers, resp.body);
        if !status.is_success() {
            return Err(error_from_response(
                "SNAP access token request",
                status,
                &headers,
                &body,
            ));
        }
        let parsed: AccessTokenResponse = serde_json::from_slice(&body).map_err(|_| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "SNAP access token response is not the expected JSON",
            )
        })?;
        parsed.into_token()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> AccessTokenResponse {
        serde_json::from_str(s).expect("json")
    }

    #[test]
    fn seed_response_parses() {
        let r = parse(
            r#"{"responseCode":"2007300","responseMessage":"Successful","accessToken":"eyJhbG...cZ9.-7HRhcyEh4y0qsG2H3DRd...NU","tokenType":"Bearer","expiresIn":"900","additionalInfo":{}}"#,
        );
        assert_eq!(r.lifetime().expect("lifetime"), Duration::from_secs(900));
        assert!(!format!("{r:?}").contains("eyJhbG"));
        let t = r.into_token().expect("token");
        assert_eq!(t.lifetime, Some(Duration::from_secs(900)));
    }

    #[test]
    fn lifetimes() {
        assert_eq!(
            parse(r#"{"expiresIn":600}"#).lifetime().expect("n"),
            Duration::from_secs(600)
        );
        assert_eq!(
            parse(r#"{}"#).lifetime().expect("default"),
            DEFAULT_TOKEN_LIFETIME
        );
        for bad in [
            r#"{"expiresIn":"0"}"#,
            r#"{"expiresIn":"-5"}"#,
            r#"{"expiresIn":"soon"}"#,
            r#"{"expiresIn":1.5}"#,
            r#"{"expiresIn":[]}"#,
        ] {
            assert_eq!(
                parse(bad).lifetime().expect_err(bad).kind(),
                ErrorKind::InvalidResponse
            );
        }
    }

    #[test]
    fn success_status_with_error_code_is_invalid_response() {
        let e = parse(r#"{"responseCode":"4017300","accessToken":"x"}"#)
            .into_token()
            .expect_err("not a success");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert_eq!(e.provider_code(), Some("4017300"));
        let e = parse(r#"{"responseCode":"2007300"}"#)
            .into_token()
            .expect_err("no token");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    }
}
