use auth_core::{AuthError, ErrorKind};

/// Deepest nesting of arrays/objects accepted (guards the recursive parser's stack).
pub const MAX_DEPTH: usize = 256;

/// Why a body is not valid JSON: the byte offset and a short reason (never the content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request body is not valid JSON (byte {offset}: {reason})")]
#[non_exhaustive]
pub struct MinifyError {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    /// What is wrong there.
    pub reason: &'static str,
}

impl From<MinifyError> for AuthError {
    fn from(e: MinifyError) -> Self {
        AuthError::new(
            ErrorKind::UnsupportedRequest,
            format!("SNAP signs the minified JSON body, but the {e}"),
        )
    }
}

/// Minifies a JSON document: whitespace outside strings is dropped, everything else (key
/// order, number spelling, escapes, UTF-8 inside strings) is kept byte for byte.
///
/// An empty or whitespace-only input minifies to the empty string (SNAP hashes an absent
/// body as the empty string).
///
/// ```
/// use tollgate_snap_b2b::minify_json;
/// let out = minify_json(br#"{ "b" : 1.50, "a" : "x  \u00e9" }"#).unwrap();
/// assert_eq!(out, br#"{"b":1.50,"a":"x  \u00e9"}"#);
/// assert!(minify_json(b"{\"a\":1,}").is_err());
/// ```
///
/// JSON minification as SNAP signatures need it.
///
/// The body hash in every SNAP signature is taken over the *minified* body. Re-serialising
/// through a JSON library is the classic mistake: maps sort keys, numbers get normalised
/// (`1.50` → `1.5`), escapes get rewritten (`\u00e9` → `é`), and the provider's hash no
/// longer matches. [`minify_json`] instead removes only the insignificant whitespace
/// outside strings, keeping every other byte exactly, and validates the JSON grammar in the
/// same single pass (invalid JSON is an error, never signed). The signer then sends exactly
/// the bytes it hashed.
pub fn minify_json(input: &[u8]) -> Result<Vec<u8>, MinifyError> {
    let mut out = Vec::with_capacity(input.len());
    minify_json_into(input, &mut out)?;
    Ok(out)
}

/// [`minify_json`] appending to `out` (which is left with partial output on error).
pub fn minify_json_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), MinifyError> {
    let mut p = Parser {
        s: input,
        i: 0,
        kept_from: 0,
        out,
    };
    p.ws();
    if p.i == p.s.len() {
        return Ok(());
    }
    let parsed = p.value(0);
    p.ws();
    p.keep();
    parsed?;
    if p.i != p.s.len() {
        return Err(p.err("unexpected data after the JSON value"));
    }
    Ok(())
}

/// Validates while it scans; the output is copied in runs: everything between two stretches
/// of whitespace outside strings goes to `out` with one `extend_from_slice` (`kept_from` is
/// where the pending run starts), so tokens are never copied one by one.
struct Parser<'a, 'o> {
    s: &'a [u8],
    i: usize,
    kept_from: usize,
    out: &'o mut Vec<u8>,
}

impl Parser<'_, '_> {
    fn err(&self, reason: &'static str) -> MinifyError {
        MinifyError {
            offset: self.i,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Copies the pending run `kept_from..i` to the output.
    fn keep(&mut self) {
        self.out.extend_from_slice(&self.s[self.kept_from..self.i]);
        self.kept_from = self.i;
    }

    /// Skips whitespace (after flushing the pending run when there is any to skip).
    fn ws(&mut self) {
        if !matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            return;
        }
        self.keep();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
            // Indentation comes in runs of spaces: skip them a word at a time.
            self.i += spaces_run(&self.s[self.i..]);
        }
        self.kept_from = self.i;
    }

    fn value(&mut self, depth: usize) -> Result<(), MinifyError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), MinifyError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after a key"));
            }
            self.i += 1;
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), MinifyError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                }
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    fn string(&mut self) -> Result<(), MinifyError> {
        self.i += 1; // opening quote
        loop {
            // Plain ASCII needs no closer look: skip it a word at a time.
            self.i += plain_string_run(&self.s[self.i..]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.i += 1;
                        }
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_hexdigit() => self.i += 1,
                                    _ => return Err(self.err("bad \\u escape")),
                                }
                            }
                        }
                        _ => return Err(self.err("bad escape in string")),
                    }
                }
                Some(0x00..=0x1f) => return Err(self.err("control character in string")),
                Some(0x80..=0xff) => {
                    let rest = &self.s[self.i..];
                    let width = match rest[0] {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return Err(self.err("invalid UTF-8 in string")),
                    };
                    if rest.len() < width || std::str::from_utf8(&rest[..width]).is_err() {
                        return Err(self.err("invalid UTF-8 in string"));
                    }
                    self.i += width;
                }
                Some(_) => self.i += 1,
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), MinifyError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err("leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), MinifyError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("unexpected word"))
        }
    }
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether some byte of `w` is below `n` (exact as an "any" test for `n <= 0x80`).
#[inline]
fn any_below(w: u64, n: u8) -> bool {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0
}

/// Whether some byte of `w` equals `b`.
#[inline]
fn any_equal(w: u64, b: u8) -> bool {
    any_below(w ^ (ONES * u64::from(b)), 1)
}

/// How many leading bytes of `s` a JSON string can hold as they are: printable ASCII other
/// than `"` and `\`. Checks eight bytes at a time (SWAR), then byte by byte.
#[inline]
fn plain_string_run(s: &[u8]) -> usize {
    let mut n = 0;
    for chunk in s.chunks_exact(8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_ne_bytes(bytes);
        if w & HIGHS != 0 || any_below(w, 0x20) || any_equal(w, b'"') || any_equal(w, b'\\') {
            break;
        }
        n += 8;
    }
    n + s[n..]
        .iter()
        .take_while(|&&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
        .count()
}

/// How many leading bytes of `s` are spaces, counted eight at a time (the rest is left to
/// the byte-by-byte whitespace loop).
#[inline]
fn spaces_run(s: &[u8]) -> usize {
    let mut n = 0;
    for chunk in s.chunks_exact(8) {
        if chunk != b"        " {
            break;
        }
        n += 8;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_at_a_time_scans_stop_at_every_special_byte() {
        for special in [b'"', b'\\', 0x00, 0x1f, 0x7f + 1, 0xff] {
            for at in 0..20 {
                let mut s = vec![b'a'; 20];
                s[at] = special;
                assert_eq!(plain_string_run(&s), at, "byte {special:#x} at {at}");
            }
        }
        assert_eq!(plain_string_run(&[b'~'; 19]), 19);
        assert_eq!(spaces_run(b"         x"), 8);
        assert_eq!(spaces_run(b"       x"), 0);
        let pretty = "{\n        \"a\" :   [ 1 ,\t\"x  y\\\"z\" ],\r\n                \"b\": \"\\u00e9 é€ long enough to span words\" }";
        assert_eq!(
            minify_json(pretty.as_bytes()).expect("ok"),
            "{\"a\":[1,\"x  y\\\"z\"],\"b\":\"\\u00e9 é€ long enough to span words\"}".as_bytes()
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let err = minify_json(deep.as_bytes()).expect_err("too deep");
        assert_eq!(err.reason, "nested too deeply");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(minify_json(ok.as_bytes()).expect("ok"), ok.as_bytes());
    }

    #[test]
    fn invalid_utf8_inside_strings_is_rejected() {
        assert!(minify_json(b"\"\xff\"").is_err());
        assert!(minify_json(b"\"\xe2\x82\"").is_err());
        assert!(minify_json(b"\"\xed\xa0\x80\"").is_err()); // surrogate
        assert_eq!(
            minify_json("\"€\"".as_bytes()).expect("ok"),
            "\"€\"".as_bytes()
        );
    }

    #[test]
    fn error_converts_to_unsupported_request() {
        let e: AuthError = minify_json(b"{").expect_err("bad").into();
        assert_eq!(e.kind(), ErrorKind::UnsupportedRequest);
        assert!(e.to_string().contains("not valid JSON"));
    }
}
