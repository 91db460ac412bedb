//! `cargo xtask publish-check`: package every publishable crate in dependency order and
//! verify each builds from its packaged sources, as `cargo publish` would, without uploading;
//! then unpack every package on its own and run its tests from the package, so a test that
//! reads a file the package does not ship fails here rather than for a user.

use std::path::{Path, PathBuf};
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

/// Removes what an earlier check compiled of the tollgate packages. Verification builds
/// each package against the others as registry packages of the same version, and cargo
/// never rebuilds a registry package it has compiled before (registry sources do not
/// change), so a second check would link against the first one's code. `cargo clean -p`
/// removes every build of the package, the workspace's own ones included, which the next
/// build redoes.
fn clean_compiled_packages(root: &Path) -> Result<(), String> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root).args(["clean", "--quiet"]);
    for (name, _) in packages(root)? {
        cmd.args(["-p", &name]);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo clean: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "cargo clean of the tollgate packages failed: {status}"
        ))
    }
}

/// The workspace root (the xtask crate's parent).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The publishable packages, in dependency order, with their versions.
fn packages(root: &Path) -> Result<Vec<(String, String)>, String> {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed: {}", out.status));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut found = Vec::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let publishable = !p["publish"].as_array().is_some_and(Vec::is_empty);
        let name = p["name"].as_str().unwrap_or_default();
        if publishable && name.starts_with("tollgate") {
            found.push((
                name.to_string(),
                p["version"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(found)
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Copies a directory tree (the unpacked package) to `to`.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Runs every package's tests from its unpacked sources: each package is copied out of
/// `target/package/`, made a workspace of its own, given the workspace's lock file (the same
/// dependency versions), and its tollgate dependencies are patched to the other unpacked
/// packages, never to the workspace's sources.
fn test_packages(root: &Path) -> Result<(), String> {
    let packages = packages(root)?;
    let unpacked = root.join("target").join("package");
    let stage = root.join("target").join("publish-check");
    let _ = std::fs::remove_dir_all(&stage);
    for (name, version) in &packages {
        let from = unpacked.join(format!("{name}-{version}"));
        let to = stage.join(name);
        copy_tree(&from, &to).map_err(|e| format!("unpacking {name}: {e}"))?;
        let manifest = to.join("Cargo.toml");
        let mut text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
        text.push_str("\n[workspace]\n");
        std::fs::write(&manifest, text).map_err(|e| format!("writing {name}'s manifest: {e}"))?;
        std::fs::copy(root.join("Cargo.lock"), to.join("Cargo.lock"))
            .map_err(|e| format!("copying the lock file for {name}: {e}"))?;
    }
    // Which tollgate packages each package's manifest names (normal, dev or renamed).
    let manifests: Vec<String> = packages
        .iter()
        .map(|(name, _)| {
            std::fs::read_to_string(stage.join(name).join("Cargo.toml")).unwrap_or_default()
        })
        .collect();
    let names = |text: &str| -> Vec<usize> {
        (0..packages.len())
            .filter(|&i| {
                let dep = &packages[i].0;
                text.contains(&format!(".{dep}]")) || text.contains(&format!("\"{dep}\""))
            })
            .collect()
    };
    let mut failed = Vec::new();
    for (i, (name, _)) in packages.iter().enumerate() {
        println!("publish-check: testing {name} from its package");
        // Every tollgate package it reaches, directly or through another one, comes from
        // its unpacked package.
        let mut reach = names(&manifests[i]);
        let mut k = 0;
        while k < reach.len() {
            for j in names(&manifests[reach[k]]) {
                if !reach.contains(&j) {
                    reach.push(j);
                }
            }
            k += 1;
        }
        let mut cmd = Command::new(cargo());
        cmd.arg("test")
            .arg("--manifest-path")
            .arg(stage.join(name).join("Cargo.toml"))
            .arg("--all-features");
        for j in reach.into_iter().filter(|&j| j != i) {
            let dep = &packages[j].0;
            cmd.arg("--config").arg(format!(
                "patch.crates-io.{dep}.path={:?}",
                stage.join(dep).display().to_string()
            ));
        }
        // One target directory with the workspace: the registry dependencies are reused.
        cmd.env("CARGO_TARGET_DIR", root.join("target"));
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run cargo test for {name}: {e}"))?;
        if !status.success() {
            failed.push(format!("{name} ({status})"));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests from the package failed: {}",
            failed.join(", ")
        ))
    }
}

/// Runs the check. `--no-verify` skips building the packaged sources (and the tests from
/// them); `--no-test` packages and builds without running the packaged tests.
pub(crate) fn run(args: &[String]) -> ExitCode {
    clear_stale_local_packages();
    if let Err(e) = clean_compiled_packages(&workspace_root()) {
        eprintln!("publish-check: {e}");
        return ExitCode::FAILURE;
    }
    let mut cmd = Command::new(cargo());
    let mut run_tests = true;
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
            "--no-verify" => {
                run_tests = false;
                cmd.arg(a);
            }
            "--allow-dirty" => {
                cmd.arg(a);
            }
            "--no-test" => run_tests = false,
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
            if !run_tests {
                return ExitCode::SUCCESS;
            }
            match test_packages(&workspace_root()) {
                Ok(()) => {
                    println!("publish-check: every package's tests pass from the package");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("publish-check: FAILED: {e}");
                    ExitCode::FAILURE
                }
            }
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
