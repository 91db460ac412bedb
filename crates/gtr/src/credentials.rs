use std::fmt;
use std::path::Path;

use auth_core::credentials::{ascii_secret, read_text_file, require_header_safe};
use auth_core::{AuthError, ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::sign;

/// Environment variable holding the `vaspCode`.
pub const ENV_VASP_CODE: &str = "GTR_VASP_CODE";
/// Environment variable holding the `accessKey`.
pub const ENV_ACCESS_KEY: &str = "GTR_ACCESS_KEY";
/// Environment variable holding the `secretKey`.
pub const ENV_SECRET_KEY: &str = "GTR_SECRET_KEY";

/// Validated GTR API credentials: `vaspCode`, `accessKey` and `secretKey`, from
/// `api_key.csv`, from environment variables or from values. `Debug` shows the `vaspCode`
/// and `accessKey` (identifiers, not secrets) and redacts the secret key.
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

    /// Parses the contents of `api_key.csv`: a header row naming the `vaspCode`,
    /// `accessKey` and `secretKey` columns — in camelCase, or as GTR's pages name them
    /// (`vasp_code`, `access_key`, `secret_key`) — in any order
    /// (`curvePublicKey`/`curvePrivateKey` and other columns are ignored), then exactly one
    /// data row. A column named twice (in either spelling) is refused: which value to use
    /// would be a guess. A file without a header row is refused too.
    ///
    /// Fields are split by `csv-core` (the `csv` crate's parser): RFC 4180 quoting
    /// (`"a,b"`, `""` for a quote), a UTF-8 BOM, CRLF or LF line ends and blank lines are
    /// accepted; spaces and tabs around unquoted values are trimmed. Quoting is checked
    /// strictly: a quote must open the field (no space before it) and may be followed only
    /// by spaces before the next comma; a stray quote is an error, never dropped silently.
    /// Every decoded field is held in a buffer wiped on drop.
    ///
    /// ```
    /// use tollgate_gtr::GtrCredentials;
    /// let csv = "vaspCode,accessKey,secretKey,curvePublicKey,curvePrivateKey\n\
    ///            f93_faj30ae3,2DF9SDJ3RFA93HFA0F93HAB0S93F,8adba6ef063be837,pub,priv\n";
    /// let creds = GtrCredentials::from_api_key_csv_str(csv)?;
    /// assert_eq!(creds.access_key(), "2DF9SDJ3RFA93HFA0F93HAB0S93F");
    /// let csv = "vasp_code,access_key,secret_key\nf93_faj30ae3,2DF9SDJ3RFA93HFA0F93HAB0S93F,8adba6ef063be837\n";
    /// assert_eq!(GtrCredentials::from_api_key_csv_str(csv)?.vasp_code(), "f93_faj30ae3");
    /// # Ok::<(), tollgate_gtr::AuthError>(())
    /// ```
    pub fn from_api_key_csv_str(text: &str) -> Result<Self, AuthError> {
        let rows = read_csv_rows(text)?;
        let mut rows = rows.into_iter();
        let header = rows
            .next()
            .ok_or_else(|| AuthError::invalid_field(CSV_FIELD, "is empty"))?;
        let col = |names: [&'static str; 2]| -> Result<usize, AuthError> {
            let mut found = header
                .iter()
                .enumerate()
                .filter(|(_, h)| names.contains(&h.as_str()));
            let [camel, snake] = names;
            match (found.next(), found.next()) {
                (Some((i, _)), None) => Ok(i),
                (None, _) => Err(AuthError::invalid_field(
                    CSV_FIELD,
                    format!("header row has no {camel} (or {snake}) column"),
                )),
                (Some(_), Some(_)) => Err(AuthError::invalid_field(
                    CSV_FIELD,
                    format!("header row has more than one {camel} (or {snake}) column"),
                )),
            }
        };
        let (v, a, s) = (
            col(["vaspCode", "vasp_code"])?,
            col(["accessKey", "access_key"])?,
            col(["secretKey", "secret_key"])?,
        );
        let row = rows.next().ok_or_else(|| {
            AuthError::invalid_field(CSV_FIELD, "has a header row but no data row")
        })?;
        if rows.next().is_some() {
            return Err(AuthError::invalid_field(
                CSV_FIELD,
                "has more than one data row (expected exactly one key set)",
            ));
        }
        if row.len() != header.len() {
            return Err(AuthError::invalid_field(
                CSV_FIELD,
                format!(
                    "data row has {} fields but the header has {}",
                    row.len(),
                    header.len()
                ),
            ));
        }
        let field = |i: usize| row.get(i).map(|f| f.as_str()).unwrap_or_default();
        // The secret's only copies: the row's wiped buffer and the `SecretString` built here.
        Self::new(field(v), field(a), field(s).to_string())
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
            .field("secret_key", &auth_core::Redacted)
            .finish()
    }
}

/// The error field of every `api_key.csv` parsing problem.
const CSV_FIELD: &str = "api_key.csv";

/// One `api_key.csv` row; every field wiped on drop.
type CsvRow = Vec<Zeroizing<String>>;

fn is_blank(b: &u8) -> bool {
    *b == b' ' || *b == b'\t'
}

fn trim_blanks(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_blank(first)
    {
        s = rest;
    }
    trim_end_blanks(s)
}

fn trim_end_blanks(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s
        && is_blank(last)
    {
        s = rest;
    }
    s
}

/// The rows of `text` (a leading BOM and blank lines skipped), split by `csv-core`; every
/// decoded field is checked against its raw text (see [`strict_field`]). Errors name the
/// line and field, never the text.
fn read_csv_rows(text: &str) -> Result<Vec<CsvRow>, AuthError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut reader = csv_core::Reader::new();
    // A decoded field is never longer than the input it came from.
    let mut out = Zeroizing::new(vec![0u8; bytes.len().saturating_add(1)]);
    let mut rows: Vec<CsvRow> = Vec::new();
    let mut row: CsvRow = Vec::new();
    let (mut pos, mut field_start, mut out_len) = (0usize, 0usize, 0usize);
    let bad = |at: usize, column: usize, problem: &str| {
        let line = bytes
            .get(..at)
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
            .saturating_add(1);
        AuthError::invalid_field(
            CSV_FIELD,
            format!("line {line}, field {}: {problem}", column.saturating_add(1)),
        )
    };
    loop {
        let input = bytes.get(pos..).unwrap_or_default();
        let output = out.get_mut(out_len..).unwrap_or_default();
        let (result, read, written) = reader.read_field(input, output);
        pos = pos.saturating_add(read).min(bytes.len());
        out_len = out_len.saturating_add(written).min(out.len());
        match result {
            // The whole input was given: the next call, with nothing left, ends it.
            csv_core::ReadFieldResult::InputEmpty => {
                if read == 0 && !input.is_empty() {
                    return Err(bad(pos, row.len(), "cannot be parsed"));
                }
            }
            csv_core::ReadFieldResult::OutputFull => {
                return Err(bad(pos, row.len(), "cannot be parsed"));
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                let mut raw = bytes.get(field_start..pos).unwrap_or_default();
                let mut raw_start = field_start;
                if row.is_empty() {
                    // Blank lines skipped before the record.
                    while let [b'\r' | b'\n', rest @ ..] = raw {
                        raw = rest;
                        raw_start = raw_start.saturating_add(1);
                    }
                }
                if record_end {
                    while let [rest @ .., b'\r' | b'\n'] = raw {
                        raw = rest;
                    }
                } else if let [rest @ .., b','] = raw {
                    raw = rest;
                }
                let decoded = out.get(..out_len).unwrap_or_default();
                let value = strict_field(raw, decoded)
                    .map_err(|problem| bad(raw_start, row.len(), problem))?;
                let value = std::str::from_utf8(value)
                    .map_err(|_| bad(raw_start, row.len(), "is not UTF-8"))?;
                row.push(Zeroizing::new(value.to_string()));
                field_start = pos;
                out_len = 0;
                if record_end {
                    let record = std::mem::take(&mut row);
                    // A line of spaces is blank too.
                    if !(record.len() == 1 && record.iter().all(|f| f.is_empty())) {
                        rows.push(record);
                    }
                }
            }
            csv_core::ReadFieldResult::End => return Ok(rows),
        }
    }
}

/// The value of one field given its raw text (without its comma or line end) and what
/// `csv-core` decoded from it. Unquoted: the decoded text, trimmed of spaces and tabs, and
/// no quote anywhere. Quoted: the raw text must be exactly `"` + the value with each `"`
/// doubled + `"`, then optional spaces (which `csv-core` keeps and this drops). Anything
/// else — a quote after a space or inside a value, text after the closing quote, no
/// closing quote — is refused rather than guessed at.
fn strict_field<'a>(raw: &[u8], decoded: &'a [u8]) -> Result<&'a [u8], &'static str> {
    if !raw.contains(&b'"') {
        return Ok(trim_blanks(decoded));
    }
    if raw.first() != Some(&b'"') {
        return Err("has a quote outside a quoted value (a quote must open the field)");
    }
    let quoted = trim_end_blanks(raw);
    let trailing = raw.len().saturating_sub(quoted.len());
    let value_len = decoded
        .len()
        .checked_sub(trailing)
        .ok_or("has malformed quoting")?;
    let value = decoded.get(..value_len).ok_or("has malformed quoting")?;
    // `quoted` must be `"` + value (each `"` doubled) + `"`.
    let mut expected = quoted.iter();
    let mut matches = expected.next() == Some(&b'"');
    for b in value {
        matches &= expected.next() == Some(b);
        if *b == b'"' {
            matches &= expected.next() == Some(&b'"');
        }
    }
    matches &= expected.next() == Some(&b'"') && expected.next().is_none();
    if matches {
        Ok(value)
    } else {
        Err("has malformed quoting (text after the closing quote, or no closing quote)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_fields() {
        let ok = |raw: &str, decoded: &str| {
            strict_field(raw.as_bytes(), decoded.as_bytes())
                .map(|v| String::from_utf8(v.to_vec()).expect("utf-8"))
        };
        assert_eq!(ok(" a b ", " a b ").expect("unquoted"), "a b");
        assert_eq!(ok(r#""b,""c""""#, r#"b,"c""#).expect("quoted"), r#"b,"c""#);
        assert_eq!(ok(r#""b"  "#, "b  ").expect("spaces after"), "b");
        assert_eq!(ok(r#""""#, "").expect("empty"), "");
        assert!(ok(r#" "b""#, r#" "b""#).is_err());
        assert!(ok(r#"a"b"#, r#"a"b"#).is_err());
        assert!(ok(r#""ab"x"#, "abx").is_err());
        assert!(ok(r#""ab"#, "ab").is_err());
        assert!(ok(r#"""#, "").is_err());
    }

    #[test]
    fn rows_and_blank_lines() {
        let rows = read_csv_rows("\r\n  \na ,\"b\" \r\n\r\n,\n").expect("rows");
        let rows: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(|f| f.as_str()).collect())
            .collect();
        assert_eq!(rows, vec![vec!["a", "b"], vec!["", ""]]);
        assert!(read_csv_rows("a,\"b").is_err());
        // A space before the opening quote makes the quote part of an unquoted value.
        assert!(read_csv_rows("a, \"b\"").is_err());
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
