//! The bad-input corpus runner, shared by every provider crate's `tests/corpus.rs`: reads the
//! crate's `tests/corpus/manifest.json`, feeds each file to a loader, and checks that it
//! fails without panicking, with the expected kind and for the expected reason: the field
//! the error names, or the check its message names (every entry has one).
//!
//! A manifest entry: `{"file": "key_ec_p256.pem", "crate": "dragonpass", "loader":
//! "rsa_private_key", "kind": "InvalidCredentials", "field": "private_key"}` (or a `check`,
//! words of the error message that name the check, instead of the `field`).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// One corpus entry.
#[derive(Debug)]
pub struct Case {
    /// The file's name, relative to the corpus directory.
    pub file: String,
    /// Which loader of the crate reads it (the manifest's `loader`).
    pub loader: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl Case {
    /// The input as text (lossy: the loaders take `&str`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// What a loader produced.
#[derive(Debug)]
pub enum Got {
    /// It accepted the input.
    Accepted,
    /// It refused it: the kind's name, the field it names, the message (written by the
    /// crate, never containing the input).
    Refused {
        /// The error kind's name (`ErrorKind` as `Debug`, or a crate's own variant name).
        kind: String,
        /// The field the error names, if any.
        field: Option<String>,
        /// The error's message.
        message: String,
    },
}

impl Got {
    /// From an `AuthError` result.
    pub fn auth<T>(r: Result<T, tollgate_auth_core::AuthError>) -> Got {
        match r {
            Ok(_) => Got::Accepted,
            Err(e) => Got::Refused {
                kind: format!("{:?}", e.kind()),
                field: e.field().map(str::to_string),
                message: e.message().to_string(),
            },
        }
    }
}

/// Runs every entry of `krate` in the corpus directory `dir` (which holds `manifest.json`
/// and the files) through `load`, and returns how many there were.
///
/// # Panics
/// When the manifest or a file cannot be read, when there are no entries for `krate`, and,
/// listing every mismatch, when any entry is accepted, refused with another kind, field or
/// check, names neither its field nor its check, or makes the loader panic: it is a test.
#[allow(clippy::expect_used, clippy::panic)]
pub fn run(dir: &str, krate: &str, load: impl Fn(&Case) -> Got) -> usize {
    let root = std::path::Path::new(dir);
    let manifest = std::fs::read_to_string(root.join("manifest.json")).expect("manifest");
    let entries: serde_json::Value = serde_json::from_str(&manifest).expect("manifest JSON");
    let mut problems = Vec::new();
    let mut n = 0;
    for e in entries.as_array().expect("array") {
        if e["crate"] != krate {
            continue;
        }
        n += 1;
        let file = e["file"].as_str().expect("file").to_string();
        let case = Case {
            bytes: std::fs::read(root.join(&file)).expect("corpus file"),
            loader: e["loader"].as_str().expect("loader").to_string(),
            file,
        };
        let want_kind = e["kind"].as_str().expect("kind");
        let want_field = e["field"].as_str();
        let want_check = e["check"].as_str();
        if want_field.is_none() && want_check.is_none() {
            problems.push(format!(
                "{}: names neither the field nor the check",
                case.file
            ));
        }
        match catch_unwind(AssertUnwindSafe(|| load(&case))) {
            Err(_) => problems.push(format!("{}: PANICKED", case.file)),
            Ok(Got::Accepted) => problems.push(format!("{}: accepted", case.file)),
            Ok(Got::Refused {
                kind,
                field,
                message,
            }) => {
                if kind != want_kind {
                    problems.push(format!("{}: kind {kind}, expected {want_kind}", case.file));
                }
                if want_field.is_some() && field.as_deref() != want_field {
                    problems.push(format!(
                        "{}: field {field:?}, expected {want_field:?}",
                        case.file
                    ));
                }
                if let Some(check) = want_check
                    && !message.contains(check)
                {
                    problems.push(format!(
                        "{}: refused by {message:?}, expected the check {check:?}",
                        case.file
                    ));
                }
            }
        }
    }
    assert!(n > 0, "no corpus entries for {krate}");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    n
}
