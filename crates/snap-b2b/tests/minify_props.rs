//! Property tests of the minifier. By themselves: the output is the same JSON value, it is
//! idempotent, it never changes a byte inside a string, and it refuses exactly what is not
//! JSON. Against an oracle, the previous minifier (byte by byte, before the bulk scans and
//! the fused minify-and-hash pass), kept unchanged at the end of this file as the reference:
//! for generated JSON texts — pretty-printed, compact, with odd whitespace, escapes, unicode
//! and deep nesting — for mutations of them and for arbitrary bytes, [`minify_json`] and the
//! fused pass the signer runs ([`sign_symmetric`]'s body and hash) give the oracle's bytes
//! (and the SHA-256 of them), or the oracle's error (same offset, same reason).

use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tollgate_snap_b2b::sign::{HmacKey, SignatureEncoding, sign_symmetric};
use tollgate_snap_b2b::{CanonicalError, MAX_DEPTH, minify_json};

/// The oracle's error: byte offset and reason, as [`tollgate_snap_b2b::MinifyError`] has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OracleError {
    offset: usize,
    reason: &'static str,
}

fn oracle(input: &[u8]) -> Result<Vec<u8>, OracleError> {
    let mut out = Vec::new();
    oracle_minify_into(input, &mut out).map(|()| out)
}

/// The fused pass, as the signer runs it: the body it sends and the hash it signs.
fn fused(input: &[u8]) -> Result<(Vec<u8>, String), OracleError> {
    let key = HmacKey::new(&"s".to_string().into());
    sign_symmetric(
        &key,
        "POST",
        "/x",
        "t",
        input,
        "ts",
        SignatureEncoding::Base64,
    )
    .map(|s| (s.minified_body, s.body_sha256_hex))
    .map_err(|e| match e {
        CanonicalError::Minify(e) => OracleError {
            offset: e.offset,
            reason: e.reason,
        },
        other => panic!("not a minifier error: {other}"),
    })
}

/// Checks both minifiers against the oracle on `input`.
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let expected = oracle(input);
    let minified = minify_json(input).map_err(|e| OracleError {
        offset: e.offset,
        reason: e.reason,
    });
    prop_assert_eq!(&minified, &expected);
    let fused = fused(input);
    match (&expected, fused) {
        (Ok(bytes), Ok((body, hash))) => {
            prop_assert_eq!(&body, bytes);
            prop_assert_eq!(hash, hex::encode(Sha256::digest(bytes)));
        }
        (Err(e), Err(f)) => prop_assert_eq!(*e, f),
        (e, f) => prop_assert!(false, "oracle {:?}, fused {:?}", e, f.map(|(b, _)| b)),
    }
    Ok(())
}

fn ws() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => proptest::collection::vec(
            prop_oneof![Just(" "), Just("\t"), Just("\n"), Just("\r"), Just("        ")],
            1..6,
        )
        .prop_map(|v| v.concat()),
        // Pretty-printer indentation: a line break and a long run of spaces.
        1 => (0usize..40).prop_map(|n| format!("\n{}", " ".repeat(n))),
    ]
}

fn string_lit() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[ a-zA-Z0-9éü中😀{}\\[\\]:,\u{7f}]{0,12}".prop_map(|s: String| s),
            // Long plain stretches, for the bulk search.
            "[a-z ]{20,80}".prop_map(|s: String| s),
            Just("\\\"".to_string()),
            Just("\\\\".to_string()),
            Just("\\n".to_string()),
            Just("\\t".to_string()),
            Just("\\u00e9".to_string()),
            Just("\\uD83D\\uDE00".to_string()),
            Just("\\/".to_string()),
        ],
        0..6,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()))
}

fn number_lit() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i16>(), 0u8..100).prop_map(|(a, b)| format!("{a}.{b:02}")),
        (1u8..9, -5i8..5).prop_map(|(a, e)| format!("{a}e{e}")),
        (1u8..9, 0u8..5).prop_map(|(a, e)| format!("{a}.5E+{e}")),
        Just("-0".to_string()),
        Just("0.0".to_string()),
        Just("1.50".to_string()),
    ]
}

/// A JSON text with whitespace of any kind (or none) around every token.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        string_lit(),
        number_lit(),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((inner.clone(), ws(), ws()), 0..6).prop_map(|items| {
                let body: Vec<String> = items
                    .into_iter()
                    .map(|(v, a, b)| format!("{a}{v}{b}"))
                    .collect();
                format!("[{}]", body.join(","))
            }),
            proptest::collection::vec((string_lit(), inner, ws(), ws()), 0..6).prop_map(|items| {
                let body: Vec<String> = items
                    .into_iter()
                    .map(|(k, v, a, b)| format!("{a}{k}{b}:{a}{v}{b}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
    .prop_flat_map(|v| (ws(), Just(v), ws()).prop_map(|(a, v, b)| format!("{a}{v}{b}")))
}

/// A JSON value as serde_json writes it, compact and pretty-printed.
fn serde_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Arrays and objects nested `depth` deep around a value, pretty or compact.
fn nested() -> impl Strategy<Value = String> {
    (0usize..300, any::<bool>(), ws()).prop_map(|(depth, objects, sep)| {
        let (open, close) = if objects {
            (format!("{{{sep}\"k\"{sep}:{sep}"), format!("{sep}}}"))
        } else {
            (format!("[{sep}"), format!("{sep}]"))
        };
        format!("{}1{}", open.repeat(depth), close.repeat(depth))
    })
}

/// Many JSON texts in one array: bodies of several KiB, so the hash runs behind the writer
/// (it is fed in whole blocks once 1 KiB is pending).
fn large() -> impl Strategy<Value = String> {
    (proptest::collection::vec((json_text(), ws()), 10..60), ws()).prop_map(|(items, sep)| {
        let body: Vec<String> = items.into_iter().map(|(v, w)| format!("{w}{v}")).collect();
        format!("{sep}[{}{sep}]", body.join(","))
    })
}

/// A JSON text with one byte changed, inserted or removed: mostly near-misses, which reach
/// every error of the grammar.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![4 => json_text(), 1 => large()],
        any::<prop::sample::Index>(),
        any::<u8>(),
        0u8..3,
    )
        .prop_map(|(text, at, byte, how)| {
            let mut b = text.into_bytes();
            let i = at.index(b.len() + 1);
            match how {
                0 if i < b.len() => b[i] = byte,
                1 if i < b.len() => {
                    b.remove(i);
                }
                _ => b.insert(i, byte),
            }
            b
        })
}

fn strings_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings_of(x, out);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn same_value_and_idempotent(text in json_text(), pre in ws(), post in ws()) {
        let input = format!("{pre}{text}{post}");
        let expected: Value = serde_json::from_str(&input).expect("generator makes valid JSON");
        let once = minify_json(input.as_bytes()).expect("valid JSON minifies");
        let parsed: Value = serde_json::from_slice(&once).expect("output parses");
        prop_assert_eq!(&parsed, &expected);
        let twice = minify_json(&once).expect("again");
        prop_assert_eq!(&twice, &once);
        // No whitespace left outside strings: the output is as long as the input minus
        // exactly the whitespace the generator put outside strings (checked indirectly:
        // re-minifying removes nothing and every string survives byte for byte).
        let mut before = Vec::new();
        strings_of(&expected, &mut before);
        let mut after = Vec::new();
        strings_of(&parsed, &mut after);
        prop_assert_eq!(before, after);
    }

    #[test]
    fn serde_compact_output_is_a_fixed_point(text in json_text()) {
        // serde_json's compact writer emits no insignificant whitespace, so minifying it
        // must change nothing at all.
        let v: Value = serde_json::from_str(&text).expect("valid");
        let compact = serde_json::to_vec(&v).expect("serialize");
        prop_assert_eq!(minify_json(&compact).expect("valid"), compact);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(out) = minify_json(&bytes) {
            prop_assert!(out.len() <= bytes.len());
            if !out.is_empty() {
                prop_assert!(serde_json::from_slice::<Value>(&out).is_ok());
            }
        }
    }
}

/// Whether `bytes` is a JSON text by serde_json's reading, with two differences: the empty
/// or blank body (which SNAP hashes as the empty string) is accepted, and so is a number
/// beyond f64's range (the JSON grammar allows any exponent; serde_json refuses such
/// numbers, so exponents outside strings are shortened to one digit before asking it).
fn serde_accepts(bytes: &[u8]) -> bool {
    if bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return true;
    }
    let mut tamed = Vec::with_capacity(bytes.len());
    let (mut i, mut in_string, mut escaped) = (0, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        tamed.push(b);
        i += 1;
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
            continue;
        }
        let after_digit = tamed.len() >= 2 && tamed[tamed.len() - 2].is_ascii_digit();
        if matches!(b, b'e' | b'E') && after_digit {
            if i < bytes.len() && matches!(bytes[i], b'+' | b'-') {
                tamed.push(bytes[i]);
                i += 1;
            }
            if i < bytes.len() && bytes[i].is_ascii_digit() {
                tamed.push(b'1');
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
    }
    serde_json::from_slice::<Value>(&tamed).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Minifying serde's pretty form gives serde's compact form byte for byte.
    #[test]
    fn pretty_minifies_to_compact(v in serde_value()) {
        let pretty = serde_json::to_vec_pretty(&v).expect("pretty");
        let compact = serde_json::to_vec(&v).expect("compact");
        prop_assert_eq!(minify_json(&pretty).expect("valid JSON"), compact);
    }

    /// A JSON text with one byte deleted, inserted or replaced: minified exactly when it is
    /// still JSON; when refused, the offset lies inside the input.
    #[test]
    fn near_json_is_refused_exactly_when_invalid(
        v in serde_value(),
        pretty in any::<bool>(),
        at in any::<prop::sample::Index>(),
        op in 0u8..3,
        byte in prop_oneof![
            Just(b','), Just(b':'), Just(b'"'), Just(b'{'), Just(b'}'), Just(b'['), Just(b']'),
            Just(b'\\'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b'0'), Just(b' '), Just(0u8),
            any::<u8>(),
        ],
    ) {
        let mut text = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.expect("json");
        let i = at.index(text.len() + 1);
        match op {
            0 if i < text.len() => { text.remove(i); }
            1 if i < text.len() => text[i] = byte,
            _ => text.insert(i, byte),
        }
        match minify_json(&text) {
            Ok(out) => {
                prop_assert!(serde_accepts(&text), "accepted non-JSON {:?}", String::from_utf8_lossy(&text));
                if let Ok(b) = serde_json::from_slice::<Value>(&text) {
                    let a: Value = serde_json::from_slice(&out).expect("output parses");
                    prop_assert_eq!(a, b);
                }
            }
            Err(e) => {
                prop_assert!(!serde_accepts(&text), "refused JSON {:?}: {}", String::from_utf8_lossy(&text), e);
                prop_assert!(e.offset <= text.len());
            }
        }
    }

    /// Minifying twice changes nothing (idempotence, on any input the minifier accepts).
    #[test]
    fn minify_is_idempotent(v in serde_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }.expect("json");
        let once = minify_json(&text).expect("valid");
        prop_assert_eq!(minify_json(&once).expect("valid"), once);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_json_is_minified_as_the_oracle_does(text in json_text()) {
        prop_assert!(oracle(text.as_bytes()).is_ok(), "generator wrote invalid JSON: {}", text);
        check(text.as_bytes())?;
    }

    #[test]
    fn serde_json_output_compact_and_pretty(value in serde_value()) {
        let compact = serde_json::to_vec(&value).expect("serialise");
        let pretty = serde_json::to_vec_pretty(&value).expect("serialise");
        check(&compact)?;
        check(&pretty)?;
    }

    #[test]
    fn large_bodies_are_minified_and_hashed_as_the_oracle_does(text in large()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn deep_nesting_as_the_oracle(text in nested()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn near_misses_are_refused_as_the_oracle_does(bytes in mutated()) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_as_the_oracle(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_text_as_the_oracle(text in "[ \\t\\n\\[\\]{}\":,\\\\a-z0-9.eE+\\-é\u{1}]{0,64}") {
        check(text.as_bytes())?;
    }
}

/// Where string text goes to the bulk search (`PLAIN_RUN_LIMIT` in `src/minify.rs`).
const PLAIN_RUN_LIMIT: usize = 128;

/// `minify_json` and the fused pass give the oracle's bytes (and their SHA-256) or its
/// error.
fn assert_as_oracle(input: &[u8]) {
    if let Err(e) = check(input) {
        panic!("{e}: {:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn bulk_scans_stop_at_every_special_byte() {
    // Every byte that ends or breaks string text, at every position of a stretch long
    // enough for the bulk search: the same outcome as the byte-by-byte oracle.
    for special in [b'"', b'\\', 0x00, 0x1f, 0x80, 0xc3, 0xff] {
        for at in 0..40 {
            let mut s = vec![b'a'; 42];
            s[0] = b'"';
            s[41] = b'"';
            s[at + 1] = special;
            assert_as_oracle(&s);
        }
    }
}

#[test]
fn strings_around_the_bulk_threshold() {
    // Plain text of every length just below, at and above the length past which a string
    // goes to the bulk search, then each kind of byte that ends or breaks plain text,
    // before, across and after that boundary; the string closed, continued or cut off
    // (the word loop reads eight bytes at a time: the end of the input falls at every
    // position of a word).
    let specials: [&[u8]; 12] = [
        b"\"",
        b"\\n",
        b"\\u00e9",
        b"\\x",
        b"\x00",
        b"\x1f",
        b"\xff",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        "é".as_bytes(),
        "€".as_bytes(),
        "😀".as_bytes(),
    ];
    let lengths = PLAIN_RUN_LIMIT - 10..=PLAIN_RUN_LIMIT + 10;
    for before in lengths.clone() {
        for special in specials {
            for after in [0, 1, 7, 8, 9, PLAIN_RUN_LIMIT + 3] {
                let mut s = b"{\"k\": \"".to_vec();
                s.extend(std::iter::repeat_n(b'a', before));
                s.extend_from_slice(special);
                s.extend(std::iter::repeat_n(b'b', after));
                let open = s.clone();
                s.extend_from_slice(b"\" , \"x\": 1 }");
                assert_as_oracle(&s);
                assert_as_oracle(&open);
            }
        }
    }
    // A long string with multibyte characters on both sides of the boundary, and a long
    // plain one, in a pretty body.
    let mut long = "{\n  \"é\": \"".to_string();
    long.push_str(&"x".repeat(PLAIN_RUN_LIMIT - 2));
    long.push_str("é€😀 and \\\" more ");
    long.push_str(&"y".repeat(3 * PLAIN_RUN_LIMIT));
    long.push_str("\",\n  \"b\": \"");
    long.push_str(&"z".repeat(PLAIN_RUN_LIMIT + 1));
    long.push_str("\"\n}\n");
    assert_as_oracle(long.as_bytes());
    assert!(minify_json(long.as_bytes()).is_ok());
}

// The oracle: the minifier as it was before the fused pass, kept byte for byte.

/// The minifier as it was before the fused pass, kept byte for byte as the oracle.
fn oracle_minify_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), OracleError> {
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
    fn err(&self, reason: &'static str) -> OracleError {
        OracleError {
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

    fn value(&mut self, depth: usize) -> Result<(), OracleError> {
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

    fn object(&mut self, depth: usize) -> Result<(), OracleError> {
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

    fn array(&mut self, depth: usize) -> Result<(), OracleError> {
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

    fn string(&mut self) -> Result<(), OracleError> {
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

    fn number(&mut self) -> Result<(), OracleError> {
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

    fn literal(&mut self, word: &'static [u8]) -> Result<(), OracleError> {
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
