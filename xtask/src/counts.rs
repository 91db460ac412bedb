//! Instruction counts for `cargo xtask bench`: builds `xtask/benches/counts.rs` and runs
//! each of its groups under callgrind, counting only the calls of its `counted_region`
//! (one callgrind dump per case). Instruction counts do not depend on the machine's load,
//! which is why the ratios built from them are the ones judged.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The groups of the counts binary, run in this order (`requests` needs the server).
const GROUPS: &[&str] = &["sign", "bodies", "jwt", "requests"];

/// Instructions per iteration of each case, by label (`group/row/variant`), and the
/// callgrind file each came from.
#[derive(Debug, Default)]
pub struct Counts {
    /// Instructions per iteration.
    pub per_iter: BTreeMap<String, f64>,
    /// The callgrind dump of each case (for function breakdowns).
    pub files: BTreeMap<String, PathBuf>,
}

impl Counts {
    /// Instructions per iteration of `label`.
    pub fn get(&self, label: &str) -> Result<f64, String> {
        self.per_iter
            .get(label)
            .copied()
            .ok_or_else(|| format!("no instruction count for {label}"))
    }

    /// The `n` functions with the most instructions (exclusive) in `label`'s dump, as
    /// `(share of the case, function)`.
    pub fn top_functions(&self, label: &str, n: usize) -> Vec<(f64, String)> {
        let Some(file) = self.files.get(label) else {
            return Vec::new();
        };
        let Ok(out) = Command::new("callgrind_annotate")
            .args(["--threshold=99", "--inclusive=no"])
            .arg(file)
            .output()
        else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut total = None;
        let mut rows = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            let Some((num, rest)) = l.split_once(' ') else {
                continue;
            };
            let Ok(v) = num.replace(',', "").parse::<f64>() else {
                continue;
            };
            if rest.contains("PROGRAM TOTALS") {
                total = Some(v);
                continue;
            }
            // "1,234 (12.3%)  file:function [object]"
            let func = rest
                .split_once(')')
                .map_or(rest, |(_, f)| f)
                .trim()
                .split_once(':')
                .map_or(rest, |(_, f)| f)
                .trim();
            let func = func.rsplit_once(" [").map_or(func, |(f, _)| f).to_string();
            // A dump taken after an earlier one in the same process can attribute its whole
            // cost to the program's root frame: no per-function information there.
            if func.contains("__libc_start_main") || func.starts_with("0x") {
                continue;
            }
            rows.push((v, func));
        }
        let Some(total) = total.filter(|t| *t > 0.0) else {
            return Vec::new();
        };
        rows.truncate(n);
        rows.into_iter().map(|(v, f)| (v / total, f)).collect()
    }
}

/// Kills the server process when dropped (on every path).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the counts binary (bench profile) and returns its path.
fn build(root: &Path, cargo: &str) -> Result<PathBuf, String> {
    eprintln!("bench: building the instruction-count binary (xtask/benches/counts.rs)");
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "bench",
            "-p",
            "xtask",
            "--bench",
            "counts",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("building the counts bench failed: {}", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "counts")
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo did not report the counts executable".to_string())
}

/// Runs every group under callgrind; `dir` receives the dumps.
pub fn run(root: &Path, cargo: &str, dir: &Path) -> Result<Counts, String> {
    let exe = build(root, cargo)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut server = Command::new(&exe)
        .arg("serve")
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the loopback server: {e}"))?;
    let stdout = server.stdout.take().ok_or("server has no stdout")?;
    let server = Server(server);
    let mut addr = String::new();
    BufReader::new(stdout)
        .read_line(&mut addr)
        .map_err(|e| format!("cannot read the server's address: {e}"))?;
    let addr = addr.trim().to_string();
    if addr.is_empty() {
        return Err("the loopback server printed no address".into());
    }
    let mut counts = Counts::default();
    for group in GROUPS {
        eprintln!("bench: counting instructions of group '{group}' under callgrind");
        let out_file = dir.join(format!("{group}.out"));
        let mut cmd = Command::new("valgrind");
        cmd.args([
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=counts::counted_region",
            "--dump-after=counts::counted_region",
            "--dump-instr=no",
        ])
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(&exe)
        .arg(group);
        if *group == "requests" {
            cmd.arg(&addr);
        }
        let out = cmd
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run valgrind (is it installed?): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "group {group} failed under callgrind: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let labels: Vec<(String, f64)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split('\t');
                (it.next() == Some("case")).then_some(())?;
                let label = it.next()?.to_string();
                let iters = it.next()?.parse::<f64>().ok()?;
                Some((label, iters))
            })
            .collect();
        for (i, (label, iters)) in labels.into_iter().enumerate() {
            let file = dump_file(&out_file, i + 1)?;
            let total = totals(&file)?;
            counts.per_iter.insert(label.clone(), total / iters);
            counts.files.insert(label, file);
        }
    }
    drop(server);
    Ok(counts)
}

/// The n-th dump callgrind wrote for `out_file` (`<out_file>.<n>`, or with callgrind's
/// `-<thread>` suffix when it separates threads).
fn dump_file(out_file: &Path, n: usize) -> Result<PathBuf, String> {
    let p = PathBuf::from(format!("{}.{n}", out_file.display()));
    if p.exists() {
        return Ok(p);
    }
    Err(format!("callgrind wrote no dump {}", p.display()))
}

/// The instruction total of one callgrind dump.
fn totals(file: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
        })
        .ok_or_else(|| format!("{}: no totals line", file.display()))
}
