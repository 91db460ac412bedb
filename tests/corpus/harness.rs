// Shared by every crate's `tests/corpus.rs` (included with `#[path]`): reads
// `tests/corpus/manifest.json`, feeds each of the crate's files to a loader, and checks
// that it fails without panicking, with the expected kind and for the expected reason:
// the field the error names, or the check its message names (every entry has one).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// One corpus entry.
pub struct Case {
    pub file: String,
    pub loader: String,
    pub bytes: Vec<u8>,
}

impl Case {
    /// The input as text (lossy: the loaders take `&str`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// What a loader produced.
pub enum Got {
    /// It accepted the input.
    Accepted,
    /// It refused it: the kind's name, the field it names, the message (written by the
    /// crate, never containing the input).
    Refused {
        kind: String,
        field: Option<String>,
        message: String,
    },
}

impl Got {
    /// From an `AuthError` result.
    pub fn auth<T>(r: Result<T, auth_core::AuthError>) -> Got {
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

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/");

/// Runs every entry of `krate` through `load`; fails listing every mismatch.
pub fn run(krate: &str, load: impl Fn(&Case) -> Got) -> usize {
    let manifest = std::fs::read_to_string(format!("{ROOT}manifest.json")).expect("manifest");
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
            bytes: std::fs::read(format!("{ROOT}{file}")).expect("corpus file"),
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
