//! Load half of `cargo xtask bench` (a plain binary: `harness = false`, no criterion):
//! throughput of a signed client against the same unsigned client on a loopback hyper
//! server, cold and warm concurrent bursts, and heap allocations per signed request counted
//! by a global allocator. Writes one JSON document to `$TOLLGATE_BENCH_OUT` (or stdout);
//! `xtask/src/bench.rs` turns it into tables.

#![allow(missing_docs)]

use std::alloc::System;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::{AuthMiddleware, BearerSigner, Signer, TokenCache};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_middleware::ClientBuilder;
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod common;
use common::{Provider, now};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Requests per throughput round, concurrent tasks, rounds per variant.
const ROUND_REQUESTS: usize = 3000;
const CONCURRENCY: usize = 8;
const ROUNDS: usize = 5;
const BURSTS: [usize; 3] = [1, 100, 1000];
const ALLOC_ITERATIONS: usize = 2000;
/// Batches the allocation count is split into (the fewest-allocations batch is kept).
const ALLOC_BATCHES: usize = 5;
const CONTENTION_TASKS: [usize; 4] = [1, 2, 8, 64];

/// A minimal HTTP/1.1 server: reads the whole request body, answers `200 ok`.
async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

trait Send2: Fn(reqwest::Request) -> futures::future::BoxFuture<'static, bool> + Send + Sync {}
impl<T: Fn(reqwest::Request) -> futures::future::BoxFuture<'static, bool> + Send + Sync> Send2
    for T
{
}

/// Runs `total` requests over `CONCURRENCY` tasks; requests per second.
async fn round(send: Arc<dyn Send2>, template: &reqwest::Request, total: usize) -> f64 {
    let per_task = total / CONCURRENCY;
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let send = send.clone();
            let reqs: Vec<_> = (0..per_task)
                .map(|_| template.try_clone().expect("cloneable"))
                .collect();
            tokio::spawn(async move {
                for r in reqs {
                    assert!(send(r).await, "request failed");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    (per_task * CONCURRENCY) as f64 / start.elapsed().as_secs_f64()
}

/// `n` concurrent requests; each one's latency from the burst's start, sorted.
async fn burst(send: Arc<dyn Send2>, template: &reqwest::Request, n: usize) -> Vec<Duration> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let send = send.clone();
            let r = template.try_clone().expect("cloneable");
            tokio::spawn(async move {
                assert!(send(r).await, "request failed");
                start.elapsed()
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out.sort();
    out
}

fn unsigned(client: reqwest::Client) -> Arc<dyn Send2> {
    Arc::new(move |r: reqwest::Request| {
        let c = client.clone();
        Box::pin(async move { c.execute(r).await.is_ok_and(|r| r.status().is_success()) })
            as futures::future::BoxFuture<'static, bool>
    })
}

fn signed<S: Signer>(client: reqwest::Client, signer: Arc<S>) -> Arc<dyn Send2> {
    let mw = ClientBuilder::new(client)
        .with(AuthMiddleware::from_arc(signer))
        .build();
    Arc::new(move |r: reqwest::Request| {
        let c = mw.clone();
        Box::pin(async move { c.execute(r).await.is_ok_and(|r| r.status().is_success()) })
            as futures::future::BoxFuture<'static, bool>
    })
}

fn allocations<S: Signer>(rt: &tokio::runtime::Runtime, p: &Provider<S>, base: &str) -> Value {
    let _cx = rt.enter();
    let template = p.request(base);
    // Warm-up (lazy statics, thread locals, the first clone of a shared header value).
    for _ in 0..10 {
        let mut r = template.try_clone().expect("clone");
        now(p.signer.sign(&mut r)).expect("sign");
    }
    // The allocator counts every thread's allocations (the fakes' runtime runs beside
    // this one), so the work is counted in interleaved batches and the batch with the
    // fewest allocations of each kind is kept: another thread can only add to a batch.
    let batch = ALLOC_ITERATIONS / ALLOC_BATCHES;
    let mut base_best: Option<stats_alloc::Stats> = None;
    let mut with_best: Option<stats_alloc::Stats> = None;
    let fewer = |best: &mut Option<stats_alloc::Stats>, s: stats_alloc::Stats| {
        if best.is_none_or(|b| s.allocations < b.allocations) {
            *best = Some(s);
        }
    };
    for _ in 0..ALLOC_BATCHES {
        let reg = Region::new(GLOBAL);
        for _ in 0..batch {
            let r = template.try_clone().expect("clone");
            std::hint::black_box(r);
        }
        fewer(&mut base_best, reg.change());
        let reg = Region::new(GLOBAL);
        for _ in 0..batch {
            let mut r = template.try_clone().expect("clone");
            now(p.signer.sign(&mut r)).expect("sign");
            std::hint::black_box(r);
        }
        fewer(&mut with_best, reg.change());
    }
    let (base_stats, with) = (
        base_best.expect("at least one batch"),
        with_best.expect("at least one batch"),
    );
    let n = batch as f64;
    json!({
        "allocations": (with.allocations as f64 - base_stats.allocations as f64) / n,
        "reallocations": (with.reallocations as f64 - base_stats.reallocations as f64) / n,
        "bytes": (with.bytes_allocated as f64 - base_stats.bytes_allocated as f64) / n,
    })
}

async fn measure<S: Signer>(p: &Provider<S>, base: &str) -> Value {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(2000)
        .build()
        .expect("client");
    let template = p.request(base);

    // Throughput, interleaved rounds, median of each.
    let plain = unsigned(client.clone());
    let sig = signed(client.clone(), p.signer.clone());
    round(plain.clone(), &template, ROUND_REQUESTS / 3).await;
    round(sig.clone(), &template, ROUND_REQUESTS / 3).await;
    let (mut u, mut s) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        u.push(round(plain.clone(), &template, ROUND_REQUESTS).await);
        s.push(round(sig.clone(), &template, ROUND_REQUESTS).await);
    }
    let spread = |v: &[f64]| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        json!([min, max])
    };
    let (u_spread, s_spread) = (spread(&u), spread(&s));
    let (u, s) = (median(u), median(s));

    // Bursts: open the connections first (an unsigned burst), then a cold signer's burst,
    // then the same signer's warm burst.
    let mut bursts = Vec::new();
    for n in BURSTS {
        burst(plain.clone(), &template, n).await;
        let cold = (p.cold)();
        let signer = Arc::new(cold.signer);
        let sig = signed(client.clone(), signer.clone());
        let c = burst(sig.clone(), &template, n).await;
        let fetches = (cold.fetches)(&signer);
        let w = burst(sig, &template, n).await;
        bursts.push(json!({
            "n": n,
            "fetches": fetches,
            "cold_p50_us": percentile(&c, 0.50),
            "cold_p99_us": percentile(&c, 0.99),
            "warm_p50_us": percentile(&w, 0.50),
            "warm_p99_us": percentile(&w, 0.99),
        }));
    }
    json!({
        "unsigned_rps": u,
        "signed_rps": s,
        "unsigned_rps_min_max": u_spread,
        "signed_rps_min_max": s_spread,
        "bursts": bursts,
    })
}

/// Operations per second of `tasks` tasks on `rt`, each running the work `make` gives it
/// `per_task` times on a request of its own.
fn per_second<W>(
    rt: &tokio::runtime::Runtime,
    tasks: usize,
    per_task: usize,
    make: impl Fn() -> W,
) -> f64
where
    W: FnMut(&mut reqwest::Request) + Send + 'static,
{
    let start = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mut work = make();
                tokio::spawn(async move {
                    let mut req = reqwest::Request::new(
                        reqwest::Method::GET,
                        "http://127.0.0.1:9/x".parse().expect("url"),
                    );
                    for _ in 0..per_task {
                        work(&mut req);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("task");
        }
    });
    (per_task * tasks) as f64 / start.elapsed().as_secs_f64()
}

/// Signatures per second of a warm bearer signer (system clock) shared by `tasks` tasks
/// on a two-worker runtime, each signing its own request in a loop; interleaved rounds.
fn contention() -> Value {
    const TOTAL: usize = 256_000;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let signer = Arc::new(BearerSigner::new(
        TokenCache::new(common::StaticToken),
        vec![(
            http::HeaderName::from_static("x-program-id"),
            http::HeaderValue::from_static("bench"),
        )],
    ));
    rt.block_on(signer.cache().token()).expect("warm");
    let counts = CONTENTION_TASKS;
    // Each round measures the signer and, beside it, the floor: every task inserts headers
    // of its own (no memory written by two tasks), which shows what the machine itself
    // allows N tasks.
    let mut rounds: Vec<Vec<f64>> = vec![Vec::new(); counts.len()];
    let mut floor_rounds: Vec<Vec<f64>> = vec![Vec::new(); counts.len()];
    for _ in 0..ROUNDS {
        for (i, &tasks) in counts.iter().enumerate() {
            let per_task = TOTAL / tasks;
            // The signer shared by every task.
            let signed = per_second(&rt, tasks, per_task, || {
                let signer = signer.clone();
                move |req: &mut reqwest::Request| {
                    now(signer.sign(req)).expect("sign");
                }
            });
            rounds[i].push(signed);
            // The floor: each task's own copies of the same two headers.
            let floor = per_second(&rt, tasks, per_task, || {
                let own = [
                    (
                        http::header::AUTHORIZATION,
                        http::HeaderValue::from_str(common::STATIC_BEARER).expect("header"),
                    ),
                    (
                        http::HeaderName::from_static("x-program-id"),
                        http::HeaderValue::from_static("bench"),
                    ),
                ];
                move |req: &mut reqwest::Request| {
                    let h = std::hint::black_box(req).headers_mut();
                    for (n, v) in &own {
                        h.insert(n.clone(), v.clone());
                    }
                }
            });
            floor_rounds[i].push(floor);
        }
    }
    let stats = |r: Vec<f64>| {
        let min = r.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.iter().copied().fold(0.0, f64::max);
        (median(r), min, max)
    };
    let rows: Vec<Value> = counts
        .iter()
        .zip(rounds.into_iter().zip(floor_rounds))
        .map(|(&tasks, (r, f))| {
            let (per_s, min, max) = stats(r);
            let (floor_per_s, floor_min, floor_max) = stats(f);
            json!({
                "tasks": tasks, "per_s": per_s, "min": min, "max": max,
                "floor_per_s": floor_per_s, "floor_min": floor_min, "floor_max": floor_max,
            })
        })
        .collect();
    eprintln!("load: contention done");
    json!(rows)
}

fn provider<S: Signer>(rt: &tokio::runtime::Runtime, p: &Provider<S>, base: &str) -> Value {
    let mut v = rt.block_on(measure(p, base));
    v["allocations"] = allocations(rt, p, base);
    v["name"] = json!(p.name);
    v["has_token"] = json!(p.has_token);
    eprintln!("load: {} done", p.name);
    v
}

fn main() {
    let contention = contention();
    // `TOLLGATE_BENCH_ONLY=contention` stops here (for looking at the warm read alone).
    if std::env::var("TOLLGATE_BENCH_ONLY").as_deref() == Ok("contention") {
        println!(
            "{}",
            serde_json::to_string_pretty(&contention).expect("json")
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(serve());
    let base = format!("http://{addr}");
    let dragonpass = rt.block_on(common::dragonpass());
    let v5 = rt.block_on(common::v5());
    let holidu = rt.block_on(common::holidu());
    let snap = rt.block_on(common::snap());
    let gtr_sso = rt.block_on(common::gtr_sso());
    let gtr_app = rt.block_on(common::gtr_app());
    let out = json!({
        "round_requests": ROUND_REQUESTS,
        "concurrency": CONCURRENCY,
        "rounds": ROUNDS,
        "alloc_iterations": ALLOC_ITERATIONS / ALLOC_BATCHES,
        "alloc_batches": ALLOC_BATCHES,
        "contention": contention,
        "providers": [
            provider(&rt, &dragonpass, &base),
            provider(&rt, &v5, &base),
            provider(&rt, &holidu, &base),
            provider(&rt, &snap, &base),
            provider(&rt, &gtr_sso, &base),
            provider(&rt, &gtr_app, &base),
        ],
    });
    let text = serde_json::to_string_pretty(&out).expect("json");
    match std::env::var_os("TOLLGATE_BENCH_OUT") {
        Some(path) => std::fs::write(path, text).expect("write results"),
        None => println!("{text}"),
    }
}
