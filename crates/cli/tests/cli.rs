//! End-to-end tests of the built `tollgate` binary against the providers' fakes, each run
//! by `tollgate mock <provider> --port 0` as a child process whose printed `export` lines
//! configure the other commands.

use std::collections::HashMap;
use std::process::{Child, Command, Output, Stdio};

mod common;
use common::BIN;

/// A running `tollgate mock <provider>` child.
struct Mock {
    child: Child,
    base: String,
    env: HashMap<String, String>,
    lines: Vec<String>,
}

impl Mock {
    fn start(provider: &str) -> Mock {
        Self::start_with(provider, &["--port", "0"])
    }

    fn start_with(provider: &str, extra: &[&str]) -> Mock {
        let started = common::start_mock(provider, extra, Stdio::null());
        let (child, env, lines) = (started.child, started.env, started.printed);
        let base = lines[0].clone();
        Mock {
            child,
            base,
            env,
            lines,
        }
    }

    /// Runs `tollgate args…` with only the mock's environment plus `overrides` (a value of
    /// `None` removes the variable).
    fn run(&self, args: &[&str], overrides: &[(&str, Option<&str>)]) -> Output {
        let mut env = self.env.clone();
        for (k, v) in overrides {
            match v {
                Some(v) => env.insert(k.to_string(), v.to_string()),
                None => env.remove(*k),
            };
        }
        tollgate(args, &env)
    }

    /// Stops the mock like Ctrl-C does and checks it exits cleanly.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let status = self.child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "mock exit status");
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tollgate(args: &[&str], env: &HashMap<String, String>) -> Output {
    // The token cache of these runs: a directory of this test binary's own, never the
    // user's (the cache tests themselves are in tests/cache.rs).
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-token-cache-{}", std::process::id()));
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("TOLLGATE_CACHE_DIR", cache)
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .expect("run tollgate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

/// A configuration/credential error: exit 2, exactly one stderr line naming `field`, and
/// `secret` nowhere in the output.
#[track_caller]
fn assert_config_error(o: &Output, field: &str, secret: &str) {
    assert_code(o, 2);
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(field), "names {field}: {err}");
    assert!(!err.contains(secret), "leaks the secret: {err}");
    assert!(!stdout(o).contains(secret), "leaks the secret on stdout");
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(o));
}

/// Parses `headers` output into pairs and checks every line is `Name: value`.
fn header_lines(o: &Output) -> Vec<(String, String)> {
    stdout(o)
        .lines()
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("Name: value");
            assert!(!n.is_empty() && !n.contains(' '), "header name {n:?}");
            (n.to_string(), v.to_string())
        })
        .collect()
}

/// Sends a request the way curl would with the printed headers (a plain HTTP/1.1 request
/// over a TCP socket, no SDK involved) and returns the status code.
fn raw_request(url: &str, method: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).expect("write");
    s.write_all(body).expect("write body");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    resp.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line")
}

#[test]
fn dragonpass_end_to_end_through_mock_process() {
    let mock = Mock::start("dragonpass");
    assert!(mock.env.contains_key("DRAGONPASS_TOKEN_URL"));
    let api = format!("{}/v2/transport-hubs", mock.base);

    let t = mock.run(&["dragonpass", "token"], &[]);
    assert_code(&t, 0);
    let token = stdout(&t).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let h = mock.run(&["dragonpass", "headers", &api], &[]);
    assert_code(&h, 0);
    let headers = header_lines(&h);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer ey"))
    );
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "X-Program-Id" && v == "1234567890123456789")
    );
    // The printed headers work on their own, as they would with curl -H.
    assert_eq!(raw_request(&api, "GET", &headers, b""), 200);
    assert_eq!(raw_request(&api, "GET", &[], b""), 401);

    let s = mock.run(&["dragonpass", "send", &api], &[]);
    assert_code(&s, 0);
    assert!(stdout(&s).contains("\"success\""), "body: {}", stdout(&s));
    assert!(stderr(&s).contains("200 OK"), "status line: {}", stderr(&s));

    // Self-signed HS256 against the same fake (the credentials it prints as a comment).
    use tollgate_dragonpass::mock::{FAKE_ISSUER, FAKE_SECRET};
    assert!(mock.lines.iter().any(|l| l.contains(FAKE_ISSUER)));
    let hs = [
        ("DRAGONPASS_CLIENT_ID", None),
        ("DRAGONPASS_ISSUER", Some(FAKE_ISSUER)),
        ("DRAGONPASS_SECRET", Some(FAKE_SECRET)),
    ];
    assert_code(&mock.run(&["dragonpass", "send", &api], &hs), 0);
    // The names earlier versions read still work in place of DRAGONPASS_SECRET.
    let old_hs = [
        ("DRAGONPASS_CLIENT_ID", None),
        ("DRAGONPASS_SECRET", None),
        ("DRAGONPASS_ISSUER", Some(FAKE_ISSUER)),
        ("DRAGONPASS_SECRET_KEY", Some(FAKE_SECRET)),
    ];
    assert_code(&mock.run(&["dragonpass", "send", &api], &old_hs), 0);
    let old_api = [
        ("DRAGONPASS_SECRET", None),
        (
            "DRAGONPASS_CLIENT_SECRET",
            Some(tollgate_dragonpass::mock::FAKE_CLIENT_SECRET),
        ),
    ];
    assert_code(&mock.run(&["dragonpass", "send", &api], &old_api), 0);

    // Another HTTP status: exit 1, body still on stdout.
    let bad_program = mock.run(
        &["dragonpass", "send", &api],
        &[("DRAGONPASS_PROGRAM_ID", Some("42"))],
    );
    assert_code(&bad_program, 1);
    assert!(stdout(&bad_program).contains("invalid X-Program-ID"));
    assert!(stderr(&bad_program).contains("400"));
    mock.stop();
}

#[test]
fn dragonpass_credential_errors_name_the_variable_not_the_secret() {
    let mock = Mock::start("dragonpass");
    let api = format!("{}/v2/transport-hubs", mock.base);
    // Malformed: surrounding whitespace.
    let secret = " my-very-secret-value-123";
    let o = mock.run(
        &["dragonpass", "token"],
        &[("DRAGONPASS_SECRET", Some(secret))],
    );
    assert_config_error(&o, "DRAGONPASS_SECRET", secret.trim());
    // Given under the old name, the error names the old name.
    let o = mock.run(
        &["dragonpass", "token"],
        &[
            ("DRAGONPASS_SECRET", None),
            ("DRAGONPASS_CLIENT_SECRET", Some(secret)),
        ],
    );
    assert_config_error(&o, "DRAGONPASS_CLIENT_SECRET", secret.trim());
    // Refused by the token API: still a credential error, exit 2.
    let wrong = "well-formed-but-wrong-secret";
    let o = mock.run(
        &["dragonpass", "send", &api],
        &[("DRAGONPASS_SECRET", Some(wrong))],
    );
    assert_config_error(&o, "invalid clientId or secret", wrong);
    // Missing variable.
    let o = mock.run(
        &["dragonpass", "headers", &api],
        &[("DRAGONPASS_CLIENT_ID", None), ("DRAGONPASS_ISSUER", None)],
    );
    assert_config_error(&o, "DRAGONPASS_ISSUER", "fake-client-secret");
    // HS256 secret with a control character.
    let o = mock.run(
        &["dragonpass", "token"],
        &[
            ("DRAGONPASS_CLIENT_ID", None),
            ("DRAGONPASS_ISSUER", Some("ISS")),
            ("DRAGONPASS_SECRET", Some("abc\u{7}defsecret")),
        ],
    );
    assert_config_error(&o, "DRAGONPASS_SECRET", "defsecret");
    mock.stop();
}

const SNAP_BODY: &str = r#"{
  "partnerServiceId": "  12345",
  "customerNo": "0001",
  "virtualAccountNo": "  123450001",
  "inquiryRequestId": "abc-123",
  "additionalInfo": {}
}"#;

#[test]
fn snap_end_to_end_through_mock_process() {
    let mock = Mock::start("snap");
    let key_file = mock.env["SNAP_PRIVATE_KEY_FILE"].clone();
    assert!(std::path::Path::new(&key_file).exists());
    let dir = tempdir("snap");
    let body = dir.join("body.json");
    std::fs::write(&body, SNAP_BODY).expect("write body");
    let body = body.to_str().expect("utf-8 path");
    let api = format!("{}/snap/v1.0/transfer-va/inquiry", mock.base);

    let t = mock.run(&["snap", "token"], &[]);
    assert_code(&t, 0);
    assert!(!stdout(&t).trim().is_empty());

    let h = mock.run(&["snap", "headers", "--data-file", body, &api], &[]);
    assert_code(&h, 0);
    let headers = header_lines(&h);
    for name in [
        "Authorization",
        "X-Timestamp",
        "X-Signature",
        "X-Partner-Id",
        "Channel-Id",
        "X-External-Id",
    ] {
        assert!(
            headers.iter().any(|(n, _)| n == name),
            "{name}: {headers:?}"
        );
    }
    // The signature covers the minified body, which `headers` prints on stderr's last line.
    let minified = stderr(&h)
        .lines()
        .last()
        .expect("minified body")
        .to_string();
    assert!(minified.starts_with("{\"partnerServiceId\""));
    assert_eq!(
        raw_request(&api, "POST", &headers, minified.as_bytes()),
        200
    );

    // Relative URL against SNAP_BASE_URL.
    let s = mock.run(
        &[
            "snap",
            "send",
            "--data-file",
            body,
            "/v1.0/transfer-va/inquiry",
        ],
        &[],
    );
    assert_code(&s, 0);
    assert!(stdout(&s).contains("2002400"), "body: {}", stdout(&s));
    assert!(stderr(&s).contains("200"));

    // Wrong (well-formed) client secret: the provider answers 401 → exit 1.
    let wrong = "wrong-but-well-formed-secret";
    let o = mock.run(
        &["snap", "send", "--data-file", body, &api],
        &[("SNAP_CLIENT_SECRET", Some(wrong))],
    );
    assert_code(&o, 1);
    assert!(stdout(&o).contains("4012400"));
    assert!(!stderr(&o).contains(wrong));

    // Asymmetric mode: per-request RSA signatures, no token.
    let asym = [("SNAP_SIGNING", Some("asymmetric"))];
    let o = mock.run(&["snap", "token"], &asym);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no access token"));
    assert_code(
        &mock.run(&["snap", "send", "--data-file", body, &api], &asym),
        0,
    );
    mock.stop();
    assert!(
        !std::path::Path::new(&key_file).exists(),
        "mock removes its key file on exit"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn snap_credential_errors_name_the_variable_not_the_secret() {
    let mock = Mock::start("snap");
    let dir = tempdir("snap-bad");
    let not_pem = dir.join("key.pem");
    std::fs::write(&not_pem, "SECRET-LOOKING-KEY-MATERIAL").expect("write");
    let o = mock.run(
        &["snap", "token"],
        &[("SNAP_PRIVATE_KEY_FILE", not_pem.to_str())],
    );
    assert_config_error(&o, "SNAP_PRIVATE_KEY_FILE", "SECRET-LOOKING");
    let o = mock.run(
        &["snap", "token"],
        &[("SNAP_CLIENT_SECRET", Some("non-ascii-sécret-value"))],
    );
    assert_config_error(&o, "SNAP_CLIENT_SECRET", "sécret");
    let o = mock.run(&["snap", "token"], &[("SNAP_CHANNEL_ID", None)]);
    assert_config_error(&o, "SNAP_CHANNEL_ID", "fake-client-secret");
    mock.stop();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn gtr_end_to_end_through_mock_process() {
    let mock = Mock::start("gtr");
    let api = format!("{}/api/vasp/list", mock.base);
    // App-token mode (default): no reusable token.
    let o = mock.run(&["gtr", "token"], &[]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("X-Authorization"));
    let h = mock.run(&["gtr", "headers", &api], &[]);
    assert_code(&h, 0);
    let headers = header_lines(&h);
    assert_eq!(headers.len(), 1);
    assert_eq!(headers[0].0, "X-Authorization");
    assert_eq!(raw_request(&api, "GET", &headers, b""), 200);
    // A one-time nonce: the same header is refused the second time.
    assert_eq!(raw_request(&api, "GET", &headers, b""), 401);
    let s = mock.run(&["gtr", "send", "/api/vasp/list"], &[]);
    assert_code(&s, 0);
    assert!(stdout(&s).contains("app_token"));

    // SSO mode: a cached login JWT.
    let sso = [("GTR_AUTH", Some("sso"))];
    let t = mock.run(&["gtr", "token"], &sso);
    assert_code(&t, 0);
    assert_eq!(stdout(&t).trim().split('.').count(), 3);
    let s = mock.run(&["gtr", "send", &api], &sso);
    assert_code(&s, 0);
    assert!(stdout(&s).contains("sso"));

    // Wrong secret: GTR answers 401 → exit 1.
    let wrong = tollgate_gtr::mock::WRONG_SECRET_KEY;
    let o = mock.run(&["gtr", "send", &api], &[("GTR_SECRET_KEY", Some(wrong))]);
    assert_code(&o, 1);
    assert!(!stderr(&o).contains(wrong));
    // https without a client certificate: configuration error naming GTR_CLIENT_P12.
    let o = mock.run(
        &["gtr", "headers", "https://gtr.example/api/x"],
        &[("GTR_BASE_URL", Some("https://gtr.example"))],
    );
    assert_config_error(&o, "GTR_CLIENT_P12", tollgate_gtr::mock::FAKE_SECRET_KEY);
    // A secret key with a newline.
    let o = mock.run(
        &["gtr", "headers", &api],
        &[("GTR_SECRET_KEY", Some("abc\ndefsecretvalue"))],
    );
    assert_config_error(&o, "GTR_SECRET_KEY", "defsecretvalue");
    mock.stop();
}

#[test]
fn v5_end_to_end_through_mock_process() {
    let mock = Mock::start("v5");
    let t = mock.run(&["v5", "token"], &[]);
    assert_code(&t, 0);
    let token = stdout(&t).trim().to_string();
    assert!(!token.is_empty());
    let api = format!("{}/api/v5/authentication/verify", mock.base);
    let h = mock.run(&["v5", "headers", &api], &[]);
    assert_code(&h, 0);
    let headers = header_lines(&h);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer "))
    );
    assert!(headers.iter().any(|(n, _)| n == "X-App-Id"));
    assert_eq!(raw_request(&api, "GET", &headers, b""), 200);
    let s = mock.run(&["v5", "send", "/api/v5/authentication/verify"], &[]);
    assert_code(&s, 0);
    assert!(stdout(&s).contains("success"));
    // An unknown route of the fake: exit 1.
    assert_code(&mock.run(&["v5", "send", "/nope"], &[]), 1);
    // Wrong secret: the token endpoint refuses it → exit 2, no secret printed.
    let wrong = "wrong-v5-app-secret-value";
    let o = mock.run(&["v5", "token"], &[("V5_APP_SECRET", Some(wrong))]);
    assert_code(&o, 2);
    assert_eq!(stderr(&o).lines().count(), 1);
    assert!(!stderr(&o).contains(wrong));
    let o = mock.run(&["v5", "token"], &[("V5_APP_ID", Some("bad\nid"))]);
    assert_config_error(&o, "V5_APP_ID", "fake-app-secret");
    mock.stop();
}

#[test]
fn holidu_end_to_end_through_mock_process() {
    let mock = Mock::start("holidu");
    let info = mock.env["HOLIDU_ACCOUNT_INFO"].clone();
    assert!(std::path::Path::new(&info).exists());
    let t = mock.run(&["holidu", "token"], &[]);
    assert_code(&t, 0);
    assert_eq!(stdout(&t).trim().split('.').count(), 3);
    let api = format!("{}/properties", mock.base);
    let h = mock.run(&["holidu", "headers", &api], &[]);
    assert_code(&h, 0);
    let headers = header_lines(&h);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v.starts_with("Bearer ey"))
    );
    assert_eq!(raw_request(&api, "GET", &headers, b""), 200);
    assert_code(&mock.run(&["holidu", "send", "/properties"], &[]), 0);
    // A document missing its private key: exit 2 naming the variable and the field.
    let dir = tempdir("holidu");
    let bad = dir.join("account_info.json");
    std::fs::write(
        &bad,
        r#"{"keyId":"k","issuer":"i","publicKey":"SECRETISH"}"#,
    )
    .expect("w");
    let o = mock.run(
        &["holidu", "token"],
        &[("HOLIDU_ACCOUNT_INFO", bad.to_str())],
    );
    assert_config_error(&o, "HOLIDU_ACCOUNT_INFO (privateKey)", "SECRETISH");
    mock.stop();
    assert!(!std::path::Path::new(&info).exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn mock_listens_on_the_requested_port() {
    // Find a free port, release it, and ask the mock for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mock = Mock::start_with("v5", &["--port", &port.to_string()]);
    assert_eq!(mock.base, format!("http://127.0.0.1:{port}"));
    assert_code(&mock.run(&["v5", "token"], &[]), 0);
    mock.stop();
}

#[test]
fn transport_and_usage_errors() {
    let env: HashMap<String, String> = [
        ("V5_BASE_URL", "http://127.0.0.1:9"),
        ("V5_APP_ID", "app"),
        ("V5_APP_SECRET", "unreachable-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let o = tollgate(&["v5", "send", "/api/v5/x"], &env);
    assert_code(&o, 2);
    assert!(!stderr(&o).contains("unreachable-secret"));
    let o = tollgate(&["v5", "send", "-H", "no colon", "/api/v5/x"], &env);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("-H"));
}

#[test]
fn every_subcommand_help_names_every_variable_it_reads() {
    // The libraries' lists are the names the command reads; then its own settings and the
    // names earlier versions read.
    let library = |list: &[auth_core::credentials::EnvVar]| -> Vec<&'static str> {
        list.iter().map(|v| v.name).collect()
    };
    let with = |mut names: Vec<&'static str>, more: &[&'static str]| {
        names.extend_from_slice(more);
        names
    };
    let snap_settings: Vec<&'static str> = tollgate_snap_b2b::PROFILE_SETTINGS
        .iter()
        .map(|s| s.env)
        .collect();
    let vars: Vec<(&str, Vec<&str>)> = vec![
        (
            "dragonpass",
            with(
                library(tollgate_dragonpass::ENV_VARS),
                &["DRAGONPASS_SECRET_KEY", "DRAGONPASS_CLIENT_SECRET"],
            ),
        ),
        (
            "snap",
            with(
                with(library(tollgate_snap_b2b::ENV_VARS), &snap_settings),
                &[
                    "SNAP_BASE_URL",
                    "SNAP_PROFILE",
                    "SNAP_TOKEN_PATH",
                    "SNAP_SIGNING",
                ],
            ),
        ),
        (
            "gtr",
            with(
                library(tollgate_gtr::ENV_VARS),
                &[
                    "GTR_BASE_URL",
                    "GTR_API_KEY_CSV",
                    "GTR_CA_CERT",
                    "GTR_AUTH",
                    "GTR_APP_TOKEN_EXPIRES",
                    "GTR_EXPIRE_IN_MINUTES",
                    "GTR_CALLBACK_URL",
                    "GTR_VASP_PUBLIC_KEY",
                ],
            ),
        ),
        (
            "v5",
            with(
                library(tollgate_v5_openapi::ENV_VARS),
                &["V5_BASE_URL", "V5_REJECTION_CODES"],
            ),
        ),
        (
            "holidu",
            with(library(tollgate_holidu::ENV_VARS), &["HOLIDU_BASE_URL"]),
        ),
    ];
    let none = HashMap::new();
    for (provider, names) in &vars {
        for sub in [None, Some("token"), Some("headers"), Some("send")] {
            let mut args = vec![*provider];
            args.extend(sub);
            args.push("--help");
            let o = tollgate(&args, &none);
            assert_code(&o, 0);
            let help = stdout(&o);
            for name in names {
                assert!(help.contains(name), "`{args:?}` does not mention {name}");
            }
        }
        let o = tollgate(&["mock", "--help"], &none);
        assert!(
            stdout(&o).contains(provider),
            "mock --help lists {provider}"
        );
    }
    let o = tollgate(&["mock", "--help"], &none);
    for name in [
        "DRAGONPASS_TOKEN_URL",
        "SNAP_PRIVATE_KEY_FILE",
        "GTR_SECRET_KEY",
        "V5_APP_SECRET",
        "HOLIDU_ACCOUNT_INFO",
    ] {
        assert!(stdout(&o).contains(name), "mock --help mentions {name}");
    }
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tollgate-cli-test-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The names each library's `from_env` reads work for the command too, besides the ones it
/// read before; and the settings a production user needs are read and checked.
#[test]
fn the_library_names_and_settings_work_for_every_provider() {
    // A GTR test identity (copied from the gtr crate's fixtures, so the packaged crate has it).
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let fixture = |name: &str| fixtures.join(name).display().to_string();

    // Holidu: the account_info.json path under HOLIDU_ACCOUNT_INFO_FILE.
    let mock = Mock::start("holidu");
    let info = mock.env["HOLIDU_ACCOUNT_INFO"].clone();
    let file = [
        ("HOLIDU_ACCOUNT_INFO", None),
        ("HOLIDU_ACCOUNT_INFO_FILE", Some(info.as_str())),
    ];
    assert_code(&mock.run(&["holidu", "send", "/properties"], &file), 0);
    mock.stop();

    // GTR: the PEM identity and GTR_CA_PEM (the old GTR_CA_CERT still read); errors name
    // the variable the user set.
    let mock = Mock::start("gtr");
    let (cert, key) = (fixture("client-v1.pem"), fixture("client-v1.key"));
    let pem = [
        ("GTR_CLIENT_CERT_PEM", Some(cert.as_str())),
        ("GTR_CLIENT_KEY_PEM", Some(key.as_str())),
        ("GTR_AUTH", Some("sso")),
    ];
    assert_code(&mock.run(&["gtr", "token"], &pem), 0);
    let missing = "/nonexistent/tollgate-ca.pem";
    let mut with_ca = pem.to_vec();
    with_ca.push(("GTR_CA_PEM", Some(missing)));
    let o = mock.run(&["gtr", "token"], &with_ca);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("GTR_CA_PEM"), "{}", stderr(&o));
    let mut with_old_ca = pem.to_vec();
    with_old_ca.push(("GTR_CA_CERT", Some(missing)));
    let o = mock.run(&["gtr", "token"], &with_old_ca);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("GTR_CA_CERT"), "{}", stderr(&o));
    let o = mock.run(
        &["gtr", "token"],
        &[
            ("GTR_CLIENT_CERT_PEM", Some(missing)),
            ("GTR_AUTH", Some("sso")),
        ],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("GTR_CLIENT_"), "{}", stderr(&o));
    // The app token's lifetime (GTR's scripts use 120 s against clock drift).
    let h = mock.run(
        &["gtr", "headers", "/api/vasp/list"],
        &[("GTR_APP_TOKEN_EXPIRES", Some("120"))],
    );
    assert_code(&h, 0);
    let token = &header_lines(&h)[0].1;
    use base64::Engine as _;
    let json = base64::engine::general_purpose::STANDARD
        .decode(token)
        .expect("base64 app token");
    let parsed: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(parsed["expires"], serde_json::json!(120), "{parsed}");
    let o = mock.run(
        &["gtr", "headers", "/api/vasp/list"],
        &[("GTR_APP_TOKEN_EXPIRES", Some("two minutes"))],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("GTR_APP_TOKEN_EXPIRES"));
    // The login fields of a production login.
    let login = [
        ("GTR_AUTH", Some("sso")),
        ("GTR_EXPIRE_IN_MINUTES", Some("1440")),
        (
            "GTR_CALLBACK_URL",
            Some("https://vasp.example/gtr/callback"),
        ),
        ("GTR_VASP_PUBLIC_KEY", Some("dGVzdC1wdWJsaWMta2V5")),
    ];
    assert_code(&mock.run(&["gtr", "send", "/api/vasp/list"], &login), 0);
    let o = mock.run(
        &["gtr", "token"],
        &[
            ("GTR_AUTH", Some("sso")),
            ("GTR_EXPIRE_IN_MINUTES", Some("-5")),
        ],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("GTR_EXPIRE_IN_MINUTES"));
    mock.stop();

    // V5: the body codes that mean "token rejected".
    let mock = Mock::start("v5");
    let ok = [("V5_REJECTION_CODES", Some("4001, 4002"))];
    assert_code(
        &mock.run(&["v5", "send", "/api/v5/authentication/verify"], &ok),
        0,
    );
    let o = mock.run(
        &["v5", "token"],
        &[("V5_REJECTION_CODES", Some("4001,expired"))],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("V5_REJECTION_CODES"), "{}", stderr(&o));
    mock.stop();

    // SNAP: the preset and each setting are applied (the fake verifies the ASPI form).
    let mock = Mock::start("snap");
    let body = tempdir("snap-settings").join("body.json");
    std::fs::create_dir_all(body.parent().expect("dir")).expect("dir");
    std::fs::write(&body, SNAP_BODY).expect("body");
    let path =
        tollgate_snap_b2b::mock::API_PATH.trim_start_matches(tollgate_snap_b2b::mock::PREFIX);
    let send = |overrides: &[(&str, Option<&str>)]| {
        mock.run(
            &[
                "snap",
                "send",
                "--data-file",
                body.to_str().expect("utf-8"),
                path,
            ],
            overrides,
        )
    };
    assert_code(&send(&[("SNAP_PROFILE", Some("aspi"))]), 0);
    // Hex signatures are refused by the ASPI fake: the token request's (exit 2, no token)…
    let o = send(&[("SNAP_TOKEN_SIGNATURE_ENCODING", Some("hex"))]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("Signature"), "{}", stderr(&o));
    // …and the transaction's (the provider's answer, exit 1).
    let o = send(&[("SNAP_SIGNATURE_ENCODING", Some("hex"))]);
    assert_code(&o, 1);
    assert!(stdout(&o).contains("4012400"), "{}", stdout(&o));
    let o = send(&[("SNAP_PROFILE", Some("no-such-bank"))]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("SNAP_PROFILE") && stderr(&o).contains("midtrans"));
    let o = send(&[("SNAP_TIMESTAMP_ZONE", Some("+25:00"))]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("SNAP_TIMESTAMP_ZONE"), "{}", stderr(&o));
    mock.stop();
}

/// `SNAP_PROFILE` selects each preset, and `tollgate snap send` passes the fake started as
/// that provider (`tollgate mock snap --profile`), which checks the signature the way the
/// provider does; a client signing as another provider is refused.
#[test]
fn snap_profile_selects_each_preset_against_its_provider_fake() {
    let body = tempdir("snap-presets").join("body.json");
    std::fs::create_dir_all(body.parent().expect("dir")).expect("dir");
    std::fs::write(&body, SNAP_BODY).expect("body");
    let path =
        tollgate_snap_b2b::mock::API_PATH.trim_start_matches(tollgate_snap_b2b::mock::PREFIX);
    for preset in tollgate_snap_b2b::Profile::presets() {
        let name = preset.name;
        let mock = Mock::start_with("snap", &["--port", "0", "--profile", name]);
        assert_eq!(mock.env.get("SNAP_PROFILE").map(String::as_str), Some(name));
        let send = |overrides: &[(&str, Option<&str>)]| {
            let args = [
                "snap",
                "send",
                "-H",
                "X-DEVICE-ID: cli-device-1",
                "--data-file",
                body.to_str().expect("utf-8"),
                path,
            ];
            mock.run(&args, overrides)
        };
        let o = send(&[]);
        assert_code(&o, 0);
        let other = if name == "bri" { "aspi" } else { "bri" };
        let o = send(&[("SNAP_PROFILE", Some(other))]);
        assert!(o.status.code() != Some(0), "{name} fake accepted {other}");
        mock.stop();
    }
}
