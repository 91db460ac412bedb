//! One member of a fleet sharing tokens through Redis, driven line by line on stdin.
//! The fleet tests spawn several of these as separate OS processes.
//!
//! ```text
//! fleet_member <redis-url> <key-prefix> <reference-fake-url> <start-unix-secs> <lock-ttl-ms> <fetch|fail> [<store-op-timeout-ms>]
//! fleet_member --manifest-dir      (prints the crate directory it was built from)
//! stdin:  get | send | settle | advance <secs> | quit
//! stdout: ready | ok <token-fingerprint> | sent <http-status> | err <kind> retryable=<bool> | settled | advanced
//! ```
//! `get` asks the token cache; `send` calls the fake's API through the auth middleware (which
//! retries once, with a fresh token, after a 401) and prints the final status; `settle` waits for
//! the cache's fetch in flight, if any. The store's
//! operation timeout defaults to 500 ms; `FLEET_MEMBER_TRACE=1` logs auth-core's debug events to
//! stderr (which never include a token). The fingerprint is a hash of the token, so the tests
//! can compare tokens across processes without printing them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use tollgate_auth_core::store::{OnUnavailable, RedisStore, SharedStore};
use tollgate_auth_core::{
    AuthError, AuthMiddleware, BearerSigner, CacheConfig, ExposeSecret, ManualClock, Scope,
    TokenCache,
};
use tollgate_testkit::conformance::Creds;
use tollgate_testkit::mock::ReferenceSource;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--manifest-dir") {
        // Which checkout this binary was built from (for drivers sharing a target directory).
        println!("{}", env!("CARGO_MANIFEST_DIR"));
        return;
    }
    if !(6..=7).contains(&args.len()) {
        eprintln!(
            "usage: fleet_member <redis-url> <prefix> <fake-url> <start-unix> <lock-ttl-ms> <fetch|fail> [<store-op-timeout-ms>]"
        );
        std::process::exit(2);
    }
    let op_timeout_ms: u64 = args
        .get(6)
        .map_or(Ok(500), |a| a.parse())
        .unwrap_or_else(|_| exit_usage("store-op-timeout-ms"));
    let start: u64 = args[3].parse().unwrap_or_else(|_| exit_usage("start-unix"));
    let lock_ms: u64 = args[4]
        .parse()
        .unwrap_or_else(|_| exit_usage("lock-ttl-ms"));
    let on_unavailable = match args[5].as_str() {
        "fetch" => OnUnavailable::FetchLocally,
        "fail" => OnUnavailable::Fail,
        _ => exit_usage("fetch|fail"),
    };
    if std::env::var_os("FLEET_MEMBER_TRACE").is_some() {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(std::io::stderr)
            .finish()
            .with(
                tracing_subscriber::filter::Targets::new()
                    .with_target("tollgate_auth_core", tracing::Level::DEBUG),
            )
            .init();
    }
    // A worker thread runs the cache's background tasks (refresh ahead, lock renewal)
    // while the main thread waits for the next command on stdin, as in a server process.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|_| std::process::exit(3));
    rt.block_on(async move {
        let store = match RedisStore::open(&args[0], args[1].clone()) {
            Ok(s) => Arc::new(s.op_timeout(Duration::from_millis(op_timeout_ms))),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let clock = ManualClock::at_unix(start);
        let config = CacheConfig::without_jitter().with_shared_store(
            SharedStore::new(store, "reference:fleet")
                .unwrap_or_else(|_| std::process::exit(2))
                .lock_ttl(Duration::from_millis(lock_ms))
                .wait_timeout(Duration::from_secs(15))
                .poll_interval(Duration::from_millis(20))
                .on_unavailable(on_unavailable),
        );
        let cache = TokenCache::with_config(
            ReferenceSource::for_uri(&args[2], Creds::Valid),
            clock.shared(),
            config,
        );
        let scope = Scope::origin(&args[2]).unwrap_or_else(|_| exit_usage("fake-url"));
        let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(
                AuthMiddleware::new(BearerSigner::new(cache.clone(), Vec::new())).with_scope(scope),
            )
            .build();
        let resource = format!("{}/api/resource", args[2].trim_end_matches('/'));
        println!("ready");
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let mut words = line.split_whitespace();
            match words.next() {
                Some("get") => match cache.token().await {
                    Ok(t) => {
                        let mut h = DefaultHasher::new();
                        t.secret().expose_secret().hash(&mut h);
                        println!("ok {:016x}", h.finish());
                    }
                    Err(e) => println!("err {:?} retryable={}", e.kind(), e.is_retryable()),
                },
                Some("send") => match api.get(&resource).send().await {
                    Ok(resp) => println!("sent {}", resp.status().as_u16()),
                    Err(reqwest_middleware::Error::Middleware(e)) => {
                        match e.downcast_ref::<AuthError>() {
                            Some(e) => {
                                println!("err {:?} retryable={}", e.kind(), e.is_retryable())
                            }
                            None => println!("err Middleware retryable=false"),
                        }
                    }
                    Err(reqwest_middleware::Error::Reqwest(_)) => {
                        println!("err Transport retryable=true")
                    }
                },
                Some("settle") => {
                    cache.settle().await;
                    println!("settled");
                }
                Some("advance") => {
                    let secs: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                    clock.advance(Duration::from_secs(secs));
                    println!("advanced");
                }
                Some("quit") | None => break,
                Some(other) => println!("err unknown-command {other}"),
            }
            let _ = std::io::stdout().flush();
        }
    });
}

fn exit_usage(what: &str) -> ! {
    eprintln!("bad argument: {what}");
    std::process::exit(2)
}
