//! What the CLI's end-to-end tests share: starting `tollgate mock <provider>` as a child
//! process and reading what it prints until it is ready. Each test binary uses its own
//! part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The built `tollgate` binary.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_tollgate");

/// A started mock: the child, the lines it printed up to `# ready`, the variables its
/// `export` lines set, and the channel with whatever it prints afterwards.
pub(crate) struct Started {
    pub child: Child,
    pub printed: Vec<String>,
    pub env: HashMap<String, String>,
    pub rest: mpsc::Receiver<String>,
}

/// Starts `tollgate mock <provider> <extra…>` with `stdin` and waits (bounded) for its
/// `# ready` line. The first printed line must be the fake's loopback base URL.
pub(crate) fn start_mock(provider: &str, extra: &[&str], stdin: Stdio) -> Started {
    let mut child = Command::new(BIN)
        .arg("mock")
        .arg(provider)
        .args(extra)
        .env_clear()
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn tollgate mock");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    loop {
        // Bounded wait for the child's output (not a timing assumption: a generous cap so a
        // broken child fails the test instead of hanging it).
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("mock {provider} printed no ready line: {printed:?}"));
        let done = line.starts_with("# ready");
        printed.push(line);
        if done {
            break;
        }
    }
    assert!(
        printed[0].starts_with("http://127.0.0.1:"),
        "first line: {printed:?}"
    );
    let env = printed
        .iter()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("NAME=value");
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .expect("single-quoted value");
            (k.to_string(), v.to_string())
        })
        .collect();
    Started {
        child,
        printed,
        env,
        rest: rx,
    }
}
