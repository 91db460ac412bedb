use std::fmt;
use std::path::Path;

use auth_core::credentials::{ascii_secret, read_text_file, require_header_safe};
use auth_core::{AuthError, ExposeSecret, SecretString};

use crate::sign;

/// Environment variable holding the `vaspCode`.
pub const ENV_VASP_CODE: &str = "GTR_VASP_CODE";
/// Environment variable holding the `accessKey`.
pub const ENV_ACCESS_KEY: &str = "GTR_ACCESS_KEY";
/// Environment variable holding the `secretKey`.
pub const ENV_SECRET_KEY: &str = "GTR_SECRET_KEY";

/// Validated GTR API credentials. `Debug` shows the `vaspCode` and `accessKey` (identifiers,
/// not secrets) and redacts the secret key.
///
/// ```
/// use tollgate_gtr::GtrCredentials;
/// let creds = GtrCredentials::new(
///     "f93_faj30ae3",
///     "2DF9SDJ3RFA93HFA0F93HAB0S93F",
///     "DFSD0JFN43SGNDSPIAN30IHSIDFN0SAR3BNFA0ISFNBI0N3RNFWE0F",
/// )?;
/// assert_eq!(creds.vasp_code(), "f93_faj30ae3");
/// assert!(!format!("{creds:?}").contains("DFSD0JFN"));
/// # Ok::<(), tollgate_gtr::AuthError>(())
/// ```
///
/// GTR API credentials: `vaspCode`, `accessKey` and `secretKey`, from `api_key.csv`, from
/// environment variables or from values.
///
/// `api_key.csv` also holds `curvePublicKey` / `curvePrivateKey`, which GTR uses for PII
/// encryption only; they play no part in authentication, so the loader ignores them (and
/// does not require them: production files may not have them).
///
/// The mTLS client certificate is separate: see [`TlsConfig`](crate::TlsConfig).
#[derive(Clone)]
pub struct GtrCredentials {
    vasp_code: String,
    access_key: String,
    secret_key: SecretString,
}

fn check_value(field: &'static str, value: &str) -> Result<(), AuthError> {
    require_header_safe(field, value)?;
    if value.trim() != value {
        return Err(AuthError::invalid_field(
            field,
            "must not have leading or trailing whitespace",
        ));
    }
    Ok(())
}

impl GtrCredentials {
    /// Validates and wraps the three values: each must be non-empty printable ASCII without
    /// leading/trailing whitespace (they are hashed and sent in JSON and headers).
    pub fn new(
        vasp_code: impl Into<String>,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<Self, AuthError> {
        let vasp_code = vasp_code.into();
        let access_key = access_key.into();
        check_value("vaspCode", &vasp_code)?;
        check_value("accessKey", &access_key)?;
        let secret_key = ascii_secret("secretKey", secret_key)?;
        if secret_key.expose_secret().trim() != secret_key.expose_secret() {
            return Err(AuthError::invalid_field(
                "secretKey",
                "must not have leading or trailing whitespace",
            ));
        }
        Ok(GtrCredentials {
            vasp_code,
            access_key,
            secret_key,
        })
    }

    /// Builds without validation, for constants known to be valid (the fake's).
    #[cfg(feature = "test-util")]
    pub(crate) fn from_trusted_parts(vasp_code: &str, access_key: &str, secret_key: &str) -> Self {
        GtrCredentials {
            vasp_code: vasp_code.to_string(),
            access_key: access_key.to_string(),
            secret_key: SecretString::from(secret_key.to_string()),
        }
    }

    /// Reads `GTR_VASP_CODE`, `GTR_ACCESS_KEY` and `GTR_SECRET_KEY`.
    ///
    /// ```no_run
    /// let creds = tollgate_gtr::GtrCredentials::from_env()?;
    /// # Ok::<(), tollgate_gtr::AuthError>(())
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
        let vasp = vars.require(ENV_VASP_CODE)?;
        let access = vars.require(ENV_ACCESS_KEY)?;
        let secret = vars.secret(ENV_SECRET_KEY)?;
        Self::new(vasp, access, secret.expose_secret()).map_err(rename_env_field)
    }

    /// Loads `api_key.csv` as GTR ships it.
    ///
    /// ```no_run
    /// let creds = tollgate_gtr::GtrCredentials::from_api_key_csv("api_key.csv")?;
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn from_api_key_csv(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let text = read_text_file("api_key.csv", path.as_ref())?;
        Self::from_api_key_csv_str(text.expose_secret())
    }

    /// Parses the contents of `api_key.csv`: a header row naming at least `vaspCode`,
    /// `accessKey` and `secretKey` (any order; `curvePublicKey`/`curvePrivateKey` and other
    /// columns are ignored), then exactly one data row. A UTF-8 BOM, CRLF line ends, blank
    /// lines, spaces around fields and RFC 4180 double-quoted fields are accepted.
    ///
    /// ```
    /// use tollgate_gtr::GtrCredentials;
    /// let csv = "vaspCode,accessKey,secretKey,curvePublicKey,curvePrivateKey\n\
    ///            f93_faj30ae3,2DF9SDJ3RFA93HFA0F93HAB0S93F,8adba6ef063be837,pub,priv\n";
    /// let creds = GtrCredentials::from_api_key_csv_str(csv)?;
    /// assert_eq!(creds.access_key(), "2DF9SDJ3RFA93HFA0F93HAB0S93F");
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn from_api_key_csv_str(text: &str) -> Result<Self, AuthError> {
        const FIELD: &str = "api_key.csv";
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            rows.push(split_csv_line(line).map_err(|problem| {
                AuthError::invalid_field(FIELD, format!("line {}: {problem}", i + 1))
            })?);
        }
        let mut rows = rows.into_iter();
        let header = rows
            .next()
            .ok_or_else(|| AuthError::invalid_field(FIELD, "is empty"))?;
        let col = |name: &'static str| -> Result<usize, AuthError> {
            let mut found = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.as_str() == name);
            match (found.next(), found.next()) {
                (Some((i, _)), None) => Ok(i),
                (None, _) => Err(AuthError::invalid_field(
                    FIELD,
                    format!("header row has no {name} column"),
                )),
                (Some(_), Some(_)) => Err(AuthError::invalid_field(
                    FIELD,
                    format!("header row has more than one {name} column"),
                )),
            }
        };
        let (v, a, s) = (col("vaspCode")?, col("accessKey")?, col("secretKey")?);
        let row = rows
            .next()
            .ok_or_else(|| AuthError::invalid_field(FIELD, "has a header row but no data row"))?;
        if rows.next().is_some() {
            return Err(AuthError::invalid_field(
                FIELD,
                "has more than one data row (expected exactly one key set)",
            ));
        }
        if row.len() != header.len() {
            return Err(AuthError::invalid_field(
                FIELD,
                format!(
                    "data row has {} fields but the header has {}",
                    row.len(),
                    header.len()
                ),
            ));
        }
        let mut row = row;
        let secret = std::mem::take(&mut row[s]);
        Self::new(row[v].clone(), row[a].clone(), secret)
    }

    /// The `vaspCode`.
    pub fn vasp_code(&self) -> &str {
        &self.vasp_code
    }

    /// The `accessKey`.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The `secretKey`.
    pub fn secret_key(&self) -> &SecretString {
        &self.secret_key
    }

    /// `hex(sha512(secretKey))`, the login's `signedSecretKey` (as sensitive as a password).
    pub fn signed_secret_key(&self) -> SecretString {
        SecretString::from(sign::signed_secret_key(self.secret_key.expose_secret()))
    }

    /// `hex(sha512(secretKey + vaspCode))`, the app token's `vaspSecretKeyHash`.
    pub fn vasp_secret_key_hash(&self) -> SecretString {
        SecretString::from(sign::vasp_secret_key_hash(
            self.secret_key.expose_secret(),
            &self.vasp_code,
        ))
    }
}

fn rename_env_field(e: AuthError) -> AuthError {
    let field = match e.field() {
        Some("vaspCode") => ENV_VASP_CODE,
        Some("accessKey") => ENV_ACCESS_KEY,
        Some("secretKey") => ENV_SECRET_KEY,
        _ => return e,
    };
    AuthError::invalid_field(field, e.message().to_string())
}

impl fmt::Debug for GtrCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GtrCredentials")
            .field("vasp_code", &self.vasp_code)
            .field("access_key", &self.access_key)
            .field("secret_key", &"[REDACTED]")
            .finish()
    }
}

/// Splits one CSV line (RFC 4180 quoting, no line breaks inside quotes). Unquoted fields
/// are trimmed. Problems are described without echoing the line.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // Skip leading spaces of a field.
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field".to_string()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.peek() {
                None | Some(',') => {}
                Some(_) => {
                    return Err(format!(
                        "field {} has text after its closing quote",
                        fields.len() + 1
                    ));
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                if *c == '"' {
                    return Err(format!(
                        "field {} has a quote inside an unquoted value",
                        fields.len() + 1
                    ));
                }
                field.push(*c);
                chars.next();
            }
            let trimmed = field.trim_end_matches([' ', '\t']).len();
            field.truncate(trimmed);
        }
        fields.push(field);
        match chars.next() {
            None => return Ok(fields),
            Some(',') => continue,
            Some(_) => return Err("malformed field separator".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_split() {
        assert_eq!(
            split_csv_line(r#"a, "b,""c""" ,c"#).expect("ok"),
            vec!["a", "b,\"c\"", "c"]
        );
        assert_eq!(split_csv_line("a,,").expect("ok"), vec!["a", "", ""]);
        assert!(split_csv_line(r#""abc"#).is_err());
        assert!(split_csv_line(r#""abc"x,"#).is_err());
        assert!(split_csv_line(r#"ab"c"#).is_err());
    }

    #[test]
    fn csv_variants() {
        let c = GtrCredentials::from_api_key_csv_str(
            "\u{feff}secretKey,accessKey,vaspCode\r\n\r\n\"s3cr3t-key\",ak1,vasp_1\r\n",
        )
        .expect("reordered, no curve keys");
        assert_eq!(c.vasp_code(), "vasp_1");
        assert_eq!(c.access_key(), "ak1");
        assert_eq!(c.secret_key().expose_secret(), "s3cr3t-key");
    }
}
