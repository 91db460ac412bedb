//! The token cache shared between `tollgate` runs, end to end: real `tollgate` processes
//! against `tollgate mock <provider>` processes, counting the fake's token fetches through
//! the mock's `fetches` command on standard input. Each test has a cache directory of its
//! own (`TOLLGATE_CACHE_DIR`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::BIN;

/// A running `tollgate mock <provider>` child that takes commands on standard input.
struct Mock {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    env: HashMap<String, String>,
    cache: tempfile::TempDir,
}

impl Mock {
    fn start(provider: &str) -> Mock {
        let mut started = common::start_mock(provider, &["--port", "0"], Stdio::piped());
        let stdin = started.child.stdin.take().expect("piped stdin");
        let (child, env, rx) = (started.child, started.env, started.rest);
        Mock {
            child,
            stdin,
            lines: rx,
            env,
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Sends a command to the mock and returns its one-line answer.
    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("write to mock");
        self.stdin.flush().expect("flush");
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("mock answers")
    }

    /// Token fetches (logins for GTR) the fake has seen.
    fn fetches(&mut self) -> u64 {
        let answer = self.ask("fetches");
        answer
            .strip_prefix("fetches ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected answer {answer:?}"))
    }

    fn cache_dir(&self) -> &Path {
        self.cache.path()
    }

    fn command(&self, args: &[&str], overrides: &[(&str, &str)]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .envs(&self.env)
            .env("TOLLGATE_CACHE_DIR", self.cache_dir())
            .envs(overrides.iter().copied())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str], overrides: &[(&str, &str)]) -> Output {
        self.command(args, overrides)
            .output()
            .expect("run tollgate")
    }

    /// Runs `args` and returns its stdout, asserting exit 0.
    #[track_caller]
    fn ok(&self, args: &[&str], overrides: &[(&str, &str)]) -> String {
        let o = self.run(args, overrides);
        assert_eq!(
            o.status.code(),
            Some(0),
            "tollgate {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn token_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "token"))
        .collect()
}

#[test]
fn two_processes_started_at_once_make_one_fetch() {
    for provider in ["v5", "snap"] {
        let mut mock = Mock::start(provider);
        let children: Vec<Child> = (0..2)
            .map(|_| {
                mock.command(&[provider, "token"], &[])
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        let tokens: Vec<String> = children
            .into_iter()
            .map(|c| {
                let o = c.wait_with_output().expect("wait");
                assert_eq!(o.status.code(), Some(0), "{provider}");
                String::from_utf8_lossy(&o.stdout).trim().to_string()
            })
            .collect();
        assert!(!tokens[0].is_empty());
        assert_eq!(tokens[0], tokens[1], "{provider}: one shared token");
        assert_eq!(mock.fetches(), 1, "{provider}");
    }
}

#[test]
fn a_second_run_within_the_lifetime_fetches_nothing() {
    let mut mock = Mock::start("snap");
    let first = mock.ok(&["snap", "token"], &[]);
    assert_eq!(mock.fetches(), 1);
    let second = mock.ok(&["snap", "token"], &[]);
    assert_eq!(first, second);
    // `headers` and `send` use the same cached token.
    let api = format!("{}/v1.0/transfer-va/inquiry", mock.env["SNAP_BASE_URL"]);
    let headers = mock.ok(&["snap", "headers", "-X", "POST", &api], &[]);
    assert!(headers.contains(&format!("Bearer {first}")), "{headers}");
    assert_eq!(mock.fetches(), 1, "no fetch after the first run");
}

#[test]
fn self_signed_tokens_are_reused_between_runs() {
    // Holidu: the fake counts the distinct valid tokens it has seen.
    let mut mock = Mock::start("holidu");
    let a = mock.ok(&["holidu", "token"], &[]);
    let b = mock.ok(&["holidu", "token"], &[]);
    assert_eq!(a, b);
    mock.ok(&["holidu", "send", "/properties"], &[]);
    mock.ok(&["holidu", "send", "/properties"], &[]);
    assert_eq!(mock.fetches(), 1);

    // DragonPass HS256.
    let mock = Mock::start("dragonpass");
    let hs256 = [
        ("DRAGONPASS_CLIENT_ID", ""),
        ("DRAGONPASS_ISSUER", tollgate_dragonpass::mock::FAKE_ISSUER),
        ("DRAGONPASS_SECRET", tollgate_dragonpass::mock::FAKE_SECRET),
    ];
    let a = mock.ok(&["dragonpass", "token"], &hs256);
    let b = mock.ok(&["dragonpass", "token"], &hs256);
    assert_eq!(a, b);
    assert_eq!(a.split('.').count(), 3);
}

#[test]
fn a_corrupted_cache_file_is_replaced() {
    let mut mock = Mock::start("v5");
    let first = mock.ok(&["v5", "token"], &[]);
    let files = token_files(mock.cache_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::write(&files[0], b"tollgate-token 1\n99\x00\xffgarbage").expect("corrupt");

    let second = mock.ok(&["v5", "token"], &[]);
    assert_ne!(second, first, "a fresh token, not the damaged one");
    assert_eq!(mock.fetches(), 2);
    let content = std::fs::read_to_string(&files[0]).expect("replaced file");
    assert!(content.starts_with("tollgate-token 1\n"), "replaced");
    assert!(content.ends_with(&second), "holds the new token");

    let third = mock.ok(&["v5", "token"], &[]);
    assert_eq!(third, second);
    assert_eq!(mock.fetches(), 2, "the replacement is used");
}

#[cfg(unix)]
#[test]
fn cache_files_are_private_and_named_by_digest() {
    use std::os::unix::fs::PermissionsExt;
    let mock = Mock::start("v5");
    mock.ok(&["v5", "token"], &[]);
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    let dir = mock.cache_dir().join("v5");
    assert_eq!(mode(&dir), 0o700);
    let files = files_under(mock.cache_dir());
    assert!(files.len() >= 2, "{files:?}");
    let app_id = &mock.env["V5_APP_ID"];
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        let name = f.file_name().expect("name").to_string_lossy();
        assert!(!name.contains(app_id.as_str()), "{name}");
        assert_eq!(
            name.split_once('.').expect("stem.ext").0.len(),
            64,
            "{name}"
        );
    }
}

#[test]
fn gtr_sso_logs_in_once_across_ten_runs() {
    let mut mock = Mock::start("gtr");
    let sso = [("GTR_AUTH", "sso")];
    let tokens: Vec<String> = (0..10).map(|_| mock.ok(&["gtr", "token"], &sso)).collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    mock.ok(&["gtr", "send", "/api/vasp/list"], &sso);
    assert_eq!(mock.fetches(), 1, "one SSO login");
}

#[test]
fn no_cache_fetches_every_time() {
    let mut mock = Mock::start("v5");
    let a = mock.ok(&["--no-cache", "v5", "token"], &[]);
    let b = mock.ok(&["v5", "token", "--no-cache"], &[]);
    let c = mock.ok(&["v5", "token"], &[("TOLLGATE_NO_CACHE", "1")]);
    assert!(a != b && b != c && a != c);
    assert_eq!(mock.fetches(), 3);
    assert!(token_files(mock.cache_dir()).is_empty(), "nothing stored");
    // TOLLGATE_NO_CACHE=0 leaves the cache on.
    let d = mock.ok(&["v5", "token"], &[("TOLLGATE_NO_CACHE", "0")]);
    let e = mock.ok(&["v5", "token"], &[]);
    assert_eq!(d, e);
    assert_eq!(mock.fetches(), 4);
}

#[test]
fn cache_clear_removes_cached_tokens() {
    let mut v5 = Mock::start("v5");
    let mut snap = Mock::start("snap");
    // One cache directory for both.
    let dir = v5.cache_dir().to_str().expect("utf-8").to_string();
    let shared = [("TOLLGATE_CACHE_DIR", dir.as_str())];
    v5.ok(&["v5", "token"], &[]);
    snap.ok(&["snap", "token"], &shared);
    assert_eq!(token_files(v5.cache_dir()).len(), 2);

    v5.ok(&["cache", "clear", "v5"], &[]);
    assert_eq!(token_files(v5.cache_dir()).len(), 1);
    v5.ok(&["v5", "token"], &[]);
    snap.ok(&["snap", "token"], &shared);
    assert_eq!(v5.fetches(), 2, "v5 cleared");
    assert_eq!(snap.fetches(), 1, "snap kept");

    v5.ok(&["cache", "clear"], &[]);
    assert!(token_files(v5.cache_dir()).is_empty());
    snap.ok(&["snap", "token"], &shared);
    assert_eq!(snap.fetches(), 2, "all cleared");
    let dir = v5.ok(&["cache", "dir"], &[]);
    assert_eq!(Path::new(&dir), v5.cache_dir());
}

#[test]
fn a_rejected_token_is_invalidated_in_the_cache() {
    let mut mock = Mock::start("v5");
    let first = mock.ok(&["v5", "token"], &[]);
    assert_eq!(mock.ask("reject 1"), "rejecting 1");
    // The middleware sees the 401, invalidates the token (in the file too) and retries once
    // with a fresh one.
    let body = mock.ok(&["v5", "send", "/api/v5/authentication/verify"], &[]);
    assert!(body.contains("success"), "{body}");
    assert_eq!(mock.fetches(), 2);
    let next = mock.ok(&["v5", "token"], &[]);
    assert_ne!(next, first, "the rejected token is not served again");
    assert_eq!(mock.fetches(), 2, "the fresh token was stored");
}

#[test]
fn a_changed_credential_does_not_reuse_the_cached_token() {
    let mut mock = Mock::start("dragonpass");
    mock.ok(&["dragonpass", "token"], &[]);
    let o = mock.run(
        &["dragonpass", "token"],
        &[("DRAGONPASS_SECRET", "not-the-secret")],
    );
    assert_eq!(o.status.code(), Some(2), "the wrong secret is reported");
    assert_eq!(mock.fetches(), 1);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("not-the-secret"));
}

#[cfg(unix)]
#[test]
fn an_unsafe_cache_directory_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mock = Mock::start("v5");
    let dir = mock.cache_dir().join("open");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let o = mock.run(
        &["v5", "token"],
        &[("TOLLGATE_CACHE_DIR", dir.to_str().expect("utf-8"))],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("writable by others"), "{err}");
    assert!(o.stdout.is_empty());
    // The way out the message names.
    mock.ok(
        &["--no-cache", "v5", "token"],
        &[("TOLLGATE_CACHE_DIR", dir.to_str().expect("utf-8"))],
    );
}

/// Run as root (CI is): a cache directory reached through a symlink another user owns
/// (they could re-point it at any time) is refused with exit 2, naming the directory.
#[cfg(unix)]
#[test]
fn a_cache_directory_behind_another_users_symlink_is_refused() {
    let mock = Mock::start("v5");
    let real = mock.cache_dir().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    let link = mock.cache_dir().join("link");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    // Our own link is followed.
    mock.ok(
        &["v5", "token"],
        &[("TOLLGATE_CACHE_DIR", link.to_str().expect("utf-8"))],
    );
    if std::os::unix::fs::lchown(&link, Some(65_534), None).is_err() {
        eprintln!("not root: cannot hand a symlink to another user; skipped");
        return;
    }
    let o = mock.run(
        &["v5", "token"],
        &[("TOLLGATE_CACHE_DIR", link.to_str().expect("utf-8"))],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(link.to_str().expect("utf-8")), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn status_reports_the_cached_token_without_printing_it() {
    for provider in ["v5", "snap"] {
        let mock = Mock::start(provider);
        // Nothing cached yet: a clear message, exit 3.
        let o = mock.run(&[provider, "status"], &[]);
        assert_eq!(o.status.code(), Some(3), "{provider}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("no token cached for the current variables"),
            "{stderr}"
        );
        assert!(o.stdout.is_empty());

        let token = mock.ok(&[provider, "token"], &[]);
        assert!(token.len() > 8);
        let o = mock.run(&[provider, "status"], &[]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        );
        assert_eq!(o.status.code(), Some(0), "{stdout} {stderr}");
        for field in [
            format!("provider: {provider}"),
            "store: file ".to_string(),
            "age: ".to_string(),
            "expires: in ".to_string(),
            "refresh: in ".to_string(),
        ] {
            assert!(
                stdout.contains(&field),
                "{provider}: no {field:?} in {stdout}"
            );
        }
        assert!(!stdout.contains(&token), "{provider}: the token on stdout");
        assert!(!stderr.contains(&token), "{provider}: the token on stderr");

        // Other variables select another entry: nothing cached for them.
        let other = match provider {
            "v5" => ("V5_APP_ID", "another-app"),
            _ => ("SNAP_CLIENT_KEY", "another-client"),
        };
        let o = mock.run(&[provider, "status"], &[other]);
        assert_eq!(o.status.code(), Some(3));
        // The cache off: nothing cached, exit 3.
        let o = mock.run(&[provider, "status", "--no-cache"], &[]);
        assert_eq!(o.status.code(), Some(3));
    }
}
