//! The previous minifier, unchanged, as the oracle of the property tests in this module:
//! the fused minify-and-hash pass and [`minify_json`] must give the same bytes and the same
//! errors for every input.

use super::{MAX_DEPTH, MinifyError};

/// The minifier as it was before the fused pass, kept byte for byte as the oracle.
pub(super) fn oracle_minify_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), MinifyError> {
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
