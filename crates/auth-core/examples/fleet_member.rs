//! One member of a fleet sharing tokens through Redis, driven line by line on stdin.
//! The fleet tests spawn several of these as separate OS processes.
//!
//! ```text
//! fleet_member <redis-url> <key-prefix> <reference-fake-url> <start-unix-secs> <lock-ttl-ms> <fetch|fail>
//! stdin:  get | advance <secs> | quit
//! stdout: ready | ok <token-fingerprint> | err <kind> retryable=<bool> | advanced
//! ```
//! The fingerprint is a hash of the token, so the tests can compare tokens across processes
//! without printing them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use tollgate_auth_core::conformance::Creds;
use tollgate_auth_core::mock::ReferenceSource;
use tollgate_auth_core::store::{OnUnavailable, RedisStore, SharedStore};
use tollgate_auth_core::{CacheConfig, ExposeSecret, ManualClock, TokenCache};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 6 {
        eprintln!(
            "usage: fleet_member <redis-url> <prefix> <fake-url> <start-unix> <lock-ttl-ms> <fetch|fail>"
        );
        std::process::exit(2);
    }
    let start: u64 = args[3].parse().unwrap_or_else(|_| exit_usage("start-unix"));
    let lock_ms: u64 = args[4]
        .parse()
        .unwrap_or_else(|_| exit_usage("lock-ttl-ms"));
    let on_unavailable = match args[5].as_str() {
        "fetch" => OnUnavailable::FetchLocally,
        "fail" => OnUnavailable::Fail,
        _ => exit_usage("fetch|fail"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|_| std::process::exit(3));
    rt.block_on(async move {
        let store = match RedisStore::open(&args[0], args[1].clone()) {
            Ok(s) => Arc::new(s.op_timeout(Duration::from_millis(500))),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let clock = ManualClock::at_unix(start);
        let config = CacheConfig::without_jitter().with_shared_store(
            SharedStore::new(store, "reference:fleet")
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
