//! Per-request signing cost with a warm token cache, next to its floors: attaching the same
//! two headers by hand (the least a bearer+X-APP-ID scheme can cost) and, for the token
//! request, one SHA-256 of the string to sign.

use auth_core::{ManualClock, SecretString, Signer};
use criterion::{Criterion, criterion_main};
use tollgate_v5_openapi::mock::V5Fake;
use tollgate_v5_openapi::{V5Credentials, sign};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = rt.block_on(V5Fake::start(clock.clone()));
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    rt.block_on(auth.token()).expect("warm the cache");
    let client = reqwest::Client::new();
    let url = format!("{}/api/v5/anything", fake.uri());
    let template = client.get(&url).build().expect("request");

    let mut g = c.benchmark_group("v5-openapi");
    g.bench_function("sign request (warm cache)", |b| {
        b.iter(|| {
            let mut req = template.try_clone().expect("clone");
            rt.block_on(auth.signer().sign(&mut req)).expect("sign");
            req
        })
    });
    let token = SecretString::from("v5tok.1.0123456789abcdef".to_string());
    g.bench_function("floor: build the two headers", |b| {
        b.iter(|| {
            let mut req = template.try_clone().expect("clone");
            for (n, v) in sign::api_headers(fake.app_id(), &token).expect("headers") {
                req.headers_mut().insert(n, v);
            }
            req
        })
    });
    let creds = V5Credentials::new("demo-app", "demo-secret").expect("creds");
    g.bench_function("token request signature", |b| {
        b.iter(|| sign::token_request(&creds, 1_700_000_000))
    });
    g.finish();
}

#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
use group::benches;
criterion_main!(benches);
