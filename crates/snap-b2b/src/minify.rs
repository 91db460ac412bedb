use auth_core::{AuthError, ErrorKind};
use sha2::{Digest, Sha256};

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
    parse(input, &mut out)?;
    Ok(out)
}

/// Where the minified body of [`minify_and_hash`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MinifiedBody {
    /// The first `len` bytes of the input: nothing but (possibly) trailing whitespace was
    /// dropped, so nothing was copied. `len == input.len()` means the body is unchanged.
    InputPrefix(usize),
    /// `out[from..]`: the bytes were copied there, whitespace left out.
    Written {
        /// Where the body starts in `out` (what `out` held before is left alone).
        from: usize,
    },
}

/// Minifies `input` and hashes the minified bytes with SHA-256 in the same pass: the hash is
/// fed with each stretch of output while it is still in the cache (it trails the writer by
/// less than [`HASH_LAG`] bytes), so the minified body is never read again. The output is
/// copied to `out` only once something has to be left out; an input that is already minified
/// (the common case for bodies serialised by a JSON library) is hashed in place and never
/// copied. `out` is reserved for the whole input plus `headroom` when the copy starts.
///
/// Byte for byte the same output and the same errors as [`minify_json`].
pub(crate) fn minify_and_hash(
    input: &[u8],
    out: &mut Vec<u8>,
    headroom: usize,
) -> Result<(MinifiedBody, [u8; 32]), MinifyError> {
    let mut sink = Fused {
        input,
        out,
        from: 0,
        copying: false,
        len: 0,
        hashed: 0,
        hasher: Sha256::new(),
        headroom,
    };
    parse(input, &mut sink)?;
    sink.hash_pending(false);
    let body = if sink.copying {
        MinifiedBody::Written { from: sink.from }
    } else {
        MinifiedBody::InputPrefix(sink.len)
    };
    Ok((body, sink.hasher.finalize().into()))
}

/// The hash trails the output by at most this many bytes (whole SHA-256 blocks are hashed
/// straight from the output once this much is pending: no copy into the hasher's buffer).
const HASH_LAG: usize = 1024;

/// Receives the minified output as runs of the input.
trait Sink {
    /// `input[from..to]` is the next stretch of output (`from < to`).
    fn run(&mut self, input: &[u8], from: usize, to: usize);
}

impl Sink for Vec<u8> {
    #[inline]
    fn run(&mut self, input: &[u8], from: usize, to: usize) {
        self.extend_from_slice(&input[from..to]);
    }
}

/// The sink of [`minify_and_hash`]: the output stays the input's prefix `input[..len]` as long
/// as every run continues where the previous one ended; the first gap copies that prefix to
/// `out[from..]` and every later run is appended there.
struct Fused<'i, 'o> {
    input: &'i [u8],
    out: &'o mut Vec<u8>,
    from: usize,
    copying: bool,
    /// Bytes of output so far.
    len: usize,
    /// Bytes of output already hashed.
    hashed: usize,
    hasher: Sha256,
    headroom: usize,
}

impl Fused<'_, '_> {
    /// Hashes the pending output: whole blocks only while more may follow, all of it at the
    /// end.
    fn hash_pending(&mut self, whole_blocks: bool) {
        let pending = self.len - self.hashed;
        let take = if whole_blocks {
            pending / 64 * 64
        } else {
            pending
        };
        if take == 0 {
            return;
        }
        let output = if self.copying {
            &self.out[self.from..]
        } else {
            &self.input[..self.len]
        };
        self.hasher.update(&output[self.hashed..self.hashed + take]);
        self.hashed += take;
    }
}

impl Sink for Fused<'_, '_> {
    #[inline]
    fn run(&mut self, input: &[u8], from: usize, to: usize) {
        if !self.copying {
            if from == self.len {
                self.len = to;
            } else {
                self.copying = true;
                self.from = self.out.len();
                self.out.reserve(input.len() + self.headroom);
                self.out.extend_from_slice(&input[..self.len]);
            }
        }
        if self.copying {
            self.out.extend_from_slice(&input[from..to]);
            self.len += to - from;
        }
        if self.len - self.hashed >= HASH_LAG {
            self.hash_pending(true);
        }
    }
}

fn parse<S: Sink>(input: &[u8], out: &mut S) -> Result<(), MinifyError> {
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

/// Scans one JSON number (RFC 8259: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`)
/// starting at `i`: the index just past it, or the index and the reason of the first byte
/// that breaks the grammar. Shared by the minifier and the JavaScript-compatible form.
pub(crate) fn scan_number(s: &[u8], mut i: usize) -> Result<usize, (usize, &'static str)> {
    let digits = |from: usize| {
        from + s
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => {
            i += 1;
            if s.get(i).is_some_and(u8::is_ascii_digit) {
                return Err((i, "leading zero in a number"));
            }
        }
        Some(b'1'..=b'9') => i = digits(i),
        _ => return Err((i, "expected a digit")),
    }
    if s.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return Err((end, "expected a digit after '.'"));
        }
        i = end;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = s.get(i) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return Err((end, "expected a digit in the exponent"));
        }
        i = end;
    }
    Ok(i)
}

/// Validates while it scans; the output is handed over in runs: everything between two
/// stretches of whitespace outside strings goes to the sink at once (`kept_from` is where the
/// pending run starts), so tokens are never copied one by one.
struct Parser<'a, 'o, S> {
    s: &'a [u8],
    i: usize,
    kept_from: usize,
    out: &'o mut S,
}

impl<S: Sink> Parser<'_, '_, S> {
    fn err(&self, reason: &'static str) -> MinifyError {
        MinifyError {
            offset: self.i,
            reason,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Hands the pending run `kept_from..i` to the sink.
    #[inline]
    fn keep(&mut self) {
        if self.kept_from < self.i {
            self.out.run(self.s, self.kept_from, self.i);
        }
        self.kept_from = self.i;
    }

    /// Skips whitespace (after flushing the pending run when there is any to skip).
    #[inline]
    fn ws(&mut self) {
        if !matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            return;
        }
        self.keep();
        // The first byte is whitespace (just checked): the count starts after it, so the
        // indentation after a line break is counted in the first word read.
        let after = self.i.saturating_add(1);
        self.i = after + whitespace_run(self.s.get(after..).unwrap_or_default());
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

    /// A value inside an object or an array: a string (the common case) is scanned right
    /// here, without a call to `value`.
    #[inline]
    fn element(&mut self, depth: usize) -> Result<(), MinifyError> {
        if self.peek() == Some(b'"') {
            self.string()
        } else {
            self.value(depth)
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
            self.element(depth)?;
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
            self.element(depth)?;
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
        // Most strings (keys, short values) are plain text up to the closing quote: that
        // case stays small here; anything else continues in `string_rest`.
        let rest = self.s.get(self.i..).unwrap_or_default();
        let plain = plain_run(rest);
        self.i += plain;
        if rest.get(plain) == Some(&b'"') {
            self.i += 1;
            return Ok(());
        }
        self.string_rest()
    }

    /// The rest of a string after its first stretch of plain text: `i` is at a byte that is
    /// not plain text (or past a long stretch of plain text).
    #[inline(never)]
    fn string_rest(&mut self) -> Result<(), MinifyError> {
        loop {
            // Short stretches of plain text (printable ASCII other than `"` and `\\`), the
            // common case, are skipped a word at a time up to the first byte that needs a
            // closer look; anything left undecided (non-ASCII, or a long stretch of plain
            // text) goes to the bulk search.
            let rest = self.s.get(self.i..).unwrap_or_default();
            let plain = plain_run(rest);
            self.i += plain;
            match rest.get(plain) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape()?,
                Some(0x00..=0x1f) => return Err(self.err("control character in string")),
                Some(_) => self.text_bulk()?,
            }
        }
    }

    /// Skips string text up to the next quote or backslash (or the end of the input) in
    /// bulk: finds that byte with `memchr2`, then checks the stretch in bulk (no control
    /// character, valid UTF-8). A stretch that fails the check is walked byte by byte to find
    /// the first error, so errors are reported where a byte-by-byte scan reports them.
    fn text_bulk(&mut self) -> Result<(), MinifyError> {
        let rest = self.s.get(self.i..).unwrap_or_default();
        let stop = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
        let text = rest.get(..stop).unwrap_or_default();
        // `fold`, not `all`: no early exit, so the check is vectorised (errors are rare).
        let control = text.iter().fold(false, |found, &b| found | (b < 0x20));
        if !control && std::str::from_utf8(text).is_ok() {
            self.i += stop;
            Ok(())
        } else {
            self.text_bytewise(self.i + stop)
        }
    }

    /// Walks string text up to `stop` byte by byte (only reached when that stretch holds an
    /// error, which this finds and reports).
    #[cold]
    fn text_bytewise(&mut self, stop: usize) -> Result<(), MinifyError> {
        while self.i < stop {
            match self.s[self.i] {
                0x00..=0x1f => return Err(self.err("control character in string")),
                0x80..=0xff => {
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
                _ => self.i += 1,
            }
        }
        Ok(())
    }

    /// An escape sequence; `i` is at its backslash.
    fn escape(&mut self) -> Result<(), MinifyError> {
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
        Ok(())
    }

    fn number(&mut self) -> Result<(), MinifyError> {
        match scan_number(self.s, self.i) {
            Ok(end) => {
                self.i = end;
                Ok(())
            }
            Err((at, reason)) => {
                self.i = at;
                Err(self.err(reason))
            }
        }
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

/// How many leading bytes of `s` are JSON whitespace. Indentation comes as a line break
/// followed by a run of spaces: spaces are counted a word at a time.
#[inline]
fn whitespace_run(s: &[u8]) -> usize {
    let mut n = 0;
    loop {
        n += spaces_run(s.get(n..).unwrap_or_default());
        match s.get(n) {
            Some(b' ' | b'\t' | b'\n' | b'\r') => n += 1,
            _ => return n,
        }
    }
}

/// Eight bytes of `s` from `at` as a little-endian word (the first byte is the lowest), or
/// `None` when fewer than eight are left.
#[inline]
fn word_at(s: &[u8], at: usize) -> Option<u64> {
    let bytes = s.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The index of the first nonzero byte of the nonzero little-endian word `w` (its lowest set
/// bit is in that byte).
#[inline]
fn first_nonzero_byte(w: u64) -> usize {
    // At most 7: the conversion cannot fail.
    usize::try_from(w.trailing_zeros() / 8).unwrap_or(0)
}

/// How many leading bytes of `s` are spaces, counted eight at a time: exact while eight
/// bytes are left (the first byte of a word that differs from a space ends the count); in
/// the last few bytes, the count stops short and the byte-by-byte whitespace loop finishes.
#[inline]
fn spaces_run(s: &[u8]) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    let mut n = 0;
    while let Some(w) = word_at(s, n) {
        // Zero in exactly the bytes that are spaces.
        let other = w ^ SPACES;
        if other != 0 {
            return n + first_nonzero_byte(other);
        }
        n += 8;
    }
    n
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Flags (with its high bit) each byte of the little-endian word `w` that plain string text
/// cannot hold as it is: a quote, a backslash, a control byte (< 0x20) or a non-ASCII byte
/// (>= 0x80). The subtractions can borrow across bytes, but a borrow only starts at a byte
/// that is truly flagged, so the *first* flagged byte is always exact (all this is used for).
#[inline]
fn string_stops(w: u64) -> u64 {
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash | w) & HIGHS
}

/// Past this many bytes of plain text, the rest of a string goes to the bulk search.
const PLAIN_RUN_LIMIT: usize = 128;

/// How many leading bytes of `s` are plain string text (printable ASCII other than `"` and
/// `\\`), checked eight bytes at a time in one pass (SWAR): exact when that is fewer than
/// [`PLAIN_RUN_LIMIT`]; otherwise the count stops at a word boundary at or past the limit,
/// and the byte there may be plain text too.
#[inline]
fn plain_run(s: &[u8]) -> usize {
    let mut n = 0;
    while let Some(w) = word_at(s, n) {
        let stops = string_stops(w);
        if stops != 0 {
            return n + first_nonzero_byte(stops);
        }
        n += 8;
        if n >= PLAIN_RUN_LIMIT {
            return n;
        }
    }
    // Fewer than eight bytes left (the end of the input is near).
    n + s
        .get(n..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The minifier against the previous one (the oracle) is in tests/minify_oracle.rs.

    #[test]
    fn bulk_scans() {
        assert_eq!(spaces_run(b"         x"), 8);
        assert_eq!(spaces_run(b"       x"), 7);
        assert_eq!(spaces_run(b"  x     "), 2);
        assert_eq!(spaces_run(b"      "), 0); // fewer than eight bytes: left to the caller
        assert_eq!(whitespace_run(b"  \n "), 4);
        assert_eq!(whitespace_run(b"\n          \t\r x"), 14);
        let pretty = "{\n        \"a\" :   [ 1 ,\t\"x  y\\\"z\" ],\r\n                \"b\": \"\\u00e9 é€ long enough to span words\" }";
        assert_eq!(
            minify_json(pretty.as_bytes()).expect("ok"),
            "{\"a\":[1,\"x  y\\\"z\"],\"b\":\"\\u00e9 é€ long enough to span words\"}".as_bytes()
        );
    }

    /// The fused pass leaves what `out` held alone, copies nothing while the body is a prefix
    /// of the input, and gives `minify_json`'s bytes and errors.
    #[test]
    fn fused_pass_is_minify_json() {
        let long = format!("{{\"k\": \"{}\"}}", "a".repeat(3 * HASH_LAG));
        for input in [
            "",
            "  ",
            "{\"a\":1}",
            "{\"a\":1}  \n",
            " {\"a\":1}",
            "[1, 2]",
            "{",
            "[1,]",
            long.as_str(),
        ] {
            let input = input.as_bytes();
            let mut out = b"prefix".to_vec();
            let fused = minify_and_hash(input, &mut out, 16).map(|(body, hash)| {
                let bytes = match body {
                    MinifiedBody::InputPrefix(len) => {
                        assert_eq!(out, b"prefix", "nothing copied");
                        input[..len].to_vec()
                    }
                    MinifiedBody::Written { from } => {
                        assert_eq!((from, &out[..from]), (6, &b"prefix"[..]));
                        out[from..].to_vec()
                    }
                };
                assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(&bytes)));
                bytes
            });
            assert_eq!(
                fused,
                minify_json(input),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
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
