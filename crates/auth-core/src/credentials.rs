//! Validation and loading helpers shared by every provider's credentials.
//!
//! Every helper names the field it checks and describes the problem without repeating the
//! value, so the resulting [`AuthError`] is safe to log even when the value was a secret.

use std::path::Path;

use std::fmt;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::AuthError;

/// The credentials a provider builder was given, or the error every builder returns when
/// `.credentials(…)` was not called before `.build()`.
///
/// ```
/// use tollgate_auth_core::credentials::required_credentials;
/// let err = required_credentials::<String>(None).unwrap_err();
/// assert_eq!(err.field(), Some("credentials"));
/// assert_eq!(required_credentials(Some(3)).unwrap(), 3);
/// ```
pub fn required_credentials<T>(credentials: Option<T>) -> Result<T, AuthError> {
    credentials.ok_or_else(|| {
        AuthError::invalid_field(
            "credentials",
            "are not set: call .credentials(…) before .build()",
        )
    })
}

/// Compares two secrets (MACs, signatures, shared secrets, tokens) in constant time: the
/// time taken depends on the lengths only, never on where the first difference is.
/// Verifiers and fakes use it instead of `==`.
///
/// ```
/// use tollgate_auth_core::credentials::constant_time_eq;
/// assert!(constant_time_eq(b"abc", b"abc"));
/// assert!(!constant_time_eq(b"abc", b"abd"));
/// assert!(!constant_time_eq(b"abc", b"ab"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// Checks that `value` is not empty or whitespace only.
pub fn require_non_empty(field: &'static str, value: &str) -> Result<(), AuthError> {
    if value.trim().is_empty() {
        return Err(AuthError::invalid_field(field, "must not be empty"));
    }
    Ok(())
}

/// Checks that `value` is non-empty printable ASCII (no control characters, no CR/LF), as
/// values placed into HTTP headers or signed strings must be.
///
/// ```
/// use tollgate_auth_core::credentials::require_header_safe;
/// assert!(require_header_safe("client_key", "abc-123").is_ok());
/// let err = require_header_safe("client_key", "abc\r\nX-Evil: 1").unwrap_err();
/// assert_eq!(err.field(), Some("client_key"));
/// assert!(!err.to_string().contains("Evil"));
/// ```
pub fn require_header_safe(field: &'static str, value: &str) -> Result<(), AuthError> {
    require_non_empty(field, value)?;
    if value.bytes().any(|b| b == b'\r' || b == b'\n') {
        return Err(AuthError::invalid_field(
            field,
            "must not contain CR or LF characters",
        ));
    }
    if !value.is_ascii() {
        return Err(AuthError::invalid_field(field, "must be ASCII"));
    }
    if value.bytes().any(|b| b.is_ascii_control()) {
        return Err(AuthError::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Validates `value` with [`require_header_safe`] and turns it into a [`HeaderValue`].
pub fn header_value(field: &'static str, value: &str) -> Result<HeaderValue, AuthError> {
    require_header_safe(field, value)?;
    HeaderValue::from_str(value)
        .map_err(|_| AuthError::invalid_field(field, "is not a valid HTTP header value"))
}

/// Builds a sensitive `Authorization: Bearer <token>` value. Sensitive header values are
/// hidden from `Debug` output by `http` and skipped by HTTP/2 header compression.
pub fn bearer_header(token: &SecretString) -> Result<HeaderValue, AuthError> {
    let t = token.expose_secret();
    require_header_safe("access_token", t)?;
    if t.bytes().any(|b| b == b' ') {
        return Err(AuthError::invalid_field(
            "access_token",
            "must not contain spaces",
        ));
    }
    let mut v = HeaderValue::from_maybe_shared(bytes::Bytes::from(format!("Bearer {t}")))
        .map_err(|_| AuthError::invalid_field("access_token", "is not a valid header value"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// A secret field: checks it is non-empty and wraps it.
pub fn secret(field: &'static str, value: impl Into<String>) -> Result<SecretString, AuthError> {
    let value: String = value.into();
    require_non_empty(field, &value)?;
    Ok(SecretString::from(value))
}

/// A secret that must be header/signature safe ASCII.
pub fn ascii_secret(
    field: &'static str,
    value: impl Into<String>,
) -> Result<SecretString, AuthError> {
    let value: String = value.into();
    require_header_safe(field, &value)?;
    Ok(SecretString::from(value))
}

/// Turns literal `\n` (and `\r\n`) escapes into newlines, as PEM keys arrive when they were
/// stored in an environment variable or a one-line JSON field. Real newlines are kept.
///
/// ```
/// use tollgate_auth_core::credentials::unescape_newlines;
/// assert_eq!(unescape_newlines("a\\nb\\r\\nc"), "a\nb\nc");
/// ```
pub fn unescape_newlines(s: &str) -> String {
    s.replace("\\r\\n", "\n").replace("\\n", "\n")
}

/// Checks that `pem` looks like PEM with the given label set (e.g. `["PRIVATE KEY", "RSA
/// PRIVATE KEY"]`) and returns the label found. It does not parse the key.
pub fn pem_label<'a>(
    field: &'static str,
    pem: &str,
    accepted: &[&'a str],
) -> Result<&'a str, AuthError> {
    let begin = pem
        .find("-----BEGIN ")
        .ok_or_else(|| AuthError::invalid_field(field, "is not PEM (no BEGIN line)"))?;
    let rest = &pem[begin + "-----BEGIN ".len()..];
    let end = rest
        .find("-----")
        .ok_or_else(|| AuthError::invalid_field(field, "is not PEM (malformed BEGIN line)"))?;
    let label = &rest[..end];
    accepted
        .iter()
        .find(|a| **a == label)
        .copied()
        .ok_or_else(|| {
            AuthError::invalid_field(
                field,
                format!(
                    "has PEM label {label:?}, expected one of {}",
                    accepted.join(", ")
                ),
            )
        })
}

/// Stands in for a secret in hand-written `Debug` output: `.field("secret", &Redacted)`
/// prints `[REDACTED]`. The one place the crates write redaction (reqsign's `Redact` is the
/// model); secrets kept in `secrecy` types redact themselves.
///
/// ```
/// use tollgate_auth_core::Redacted;
/// struct Key { id: &'static str, bytes: [u8; 4] }
/// impl std::fmt::Debug for Key {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.debug_struct("Key").field("id", &self.id).field("bytes", &Redacted).finish()
///     }
/// }
/// let k = Key { id: "k1", bytes: *b"abcd" };
/// assert_eq!(format!("{k:?}"), r#"Key { id: "k1", bytes: [REDACTED] }"#);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// What [`Redacted`] prints, and what error messages put in place of a secret they quote.
pub const REDACTED: &str = "[REDACTED]";

/// A variable a provider crate's `from_env` reads, and what it holds. Each provider crate
/// lists its own in `ENV_VARS`, the one list of its names: the `tollgate` command reads
/// exactly these, and builds its `--help` from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: &'static str,
    /// What it holds, in one line.
    pub help: &'static str,
}

/// Named configuration values for a provider's `from_lookup`: every credentials type's
/// `from_env` is `from_lookup(env_lookup)`, and `from_lookup` reads the same names through any
/// source (a config map, a secrets manager, a test fixture). The lookup returns `Ok(None)`
/// for an unset name; empty values count as unset. Errors name the variable, never its value.
///
/// ```
/// use tollgate_auth_core::credentials::Vars;
/// let vars = Vars::new(|name| Ok((name == "A").then(|| "1".to_string())));
/// assert_eq!(vars.require("A")?, "1");
/// assert_eq!(vars.get("B")?, None);
/// assert_eq!(vars.require("B").unwrap_err().field(), Some("B"));
/// # Ok::<(), tollgate_auth_core::AuthError>(())
/// ```
pub struct Vars<F> {
    lookup: F,
}

impl<F> fmt::Debug for Vars<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vars").finish_non_exhaustive()
    }
}

impl<F> Vars<F>
where
    F: Fn(&'static str) -> Result<Option<String>, AuthError>,
{
    /// Reads names through `lookup`.
    pub fn new(lookup: F) -> Self {
        Vars { lookup }
    }

    /// The value of `name`, or `None` when it is unset or empty.
    pub fn get(&self, name: &'static str) -> Result<Option<String>, AuthError> {
        Ok((self.lookup)(name)?.filter(|v| !v.trim().is_empty()))
    }

    /// The value of `name`; an error naming it when it is unset or empty.
    pub fn require(&self, name: &'static str) -> Result<String, AuthError> {
        self.get(name)?
            .ok_or_else(|| AuthError::invalid_field(name, "is not set"))
    }

    /// The value of `name` as a secret; an error naming it when it is unset or empty.
    pub fn secret(&self, name: &'static str) -> Result<SecretString, AuthError> {
        self.require(name).map(SecretString::from)
    }
}

/// The process environment as a lookup for [`Vars`] and every `from_lookup`: unset or empty
/// is `Ok(None)`, a value that is not UTF-8 an error naming the variable.
pub fn env_lookup(name: &'static str) -> Result<Option<String>, AuthError> {
    env_var_opt(name)
}

/// Reads an environment variable; missing, empty or non-UTF-8 values are errors naming it.
pub fn env_var(name: &'static str) -> Result<String, AuthError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        Ok(_) => Err(AuthError::invalid_field(
            name,
            "environment variable is empty",
        )),
        Err(std::env::VarError::NotPresent) => Err(AuthError::invalid_field(
            name,
            "environment variable is not set",
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(AuthError::invalid_field(
            name,
            "environment variable is not valid UTF-8",
        )),
    }
}

/// Reads an optional environment variable (unset or empty → `None`).
pub fn env_var_opt(name: &'static str) -> Result<Option<String>, AuthError> {
    match env_var(name) {
        Ok(v) => Ok(Some(v)),
        Err(_) if std::env::var_os(name).is_none_or(|v| v.is_empty()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a secret from an environment variable.
pub fn env_secret(name: &'static str) -> Result<SecretString, AuthError> {
    env_var(name).map(SecretString::from)
}

/// Reads a UTF-8 text file (a key, `account_info.json`, `api_key.csv`). The error names the
/// field and the path's problem, never the contents.
pub fn read_text_file(field: &'static str, path: &Path) -> Result<SecretString, AuthError> {
    let bytes = std::fs::read(path).map_err(|e| {
        AuthError::invalid_field(
            field,
            format!("cannot read {}: {}", path.display(), e.kind()),
        )
    })?;
    String::from_utf8(bytes)
        .map(SecretString::from)
        .map_err(|_| AuthError::invalid_field(field, format!("{} is not UTF-8", path.display())))
}

/// Reads a binary file (a `.p12`).
pub fn read_binary_file(field: &'static str, path: &Path) -> Result<Vec<u8>, AuthError> {
    std::fs::read(path).map_err(|e| {
        AuthError::invalid_field(
            field,
            format!("cannot read {}: {}", path.display(), e.kind()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_safety_table() {
        let bad = [
            ("", "empty"),
            ("   ", "empty"),
            ("a\nb", "CR or LF"),
            ("a\rb", "CR or LF"),
            ("ключ", "ASCII"),
            ("a\u{7}b", "control"),
            ("a\tb", "control"),
        ];
        for (value, problem) in bad {
            let err = require_header_safe("f", value).expect_err(value);
            assert!(err.to_string().contains(problem), "{value:?} -> {err}");
            assert_eq!(err.field(), Some("f"));
        }
        assert!(require_header_safe("f", "Abc-123_~.").is_ok());
    }

    #[test]
    fn bearer_is_sensitive_and_validated() {
        let v = bearer_header(&SecretString::from("tok123".to_string())).expect("valid");
        assert!(v.is_sensitive());
        assert_eq!(v.as_bytes(), b"Bearer tok123");
        assert!(format!("{v:?}").contains("Sensitive"));
        let err =
            bearer_header(&SecretString::from("s3cretv4lue\r\nx".to_string())).expect_err("crlf");
        assert!(!format!("{err} {err:?}").contains("s3cretv4lue"));
    }

    #[test]
    fn pem_labels() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            pem_label("k", pem, &["PRIVATE KEY", "RSA PRIVATE KEY"]).expect("pem"),
            "PRIVATE KEY"
        );
        assert!(pem_label("k", "not pem", &["PRIVATE KEY"]).is_err());
        let err =
            pem_label("k", "-----BEGIN CERTIFICATE-----\n", &["PRIVATE KEY"]).expect_err("label");
        assert!(err.to_string().contains("CERTIFICATE"));
    }
}
