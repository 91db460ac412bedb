//! Helpers for providers' JSON response envelopes, written once for every provider crate:
//! codes sent either as numbers or as strings, and provider text made safe to quote in an
//! error.

use serde::{Deserialize, Deserializer};

/// The most characters of a provider's message quoted in an error.
pub const MESSAGE_LIMIT: usize = 200;

/// Provider text made safe for errors and logs: control characters removed (no forged log
/// lines, no terminal escapes), then cut to at most `limit` characters.
///
/// ```
/// use tollgate_auth_core::envelope::clean_text;
/// assert_eq!(clean_text("bad\r\nsign\u{1b}[2J", 6), "badsig");
/// ```
pub fn clean_text(text: &str, limit: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(limit)
        .collect()
}

/// A provider's message cleaned with [`clean_text`] and cut to [`MESSAGE_LIMIT`] characters.
///
/// ```
/// use tollgate_auth_core::envelope::{clean_message, MESSAGE_LIMIT};
/// assert_eq!(clean_message("Invalid\nToken"), "InvalidToken");
/// assert_eq!(clean_message(&"x".repeat(500)).chars().count(), MESSAGE_LIMIT);
/// ```
pub fn clean_message(text: &str) -> String {
    clean_text(text, MESSAGE_LIMIT)
}

/// Deserialises a code sent either as a JSON string (kept as sent) or as a JSON number (its
/// JSON text), so a large numeric code never loses precision. Use with
/// `#[serde(deserialize_with = "tollgate_auth_core::envelope::string_or_number")]`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Envelope {
///     #[serde(deserialize_with = "tollgate_auth_core::envelope::string_or_number")]
///     code: String,
/// }
/// let a: Envelope = serde_json::from_str(r#"{"code":40001}"#).expect("number");
/// let b: Envelope = serde_json::from_str(r#"{"code":"40001"}"#).expect("string");
/// assert_eq!(a.code, b.code);
/// assert!(serde_json::from_str::<Envelope>(r#"{"code":null}"#).is_err());
/// ```
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::String(s) => Ok(s),
        _ => Err(serde::de::Error::custom(
            "code must be a number or a string",
        )),
    }
}

/// Deserialises a number sent either as a JSON number or as a string holding one
/// (surrounding whitespace ignored). Use with
/// `#[serde(deserialize_with = "tollgate_auth_core::envelope::number_or_string")]`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Envelope {
///     #[serde(deserialize_with = "tollgate_auth_core::envelope::number_or_string")]
///     code: i64,
/// }
/// let a: Envelope = serde_json::from_str(r#"{"code":40003}"#).expect("number");
/// let b: Envelope = serde_json::from_str(r#"{"code":" 40003 "}"#).expect("string");
/// assert_eq!(a.code, b.code);
/// assert!(serde_json::from_str::<Envelope>(r#"{"code":"4x"}"#).is_err());
/// ```
pub fn number_or_string<'de, T, D>(d: D) -> Result<T, D::Error>
where
    T: Deserialize<'de> + std::str::FromStr,
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<T> {
        Number(T),
        String(String),
    }
    match Raw::<T>::deserialize(d)? {
        Raw::Number(n) => Ok(n),
        Raw::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("code is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Unsigned {
        #[serde(deserialize_with = "number_or_string")]
        code: u64,
    }

    #[test]
    fn control_characters_go_before_the_cut() {
        let text = format!("{}{}", "\u{7}".repeat(10), "a".repeat(300));
        assert_eq!(clean_message(&text), "a".repeat(MESSAGE_LIMIT));
        assert_eq!(clean_text("é\tü", 5), "éü");
    }

    #[test]
    fn numbers_keep_their_text_and_bounds() {
        let big: Unsigned =
            serde_json::from_str(r#"{"code":"18446744073709551615"}"#).expect("max");
        assert_eq!(big.code, u64::MAX);
        assert!(serde_json::from_str::<Unsigned>(r#"{"code":-1}"#).is_err());
        assert!(serde_json::from_str::<Unsigned>(r#"{"code":"-1"}"#).is_err());
        assert!(serde_json::from_str::<Unsigned>(r#"{"code":true}"#).is_err());
    }
}
