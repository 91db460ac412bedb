//! `cargo xtask publish-check`: package every publishable crate in dependency order and
//! verify each builds from its packaged sources, as `cargo publish` would, without uploading.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Where cargo keeps its registry files.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// Removes what earlier dry runs left of this workspace's own crates in cargo's local
/// (temporary) registries. The dry run publishes every crate to such a registry and builds
/// the dependants against it; cargo reuses an extracted `tollgate-x-0.1.0` it finds there
/// by name and version, so a run after a source change would build against the old sources.
/// Only registries whose directory name starts with `-` (local ones, never crates.io's) and
/// only `tollgate-*` entries are touched.
fn clear_stale_local_packages() {
    let Some(home) = cargo_home() else { return };
    for area in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(area)) else {
            continue;
        };
        for reg in registries.flatten() {
            if !reg.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(reg.path()) else {
                continue;
            };
            for e in entries.flatten() {
                if !e.file_name().to_string_lossy().starts_with("tollgate-") {
                    continue;
                }
                let path = e.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                if let Err(err) = removed {
                    eprintln!("publish-check: cannot remove {}: {err}", path.display());
                }
            }
        }
    }
}

/// Runs the check. `--no-verify` skips building the packaged sources.
pub fn run(args: &[String]) -> ExitCode {
    clear_stale_local_packages();
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
