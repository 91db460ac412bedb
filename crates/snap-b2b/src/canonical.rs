use std::collections::HashMap;

use auth_core::{AuthError, ErrorKind};

use crate::minify::{MinifyError, minify_json};

/// Nesting deeper than this is refused (the parser is recursive).
pub const MAX_JS_DEPTH: usize = 128;

/// Which form of a JSON body is hashed (and, for outgoing requests, sent).
///
/// Body forms: which bytes of a JSON body are hashed into a SNAP signature.
///
/// SNAP says "SHA-256 of the minified body", and servers disagree on what minified means.
/// [`BodyForm`] names the forms seen in the wild:
///
/// - [`BodyForm::Minified`] — whitespace outside strings removed, every other byte kept
///   (key order, number spelling, escapes). The crate's default: it is what the
///   specification describes and what a server that hashes the received bytes computes when
///   the client sends exactly the bytes it hashed.
/// - [`BodyForm::JsCompatible`] — what a Node.js server computes with
///   `JSON.stringify(JSON.parse(body))`: numbers re-spelled by ECMAScript's
///   `Number::toString` (`1.50` → `1.5`, `1e2` → `100`, `-0` → `0`, integers above 2^53
///   rounded to the nearest double), escapes decoded (`\/` → `/`, `\u00e9` → `é`, surrogate
///   pairs joined) and re-escaped the way `JSON.stringify` does, and the last of duplicate
///   keys winning (at the position of the first). Midtrans's, DOKU's and BNI's Node SDKs hash
///   `JSON.stringify` of the body object.
/// - [`BodyForm::Raw`] — the bytes as they are (DANA's SDKs hash the body as sent).
/// - [`BodyForm::WhitespaceStripped`] — every whitespace byte removed, inside strings too
///   (DOKU's inbound helper); only for verifying what such a peer signed.
///
/// ```
/// use tollgate_snap_b2b::{BodyForm, canonical_body};
/// let body = br#"{ "amount": 1.50, "path": "a\/b", "name": "Jos\u00e9", "amount": 1e2 }"#;
/// assert_eq!(
///     canonical_body(body, BodyForm::JsCompatible).unwrap(),
///     r#"{"amount":100,"path":"a/b","name":"José"}"#.as_bytes()
/// );
/// assert_eq!(
///     canonical_body(body, BodyForm::Minified).unwrap(),
///     r#"{"amount":1.50,"path":"a\/b","name":"Jos\u00e9","amount":1e2}"#.as_bytes()
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BodyForm {
    /// Whitespace outside strings removed; every other byte kept (default).
    #[default]
    Minified,
    /// `JSON.stringify(JSON.parse(body))` with ECMAScript number formatting.
    JsCompatible,
    /// The bytes as they are.
    Raw,
    /// [`JsCompatible`](Self::JsCompatible) with every non-ASCII character escaped as
    /// `\uxxxx` (lowercase; surrogate pairs for characters beyond U+FFFF): PHP's
    /// `json_encode(json_decode($body), JSON_UNESCAPED_SLASHES)`, as Winpay's docs sign and
    /// verify.
    AsciiEscaped,
    /// Every ASCII whitespace byte removed, inside strings too. For verification only: as
    /// an outgoing form it would change the data.
    WhitespaceStripped,
}

impl BodyForm {
    /// A short name for logs and tables.
    pub fn name(self) -> &'static str {
        match self {
            BodyForm::Minified => "minified",
            BodyForm::JsCompatible => "js-compatible",
            BodyForm::Raw => "raw",
            BodyForm::AsciiEscaped => "ascii-escaped",
            BodyForm::WhitespaceStripped => "whitespace-stripped",
        }
    }
}

/// Why a body could not be brought into a form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The minifier refused the body.
    #[error(transparent)]
    Minify(#[from] MinifyError),
    /// The body is not JSON as `JSON.parse` reads it.
    #[error("body is not valid JSON at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong there.
        reason: &'static str,
    },
}

impl From<CanonicalError> for AuthError {
    fn from(e: CanonicalError) -> Self {
        match e {
            CanonicalError::Minify(m) => m.into(),
            other => AuthError::new(
                ErrorKind::UnsupportedRequest,
                format!("SNAP signs a canonical form of the JSON body, but the {other}"),
            ),
        }
    }
}

/// `body` in `form`. The empty body stays empty in every form (it hashes the empty string).
///
/// ```
/// use tollgate_snap_b2b::{BodyForm, canonical_body};
/// assert_eq!(canonical_body(b"[ -0, 1e21 ]", BodyForm::JsCompatible).unwrap(), b"[0,1e+21]");
/// assert_eq!(canonical_body(b"{ \"a b\": 1 }", BodyForm::WhitespaceStripped).unwrap(), b"{\"ab\":1}");
/// assert_eq!(
///     canonical_body("{\"n\": \"f\u{e9}di \u{1f600}\", \"u\": \"a\\/b\"}".as_bytes(), BodyForm::AsciiEscaped).unwrap(),
///     br#"{"n":"f\u00e9di \ud83d\ude00","u":"a/b"}"#
/// );
/// ```
pub fn canonical_body(body: &[u8], form: BodyForm) -> Result<Vec<u8>, CanonicalError> {
    match form {
        BodyForm::Minified => Ok(minify_json(body)?),
        BodyForm::JsCompatible => reserialize(body, false),
        BodyForm::AsciiEscaped => reserialize(body, true),
        BodyForm::Raw => Ok(body.to_vec()),
        BodyForm::WhitespaceStripped => Ok(body
            .iter()
            .copied()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
            .collect()),
    }
}

/// Checks that `body` is JSON as `JSON.parse` reads it with no key repeated in an object
/// (keys compared after unescaping). Inbound bodies are refused otherwise: readers disagree
/// on which of two values counts, so a signature cannot say which one was meant.
pub(crate) fn check_unique_keys(body: &[u8]) -> Result<(), CanonicalError> {
    parse(body, true).map(drop)
}

/// `body` as `JSON.parse` reads it; `None` for a body of whitespace only.
fn parse(body: &[u8], unique_keys: bool) -> Result<Option<Value>, CanonicalError> {
    let mut p = Parser {
        b: body,
        i: 0,
        unique_keys,
    };
    p.ws();
    if p.i == body.len() {
        return Ok(None);
    }
    let value = p.value(0)?;
    p.ws();
    if p.i != body.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(Some(value))
}

/// `JSON.stringify(JSON.parse(body))` as a JavaScript engine computes it (UTF-8 out). A
/// body of whitespace only is treated as empty.
///
/// ```
/// use tollgate_snap_b2b::js_compatible;
/// assert_eq!(js_compatible(br#"{"n": 9007199254740993, "s": "\ud83d\ude00"}"#).unwrap(),
///            "{\"n\":9007199254740992,\"s\":\"😀\"}".as_bytes());
/// ```
pub fn js_compatible(body: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    reserialize(body, false)
}

/// `body` parsed as `JSON.parse` reads it and written as `JSON.stringify` writes it, with
/// non-ASCII characters escaped when `ascii`.
fn reserialize(body: &[u8], ascii: bool) -> Result<Vec<u8>, CanonicalError> {
    let Some(value) = parse(body, false)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(body.len());
    write_value(&value, &mut out, ascii);
    Ok(out)
}

/// ECMAScript `Number::toString(x)` (radix 10) for a finite `x`; `null` for NaN and
/// infinities, as `JSON.stringify` writes them.
///
/// ```
/// use tollgate_snap_b2b::js_number;
/// assert_eq!(js_number(1.5), "1.5");
/// assert_eq!(js_number(100.0), "100");
/// assert_eq!(js_number(-0.0), "0");
/// assert_eq!(js_number(1e21), "1e+21");
/// assert_eq!(js_number(1.5e-7), "1.5e-7");
/// assert_eq!(js_number(0.000001), "0.000001");
/// ```
pub fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x < 0.0 {
        return format!("-{}", js_number(-x));
    }
    // Rust's `{:e}` writes the shortest digits that round-trip, closest to the value: the
    // digits ECMAScript's Number::toString requires.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e: i64 = exp.parse().unwrap_or(0);
    let k = digits.len() as i64;
    let n = e + 1;
    if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        let zeros = usize::try_from(-n).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let sign = if n > 0 { '+' } else { '-' };
        let abs = (n - 1).abs();
        if k == 1 {
            format!("{digits}e{sign}{abs}")
        } else {
            format!("{}.{}e{sign}{abs}", &digits[..1], &digits[1..])
        }
    }
}

enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(Vec<u16>),
    Arr(Vec<Value>),
    Obj(Vec<(Vec<u16>, Value)>),
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    /// Refuse a key repeated in one object instead of keeping the last value.
    unique_keys: bool,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> CanonicalError {
        CanonicalError::Syntax {
            offset: self.i,
            reason,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn literal(&mut self, word: &'static [u8], v: Value) -> Result<Value, CanonicalError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, CanonicalError> {
        if depth > MAX_JS_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Arr(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Arr(items));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut members: Vec<(Vec<u16>, Value)> = Vec::new();
                let mut index: HashMap<Vec<u16>, usize> = HashMap::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Obj(members));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    // A repeated key keeps its first position and takes the last value.
                    match index.get(&key) {
                        Some(_) if self.unique_keys => {
                            return Err(self.err("a key repeated in one object"));
                        }
                        Some(&at) => members[at].1 = v,
                        None => {
                            index.insert(key.clone(), members.len());
                            members.push((key, v));
                        }
                    }
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Obj(members));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn number(&mut self) -> Result<Value, CanonicalError> {
        let start = self.i;
        self.i = crate::minify::scan_number(self.b, start).map_err(|(at, reason)| {
            self.i = at;
            self.err(reason)
        })?;
        let text = std::str::from_utf8(&self.b[start..self.i])
            .map_err(|_| self.err("number is not ASCII"))?;
        // Correctly rounded, as ECMAScript's StringToNumber; overflow gives infinity.
        let x: f64 = text.parse().map_err(|_| self.err("unreadable number"))?;
        Ok(Value::Num(x))
    }

    fn hex4(&mut self) -> Result<u16, CanonicalError> {
        let end = self
            .i
            .checked_add(4)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let mut v: u16 = 0;
        for &c in &self.b[self.i..end] {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(self.err("bad hex digit in \\u escape")),
            };
            v = (v << 4) | u16::from(d);
        }
        self.i = end;
        Ok(v)
    }

    /// A string as UTF-16 code units (lone surrogates are possible through escapes).
    fn string(&mut self) -> Result<Vec<u16>, CanonicalError> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    let unit = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5c,
                        b'/' => 0x2f,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => 0x0a,
                        b'r' => 0x0d,
                        b't' => 0x09,
                        b'u' => self.hex4()?,
                        _ => return Err(self.err("unknown escape")),
                    };
                    out.push(unit);
                }
                0x00..=0x1f => return Err(self.err("control character in a string")),
                _ => {
                    // One UTF-8 sequence.
                    let len = match c {
                        0x00..=0x7f => 1,
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return Err(self.err("invalid UTF-8")),
                    };
                    let end = self
                        .i
                        .checked_add(len)
                        .filter(|&e| e <= self.b.len())
                        .ok_or_else(|| self.err("invalid UTF-8"))?;
                    let s = std::str::from_utf8(&self.b[self.i..end])
                        .map_err(|_| self.err("invalid UTF-8"))?;
                    for ch in s.chars() {
                        let mut buf = [0u16; 2];
                        out.extend_from_slice(ch.encode_utf16(&mut buf));
                    }
                    self.i = end;
                }
            }
        }
    }
}

/// Whether `key` is an array index (a canonical decimal integer below 2^32 − 1): such keys
/// come first, in ascending order, in a JavaScript object's property order.
fn array_index(key: &[u16]) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key[0] == u16::from(b'0')) {
        return None;
    }
    let mut v: u64 = 0;
    for &u in key {
        let d = u.checked_sub(u16::from(b'0')).filter(|d| *d <= 9)?;
        v = v * 10 + u64::from(d);
    }
    u32::try_from(v).ok().filter(|v| *v != u32::MAX)
}

fn write_value(v: &Value, out: &mut Vec<u8>, ascii: bool) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Num(x) => out.extend_from_slice(js_number(*x).as_bytes()),
        Value::Str(s) => write_string(s, out, ascii),
        Value::Arr(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_value(item, out, ascii);
            }
            out.push(b']');
        }
        Value::Obj(members) => {
            let mut indexed: Vec<(u32, &(Vec<u16>, Value))> = members
                .iter()
                .filter_map(|m| array_index(&m.0).map(|i| (i, m)))
                .collect();
            indexed.sort_by_key(|(i, _)| *i);
            let ordered = indexed
                .into_iter()
                .map(|(_, m)| m)
                .chain(members.iter().filter(|m| array_index(&m.0).is_none()));
            out.push(b'{');
            for (n, (k, v)) in ordered.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_string(k, out, ascii);
                out.push(b':');
                write_value(v, out, ascii);
            }
            out.push(b'}');
        }
    }
}

/// `JSON.stringify`'s QuoteJSONString (ES2019, well-formed): short escapes, `\u00xx` for
/// other controls, `\udxxx` for lone surrogates, everything else as UTF-8 (or, when
/// `ascii`, non-ASCII as `\uxxxx` per UTF-16 unit).
fn write_string(s: &[u16], out: &mut Vec<u8>, ascii: bool) {
    out.push(b'"');
    for item in char::decode_utf16(s.iter().copied()) {
        match item {
            Ok(c) => match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\u{08}' => out.extend_from_slice(b"\\b"),
                '\u{0c}' => out.extend_from_slice(b"\\f"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                c if (c as u32) < 0x20 => {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
                }
                c if ascii && !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                    }
                }
                c => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            },
            Err(lone) => {
                out.extend_from_slice(format!("\\u{:04x}", lone.unpaired_surrogate()).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(s: &str) -> String {
        String::from_utf8(js_compatible(s.as_bytes()).expect(s)).expect("utf8")
    }

    #[test]
    fn definition_cases() {
        assert_eq!(js("1.50"), "1.5");
        assert_eq!(js("1e2"), "100");
        assert_eq!(js("-0"), "0");
        assert_eq!(js("-0.0e5"), "0");
        assert_eq!(js("9007199254740993"), "9007199254740992");
        assert_eq!(js("123456789012345678901234"), "1.2345678901234569e+23");
        assert_eq!(js("1e400"), "null");
        assert_eq!(js(r#""a\/b""#), r#""a/b""#);
        assert_eq!(js(r#""\u00e9""#), "\"é\"");
        assert_eq!(js(r#""\ud83d\ude00""#), "\"😀\"");
        assert_eq!(js(r#""\ud83d""#), r#""\ud83d""#);
        assert_eq!(js(r#""\u001F\u007f""#), "\"\\u001f\u{7f}\"");
        assert_eq!(js(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
        assert_eq!(
            js(r#"{"b":1,"2":2,"a":3,"1":4,"01":5}"#),
            r#"{"1":4,"2":2,"b":1,"a":3,"01":5}"#
        );
        assert_eq!(js(" \n "), "");
        assert_eq!(
            js(r#"{ "s" : "a  b" , "n" : null, "t": [true,false] }"#),
            r#"{"s":"a  b","n":null,"t":[true,false]}"#
        );
    }

    #[test]
    fn refuses_what_json_parse_refuses() {
        for bad in [
            "01",
            "1.",
            ".5",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "\"\u{1}\"",
            "'a'",
            "[",
            "nul",
            "1 2",
            "\"\\x\"",
            "\"\\u12\"",
        ] {
            assert!(js_compatible(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_JS_DEPTH + 2);
        assert!(js_compatible(deep.as_bytes()).is_err());
        assert!(js_compatible(b"\"\xff\"").is_err());
    }
}
