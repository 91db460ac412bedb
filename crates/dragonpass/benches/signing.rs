//! The per-request signing path with a warm cache, against its floors: the bare HMAC-SHA256
//! of one JWT (what a signer that minted per request would pay) and a full HS256 mint.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::SelfSignedCredentials;
use tollgate_dragonpass::auth_core::{ManualClock, Signer};
use tollgate_dragonpass::sign::{hs256_signature, sign_self_signed};

const ISSUER: &str = "6A909655CF67444A93262A665CDD235F";
const SECRET: &str = "60B118779DD14B0990692B51BF8B93DC";

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let creds = SelfSignedCredentials::hs256(ISSUER, SECRET).expect("creds");
    let clock = ManualClock::at_unix(1_754_300_000);
    let auth = DragonPassAuth::builder()
        .credentials(creds.clone())
        .program_id("1234567890123456789")
        .allow_origin("https://api.example.com")
        .clock(clock.shared())
        .build()
        .expect("auth");
    let client = reqwest::Client::new();
    // Warm the cache once.
    rt.block_on(auth.token()).expect("token");

    let input = sign_self_signed(&creds, 1_754_303_100)
        .expect("sign")
        .signing_input;
    c.bench_function("floor: HMAC-SHA256 of one JWT signing input", |b| {
        b.iter(|| hs256_signature(black_box(SECRET.as_bytes()), black_box(&input)))
    });
    c.bench_function("mint: full HS256 JWT (no cache)", |b| {
        b.iter(|| sign_self_signed(black_box(&creds), black_box(1_754_303_100)))
    });
    c.bench_function("sign request: warm cache (bearer + X-Program-ID)", |b| {
        b.iter(|| {
            let mut req = client
                .get("http://127.0.0.1:9/v2/transport-hubs")
                .build()
                .expect("request");
            rt.block_on(auth.signer().sign(&mut req)).expect("signed");
            black_box(req)
        })
    });
}

criterion_group!(signing, benches);
criterion_main!(signing);
