//! Per-request signing cost with a warm cache (the JWT is reused, so a request costs two
//! header inserts), next to the cost of minting one ES256 JWT (what signing every request
//! afresh would cost) and the bare ECDSA P-256 signature (the floor of minting).

use auth_core::{ManualClock, Signer};
use criterion::{Criterion, criterion_main};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::RandomizedSigner;
use std::time::Duration;
use tollgate_holidu::mock::HoliduFake;
use tollgate_holidu::sign;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = rt.block_on(HoliduFake::start(clock.clone()));
    let creds = fake.credentials();
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    rt.block_on(auth.token()).expect("warm the cache");
    let template = reqwest::Client::new()
        .get(format!("{}/properties", fake.uri()))
        .build()
        .expect("request");

    let mut g = c.benchmark_group("holidu");
    g.bench_function("sign request (warm cache)", |b| {
        b.iter(|| {
            let mut req = template.try_clone().expect("clone");
            rt.block_on(auth.signer().sign(&mut req)).expect("sign");
            req
        })
    });
    g.bench_function("mint one ES256 JWT", |b| {
        b.iter(|| {
            sign::mint(
                &creds,
                1_700_000_000,
                Duration::from_secs(3600),
                &mut rand::rngs::OsRng,
            )
            .expect("mint")
        })
    });
    let input = sign::signing_input(
        &sign::header_json(creds.key_id()),
        &sign::claims_json(creds.issuer(), 1_700_000_000, 1_700_003_600),
    );
    g.bench_function("floor: bare ECDSA P-256 sign", |b| {
        b.iter(|| {
            let s: Signature = creds
                .signing_key()
                .sign_with_rng(&mut rand::rngs::OsRng, input.as_bytes());
            s
        })
    });
    g.finish();
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
