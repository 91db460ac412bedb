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
pub(crate) const GROUPS: &[&str] = &["sign", "bodies", "jwt", "requests"];

/// The groups run again with xtask's feature `metrics` on (the rest cannot change with it).
pub(crate) const METRICS_GROUPS: &[&str] = &["sign", "requests"];

/// Instructions per iteration of each case, by label (`group/row/variant`), and the
/// callgrind file each came from.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Instructions per iteration.
    pub per_iter: BTreeMap<String, f64>,
    /// The callgrind dump of each case (for function breakdowns).
    pub files: BTreeMap<String, PathBuf>,
    /// Iterations of each case inside its counted region.
    pub iters: BTreeMap<String, f64>,
}

impl Counts {
    /// Instructions per iteration of `label`.
    pub(crate) fn get(&self, label: &str) -> Result<f64, String> {
        self.per_iter
            .get(label)
            .copied()
            .ok_or_else(|| format!("no instruction count for {label}"))
    }

    /// Exclusive instructions per iteration of every function in `label`'s dump, read
    /// from the dump itself (see [`exclusive_costs`]).
    pub(crate) fn profile(&self, label: &str) -> BTreeMap<String, f64> {
        let (Some(file), Some(iters)) = (self.files.get(label), self.iters.get(label)) else {
            return BTreeMap::new();
        };
        let Ok(text) = std::fs::read_to_string(file) else {
            return BTreeMap::new();
        };
        exclusive_costs(&text)
            .into_iter()
            .map(|(f, v)| (f, v as f64 / iters))
            .collect()
    }

    /// The `n` functions with the most exclusive instructions per iteration in `label`.
    pub(crate) fn top_functions(&self, label: &str, n: usize) -> Vec<(f64, String)> {
        let mut rows: Vec<(f64, String)> = self
            .profile(label)
            .into_iter()
            .map(|(f, v)| (v, f))
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        rows.truncate(n);
        rows
    }

    /// The `n` functions whose exclusive instructions per iteration differ most between
    /// `label` and `base` (positive: `label` spends more), as `(difference, function)`.
    pub(crate) fn top_differences(&self, label: &str, base: &str, n: usize) -> Vec<(f64, String)> {
        let mut diff = self.profile(label);
        for (f, v) in self.profile(base) {
            *diff.entry(f).or_insert(0.0) -= v;
        }
        let mut rows: Vec<(f64, String)> = diff
            .into_iter()
            .filter(|(_, v)| v.abs() >= 0.5)
            .map(|(f, v)| (v, f))
            .collect();
        rows.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
        rows.truncate(n);
        rows
    }
}

/// Exclusive instructions per function of one callgrind dump (format version 1, with name
/// compression): a cost line counts for the current `fn=` unless it follows a `calls=` line,
/// in which case it is the inclusive cost of that call and belongs to the callee.
/// Functions of the same name (generic instances, several objects) are added together.
pub(crate) fn exclusive_costs(text: &str) -> BTreeMap<String, u64> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    // Resolves `(id) name` (defines) or `(id)` (refers) to the function's name.
    let mut resolve = |spec: &str| -> String {
        let spec = spec.trim();
        if let Some((id, name)) = spec.strip_prefix('(').and_then(|r| r.split_once(')')) {
            let name = name.trim();
            if name.is_empty() {
                return names.get(id).cloned().unwrap_or_else(|| format!("({id})"));
            }
            names.insert(id.to_string(), name.to_string());
            return name.to_string();
        }
        spec.to_string()
    };
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    let mut current = String::new();
    let mut after_calls = false;
    for line in text.lines() {
        if let Some(spec) = line.strip_prefix("fn=") {
            current = resolve(spec);
            after_calls = false;
        } else if let Some(spec) = line.strip_prefix("cfn=") {
            // Registers the name; the call's cost line follows its `calls=` line.
            resolve(spec);
        } else if line.starts_with("calls=") {
            after_calls = true;
        } else if line
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'+' || b == b'-' || b == b'*')
        {
            if after_calls {
                after_calls = false;
                continue;
            }
            // "<position> <Ir>": positions are lines (the driver passes --dump-instr=no).
            let ir = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            if ir > 0 && !current.is_empty() {
                let slot = out.entry(current.clone()).or_insert(0);
                *slot = slot.saturating_add(ir);
            }
        }
    }
    out
}

/// Kills the server process when dropped (on every path).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the counts binary (bench profile) and returns its path: without xtask's default
/// features (so auth-core's `metrics` is off), or with `metrics` alone.
fn build(root: &Path, cargo: &str, metrics: bool) -> Result<PathBuf, String> {
    eprintln!(
        "bench: building the instruction-count binary (xtask/benches/counts.rs), metrics {}",
        if metrics { "on" } else { "off" }
    );
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
            "--no-default-features",
        ])
        .args(if metrics {
            &["--features", "metrics"][..]
        } else {
            &[][..]
        })
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

/// Runs `groups` under callgrind, with the counts binary built with the feature `metrics`
/// or without; `dir` receives the dumps.
pub(crate) fn run(
    root: &Path,
    cargo: &str,
    dir: &Path,
    metrics: bool,
    groups: &[&str],
) -> Result<Counts, String> {
    let exe = build(root, cargo, metrics)?;
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
    for group in groups {
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
            let per_iter = totals(&file)? / iters;
            // A case run several times (`label#<rep>`) keeps its fewest instructions.
            let label = match label.rsplit_once('#') {
                Some((base, rep)) if rep.parse::<u32>().is_ok() => base.to_string(),
                _ => label,
            };
            if counts.per_iter.get(&label).is_some_and(|&v| v <= per_iter) {
                continue;
            }
            counts.per_iter.insert(label.clone(), per_iter);
            counts.files.insert(label.clone(), file);
            counts.iters.insert(label, iters);
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

#[cfg(test)]
mod tests {
    use super::exclusive_costs;

    /// A dump in callgrind's format with name compression: `(id) name` defines a name once,
    /// `(id)` refers to it; a cost line after `calls=` is the callee's inclusive cost.
    const DUMP: &str = "\
# callgrind format
version: 1
positions: line
events: Ir
summary: 1150

ob=(7) /bin/counts
fl=(1) ???
fn=(10) counts::counted_region
0 2
cfn=(11) app::sign
calls=1 0
0 1000
0 3

fn=(11)
0 600
cfn=(12) http::HeaderMap<T>::insert
calls=2 0
0 400
+1 5

fn=(12)
0 400

fn=(13) app::sign
0 140
";

    #[test]
    fn call_costs_belong_to_the_callee_and_names_are_resolved() {
        let c = exclusive_costs(DUMP);
        assert_eq!(c.get("counts::counted_region"), Some(&5));
        // `(11)` and a second function of the same name `(13)` are added together.
        assert_eq!(c.get("app::sign"), Some(&745));
        assert_eq!(c.get("http::HeaderMap<T>::insert"), Some(&400));
        assert_eq!(
            c.values().sum::<u64>(),
            1150,
            "exclusive costs add up to the total"
        );
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn malformed_lines_are_skipped_not_fatal() {
        let c = exclusive_costs("fn=(1\n0 x\n12\nfn=(2) f\n0 7\ncalls=1 0\n");
        assert_eq!(c.get("f"), Some(&7));
    }
}
