//! `cargo xtask publish-check`: package every publishable crate in dependency order and
//! verify each builds from its packaged sources, as `cargo publish` would, without uploading.

use std::process::{Command, ExitCode};

/// Runs the check. `--no-verify` skips building the packaged sources.
pub fn run(args: &[String]) -> ExitCode {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        "publish",
        "--workspace",
        "--exclude",
        "xtask",
        "--dry-run",
        "--locked",
    ]);
    for a in args {
        match a.as_str() {
            "--no-verify" | "--allow-dirty" => {
                cmd.arg(a);
            }
            other => {
                eprintln!("publish-check: unknown option {other}");
                return ExitCode::from(2);
            }
        }
    }
    println!("publish-check: {cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => {
            println!("publish-check: every publishable crate packages and builds");
            ExitCode::SUCCESS
        }
        Ok(s) => {
            eprintln!("publish-check: FAILED ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("publish-check: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
