//! Criterion half of `cargo xtask bench`: each provider's warm-cache signing path next to its
//! floor, in one run, so that `cargo xtask bench` can report ratios (it reads
//! `<CRITERION_HOME>/<group>/<bench>/new/estimates.json`). Group and bench names are part of
//! that contract: see `xtask/src/bench.rs`.
//!
//! Every signature here runs on a request that is reused (signers `insert`, so signing again
//! replaces the same headers) and is polled once inside the runtime's context: a warm cache
//! never waits, and neither request building nor an executor round trip is signing cost.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::Duration;

use auth_core::Signer;
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use snap_b2b::sign::{HmacKey, SignatureEncoding, sign_symmetric, symmetric_string_to_sign};

mod common;
use common::{Provider, now};

const BASE: &str = "http://127.0.0.1:9";

/// `sign`: the provider's signer; `floor`: inserting clones of the same, precomputed headers.
fn cached_token<S: Signer>(c: &mut Criterion, p: &Provider<S>) {
    let floor_headers = p.added_headers(BASE);
    let mut g = c.benchmark_group(p.name);
    let mut req = p.request(BASE);
    g.bench_function("sign", |b| {
        b.iter(|| {
            now(p.signer.sign(black_box(&mut req))).expect("sign");
        })
    });
    let mut req = p.request(BASE);
    g.bench_function("floor", |b| {
        b.iter(|| {
            let h = black_box(&mut req).headers_mut();
            for (n, v) in &floor_headers {
                h.insert(n.clone(), v.clone());
            }
        })
    });
    g.finish();
}

/// GTR's app token against one SHA-512 of its string to sign.
fn gtr_app(c: &mut Criterion, p: &Provider<gtr::AppTokenAuth>) {
    let input = p
        .signer
        .token_with_nonce("03kadafd039hfa-2dasdf")
        .secret_token_input;
    let mut g = c.benchmark_group("gtr-app-token");
    let mut req = p.request(BASE);
    g.bench_function("sign", |b| {
        b.iter(|| {
            now(p.signer.sign(black_box(&mut req))).expect("sign");
        })
    });
    g.bench_function("floor", |b| {
        b.iter(|| sha2::Sha512::digest(black_box(input.as_bytes())))
    });
    g.finish();
}

fn snap(c: &mut Criterion, p: &Provider<snap_b2b::SnapAuth>) {
    let cache = p.signer.token_cache().expect("symmetric mode");
    let token = now(cache.token()).expect("warm token");
    let bearer = auth_core::bearer_header(&token).expect("bearer");

    // SNAP's token part: the cached access token as a bearer header.
    let mut g = c.benchmark_group("snap-token");
    let mut req = p.request(BASE);
    g.bench_function("sign", |b| {
        b.iter(|| {
            let t = now(cache.token()).expect("token");
            black_box(&mut req).headers_mut().insert(
                http::header::AUTHORIZATION,
                auth_core::bearer_header(&t).expect("bearer"),
            );
        })
    });
    g.bench_function("floor", |b| {
        b.iter(|| {
            black_box(&mut req)
                .headers_mut()
                .insert(http::header::AUTHORIZATION, bearer.clone());
        })
    });
    g.finish();

    // The whole transaction signature of the sample body.
    let body = p.body.clone().expect("snap body");
    // Any key costs the same; the fake's own secret is private to it.
    let key = HmacKey::new(&SecretString::from("bench-client-secret".to_string()));
    let minified = snap_b2b::minify_json(&body).expect("json");
    let sts = symmetric_string_to_sign(
        "POST",
        p.path,
        token.secret().expose_secret(),
        &"0".repeat(64),
        "2026-01-01T00:00:00+07:00",
    );
    let mut g = c.benchmark_group("snap-txn");
    let mut req = p.request(BASE);
    g.bench_function("sign", |b| {
        b.iter(|| {
            *req.body_mut() = Some(reqwest::Body::from(body.clone()));
            now(p.signer.sign(black_box(&mut req))).expect("sign");
        })
    });
    g.bench_function("floor", |b| {
        b.iter(|| {
            *req.body_mut() = Some(reqwest::Body::from(body.clone()));
            let h = Sha256::digest(black_box(&minified));
            black_box(h);
            black_box(key.sign(black_box(sts.as_bytes())))
        })
    });
    g.finish();

    // Bodies of growing size: minify + hash + sign against SHA-256 alone.
    for (label, size) in [
        ("snap-body-1k", 1usize << 10),
        ("snap-body-64k", 64 << 10),
        ("snap-body-1m", 1 << 20),
    ] {
        let body = common::json_body(size);
        let mut g = c.benchmark_group(label);
        if size >= 64 << 10 {
            g.sample_size(20);
        }
        g.bench_function("sign", |b| {
            b.iter(|| {
                sign_symmetric(
                    &key,
                    "POST",
                    p.path,
                    token.secret().expose_secret(),
                    black_box(&body),
                    "2026-01-01T00:00:00+07:00",
                    SignatureEncoding::Base64,
                )
                .expect("sign")
            })
        });
        g.bench_function("sha256", |b| b.iter(|| Sha256::digest(black_box(&body))));
        g.finish();
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dragonpass = rt.block_on(common::dragonpass());
    let v5 = rt.block_on(common::v5());
    let holidu = rt.block_on(common::holidu());
    let snap = rt.block_on(common::snap());
    let gtr_sso = rt.block_on(common::gtr_sso());
    let gtr_app = rt.block_on(common::gtr_app());
    let _cx = rt.enter();
    cached_token(c, &gtr_sso);
    self::gtr_app(c, &gtr_app);
    cached_token(c, &dragonpass);
    cached_token(c, &v5);
    cached_token(c, &holidu);
    self::snap(c, &snap);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args()
}

criterion_group! {
    name = ratios;
    config = config();
    targets = benches
}
criterion_main!(ratios);
