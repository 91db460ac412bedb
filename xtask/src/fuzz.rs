//! `cargo xtask fuzz [--seconds N] [--sanitizer NAME] [TARGET...]`: a short smoke run of
//! every cargo-fuzz target under `fuzz/` (60 s each by default).
//!
//! Needs `cargo install cargo-fuzz`. cargo-fuzz passes nightly-only flags (`-Z sanitizer`,
//! `-C passes=sancov-module`…); on a stable toolchain they are unlocked with
//! `RUSTC_BOOTSTRAP=1`, which this command sets when `rustc -V` is not a nightly.
//! `--sanitizer none` builds without AddressSanitizer (faster; the crates forbid `unsafe`,
//! so the panics the targets assert are what a smoke run looks for).
//!
//! Each target starts from its committed seeds (`fuzz/seeds/<target>/`, written by
//! `fuzz/seeds/generate.py`) and any extra seed directories below; new inputs go to
//! `fuzz/corpus/<target>/`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The targets, with the seed directories (besides `fuzz/seeds/<target>`) each starts from.
const TARGETS: &[(&str, &[&str])] = &[
    ("credential_files", &[]),
    ("pem_keys", &[]),
    ("token_responses", &[]),
    ("snap_minify", &["crates/snap-b2b/tests/corpus"]),
    ("snap_notification", &[]),
    ("dragonpass_push", &["crates/dragonpass/tests/corpus"]),
    ("gtr_pkcs12", &["crates/gtr/tests/corpus"]),
    ("gtr_callback", &[]),
    ("stored_token", &[]),
    ("retry_after_cache", &[]),
    ("holidu_verify", &[]),
    ("api_envelopes", &[]),
    ("v5_expire_time", &[]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs the command.
pub(crate) fn run(args: &[String]) -> ExitCode {
    let mut seconds: u64 = 60;
    let mut sanitizer: Option<String> = None;
    let mut only = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => match it.next().and_then(|s| s.parse().ok()) {
                Some(n) => seconds = n,
                None => {
                    eprintln!("--seconds needs a number");
                    return ExitCode::from(2);
                }
            },
            "--sanitizer" => match it.next() {
                Some(s) => sanitizer = Some(s.clone()),
                None => {
                    eprintln!("--sanitizer needs a name (none, address…)");
                    return ExitCode::from(2);
                }
            },
            t => only.push(t.to_string()),
        }
    }
    let selected: Vec<_> = TARGETS
        .iter()
        .filter(|(t, _)| only.is_empty() || only.iter().any(|o| o == t))
        .collect();
    if selected.is_empty() {
        let names: Vec<_> = TARGETS.iter().map(|(t, _)| *t).collect();
        eprintln!("no fuzz target matches {only:?}; targets: {names:?}");
        return ExitCode::from(2);
    }
    if !Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("cargo-fuzz is not installed: cargo install cargo-fuzz");
        return ExitCode::FAILURE;
    }
    let nightly = Command::new("rustc")
        .arg("-V")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("nightly"));
    let root = root();
    let mut rows = Vec::new();
    for (target, seeds) in selected {
        let corpus = root.join("fuzz/corpus").join(target);
        if let Err(e) = std::fs::create_dir_all(&corpus) {
            eprintln!("cannot create {}: {e}", corpus.display());
            return ExitCode::FAILURE;
        }
        let own_seeds = root.join("fuzz/seeds").join(target);
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root).args(["fuzz", "run", target]);
        if let Some(s) = &sanitizer {
            cmd.args(["--sanitizer", s]);
        }
        cmd.arg(&corpus)
            .args(own_seeds.is_dir().then_some(own_seeds))
            .args(seeds.iter().map(|s| root.join(s)))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"));
        if !nightly {
            cmd.env("RUSTC_BOOTSTRAP", "1");
        }
        println!("\n=== fuzz {target} ({seconds} s)");
        let started = Instant::now();
        let ok = cmd.status().is_ok_and(|s| s.success());
        rows.push((*target, ok, started.elapsed()));
    }
    println!("\n| target | result | wall time |\n|---|---|---|");
    for (t, ok, took) in &rows {
        let r = if *ok {
            "pass"
        } else {
            "FAIL (see fuzz/artifacts/)"
        };
        println!("| {t} | {r} | {:.0?} |", took);
    }
    if rows.iter().all(|(_, ok, _)| *ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
