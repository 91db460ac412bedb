use std::fmt;
use std::time::Duration;

use auth_core::{AuthError, ErrorKind, ExposeSecret, FetchContext, FetchedToken, TokenSource};
use serde::{Deserialize, Serialize};

use crate::credentials::GtrCredentials;
use crate::error::{Envelope, error_from_response};
use auth_core::Origin;

/// The login path.
pub const LOGIN_PATH: &str = "/api/login";

/// The largest `expireInMinutes` GTR takes: the field is an int32 there (`i32::MAX`).
pub const MAX_EXPIRE_IN_MINUTES: u32 = i32::MAX as u32;

/// Field names of the login body this crate writes itself; [`LoginRequest::extra`] cannot
/// use them.
pub const RESERVED_LOGIN_FIELDS: [&str; 4] = [
    "vaspCode",
    "accessKey",
    "signedSecretKey",
    "expireInMinutes",
];

/// The body of `POST /api/login`. `Debug` redacts `signedSecretKey`, which is wiped when the
/// request is dropped.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// The `vaspCode`.
    pub vasp_code: String,
    /// The `accessKey`.
    pub access_key: String,
    /// `hex(sha512(secretKey))`.
    pub signed_secret_key: String,
    /// Session lifetime in minutes; absent → the session lives until logout. An int32 at
    /// GTR: [`LoginSource::from_request`] refuses values above [`MAX_EXPIRE_IN_MINUTES`].
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expire_in_minutes: Option<u32>,
    /// Further documented fields, sent after the ones above in insertion order (e.g.
    /// `vaspPublicKey`, which GTR's `login.sh` sends). Names in [`RESERVED_LOGIN_FIELDS`]
    /// are refused by [`LoginSource::from_request`].
    #[serde(flatten, default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl zeroize::Zeroize for LoginRequest {
    fn zeroize(&mut self) {
        self.signed_secret_key.zeroize();
    }
}

impl Drop for LoginRequest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(self);
    }
}

impl zeroize::ZeroizeOnDrop for LoginRequest {}

impl LoginRequest {
    /// The login body for `creds`.
    ///
    /// ```
    /// use tollgate_gtr::{GtrCredentials, LoginRequest};
    /// let creds = GtrCredentials::new("f93_faj30ae3", "2DF9SDJ3RFA93HFA0F93HAB0S93F",
    ///     "DFSD0JFN43SGNDSPIAN30IHSIDFN0SAR3BNFA0ISFNBI0N3RNFWE0F")?;
    /// let body = LoginRequest::new(&creds, None);
    /// assert!(body.signed_secret_key.starts_with("6bbb4d21"));
    /// assert!(!serde_json::to_string(&body).unwrap().contains("expireInMinutes"));
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn new(creds: &GtrCredentials, expire_in_minutes: Option<u32>) -> Self {
        LoginRequest {
            vasp_code: creds.vasp_code().to_string(),
            access_key: creds.access_key().to_string(),
            signed_secret_key: creds.signed_secret_key().expose_secret().to_string(),
            expire_in_minutes,
            extra: serde_json::Map::new(),
        }
    }

    /// Adds a further login field (e.g. `vaspPublicKey`); see [`extra`](Self::extra).
    #[must_use]
    pub fn with_field(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("vasp_code", &self.vasp_code)
            .field("access_key", &self.access_key)
            .field("signed_secret_key", &auth_core::Redacted)
            .field("expire_in_minutes", &self.expire_in_minutes)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// `data` of a successful login. `Debug` redacts the JWT.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginData {
    /// The session token, sent as `Authorization: Bearer <jwt>`.
    pub jwt: String,
    /// The `vaspCode` logged in.
    #[serde(default)]
    pub vasp_code: Option<String>,
}

impl fmt::Debug for LoginData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginData")
            .field("jwt", &auth_core::Redacted)
            .field("vasp_code", &self.vasp_code)
            .finish()
    }
}

/// Logs in to GTR (SSO login, `POST /api/login`) as a [`TokenSource`].
///
/// ```text
/// POST /api/login  {"vaspCode", "accessKey", "signedSecretKey": hex(sha512(secretKey)), "expireInMinutes"?}
/// → {"data": {"jwt": "...", "vaspCode": "..."}, "verifyStatus": 100000, "verifyMessage": "Verify Success"}
/// ```
///
/// (Older examples add `"success": true`; both shapes are accepted, see
/// [`parse_login_response`].)
///
/// Login is single sign-on: a new login logs out the previous session. [`LoginSource`] is
/// always used through auth-core's `TokenCache` (as [`SsoAuth`](crate::SsoAuth) does), whose
/// single-flight guarantee collapses concurrent logins from one process into one. Without `expireInMinutes` GTR's session does
/// not expire on its own, so the token is cached until GTR rejects it (100014/100020/100021
/// → the middleware invalidates it and logs in again once).
pub struct LoginSource {
    http: reqwest::Client,
    login_url: String,
    /// The serialized login body (it holds `signedSecretKey`): one buffer, shared by every
    /// login request without copying and wiped when the last reference is dropped.
    body: bytes::Bytes,
    expire_in_minutes: Option<u32>,
}

/// A byte buffer wiped when dropped, as the owner of a shared `Bytes`.
struct WipedBuffer(zeroize::Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for WipedBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `Bytes` over `buf` whose memory is wiped when the last clone is dropped.
pub(crate) fn wiped_bytes(buf: Vec<u8>) -> bytes::Bytes {
    bytes::Bytes::from_owner(WipedBuffer(zeroize::Zeroizing::new(buf)))
}

impl fmt::Debug for LoginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginSource")
            .field("login_url", &self.login_url)
            .field("expire_in_minutes", &self.expire_in_minutes)
            .finish_non_exhaustive()
    }
}

impl LoginSource {
    /// A source logging in at `{base_url}/api/login` with `http` (which should carry the
    /// mTLS identity, see [`TlsConfig`](crate::TlsConfig)).
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        creds: &GtrCredentials,
        expire_in_minutes: Option<u32>,
    ) -> Result<Self, AuthError> {
        Self::from_request(http, base_url, LoginRequest::new(creds, expire_in_minutes))
    }

    /// A source sending `request` (e.g. with [`LoginRequest::with_field`] extras). Refuses
    /// reserved names among the extras, an `expireInMinutes` of 0 or above
    /// [`MAX_EXPIRE_IN_MINUTES`], and a base URL that is not http(s).
    pub fn from_request(
        http: reqwest::Client,
        base_url: &str,
        request: LoginRequest,
    ) -> Result<Self, AuthError> {
        let expire_in_minutes = request.expire_in_minutes;
        if let Some(name) = request
            .extra
            .keys()
            .find(|k| RESERVED_LOGIN_FIELDS.contains(&k.as_str()))
        {
            tracing::debug!(field = %name, "reserved login field refused");
            return Err(AuthError::invalid_field(
                "login_field",
                "names a field the crate sets itself (vaspCode, accessKey, signedSecretKey, expireInMinutes)",
            ));
        }
        if expire_in_minutes == Some(0) {
            return Err(AuthError::invalid_field(
                "expireInMinutes",
                "must be at least 1 (leave it unset for sessions that do not expire)",
            ));
        }
        if expire_in_minutes.is_some_and(|m| m > MAX_EXPIRE_IN_MINUTES) {
            return Err(AuthError::invalid_field(
                "expireInMinutes",
                "must be at most 2147483647 (GTR reads it as an int32)",
            ));
        }
        let base = base_url.trim_end_matches('/');
        let parsed = reqwest::Url::parse(base)
            .map_err(|_| AuthError::invalid_field("base_url", "is not a valid URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(AuthError::invalid_field(
                "base_url",
                "must be http or https",
            ));
        }
        let body = serde_json::to_vec(&request)
            .map(wiped_bytes)
            .map_err(|_| AuthError::new(ErrorKind::Internal, "cannot serialize login body"))?;
        Ok(LoginSource {
            http,
            login_url: format!("{base}{LOGIN_PATH}"),
            body,
            expire_in_minutes,
        })
    }

    /// The session lifetime requested with `expireInMinutes`.
    pub fn lifetime(&self) -> Option<Duration> {
        self.expire_in_minutes
            .map(|m| Duration::from_secs(u64::from(m) * 60))
    }
}

/// Interprets a login response (HTTP status + body): the JWT on success (a 2xx answer whose
/// envelope [`is_success`](Envelope::is_success): `verifyStatus` 100000 with or without
/// `success`, as GTR's login reference shows it), a typed error otherwise. Exposed for testing and for users who log in by other means.
pub fn parse_login_response(
    status: http::StatusCode,
    headers: Option<&http::HeaderMap>,
    body: &[u8],
) -> Result<LoginData, AuthError> {
    let env: Option<Envelope<LoginData>> = serde_json::from_slice(body).ok();
    match env {
        Some(env) if status.is_success() && env.is_success() => env.data.ok_or_else(|| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "GTR login succeeded without data.jwt",
            )
        }),
        Some(env) => Err(error_from_response(
            Origin::TokenEndpoint,
            status,
            headers,
            env.verify_status,
        )),
        None if status.is_success() => Err(AuthError::new(
            ErrorKind::InvalidResponse,
            "GTR login response is not the expected JSON envelope",
        )),
        None => Err(error_from_response(
            Origin::TokenEndpoint,
            status,
            headers,
            None,
        )),
    }
}

impl TokenSource for LoginSource {
    async fn fetch(&self, _cx: &FetchContext) -> Result<FetchedToken, AuthError> {
        let resp = auth_core::transport::send_token_request(
            self.http
                .post(&self.login_url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(self.body.clone()),
            "GTR login request",
        )
        .await?;
        let (status, headers, bytes) = (resp.status, resp.headers, resp.body);
        let data = parse_login_response(status, Some(&headers), &bytes)?;
        auth_core::credentials::require_header_safe("jwt", &data.jwt).map_err(|_| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                "GTR login returned an unusable jwt",
            )
        })?;
        tracing::debug!(expire_in_minutes = ?self.expire_in_minutes, "GTR login succeeded");
        Ok(match self.lifetime() {
            Some(life) => FetchedToken::new(data.jwt, life),
            None => FetchedToken::without_expiry(data.jwt),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn login_response_shapes() {
        let ok = br#"{"data":{"jwt":"eyJ.a.b","vaspCode":"v"},"verifyMessage":"success","verifyStatus":"100000","success":true}"#;
        let d = parse_login_response(StatusCode::OK, None, ok).expect("ok");
        assert_eq!(d.jwt, "eyJ.a.b");
        let bad = br#"{"data":null,"verifyMessage":"x","verifyStatus":100020,"success":false}"#;
        let e = parse_login_response(StatusCode::UNAUTHORIZED, None, bad).expect_err("bad");
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        let e = parse_login_response(StatusCode::OK, None, b"<html>").expect_err("html");
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        let e = parse_login_response(StatusCode::BAD_GATEWAY, None, b"<html>").expect_err("502");
        assert!(e.is_retryable());
        // success flag false on HTTP 200 is still an error
        let e = parse_login_response(
            StatusCode::OK,
            None,
            br#"{"data":null,"verifyStatus":100006,"success":false}"#,
        )
        .expect_err("server fail");
        assert!(e.is_retryable());
    }
}
