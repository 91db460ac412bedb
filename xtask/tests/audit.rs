//! Source audit of the verifiers and fakes: secrets, MACs, signatures and session tokens are
//! compared with `auth_core::credentials::constant_time_eq` (or a MAC's `verify_slice`),
//! never with `==` / `!=`, whose running time reveals the length of the matching prefix.

const FILES: &[&str] = &[
    "crates/testkit/src/mock.rs",
    "crates/dragonpass/src/mock.rs",
    "crates/dragonpass/src/push.rs",
    "crates/gtr/src/mock.rs",
    "crates/gtr/src/sign.rs",
    "crates/holidu/src/mock.rs",
    "crates/holidu/src/sign.rs",
    "crates/snap-b2b/src/mock.rs",
    "crates/snap-b2b/src/mock/b2b2c.rs",
    "crates/snap-b2b/src/inbound.rs",
    "crates/snap-b2b/src/b2b2c.rs",
    "crates/snap-b2b/src/notify.rs",
    "crates/snap-b2b/src/sign.rs",
    "crates/v5-openapi/src/mock.rs",
];

/// Words that mark a compared value as secret material.
const SECRET_WORDS: &[&str] = &["sig", "secret", "mac", "jwt", "hmac", "digest", "expected"];

fn suspicious(code: &str) -> bool {
    let lower = code.to_ascii_lowercase();
    (lower.contains("==") || lower.contains("!=")) && SECRET_WORDS.iter().any(|w| lower.contains(w))
}

#[test]
fn no_variable_time_comparison_of_secrets() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
    let mut found = Vec::new();
    for file in FILES {
        let text = std::fs::read_to_string(format!("{root}{file}")).expect("source file");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if suspicious(code) {
                found.push(format!("{file}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "variable-time comparisons of secret material:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_audit_flags_the_patterns_it_looks_for() {
    assert!(suspicious("if sig != expected {"));
    assert!(suspicious("|| body.signed_secret_key != expected"));
    assert!(suspicious("Some(s) if s.jwt == jwt =>"));
    assert!(!suspicious(
        "if !constant_time_eq(sig.as_bytes(), expected.as_bytes()) {"
    ));
    assert!(!suspicious("if self.mode == FakeMode::TokenApi {"));
}
