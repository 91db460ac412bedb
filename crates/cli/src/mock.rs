//! `tollgate mock <provider>`: runs a provider crate's own fake on loopback until Ctrl-C.
//!
//! The fakes read a [`ManualClock`] for every time decision (token expiry, timestamp
//! windows). A clock frozen at the start would make the fake's tokens never expire, so the
//! command keeps the clock at real time: it is set from `SystemTime::now()` when the fake
//! starts and again every [`CLOCK_TICK`] by a background task. The fake therefore behaves
//! like the real provider (tokens expire after their real lifetime, stale timestamps are
//! refused), lagging real time by at most one tick.

use std::io::Write;
use std::time::{Duration, SystemTime};

use auth_core::ManualClock;
use clap::{Args, ValueEnum};

use crate::common::{CliError, EXIT_OK};

/// How often the fake's clock is moved to the real time.
pub(crate) const CLOCK_TICK: Duration = Duration::from_millis(250);

/// The environment lines each fake prints, shown in `--help`.
pub(crate) const HELP: &str = "\
Prints the fake's base URL on the first line, then shell lines to paste (or eval):
  dragonpass: export DRAGONPASS_CLIENT_ID, DRAGONPASS_SECRET, DRAGONPASS_TOKEN_URL,
              DRAGONPASS_PROGRAM_ID (the fake also accepts self-signed HS256 tokens for the
              DRAGONPASS_ISSUER / DRAGONPASS_SECRET it prints as a comment)
  snap:       export SNAP_BASE_URL, SNAP_CLIENT_KEY, SNAP_PRIVATE_KEY_FILE (a test-only key
              written to a temporary directory, removed on exit), SNAP_CLIENT_SECRET,
              SNAP_CHANNEL_ID, SNAP_PROFILE (--profile PRESET: the fake verifies as that
              provider does)
  gtr:        export GTR_BASE_URL, GTR_VASP_CODE, GTR_ACCESS_KEY, GTR_SECRET_KEY, GTR_AUTH
              (the fake is plain http: no GTR_CLIENT_P12 needed)
  v5:         export V5_BASE_URL, V5_APP_ID, V5_APP_SECRET
  holidu:     export HOLIDU_ACCOUNT_INFO (an account_info.json written to a temporary
              directory, removed on exit), HOLIDU_BASE_URL
and a last line starting with '# ready'. Reads no environment variable itself.
Standard input takes commands, one a line (for scripts and tests):
  fetches     prints 'fetches N': tokens the fake has issued (DragonPass token API, SNAP,
              V5), logins (GTR), distinct valid tokens seen (Holidu)
  reject N    the next N API calls get HTTP 401 (not DragonPass); prints 'rejecting N'
Credentials printed are the fake's test-only credentials. Runs until Ctrl-C (or SIGTERM).

Example:
  eval \"$(tollgate mock dragonpass --port 8080 | grep '^export')\"  # in another shell
  tollgate dragonpass token";

/// The providers with a fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MockProvider {
    /// DragonPass (token API + self-signed HS256).
    Dragonpass,
    /// SNAP B2B (access token + HMAC-SHA512 transactions).
    Snap,
    /// GTR (app token or SSO login).
    Gtr,
    /// V5 OpenAPI (signed token request + bearer token).
    V5,
    /// Holidu (self-signed ES256 JWT).
    Holidu,
}

/// `tollgate mock` arguments.
#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Which provider's fake to run.
    pub provider: MockProvider,
    /// Port to listen on (0, the default, picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// SNAP only: the provider preset the fake verifies as (aspi, bca, bri, …; see
    /// `tollgate snap --help`); it prints the matching SNAP_PROFILE.
    #[arg(long, value_name = "PRESET")]
    pub profile: Option<String>,
}

/// `export NAME='value'` with the value quoted for POSIX shells.
pub(crate) fn export(name: &str, value: &str) -> String {
    format!("export {name}='{}'", value.replace('\'', r"'\''"))
}

/// Runs the fake until Ctrl-C / SIGTERM.
pub(crate) async fn run(args: &MockArgs) -> Result<u8, CliError> {
    let listener = std::net::TcpListener::bind((args.host, args.port)).map_err(|e| {
        CliError::config(format!(
            "--port: cannot listen on {}:{}: {}",
            args.host,
            args.port,
            e.kind()
        ))
    })?;
    let clock = ManualClock::new(SystemTime::now());
    let ticking = clock.clone();
    let ticker = tokio::spawn(async move {
        let mut every = tokio::time::interval(CLOCK_TICK);
        loop {
            every.tick().await;
            ticking.set(SystemTime::now());
        }
    });
    let dir = std::env::temp_dir().join(format!("tollgate-mock-{}", std::process::id()));
    let make_dir = || {
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError::config(format!("creating {}: {}", dir.display(), e.kind())))
    };
    if args.profile.is_some() && args.provider != MockProvider::Snap {
        return Err(CliError::config(
            "--profile: only the snap fake has presets",
        ));
    }
    let (fake, lines): (Fake, Vec<String>) = match args.provider {
        MockProvider::Dragonpass => {
            let (fake, lines) = crate::dragonpass::start_mock(listener, clock).await;
            (Fake::Dragonpass(fake), lines)
        }
        MockProvider::Snap => {
            make_dir()?;
            let profile = args.profile.as_deref().unwrap_or("aspi");
            let (fake, lines) = crate::snap::start_mock(listener, clock, &dir, profile).await?;
            (Fake::Snap(fake), lines)
        }
        MockProvider::Gtr => {
            let (fake, lines) = crate::gtr::start_mock(listener, clock).await;
            (Fake::Gtr(fake), lines)
        }
        MockProvider::V5 => {
            let (fake, lines) = crate::v5::start_mock(listener, clock).await;
            (Fake::V5(fake), lines)
        }
        MockProvider::Holidu => {
            make_dir()?;
            let (fake, lines) = crate::holidu::start_mock(listener, clock, &dir).await?;
            (Fake::Holidu(fake), lines)
        }
    };
    {
        let mut out = std::io::stdout().lock();
        for line in &lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "# ready: serving until Ctrl-C");
        let _ = out.flush();
    }
    let commands = read_commands();
    tokio::select! {
        () = wait_for_shutdown() => {}
        () = serve_commands(&fake, commands) => {}
    }
    ticker.abort();
    drop(fake);
    if dir.exists() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(EXIT_OK)
}

/// A running fake.
enum Fake {
    Dragonpass(tollgate_dragonpass::mock::DragonPassFake),
    Snap(tollgate_snap_b2b::mock::SnapFake),
    Gtr(tollgate_gtr::mock::GtrFake),
    V5(tollgate_v5_openapi::mock::V5Fake),
    Holidu(tollgate_holidu::mock::HoliduFake),
}

impl Fake {
    /// Tokens issued (or logins, or distinct tokens seen: see [`HELP`]).
    fn fetches(&self) -> u64 {
        match self {
            Fake::Dragonpass(f) => f.tokens_issued(),
            Fake::Snap(f) => f.token_fetches(),
            Fake::Gtr(f) => f.logins(),
            Fake::V5(f) => f.token_fetches(),
            Fake::Holidu(f) => f.token_fetches(),
        }
    }

    /// Makes the next `n` API calls fail with 401; `false` if the fake cannot.
    fn reject(&self, n: u64) -> bool {
        use tollgate_snap_b2b::mock::ConformanceTarget as _;
        match self {
            Fake::Dragonpass(_) => return false,
            Fake::Snap(f) => f.reject_next_api_calls(n),
            Fake::Gtr(f) => f.core().reject_next.set(n),
            Fake::V5(f) => f.reject_next_api_calls(n),
            Fake::Holidu(f) => f.reject_next_api_calls(n),
        }
        true
    }
}

/// Standard input, line by line, from a thread of its own (a blocked read must not hold
/// up the runtime's shutdown).
fn read_commands() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Answers the commands on standard input; at its end, waits forever (the fake keeps
/// serving until a signal).
async fn serve_commands(fake: &Fake, mut commands: tokio::sync::mpsc::UnboundedReceiver<String>) {
    while let Some(line) = commands.recv().await {
        let mut words = line.split_whitespace();
        let reply = match (words.next(), words.next().map(str::parse::<u64>)) {
            (Some("fetches"), None) => format!("fetches {}", fake.fetches()),
            (Some("reject"), Some(Ok(n))) if fake.reject(n) => format!("rejecting {n}"),
            (Some("reject"), Some(Ok(_))) => "error: this fake cannot reject calls".into(),
            (None, _) => continue,
            _ => "error: unknown command (fetches | reject N)".into(),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{reply}");
        let _ = out.flush();
    }
    std::future::pending::<()>().await;
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
