//! Property tests of the minifier against the oracle (the previous minifier, kept unchanged
//! in `minify_oracle.rs`): for generated JSON texts — pretty-printed, compact, with odd
//! whitespace, escapes, unicode and deep nesting — for mutations of them and for arbitrary
//! bytes, [`minify_json`] and the fused [`minify_and_hash`] give the oracle's bytes (and the
//! SHA-256 of them), or the oracle's error (same offset, same reason).

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::oracle::oracle_minify_into;
use super::{MinifiedBody, MinifyError, minify_and_hash, minify_json};

fn oracle(input: &[u8]) -> Result<Vec<u8>, MinifyError> {
    let mut out = Vec::new();
    oracle_minify_into(input, &mut out).map(|()| out)
}

/// Checks both minifiers against the oracle on `input`.
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let expected = oracle(input);
    prop_assert_eq!(&minify_json(input), &expected);
    // The fused pass, appending after bytes `out` already holds.
    let mut out = b"prefix".to_vec();
    let fused = minify_and_hash(input, &mut out, 16);
    match (&expected, fused) {
        (Ok(bytes), Ok((body, hash))) => {
            let got = match body {
                MinifiedBody::InputPrefix(len) => {
                    prop_assert_eq!(&out, b"prefix", "nothing copied for an input prefix");
                    &input[..len]
                }
                MinifiedBody::Written { from } => {
                    prop_assert_eq!(from, 6);
                    prop_assert_eq!(&out[..6], b"prefix");
                    &out[from..]
                }
            };
            prop_assert_eq!(got, bytes.as_slice());
            prop_assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(bytes)));
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
fn serde_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
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
