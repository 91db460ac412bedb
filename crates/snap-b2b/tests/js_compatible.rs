//! The JavaScript-compatible body form against Node.js (`tests/vectors/
//! js_compatible.json`, made by `js_compatible.js` with `JSON.stringify(JSON.parse(x))`) and
//! against its definition, property by property.

use proptest::prelude::*;
use tollgate_snap_b2b::{BodyForm, canonical_body, js_compatible, js_number};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

#[test]
fn matches_node() {
    let text = std::fs::read_to_string(format!("{DIR}js_compatible.json")).expect("vectors");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() > 40);
    for c in cases {
        let input = c["input"].as_str().expect("input");
        let expected = c["expected"].as_str().expect("expected");
        let got = js_compatible(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(String::from_utf8(got).expect("utf8"), expected, "{input}");
    }
}

/// A JSON value whose JavaScript form is known without the implementation under test.
#[derive(Debug, Clone)]
enum Model {
    Null,
    Bool(bool),
    /// An integer below 2^53 in magnitude: JS writes it in plain decimal.
    Int(i64),
    /// `int.frac` with no trailing zero in `frac`: JS writes exactly that.
    Dec(u32, String),
    Str(String),
    Arr(Vec<Model>),
    /// Keys are letters only (no array-index reordering), unique.
    Obj(Vec<(String, Model)>),
}

fn model() -> impl Strategy<Value = Model> {
    let leaf = prop_oneof![
        Just(Model::Null),
        any::<bool>().prop_map(Model::Bool),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(Model::Int),
        (0u32..100_000, "[0-9]{0,5}[1-9]").prop_map(|(i, f)| Model::Dec(i, f)),
        "[a-zA-Z0-9 é😀/\\\\\"\u{1}\t\n-]{0,12}".prop_map(Model::Str),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Model::Arr),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..5)
                .prop_map(|m| Model::Obj(m.into_iter().collect())),
        ]
    })
}

/// JSON.stringify's spelling of the model.
fn clean(m: &Model, out: &mut String) {
    match m {
        Model::Null => out.push_str("null"),
        Model::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Model::Int(i) => out.push_str(&i.to_string()),
        Model::Dec(i, f) => out.push_str(&format!("{i}.{f}")),
        Model::Str(s) => clean_str(s, out),
        Model::Arr(items) => {
            out.push('[');
            for (n, it) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                clean(it, out);
            }
            out.push(']');
        }
        Model::Obj(members) => {
            out.push('{');
            for (n, (k, v)) in members.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                clean_str(k, out);
                out.push(':');
                clean(v, out);
            }
            out.push('}');
        }
    }
}

fn clean_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Another spelling of the same value: whitespace, `\uXXXX` (surrogate pairs beyond the BMP),
/// `\/`, trailing zeros and exponents, and a decoy duplicate key that the last one overrides.
fn next(salt: &mut u64) -> u64 {
    *salt = salt
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*salt >> 33) % 4
}

fn noisy(m: &Model, salt: &mut u64, out: &mut String) {
    let ws = [" ", "\n  ", "\t", ""];
    out.push_str(ws[next(salt) as usize]);
    match m {
        Model::Int(i) => match next(salt) {
            0 => out.push_str(&format!("{i}.000")),
            1 if *i != 0 && i.unsigned_abs() % 100 == 0 => {
                out.push_str(&format!("{}e2", i / 100));
            }
            2 => out.push_str(&format!("{i}E0")),
            _ => out.push_str(&i.to_string()),
        },
        Model::Dec(i, f) => match next(salt) {
            0 => out.push_str(&format!("{i}.{f}000")),
            _ => out.push_str(&format!("{i}.{f}")),
        },
        Model::Str(s) => noisy_str(s, salt, out),
        Model::Arr(items) => {
            out.push('[');
            for (n, it) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                noisy(it, salt, out);
            }
            out.push(']');
        }
        Model::Obj(members) => {
            out.push('{');
            for (n, (k, v)) in members.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                if next(salt) == 0 {
                    // A decoy first occurrence: the later value must win, in this position.
                    noisy_str(k, salt, out);
                    out.push_str(" : \"decoy\" ,");
                }
                noisy_str(k, salt, out);
                out.push(':');
                noisy(v, salt, out);
            }
            out.push('}');
        }
        other => clean(other, out),
    }
    out.push_str(ws[next(salt) as usize]);
}

fn noisy_str(s: &str, salt: &mut u64, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match (c, next(salt)) {
            ('/', 0 | 1) => out.push_str("\\/"),
            (c, 0) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            ('"', _) => out.push_str("\\\""),
            ('\\', _) => out.push_str("\\\\"),
            ('\n', _) => out.push_str("\\n"),
            ('\t', _) => out.push_str("\\t"),
            (c, _) if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            (c, _) => out.push(c),
        }
    }
    out.push('"');
}

proptest! {
    #[test]
    fn any_spelling_gives_the_stringify_form(m in model(), salt in any::<u64>()) {
        let mut want = String::new();
        clean(&m, &mut want);
        let mut input = String::new();
        let mut s = salt;
        noisy(&m, &mut s, &mut input);
        let got = js_compatible(input.as_bytes()).map_err(|e| TestCaseError::fail(format!("{input}: {e}")))?;
        prop_assert_eq!(String::from_utf8(got).expect("utf8"), want.clone(), "{}", input);
        // Idempotent, and agrees with the whitespace-only minify on its own output.
        prop_assert_eq!(js_compatible(want.as_bytes()).expect("again"), want.as_bytes());
        prop_assert_eq!(canonical_body(want.as_bytes(), BodyForm::Minified).expect("min"), want.as_bytes());
    }

    #[test]
    fn numbers_round_trip_through_their_js_spelling(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let s = js_number(x);
        let back: f64 = s.parse().expect("parses");
        prop_assert_eq!(back, if x == 0.0 { 0.0 } else { x });
        prop_assert_eq!(js_compatible(s.as_bytes()).expect("js"), s.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = js_compatible(&bytes);
    }
}
