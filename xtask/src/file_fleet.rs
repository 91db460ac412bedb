//! The conformance row `fleet: file store, 8 processes -> 1 fetch`: eight `tollgate
//! <provider> token` processes started at once against a `tollgate mock <provider>`
//! process share one cache directory; the fake must see exactly one token fetch (one login
//! for GTR SSO), and every process must print the same token.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use testkit::conformance::{Outcome, ScenarioResult};

/// The row's name.
pub(crate) const SCENARIO: &str = "fleet: file store, 8 processes -> 1 fetch";
/// Processes started at once.
pub(crate) const PROCESSES: usize = 8;

/// The CLI provider and extra environment for a conformance provider with a token endpoint
/// the CLI caches; `None` for the others.
fn cli_provider(name: &str) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
    match name {
        "dragonpass" => Some(("dragonpass", &[])),
        "snap-b2b" | "snap-b2b/aspi" => Some(("snap", &[])),
        "v5-openapi" => Some(("v5", &[])),
        "gtr-sso" => Some(("gtr", &[("GTR_AUTH", "sso")])),
        _ => None,
    }
}

/// Runs the row for the conformance provider `name`, or `None` when it has no token the
/// CLI caches through a token endpoint.
pub(crate) async fn run(name: &str) -> Option<ScenarioResult> {
    let (cli, extra) = cli_provider(name)?;
    let tag = name.to_string();
    let result = tokio::task::spawn_blocking(move || fleet(&tag, cli, extra))
        .await
        .unwrap_or_else(|e| Err((format!("the fleet task failed: {e}"), 0)));
    Some(match result {
        Ok(fetches) => ScenarioResult {
            scenario: SCENARIO,
            outcome: Outcome::Pass,
            fetches,
        },
        Err((why, fetches)) => ScenarioResult {
            scenario: SCENARIO,
            outcome: Outcome::Fail(why),
            fetches,
        },
    })
}

/// The `tollgate` binary beside this one, built first (once per run) so it is current.
fn tollgate_binary() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Mutex<Option<Result<PathBuf, String>>>> = OnceLock::new();
    let cell = BUILT.get_or_init(|| Mutex::new(None));
    let mut built = cell.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = built.as_ref() {
        return r.clone();
    }
    let r = (|| {
        let exe = std::env::current_exe().map_err(|e| format!("locating xtask: {e}"))?;
        let dir = exe
            .parent()
            .ok_or("xtask has no parent directory")?
            .to_path_buf();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--package", "tollgate-cli"]);
        // Build into the directory this xtask was built into.
        if let Some(target) = dir.parent() {
            build.env("CARGO_TARGET_DIR", target);
        }
        let status = build
            .status()
            .map_err(|e| format!("cargo build -p tollgate-cli: {e}"))?;
        if !status.success() {
            return Err(format!("cargo build -p tollgate-cli failed: {status}"));
        }
        let bin = dir.join(format!("tollgate{}", std::env::consts::EXE_SUFFIX));
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{} not found after the build", bin.display()))
        }
    })();
    *built = Some(r.clone());
    r
}

/// A `tollgate mock` process taking commands on standard input.
struct Mock {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    env: HashMap<String, String>,
}

impl Mock {
    fn start(bin: &Path, provider: &str) -> Result<Mock, String> {
        let mut child = Command::new(bin)
            .args(["mock", provider, "--port", "0"])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting tollgate mock {provider}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err("tollgate mock: no pipes".into());
        };
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mock = Mock {
            child,
            stdin,
            lines,
            env: HashMap::new(),
        };
        loop {
            let line = mock.next_line()?;
            if line.starts_with("# ready") {
                break;
            }
            if let Some((k, v)) = line
                .strip_prefix("export ")
                .and_then(|kv| kv.split_once('='))
            {
                let v = v.trim_start_matches('\'').trim_end_matches('\'');
                mock.env.insert(k.to_string(), v.to_string());
            }
        }
        Ok(mock)
    }

    fn next_line(&self) -> Result<String, String> {
        // A generous cap: a broken child fails the row instead of hanging the run.
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "tollgate mock stopped answering".to_string())
    }

    fn fetches(&mut self) -> Result<u64, String> {
        writeln!(self.stdin, "fetches")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("asking the mock: {e}"))?;
        let answer = self.next_line()?;
        answer
            .strip_prefix("fetches ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unexpected answer from the mock: {answer:?}"))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fleet(name: &str, cli: &str, extra: &[(&str, &str)]) -> Result<u64, (String, u64)> {
    let bin = tollgate_binary().map_err(|e| (e, 0))?;
    let mut mock = Mock::start(&bin, cli).map_err(|e| (e, 0))?;
    let cache =
        std::env::temp_dir().join(format!("tollgate-file-fleet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let spawned: Result<Vec<Child>, String> = (0..PROCESSES)
        .map(|_| {
            Command::new(&bin)
                .args([cli, "token"])
                .env_clear()
                .envs(&mock.env)
                .envs(extra.iter().copied())
                .env("TOLLGATE_CACHE_DIR", &cache)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting tollgate {cli} token: {e}"))
        })
        .collect();
    let outputs: Vec<_> = spawned
        .map_err(|e| (e, 0))?
        .into_iter()
        .map(Child::wait_with_output)
        .collect();
    let _ = std::fs::remove_dir_all(&cache);
    let fetches = mock.fetches().map_err(|e| (e, 0))?;
    let mut tokens = Vec::new();
    for o in outputs {
        let o = o.map_err(|e| (format!("waiting for tollgate: {e}"), fetches))?;
        if !o.status.success() {
            // stderr is one secret-free line by the CLI's contract.
            let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
            return Err((format!("a process failed ({}): {err}", o.status), fetches));
        }
        tokens.push(o.stdout);
    }
    if tokens.iter().any(|t| t != &tokens[0] || t.is_empty()) {
        return Err((
            format!("{PROCESSES} processes printed different tokens"),
            fetches,
        ));
    }
    if fetches != 1 {
        return Err((
            format!(
                "{PROCESSES} processes sharing a cache directory made {fetches} fetches, expected 1"
            ),
            fetches,
        ));
    }
    Ok(fetches)
}
