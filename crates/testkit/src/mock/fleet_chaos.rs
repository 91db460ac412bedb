//! The fleet chaos driver (feature `redis`): separate OS processes (the
//! `fleet_member` example) share tokens through a real `redis-server` this driver starts on
//! loopback, while the driver restarts, stalls or stops that server, against a
//! [`ReferenceFake`] in single sign-on mode (each login ends every earlier session, like
//! GTR's).
//!
//! Time: the driver owns the fake's [`ManualClock`], tells every member to move its own
//! injected clock by the same amount (`advance`), and ages the stored tokens' Redis TTLs by
//! that amount too ([`RedisServer::age`]), so all three agree on how old a token is. Redis's
//! own wall clock keeps running on top; that only makes stored tokens look older than they
//! are, never younger.
//!
//! The auth-core tests (`tests/fleet_chaos.rs`) and `cargo xtask conformance` (rows named
//! `fleet chaos: …`) both run the scenarios here: [`restart`], [`stall`] and
//! [`unreachable()`]. Each returns the [`ChaosFigures`] of its run; [`ChaosFigures::check`]
//! holds the targets.

use std::collections::BTreeMap;
use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::{REFERENCE_TOKEN_LIFETIME, ReferenceFake};
use crate::conformance::ConformanceTarget;
use tollgate_auth_core::clock::ManualClock;
use tollgate_auth_core::store::OnUnavailable;

/// Fleet members (separate processes) in every scenario.
pub const MEMBERS: usize = 8;
/// How far each driver step moves the clocks; it divides the refresh period (lifetime minus
/// the 60 s refresh margin), so a healthy fleet refreshes at the same step every lifetime.
pub const STEP: Duration = Duration::from_secs(30);
/// The members' Redis command timeout (real time).
pub const STORE_OP_TIMEOUT: Duration = Duration::from_millis(300);
/// The members' fetch lock time-to-live (real time).
pub const LOCK_TTL: Duration = Duration::from_millis(2_000);
/// Token lifetimes the restart scenario runs for.
pub const RESTART_LIFETIMES: u64 = 20;
/// How long the stall scenario keeps Redis from answering (real time), well beyond
/// [`STORE_OP_TIMEOUT`].
pub const STALL_FOR: Duration = Duration::from_millis(2_000);
/// Token lifetimes Redis stays down in the unreachable scenario.
pub const UNREACHABLE_LIFETIMES: u64 = 3;
/// The refresh margin of the members' caches (`CacheConfig::without_jitter`'s default).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The members' clocks start here (Unix seconds).
const T0: u64 = 1_700_000_000;
/// Bound on one member's answer (real time).
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// Whether `bin` is on `PATH`.
fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(bin).is_file()))
}

/// Why the scenarios cannot run here (no `redis-server`), if they cannot.
pub fn unavailable() -> Option<&'static str> {
    (!on_path("redis-server")).then_some("redis-server not found (apt-get install redis-server)")
}

/// The `fleet_member` example of the auth-core crate at `crate_dir`, as cargo built it into
/// the target directory of `exe` (a test binary in `target/<profile>/deps/`, or a binary in
/// `target/<profile>/`): the newest `examples/fleet_member[-<hash>]` that says it was built
/// from `crate_dir` (`fleet_member --manifest-dir`). Checkouts sharing a target directory
/// each leave their own build there.
pub fn member_binary_near(exe: &Path, crate_dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for dir in exe.ancestors().skip(1).take(2) {
        let Ok(entries) = std::fs::read_dir(dir.join("examples")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let named = name == "fleet_member" || name.starts_with("fleet_member-");
            if !named || path.extension().is_some() {
                continue;
            }
            if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                found.push((modified, path));
            }
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let want = crate_dir.canonicalize().ok()?;
    found.into_iter().map(|(_, p)| p).find(|p| {
        std::process::Command::new(p)
            .arg("--manifest-dir")
            .stderr(Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|dir| Path::new(dir.trim()).canonicalize().ok())
            .is_some_and(|dir| dir == want)
    })
}

/// A `redis-server` owned by the driver, on a fixed loopback port that survives restarts.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts one on a free loopback port (no persistence; `DEBUG` allowed from loopback,
    /// for `DEBUG SLEEP`).
    pub async fn start() -> Result<RedisServer, String> {
        if let Some(why) = unavailable() {
            return Err(why.to_string());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let mut r = RedisServer { child: None, port };
        r.start_again().await?;
        Ok(r)
    }

    /// [`start`](Self::start) for a test: `None`, with a message, when `redis-server` is
    /// not installed — and a panic under CI (`CI` set), where `.ci/run` installs it.
    pub async fn start_for_test() -> Option<RedisServer> {
        match RedisServer::start().await {
            Ok(r) => Some(r),
            Err(why) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "redis-server is required under CI (.ci/run installs it): {why}"
                );
                eprintln!("SKIPPED: {why}; install redis-server to run this test");
                None
            }
        }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Whether it is running.
    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    /// Starts it (again) on its port, waiting (bounded) until it accepts connections.
    pub async fn start_again(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "local"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        self.child = Some(child);
        for _ in 0..200 {
            if self.ping().await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!(
            "redis-server did not answer on port {} within 5 s",
            self.port
        ))
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        let client = redis::Client::open(self.url()).map_err(|e| e.to_string())?;
        tokio::time::timeout(
            Duration::from_secs(2),
            client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| "connecting to redis timed out".to_string())?
        .map_err(|e| format!("connecting to redis: {e}"))
    }

    async fn ping(&self) -> Result<(), String> {
        let mut c = self.connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Shuts it down without saving (`SHUTDOWN NOSAVE`): every token and lock is lost.
    /// Waits (bounded) for the process to exit, killing it if it does not.
    pub async fn shut_down(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(mut c) = self.connection().await {
            // The server closes the connection instead of answering.
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                redis::cmd("SHUTDOWN")
                    .arg("NOSAVE")
                    .query_async::<()>(&mut c),
            )
            .await;
        }
        match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            _ => {
                let _ = child.kill().await;
                Err("redis-server did not exit after SHUTDOWN NOSAVE; killed".to_string())
            }
        }
    }

    /// Shuts it down without saving and starts it again on the same port.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.shut_down().await?;
        self.start_again().await
    }

    /// Makes it stop answering for `how_long` (`DEBUG SLEEP`, sent from a task of its own);
    /// returns once the server is asleep. Await the handle to know it is awake again.
    pub async fn stall(
        &self,
        how_long: Duration,
    ) -> Result<tokio::task::JoinHandle<Result<(), String>>, String> {
        let mut c = self.connection().await?;
        let secs = format!("{:.3}", how_long.as_secs_f64());
        let port = self.port;
        let bound = how_long + Duration::from_secs(5);
        // The client gives up on the reply before the server wakes: the reply does not
        // matter, the server sleeps either way.
        tokio::spawn(async move {
            let _ = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(secs)
                .query_async::<()>(&mut c)
                .await;
        });
        let awake = async move {
            let probe = RedisServer { child: None, port };
            let deadline = tokio::time::Instant::now() + bound;
            while tokio::time::Instant::now() < deadline {
                if let Ok(Ok(())) =
                    tokio::time::timeout(Duration::from_millis(200), probe.ping()).await
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err("redis-server did not wake from DEBUG SLEEP".to_string())
        };
        // Asleep once a PING on another connection goes unanswered.
        for _ in 0..100 {
            let probe = tokio::time::timeout(Duration::from_millis(100), self.ping()).await;
            if probe.is_err() {
                return Ok(tokio::spawn(awake));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err("redis-server kept answering after DEBUG SLEEP".to_string())
    }

    /// Moves Redis's time along with the injected clocks: every token key under `prefix`
    /// (`<prefix>…:token`) loses `by` of its time-to-live (and goes when nothing is left).
    /// Fetch locks are left alone: their time-to-live is real time, not the clocks'.
    pub async fn age(&self, prefix: &str, by: Duration) -> Result<(), String> {
        const AGE: &str = r"
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  local t = redis.call('PTTL', k)
  if t > 0 then
    local left = t - tonumber(ARGV[2])
    if left <= 0 then redis.call('DEL', k) else redis.call('PEXPIRE', k, left) end
    n = n + 1
  end
end
return n";
        let mut c = self.connection().await?;
        let ms = u64::try_from(by.as_millis()).map_err(|e| e.to_string())?;
        tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("EVAL")
                .arg(AGE)
                .arg(0)
                .arg(format!("{prefix}*:token"))
                .arg(ms)
                .query_async::<i64>(&mut c),
        )
        .await
        .map_err(|_| "aging the keys timed out".to_string())?
        .map(drop)
        .map_err(|e| format!("aging the keys: {e}"))
    }

    /// Stops it (kills the process).
    pub async fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}

/// One `fleet_member` process, driven line by line.
#[derive(Debug)]
pub struct Member {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Member {
    /// Starts `bin` against `redis` (keys under `prefix`) and the fake at `fake`.
    pub async fn spawn(
        bin: &Path,
        redis: &str,
        prefix: &str,
        fake: &str,
        mode: OnUnavailable,
    ) -> Result<Member, String> {
        let mode = match mode {
            OnUnavailable::FetchLocally => "fetch",
            OnUnavailable::Fail => "fail",
        };
        let mut child = Command::new(bin)
            .args([redis, prefix, fake, &T0.to_string()])
            .arg(LOCK_TTL.as_millis().to_string())
            .arg(mode)
            .arg(STORE_OP_TIMEOUT.as_millis().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdin = child.stdin.take().ok_or("member has no stdin")?;
        let stdout = child.stdout.take().ok_or("member has no stdout")?;
        let mut m = Member {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        };
        let first = m.read().await?;
        if first != "ready" {
            return Err(format!("member said {first:?} instead of ready"));
        }
        Ok(m)
    }

    async fn write(&mut self, cmd: &str) -> Result<(), String> {
        self.stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .map_err(|e| format!("writing to a member: {e}"))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| format!("writing to a member: {e}"))
    }

    async fn read(&mut self) -> Result<String, String> {
        tokio::time::timeout(ANSWER_WITHIN, self.lines.next_line())
            .await
            .map_err(|_| format!("a member did not answer within {ANSWER_WITHIN:?}"))?
            .map_err(|e| format!("reading from a member: {e}"))?
            .ok_or_else(|| "a member exited".to_string())
    }

    async fn stop(mut self) {
        let _ = self.write("quit").await;
        if tokio::time::timeout(Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// What one scenario run measured.
#[derive(Debug, Clone)]
pub struct ChaosFigures {
    /// Row name (`fleet chaos: …`).
    pub scenario: &'static str,
    /// The members' choice when Redis cannot be reached.
    pub mode: OnUnavailable,
    /// Simulated time the run covered.
    pub elapsed: Duration,
    /// API requests the members sent (each may include one retry after a 401).
    pub requests: u64,
    /// Logins (tokens issued) during the run.
    pub logins: u64,
    /// Logins a healthy fleet makes over the same time: one per refresh period (the token
    /// lifetime minus the refresh margin), the first included.
    pub floor: u64,
    /// Extra logins the scenario's targets allow beyond `floor` (`None`: no target).
    pub allowed_extra: Option<u64>,
    /// API calls the fake refused because their token had expired.
    pub expired_sent: u64,
    /// API calls the fake refused because another login had ended their session.
    pub superseded: u64,
    /// Requests that failed, by what the member reported (`StoreUnavailable
    /// retryable=true`, `HTTP 401`, …).
    pub failures: BTreeMap<String, u64>,
}

impl ChaosFigures {
    /// Logins per token lifetime of simulated time (a healthy fleet with the 60 s margin:
    /// 600 / 540 = 1.11).
    pub fn logins_per_lifetime(&self) -> f64 {
        let lifetimes = self.elapsed.as_secs_f64() / REFERENCE_TOKEN_LIFETIME.as_secs_f64();
        if lifetimes > 0.0 {
            self.logins as f64 / lifetimes
        } else {
            self.logins as f64
        }
    }

    /// Requests that failed, in all.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// The targets: no request ever sent with an expired token, and no more logins than the
    /// scenario allows.
    pub fn check(&self) -> Result<(), String> {
        if self.expired_sent > 0 {
            return Err(format!(
                "{} requests sent with an expired token",
                self.expired_sent
            ));
        }
        if let Some(extra) = self.allowed_extra
            && self.logins > self.floor + extra
        {
            return Err(format!(
                "{} logins, more than the floor {} + {extra}",
                self.logins, self.floor
            ));
        }
        Ok(())
    }
}

impl fmt::Display for ChaosFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: logins {} (floor {}, {:.2}/lifetime), expired sent {}, superseded {}, failed {}/{}",
            self.mode,
            self.logins,
            self.floor,
            self.logins_per_lifetime(),
            self.expired_sent,
            self.superseded,
            self.failed(),
            self.requests,
        )?;
        for (why, n) in &self.failures {
            write!(f, "; {n}× {why}")?;
        }
        Ok(())
    }
}

/// A running scenario: the server, the fake, the members and the tallies.
#[derive(Debug)]
pub struct Chaos {
    redis: RedisServer,
    fake: ReferenceFake,
    clock: ManualClock,
    members: Vec<Member>,
    mode: OnUnavailable,
    elapsed: Duration,
    requests: u64,
    failures: BTreeMap<String, u64>,
}

const PREFIX: &str = "chaos:";

impl Chaos {
    /// Starts a server, the single sign-on fake and `members` processes of `bin`.
    pub async fn start(bin: &Path, members: usize, mode: OnUnavailable) -> Result<Chaos, String> {
        let redis = RedisServer::start().await?;
        let clock = ManualClock::at_unix(T0);
        let fake = ReferenceFake::start_single_sign_on(clock.clone()).await;
        let mut v = Vec::with_capacity(members);
        for _ in 0..members {
            v.push(Member::spawn(bin, &redis.url(), PREFIX, &fake.uri(), mode).await?);
        }
        Ok(Chaos {
            redis,
            fake,
            clock,
            members: v,
            mode,
            elapsed: Duration::ZERO,
            requests: 0,
            failures: BTreeMap::new(),
        })
    }

    /// The server (to restart, stall or stop it).
    pub fn redis(&mut self) -> &mut RedisServer {
        &mut self.redis
    }

    /// Sends `cmd` to every member at once, then collects the answers.
    async fn all(&mut self, cmd: &str) -> Result<Vec<String>, String> {
        for m in &mut self.members {
            m.write(cmd).await?;
        }
        let mut out = Vec::with_capacity(self.members.len());
        for m in &mut self.members {
            out.push(m.read().await?);
        }
        Ok(out)
    }

    /// Moves every clock by `by`: the fake's, each member's, and (while the server is up)
    /// the stored keys' TTLs. `age_redis = false` when the TTLs were aged ahead of time.
    pub async fn advance(&mut self, by: Duration, age_redis: bool) -> Result<(), String> {
        // No fetch may be in flight while the clocks move one after the other: a token saved
        // between the TTL aging and its member's clock moving would be stored a step too long.
        let settled = self.all("settle").await?;
        if let Some(bad) = settled.iter().find(|a| *a != "settled") {
            return Err(format!("a member answered {bad:?} to settle"));
        }
        if age_redis && self.redis.is_up() {
            self.redis.age(PREFIX, by).await?;
        }
        self.clock.advance(by);
        let answers = self.all(&format!("advance {}", by.as_secs())).await?;
        if let Some(bad) = answers.iter().find(|a| *a != "advanced") {
            return Err(format!("a member answered {bad:?} to advance"));
        }
        self.elapsed += by;
        Ok(())
    }

    /// Every member sends one API request; failures are tallied by reason.
    pub async fn round(&mut self) -> Result<(), String> {
        for answer in self.all("send").await? {
            self.requests += 1;
            let why = match answer.strip_prefix("sent ") {
                Some("200") => continue,
                Some(status) => format!("HTTP {status}"),
                None => match answer.strip_prefix("err ") {
                    Some(e) => e.to_string(),
                    None => return Err(format!("a member answered {answer:?} to send")),
                },
            };
            *self.failures.entry(why).or_default() += 1;
        }
        Ok(())
    }

    /// `steps` times: move the clocks one [`STEP`], then a round.
    pub async fn run_steps(&mut self, steps: u64) -> Result<(), String> {
        for _ in 0..steps {
            self.advance(STEP, true).await?;
            self.round().await?;
        }
        Ok(())
    }

    /// Steps until the simulated time reaches `at` (from the start).
    pub async fn run_until(&mut self, at: Duration) -> Result<(), String> {
        while self.elapsed + STEP <= at {
            self.run_steps(1).await?;
        }
        Ok(())
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The figures so far.
    pub fn figures(&self, scenario: &'static str, allowed_extra: Option<u64>) -> ChaosFigures {
        ChaosFigures {
            scenario,
            mode: self.mode,
            elapsed: self.elapsed,
            requests: self.requests,
            logins: self.fake.token_fetches(),
            floor: floor(self.elapsed),
            allowed_extra,
            expired_sent: self.fake.expired_tokens_seen().unwrap_or(0),
            superseded: self.fake.superseded_rejections(),
            failures: self.failures.clone(),
        }
    }

    /// Stops the members and the server.
    pub async fn finish(self) {
        for m in self.members {
            m.stop().await;
        }
        self.redis.stop().await;
    }
}

/// Logins a healthy fleet makes when the last round is `elapsed` after the first login:
/// the first, then one per refresh period.
pub fn floor(elapsed: Duration) -> u64 {
    let period = (REFERENCE_TOKEN_LIFETIME - REFRESH_MARGIN).as_secs();
    1 + elapsed.as_secs() / period
}

/// One refresh period: when a healthy fleet's token is first due for refresh.
fn refresh_period() -> Duration {
    REFERENCE_TOKEN_LIFETIME - REFRESH_MARGIN
}

async fn scenario<F>(
    bin: &Path,
    members: usize,
    mode: OnUnavailable,
    body: F,
) -> Result<ChaosFigures, String>
where
    F: AsyncFnOnce(&mut Chaos) -> Result<ChaosFigures, String>,
{
    let mut chaos = Chaos::start(bin, members, mode).await?;
    let result = async {
        chaos.round().await?;
        body(&mut chaos).await
    }
    .await;
    chaos.finish().await;
    result
}

/// A healthy fleet for `lifetimes` token lifetimes: the baseline the chaos rows compare
/// with (it must make exactly [`floor`] logins).
pub async fn healthy(
    bin: &Path,
    members: usize,
    lifetimes: u64,
    mode: OnUnavailable,
) -> Result<ChaosFigures, String> {
    scenario(bin, members, mode, async |c: &mut Chaos| {
        c.run_until(REFERENCE_TOKEN_LIFETIME * u32::try_from(lifetimes).unwrap_or(u32::MAX))
            .await?;
        Ok(c.figures("fleet chaos: none", Some(0)))
    })
    .await
}

/// Row name of [`restart`].
pub const RESTART: &str = "fleet chaos: restart";
/// Row name of [`stall`].
pub const STALL: &str = "fleet chaos: stall";
/// Row name of [`unreachable()`] with [`OnUnavailable::Fail`].
pub const UNREACHABLE_FAIL: &str = "fleet chaos: unreachable (Fail)";
/// Row name of [`unreachable()`] with [`OnUnavailable::FetchLocally`].
pub const UNREACHABLE_FETCH_LOCALLY: &str = "fleet chaos: unreachable (FetchLocally)";

/// `members` processes send a request per [`STEP`] for `lifetimes` token lifetimes; Redis is
/// shut down without saving and started again on the same port twice: once mid-lifetime
/// (straight back up), once down across the step at which a refresh is due. Target with
/// [`OnUnavailable::Fail`]: at most one extra login per restart.
pub async fn restart(
    bin: &Path,
    members: usize,
    lifetimes: u64,
    mode: OnUnavailable,
) -> Result<ChaosFigures, String> {
    scenario(bin, members, mode, async |c: &mut Chaos| {
        let end = REFERENCE_TOKEN_LIFETIME * u32::try_from(lifetimes).unwrap_or(u32::MAX);
        // 1: mid-lifetime, straight back up.
        c.run_until(end / 4 + REFERENCE_TOKEN_LIFETIME / 2).await?;
        c.redis().restart().await?;
        // 2: down across a refresh: shut down one step before a refresh is due, a round at
        // the refresh while down, then up again.
        let period = refresh_period().as_secs();
        let due = Duration::from_secs(end.as_secs() * 2 / 3 / period * period);
        c.run_until(due - STEP).await?;
        c.redis().shut_down().await?;
        c.run_steps(1).await?;
        c.redis().start_again().await?;
        c.run_until(end).await?;
        let extra = (mode == OnUnavailable::Fail).then_some(2);
        Ok(c.figures(RESTART, extra))
    })
    .await
}

/// Redis stops answering ([`STALL_FOR`], beyond the store timeout) at the moment a refresh is
/// due; two rounds run while it sleeps, then the fleet runs on for two more lifetimes.
/// Target with [`OnUnavailable::Fail`]: no extra login.
pub async fn stall(
    bin: &Path,
    members: usize,
    mode: OnUnavailable,
) -> Result<ChaosFigures, String> {
    scenario(bin, members, mode, async |c: &mut Chaos| {
        let due = refresh_period() * 2;
        c.run_until(due - STEP).await?;
        // The server cannot be aged while it sleeps: age it ahead by the two steps that run
        // meanwhile (stored tokens look older, never younger, than they are).
        c.redis.age(PREFIX, STEP * 2).await?;
        let awake = c.redis.stall(STALL_FOR).await?;
        for _ in 0..2 {
            c.advance(STEP, false).await?;
            c.round().await?;
            // Let the members' background refreshes run into the store timeout.
            tokio::time::sleep(STORE_OP_TIMEOUT * 2).await;
        }
        awake
            .await
            .map_err(|e| format!("the stall task failed: {e}"))??;
        c.run_until(due + REFERENCE_TOKEN_LIFETIME * 2).await?;
        let extra = (mode == OnUnavailable::Fail).then_some(0);
        Ok(c.figures(STALL, extra))
    })
    .await
}

/// Redis is shut down mid-lifetime and stays down for [`UNREACHABLE_LIFETIMES`] lifetimes,
/// then comes back for two more. Target with [`OnUnavailable::Fail`]: no login while it is
/// down (no more than the floor in all).
pub async fn unreachable(
    bin: &Path,
    members: usize,
    mode: OnUnavailable,
) -> Result<ChaosFigures, String> {
    let name = match mode {
        OnUnavailable::Fail => UNREACHABLE_FAIL,
        OnUnavailable::FetchLocally => UNREACHABLE_FETCH_LOCALLY,
    };
    scenario(bin, members, mode, async |c: &mut Chaos| {
        c.run_until(REFERENCE_TOKEN_LIFETIME / 2).await?;
        c.redis().shut_down().await?;
        let back = c.elapsed()
            + REFERENCE_TOKEN_LIFETIME * u32::try_from(UNREACHABLE_LIFETIMES).unwrap_or(3);
        c.run_until(back).await?;
        c.redis().start_again().await?;
        c.run_until(back + REFERENCE_TOKEN_LIFETIME * 2).await?;
        let extra = (mode == OnUnavailable::Fail).then_some(0);
        Ok(c.figures(name, extra))
    })
    .await
}
