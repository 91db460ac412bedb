use std::fmt;
use std::path::Path;

use auth_core::credentials::{ascii_secret, read_text_file, require_header_safe};
use auth_core::{AuthError, ExposeSecret, SecretString};
use serde::Deserialize;

/// Environment variable holding the application id (`V5_USER_ID` is accepted as an alias).
pub const ENV_APP_ID: &str = "V5_APP_ID";
/// Alias of [`ENV_APP_ID`].
pub const ENV_USER_ID: &str = "V5_USER_ID";
/// Environment variable holding the API secret (`V5_USER_API_SECRET` is accepted as an alias).
pub const ENV_APP_SECRET: &str = "V5_APP_SECRET";
/// Alias of [`ENV_APP_SECRET`].
pub const ENV_USER_API_SECRET: &str = "V5_USER_API_SECRET";

/// Every variable [`V5Credentials::from_env`] reads.
pub const ENV_VARS: &[auth_core::credentials::EnvVar] = &[
    env(ENV_APP_ID, "the application id (app_id)"),
    env(
        ENV_USER_ID,
        "alias of V5_APP_ID (the docs' table calls it user_id)",
    ),
    env(ENV_APP_SECRET, "the API secret"),
    env(ENV_USER_API_SECRET, "alias of V5_APP_SECRET"),
];

const fn env(name: &'static str, help: &'static str) -> auth_core::credentials::EnvVar {
    auth_core::credentials::EnvVar { name, help }
}

/// A validated V5 OpenAPI credential: the application id and its API secret.
///
/// - `app_id` goes into the signed string and the `X-APP-ID` header, so it must be printable
///   ASCII without CR/LF.
/// - `app_secret` is only hashed, never sent; it must be printable ASCII as well (the
///   provider issues it as such, and this catches pasted line breaks). It is kept in a
///   [`SecretString`] and never shown by `Debug`.
///
/// ```
/// use tollgate_v5_openapi::V5Credentials;
/// let creds = V5Credentials::new("my-app", "my-secret").expect("valid");
/// assert_eq!(creds.app_id(), "my-app");
/// assert!(!format!("{creds:?}").contains("my-secret"));
///
/// let err = V5Credentials::new("my-app", "").unwrap_err();
/// assert_eq!(err.field(), Some("app_secret"));
/// ```
///
/// The provider's documentation calls the id `user_id` in its parameter table and `app_id`
/// in its examples (and in the `X-APP-ID` header); this crate calls it `app_id` and accepts
/// `user_id` as an alias everywhere a name is read (JSON files, environment variables,
/// builder methods). Likewise the secret is `app_secret`, alias `user_api_secret`.
#[derive(Clone)]
pub struct V5Credentials {
    app_id: String,
    app_secret: SecretString,
}

impl fmt::Debug for V5Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V5Credentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &auth_core::Redacted)
            .finish()
    }
}

/// The JSON credential file this crate reads (the provider ships no file of its own):
/// `{"app_id": "...", "app_secret": "..."}`, with `user_id` / `user_api_secret` accepted
/// as aliases.
#[derive(Deserialize)]
struct CredentialFile {
    #[serde(alias = "user_id")]
    app_id: Option<String>,
    #[serde(alias = "user_api_secret")]
    app_secret: Option<String>,
}

impl V5Credentials {
    /// Validates and builds a credential.
    pub fn new(
        app_id: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> Result<Self, AuthError> {
        let app_id = app_id.into();
        require_header_safe("app_id", &app_id)?;
        let app_secret = ascii_secret("app_secret", app_secret)?;
        Ok(V5Credentials { app_id, app_secret })
    }

    /// Reads `V5_APP_ID` (or `V5_USER_ID`) and `V5_APP_SECRET` (or `V5_USER_API_SECRET`).
    ///
    /// ```no_run
    /// let creds = tollgate_v5_openapi::V5Credentials::from_env()?;
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_lookup(auth_core::credentials::env_lookup)
    }

    /// Like [`from_env`](Self::from_env), reading the same names through `lookup` (a config
    /// map, a secrets manager, a test fixture); `lookup` returns `Ok(None)` for an unset name.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, AuthError>,
    ) -> Result<Self, AuthError> {
        let vars = auth_core::credentials::Vars::new(&lookup);
        let app_id = match vars.get(ENV_APP_ID)? {
            Some(v) => v,
            None => vars.get(ENV_USER_ID)?.ok_or_else(|| {
                AuthError::invalid_field(
                    "app_id",
                    format!("neither {ENV_APP_ID} nor {ENV_USER_ID} is set"),
                )
            })?,
        };
        let app_secret = match vars.get(ENV_APP_SECRET)? {
            Some(v) => v,
            None => vars.get(ENV_USER_API_SECRET)?.ok_or_else(|| {
                AuthError::invalid_field(
                    "app_secret",
                    format!("neither {ENV_APP_SECRET} nor {ENV_USER_API_SECRET} is set"),
                )
            })?,
        };
        Self::new(app_id, app_secret)
    }

    /// Parses a JSON credential document `{"app_id", "app_secret"}` (aliases `user_id`,
    /// `user_api_secret`). Parse errors report only line and column, never the content.
    ///
    /// ```
    /// use tollgate_v5_openapi::V5Credentials;
    /// let c = V5Credentials::from_json_str(r#"{"user_id": "app-1", "user_api_secret": "s3cret"}"#)
    ///     .expect("valid");
    /// assert_eq!(c.app_id(), "app-1");
    /// ```
    pub fn from_json_str(json: &str) -> Result<Self, AuthError> {
        let file: CredentialFile = serde_json::from_str(json).map_err(|e| {
            AuthError::invalid_field(
                "credentials_json",
                format!(
                    "is not a valid credential document ({:?} error at line {}, column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        let app_id = file
            .app_id
            .ok_or_else(|| AuthError::invalid_field("app_id", "is missing"))?;
        let app_secret = file
            .app_secret
            .ok_or_else(|| AuthError::invalid_field("app_secret", "is missing"))?;
        Self::new(app_id, app_secret)
    }

    /// Reads a JSON credential file (see [`from_json_str`](Self::from_json_str)).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let text = read_text_file("credentials_json", path.as_ref())?;
        Self::from_json_str(text.expose_secret())
    }

    /// The application id (sent as `app_id` and in `X-APP-ID`).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The API secret.
    pub fn app_secret(&self) -> &SecretString {
        &self.app_secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::ErrorKind;

    const SECRET: &str = "Sup3r-S3cret-Value";

    #[test]
    fn bad_inputs_are_typed_errors_naming_the_field() {
        let cases: Vec<(&str, Result<V5Credentials, AuthError>, &str)> = vec![
            ("empty id", V5Credentials::new("", SECRET), "app_id"),
            ("blank id", V5Credentials::new("   ", SECRET), "app_id"),
            (
                "crlf id",
                V5Credentials::new("app\r\nX-Evil: 1", SECRET),
                "app_id",
            ),
            (
                "non-ascii id",
                V5Credentials::new("приложение", SECRET),
                "app_id",
            ),
            (
                "control id",
                V5Credentials::new("app\u{7}", SECRET),
                "app_id",
            ),
            ("empty secret", V5Credentials::new("app", ""), "app_secret"),
            (
                "crlf secret",
                V5Credentials::new("app", format!("{SECRET}\n")),
                "app_secret",
            ),
            (
                "non-ascii secret",
                V5Credentials::new("app", format!("{SECRET}é")),
                "app_secret",
            ),
            (
                "malformed json",
                V5Credentials::from_json_str(&format!(
                    "{{\"app_id\": \"a\", \"app_secret\": \"{SECRET}\""
                )),
                "credentials_json",
            ),
            (
                "wrong json type",
                V5Credentials::from_json_str(&format!("[\"{SECRET}\"]")),
                "credentials_json",
            ),
            (
                "secret of wrong type",
                V5Credentials::from_json_str(r#"{"app_id": "a", "app_secret": 12345678901}"#),
                "credentials_json",
            ),
            (
                "missing secret",
                V5Credentials::from_json_str(r#"{"app_id": "a"}"#),
                "app_secret",
            ),
            (
                "missing id",
                V5Credentials::from_json_str(&format!("{{\"app_secret\": \"{SECRET}\"}}")),
                "app_id",
            ),
            (
                "id and alias both",
                V5Credentials::from_json_str(&format!(
                    "{{\"app_id\": \"a\", \"user_id\": \"b\", \"app_secret\": \"{SECRET}\"}}"
                )),
                "credentials_json",
            ),
            (
                "missing file",
                V5Credentials::from_json_file("/nonexistent/v5-credentials.json"),
                "credentials_json",
            ),
        ];
        assert!(cases.len() >= 10);
        for (name, result, field) in cases {
            let err = result.expect_err(name);
            assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{name}: {err}");
            assert_eq!(err.field(), Some(field), "{name}: {err}");
            assert!(!err.is_retryable(), "{name}");
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(SECRET), "{name} leaked the secret: {text}");
                assert!(
                    !text.contains("12345678901"),
                    "{name} leaked a value: {text}"
                );
            }
        }
    }

    #[test]
    fn user_id_alias_is_accepted() {
        let c =
            V5Credentials::from_json_str(r#"{"user_id": "app-7", "user_api_secret": "abcdefgh"}"#)
                .expect("alias");
        assert_eq!(c.app_id(), "app-7");
        assert_eq!(c.app_secret().expose_secret(), "abcdefgh");
        let c = V5Credentials::from_json_str(r#"{"app_id": "app-8", "app_secret": "abcdefgh"}"#)
            .expect("canonical");
        assert_eq!(c.app_id(), "app-8");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let c = V5Credentials::new("app", SECRET).expect("valid");
        let dbg = format!("{c:?}");
        assert!(dbg.contains("app"));
        assert!(!dbg.contains(SECRET));
    }
}
