//! `cargo xtask bench`: runs the benches of `xtask/benches/` and writes their ratios to stdout
//! and `BENCHMARKS.md`.
//!
//! Two bench binaries run in one invocation, one after the other:
//! - `ratios` (criterion): each provider's warm-cache signing path and its floor, SNAP bodies
//!   of 1 KiB, 64 KiB and 1 MiB. Read back from `<CRITERION_HOME>/<group>/<bench>/new/
//!   estimates.json` (medians); `CRITERION_HOME` is a fresh directory under the target dir.
//! - `load` (plain binary): signed against unsigned throughput on a loopback hyper server,
//!   cold and warm bursts, allocations per signed request (counting global allocator). It
//!   writes JSON to `$TOLLGATE_BENCH_OUT`.
//!
//! Every figure printed is a ratio of two measurements from the same run; absolute values
//! are shown next to them for context only. Targets are reported, never enforced.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::Value;

/// The command line that reproduces the table.
const COMMAND: &str = "cargo xtask bench";
/// Criterion settings: short, so the whole run fits in a few minutes on two cores.
const CRITERION_ARGS: &[&str] = &["--warm-up-time", "1", "--measurement-time", "2", "--noplot"];
/// Hand-written analysis appended to the generated tables.
const NOTES: &str = include_str!("bench_notes.md");

/// Runs everything and writes `BENCHMARKS.md`.
pub fn run(args: &[String]) -> ExitCode {
    if !args.is_empty() {
        eprintln!("usage: cargo xtask bench   (takes no arguments)");
        return ExitCode::from(2);
    }
    let root = workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => root.join(t),
        None => root.join("target"),
    };
    let home = target.join("xtask-bench").join("criterion");
    let load_out = target.join("xtask-bench").join("load.json");
    // Stale results must never leak into this run's ratios.
    let _ = std::fs::remove_dir_all(target.join("xtask-bench"));
    if let Err(e) = std::fs::create_dir_all(&home) {
        eprintln!("cannot create {}: {e}", home.display());
        return ExitCode::FAILURE;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let started = std::time::Instant::now();

    let mut criterion = Command::new(&cargo);
    criterion
        .current_dir(&root)
        .args(["bench", "-p", "xtask", "--bench", "ratios", "--"])
        .args(CRITERION_ARGS)
        .env("CRITERION_HOME", &home);
    if let Err(e) = run_step(
        "criterion benches (xtask/benches/ratios.rs)",
        &mut criterion,
    ) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let mut load = Command::new(&cargo);
    load.current_dir(&root)
        .args(["bench", "-p", "xtask", "--bench", "load"])
        .env("TOLLGATE_BENCH_OUT", &load_out);
    if let Err(e) = run_step("load benches (xtask/benches/load.rs)", &mut load) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let load: Value = match std::fs::read_to_string(&load_out)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot read {}: {e}", load_out.display());
            return ExitCode::FAILURE;
        }
    };
    let report = match render(&home, &load, started.elapsed().as_secs()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot build the report: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{report}");
    let path = root.join("BENCHMARKS.md");
    if let Err(e) = std::fs::write(&path, &report) {
        eprintln!("cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {}", path.display());
    ExitCode::SUCCESS
}

fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

fn run_step(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("bench: running {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo for {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {status}"))
    }
}

/// Median time in nanoseconds of criterion bench `group/name`.
fn median_ns(home: &Path, group: &str, name: &str) -> Result<f64, String> {
    let path = home
        .join(group)
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no median", path.display()))
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// The signing rows: (criterion group, provider, what is signed, floor, target ratio).
const SIGNING: &[(&str, &str, &str, &str, f64)] = &[
    (
        "dragonpass",
        "DragonPass",
        "bearer + X-Program-ID from the cache",
        "insert the same 2 ready headers (clones)",
        2.0,
    ),
    (
        "v5-openapi",
        "V5 OpenAPI",
        "bearer + X-APP-ID from the cache",
        "insert the same 2 ready headers (clones)",
        2.0,
    ),
    (
        "holidu",
        "Holidu",
        "cached ES256 JWT as bearer",
        "insert the same ready header (clone)",
        2.0,
    ),
    (
        "gtr-sso",
        "GTR (SSO)",
        "cached login JWT as bearer",
        "insert the same ready header (clone)",
        2.0,
    ),
    (
        "gtr-app-token",
        "GTR (app token)",
        "nonce + timestamp + SHA-512 + JSON + Base64 header, per request",
        "one SHA-512 of the string to sign",
        3.0,
    ),
    (
        "snap-token",
        "SNAP B2B (token part)",
        "cached access token as bearer",
        "insert the same ready header (clone)",
        2.0,
    ),
    (
        "snap-txn",
        "SNAP B2B (transaction)",
        "token + minify + SHA-256 + HMAC-SHA512 + 7 headers, sample body",
        "one SHA-256 of the minified body + one HMAC-SHA512 of the string to sign",
        f64::NAN,
    ),
];

fn render(home: &Path, load: &Value, elapsed_s: u64) -> Result<String, String> {
    let mut o = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(o, "# Benchmarks\n");
    let _ = writeln!(
        o,
        "Generated by `{COMMAND}` (criterion `{}`; {elapsed_s} s of wall time, including \
         building the benches and any wait for the build lock) on {cpu}, {cores} cores. \
         Reproduce with:\n\n```sh\n{COMMAND}\n```\n",
        CRITERION_ARGS.join(" ")
    );
    let _ = writeln!(
        o,
        "Every figure that is judged is a **ratio of two measurements taken in the same run** \
         (absolute times are shown for context only; they depend on the machine and its \
         load). Targets are reported, not enforced (CI only compiles the benches). The \
         benches live in `xtask/benches/` (`ratios.rs`: criterion; `load.rs`: throughput, \
         bursts, allocations).\n"
    );

    let _ = writeln!(
        o,
        "## 1. Per-request signing with a warm cache, against its floor\n\n\
         Median time of one signature on a reused request (signers `insert`, so signing \
         again replaces the same headers), polled once inside the runtime (a warm cache never \
         waits).\n"
    );
    let _ = writeln!(
        o,
        "| provider | signing path | time | floor | floor time | ratio | target | |"
    );
    let _ = writeln!(o, "|---|---|---:|---|---:|---:|---:|---|");
    for &(group, name, what, floor, target) in SIGNING {
        let s = median_ns(home, group, "sign")?;
        let fl = median_ns(home, group, "floor")?;
        let r = s / fl;
        let (t, v) = if target.is_nan() {
            ("—".to_string(), "(no target)")
        } else {
            (format!("≤ {target}×"), verdict(r <= target))
        };
        let _ = writeln!(
            o,
            "| {name} | {what} | {} | {floor} | {} | {r:.2}× | {t} | {v} |",
            time(s),
            time(fl)
        );
    }

    let _ = writeln!(
        o,
        "\n## 2. SNAP bodies: minify + hash + sign against SHA-256 alone\n\n\
         `sign_symmetric` (minify, SHA-256 of the minified body, string to sign, \
         HMAC-SHA512, Base64) on a pretty-printed JSON body, against `SHA-256(body)`.\n"
    );
    let _ = writeln!(
        o,
        "| body | minify + hash + sign | SHA-256 alone | ratio | target | |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---|");
    for (group, label, target) in [
        ("snap-body-1k", "1 KiB", f64::NAN),
        ("snap-body-64k", "64 KiB", f64::NAN),
        ("snap-body-1m", "1 MiB", 1.5),
    ] {
        let s = median_ns(home, group, "sign")?;
        let h = median_ns(home, group, "sha256")?;
        let r = s / h;
        let (t, v) = if target.is_nan() {
            ("—".to_string(), "")
        } else {
            (format!("≤ {target}×"), verdict(r <= target))
        };
        let _ = writeln!(
            o,
            "| {label} | {} | {} | {r:.2}× | {t} | {v} |",
            time(s),
            time(h)
        );
    }

    let providers = load["providers"]
        .as_array()
        .ok_or("load results have no providers")?;
    let _ = writeln!(
        o,
        "\n## 3. Signed client against the same unsigned client\n\n\
         `reqwest-middleware` client with the provider's `AuthMiddleware` against the bare \
         `reqwest::Client` it wraps (one connection pool), on a minimal hyper HTTP/1.1 server \
         on loopback in the same process; {} requests over {} concurrent tasks per round, \
         {} interleaved rounds each, median requests/s. SNAP requests POST its sample body.\n",
        load["round_requests"], load["concurrency"], load["rounds"]
    );
    let _ = writeln!(
        o,
        "| provider | unsigned req/s | signed req/s | ratio | target | |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---|");
    for p in providers {
        let u = f(p, "unsigned_rps");
        let s = f(p, "signed_rps");
        let r = s / u;
        let _ = writeln!(
            o,
            "| {} | {u:.0} | {s:.0} | {r:.2}× | ≥ 0.95× | {} |",
            p["name"].as_str().unwrap_or("?"),
            verdict(r >= 0.95)
        );
    }

    let _ = writeln!(
        o,
        "\n## 4. Cold bursts\n\n\
         N concurrent requests through a signer whose cache is empty, then the same N \
         through the same (now warm) signer; connections were opened beforehand by an \
         unsigned burst. Latency of each request is measured from the burst's start. Token \
         fetches are the cache's `fetches_started` (Holidu mints its JWT locally; DragonPass \
         runs in token-API mode).\n"
    );
    let _ = writeln!(
        o,
        "| provider | burst | token fetches | cold p50 / warm p50 | cold p99 / warm p99 | warm p50, p99 | target | |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---|");
    for p in providers {
        let has_token = p["has_token"].as_bool().unwrap_or(true);
        for b in p["bursts"].as_array().ok_or("no bursts")? {
            let fetches = b["fetches"].as_u64().unwrap_or(u64::MAX);
            let (target, v) = if has_token {
                ("1 fetch", verdict(fetches == 1))
            } else {
                ("—", "(nothing to fetch: signed per request)")
            };
            let _ = writeln!(
                o,
                "| {} | {} | {fetches} | {:.2}× | {:.2}× | {:.0} µs, {:.0} µs | {target} | {v} |",
                p["name"].as_str().unwrap_or("?"),
                b["n"],
                f(b, "cold_p50_us") / f(b, "warm_p50_us"),
                f(b, "cold_p99_us") / f(b, "warm_p99_us"),
                f(b, "warm_p50_us"),
                f(b, "warm_p99_us"),
            );
        }
    }

    let _ = writeln!(
        o,
        "\n## 5. Heap allocations per signed request, warm cache\n\n\
         Counting global allocator (`stats_alloc`): allocations of (clone a request + sign \
         it) minus those of (clone a request), averaged over {} requests. A fresh request has \
         an empty header map, so the first inserted header allocates the map itself (2 \
         allocations, which a hand-written floor pays too).\n",
        load["alloc_iterations"]
    );
    let _ = writeln!(
        o,
        "| provider | allocations | reallocations | bytes | target | |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---|");
    for p in providers {
        let a = &p["allocations"];
        let name = p["name"].as_str().unwrap_or("?");
        let n = f(a, "allocations");
        let (t, v) = if name == "snap-b2b" || name == "gtr-app-token" {
            ("—", "(per-request signature: no target)")
        } else {
            ("≤ 4", verdict(n <= 4.0))
        };
        let _ = writeln!(
            o,
            "| {name} | {n:.1} | {:.1} | {:.0} | {t} | {v} |",
            f(a, "reallocations"),
            f(a, "bytes")
        );
    }

    let _ = writeln!(o, "\n{}", NOTES.trim_end());
    Ok(o)
}
