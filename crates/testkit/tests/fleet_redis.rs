//! A fleet of separate OS processes (the `fleet_member` example) sharing one token through a
//! real `redis-server` on loopback, against the reference provider fake.
//!
//! The tests start their own `redis-server` on a free port. When it is not installed they
//! fail under CI (`CI` set; `.ci/run` installs it) and are skipped with a message elsewhere.
#![cfg(feature = "redis")]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tollgate_auth_core::ManualClock;
use tollgate_testkit::mock::fleet_chaos::{RedisServer, member_binary_near};
use tollgate_testkit::mock::{REFERENCE_TOKEN_LIFETIME, ReferenceFake};

const T0: u64 = 1_700_000_000;

async fn start_redis() -> Option<RedisServer> {
    RedisServer::start_for_test().await
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(bin))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The example binary this checkout built, next to this test's executable.
fn member_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    member_binary_near(&exe, std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(
        || panic!("fleet_member not built: run with --all-features (cargo test builds examples)"),
    )
}

struct Member {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Member {
    async fn spawn(redis: &str, prefix: &str, fake: &str, lock_ms: u64, mode: &str) -> Member {
        let mut child = Command::new(member_binary())
            .args([
                redis,
                prefix,
                fake,
                &T0.to_string(),
                &lock_ms.to_string(),
                mode,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn fleet_member");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut m = Member {
            child,
            stdin,
            lines,
        };
        assert_eq!(m.read().await, "ready");
        m
    }

    async fn send(&mut self, cmd: &str) {
        self.stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .expect("write");
        self.stdin.flush().await.expect("flush");
    }

    async fn read(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("member answered in time")
            .expect("read")
            .expect("a line")
    }

    async fn ask(&mut self, cmd: &str) -> String {
        self.send(cmd).await;
        self.read().await
    }
}

async fn fleet(
    n: usize,
    redis: &str,
    prefix: &str,
    fake: &str,
    lock_ms: u64,
    mode: &str,
) -> Vec<Member> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(Member::spawn(redis, prefix, fake, lock_ms, mode).await);
    }
    v
}

/// Sends `cmd` to every member at once, then collects the answers.
async fn all(members: &mut [Member], cmd: &str) -> Vec<String> {
    for m in members.iter_mut() {
        m.send(cmd).await;
    }
    let mut out = Vec::new();
    for m in members.iter_mut() {
        out.push(m.read().await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_share_one_fetch_and_one_refresh() {
    let Some(redis) = start_redis().await else {
        return;
    };
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let mut members = fleet(8, &redis.url(), "t1:", &fake.uri(), 5_000, "fail").await;

    let answers = all(&mut members, "get").await;
    assert!(answers.iter().all(|a| a.starts_with("ok ")), "{answers:?}");
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "one token: {answers:?}"
    );
    assert_eq!(fake.token_requests(), 1, "8 cold processes, one fetch");

    let secs = (REFERENCE_TOKEN_LIFETIME + Duration::from_secs(1)).as_secs();
    all(&mut members, &format!("advance {secs}")).await;
    redis
        .age("t1:", Duration::from_secs(secs))
        .await
        .expect("age the stored tokens");
    let answers2 = all(&mut members, "get").await;
    assert!(
        answers2
            .iter()
            .all(|a| a == &answers2[0] && a.starts_with("ok ")),
        "{answers2:?}"
    );
    assert_ne!(answers2[0], answers[0]);
    assert_eq!(
        fake.token_requests(),
        2,
        "expiry across the fleet: one refresh"
    );
    redis.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_killed_mid_fetch_is_replaced_after_its_lock_expires() {
    let Some(redis) = start_redis().await else {
        return;
    };
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    fake.delay_next_token_responses(1, Duration::from_secs(60));

    let mut holder = Member::spawn(&redis.url(), "t2:", &fake.uri(), 1_000, "fail").await;
    holder.send("get").await;
    // Wait (bounded) until its fetch reached the provider, then kill it mid-fetch.
    for _ in 0..400 {
        if fake.token_requests() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.token_requests(), 1, "the holder's fetch is in flight");
    holder.child.kill().await.expect("kill holder");

    let mut next = Member::spawn(&redis.url(), "t2:", &fake.uri(), 1_000, "fail").await;
    let started = std::time::Instant::now();
    let answer = next.ask("get").await;
    assert!(answer.starts_with("ok "), "{answer}");
    assert_eq!(
        fake.token_requests(),
        2,
        "the successor fetched once the lock expired"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "blocked only until the 1 s lock expired"
    );
    redis.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_follows_the_configured_choice() {
    let Some(redis) = start_redis().await else {
        return;
    };
    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let mut fallback = fleet(2, &redis.url(), "t3:", &fake.uri(), 5_000, "fetch").await;
    let mut strict = fleet(1, &redis.url(), "t3:", &fake.uri(), 5_000, "fail").await;

    let a = all(&mut fallback, "get").await;
    let b = all(&mut strict, "get").await;
    assert!(a.iter().chain(&b).all(|x| x == &a[0]), "{a:?} {b:?}");
    assert_eq!(fake.token_requests(), 1);

    redis.stop().await;
    let secs = (REFERENCE_TOKEN_LIFETIME + Duration::from_secs(1)).as_secs();
    all(&mut fallback, &format!("advance {secs}")).await;
    all(&mut strict, &format!("advance {secs}")).await;

    let a = all(&mut fallback, "get").await;
    assert!(
        a.iter().all(|x| x.starts_with("ok ")),
        "fallback keeps working: {a:?}"
    );
    assert_eq!(
        fake.token_requests(),
        3,
        "each fallback process fetched for itself"
    );
    let b = all(&mut strict, "get").await;
    assert_eq!(b, vec!["err StoreUnavailable retryable=true".to_string()]);
    assert_eq!(fake.token_requests(), 3, "the strict process did not fetch");
}

/// A one-node Redis Cluster (cluster mode on, every slot assigned to this node), so that the
/// cluster client's slot routing and `MOVED` handling are exercised against a real server.
#[cfg(feature = "redis-cluster")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_shares_one_fetch() {
    use std::sync::Arc;
    use tollgate_auth_core::store::{OnUnavailable, RedisStore, SharedStore, TokenStore};
    use tollgate_auth_core::{CacheConfig, TokenCache};
    use tollgate_testkit::conformance::Creds;
    use tollgate_testkit::mock::ReferenceSource;

    if which("redis-server").is_none() || which("redis-cli").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "redis-server and redis-cli are required under CI (.ci/run installs them)"
        );
        eprintln!("SKIPPED: redis-server/redis-cli not found");
        return;
    }
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("tollgate-cluster-{port}"));
    std::fs::create_dir_all(&dir).expect("cluster dir");
    let mut server = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--cluster-enabled",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--cluster-config-file")
        .arg(dir.join("nodes.conf"))
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-server in cluster mode");
    let cli = |args: &[&str]| {
        std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default()
    };
    let mut ready = false;
    for _ in 0..200 {
        if cli(&["PING"]).contains("PONG") {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready, "redis-server (cluster mode) did not start");
    assert!(cli(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"]).contains("OK"));
    let mut ok = false;
    for _ in 0..200 {
        if cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok") {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ok, "the one-node cluster did not become ready");

    let url = format!("redis://127.0.0.1:{port}/");
    let store: Arc<dyn TokenStore> =
        Arc::new(RedisStore::open_cluster(&[url.as_str()], "tollgate:").expect("cluster store"));
    // Both keys of a credential live in one slot: the fenced scripts run.
    assert!(
        store
            .try_lock("gtr:VASP", "f1", Duration::from_secs(5))
            .await
            .expect("lock")
    );
    assert!(
        store
            .renew("gtr:VASP", "f1", Duration::from_secs(5))
            .await
            .expect("renew")
    );
    store.unlock("gtr:VASP", "f1").await.expect("unlock");

    let clock = ManualClock::at_unix(T0);
    let fake = ReferenceFake::start(clock.clone()).await;
    let caches: Vec<_> = (0..3)
        .map(|_| {
            let cfg = CacheConfig::without_jitter().with_shared_store(
                SharedStore::new(store.clone(), "reference:cluster")
                    .expect("key")
                    .on_unavailable(OnUnavailable::Fail)
                    .poll_interval(Duration::from_millis(5)),
            );
            TokenCache::with_config(
                ReferenceSource::for_uri(&fake.uri(), Creds::Valid),
                clock.shared(),
                cfg,
            )
        })
        .collect();
    for c in &caches {
        c.token().await.expect("token through the cluster");
    }
    assert_eq!(
        fake.token_requests(),
        1,
        "three caches on a cluster, one fetch"
    );
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
