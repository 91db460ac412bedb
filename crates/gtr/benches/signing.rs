//! Per-request signing cost of both GTR modes, against the bare primitive they need.
//!
//! - `sha512 floor`: one SHA-512 of a secret-token input (the unavoidable hash).
//! - `app token header`: what AppTokenAuth does per request (nonce, timestamp, SHA-512,
//!   JSON, base64, header value). The key hash is precomputed at construction.
//! - `sso sign (warm cache)`: `SsoAuth::sign` with a cached JWT (one login to the fake first).
//!
//! Compare the ratios within one run: `cargo bench -p tollgate-gtr --all-features`.
#![allow(missing_docs)] // criterion_group!/criterion_main! generate undocumented items

use std::hint::black_box;

use auth_core::Signer;
use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_gtr::mock::GtrFake;
use tollgate_gtr::{AppTokenAuth, SsoAuth};
use tollgate_gtr::{ManualClock, sign};

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let clock = ManualClock::at_unix(1_701_734_400);
    let fake = rt.block_on(GtrFake::start(clock.clone()));

    let input = sign::secret_token_input(
        "2DF9SDJ3RFA93HFA0F93HAB0S93F",
        &sign::vasp_secret_key_hash("secret", "vasp"),
        "03kadafd039hfa-2dasdf",
        "1701734400000",
        15,
        1,
    );
    c.bench_function("sha512 floor", |b| {
        b.iter(|| black_box(sign::sha512_hex(black_box(&input))))
    });

    let app = AppTokenAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .clock(clock.shared())
        .build()
        .expect("app token auth");
    c.bench_function("app token header", |b| {
        b.iter(|| black_box(app.header_value().expect("header")))
    });

    let sso = SsoAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.uri())
        .http_client(fake.http_client_builder().expect("client"))
        .clock(clock.shared())
        .build()
        .expect("sso auth");
    let url = reqwest::Url::parse(&format!("{}/api/vasp/list", fake.uri())).expect("url");
    rt.block_on(async {
        let mut req = reqwest::Request::new(reqwest::Method::GET, url.clone());
        sso.signer().sign(&mut req).await.expect("warm the cache");
    });
    c.bench_function("sso sign (warm cache)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut req = reqwest::Request::new(reqwest::Method::GET, url.clone());
                black_box(sso.signer().sign(&mut req).await.expect("sign"));
            })
        })
    });
}

criterion_group!(group, benches);
criterion_main!(group);
