//! The per-request SNAP signing path with a warm token cache (minify, SHA-256, HMAC-SHA512,
//! headers), against its cryptographic floor (SHA-256 of the body and HMAC-SHA512 of the
//! string to sign) and the minifier alone. Compare the ratios within one run.
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_snap_b2b::auth_core::{ManualClock, SecretString, Signer};
use tollgate_snap_b2b::minify_json;
use tollgate_snap_b2b::mock::{SAMPLE_BODY, SnapFake};
use tollgate_snap_b2b::sign::{HmacKey, body_sha256_hex, symmetric_string_to_sign};

fn signing(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let clock = ManualClock::at_unix(1_700_000_000);
    let (fake, auth) = rt.block_on(async {
        let fake = SnapFake::start(clock.clone()).await;
        let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
        // Warm the cache: one token fetch.
        let mut req =
            reqwest::Request::new(reqwest::Method::POST, fake.api_url().parse().expect("url"));
        *req.body_mut() = Some(SAMPLE_BODY.into());
        auth.sign(&mut req).await.expect("warm-up sign");
        (fake, auth)
    });
    let url: url::Url = format!("{}?lang=id", fake.api_url()).parse().expect("url");

    let mut group = c.benchmark_group("snap-b2b");
    group.bench_function("sign request (warm cache)", |b| {
        b.iter(|| {
            let mut req = reqwest::Request::new(reqwest::Method::POST, url.clone());
            *req.body_mut() = Some(SAMPLE_BODY.into());
            rt.block_on(auth.sign(&mut req)).expect("sign");
            black_box(req);
        })
    });

    let key = HmacKey::new(&SecretString::from("fake-client-secret".to_string()));
    let minified = minify_json(SAMPLE_BODY.as_bytes()).expect("valid");
    group.bench_function("floor: sha256(body) + hmac-sha512", |b| {
        b.iter(|| {
            let hash = body_sha256_hex(black_box(&minified));
            let sts = symmetric_string_to_sign(
                "POST",
                "/snap/v1.0/transfer-va/inquiry?lang=id",
                "tokentokentokentokentokentokentokentokentokentoken",
                &hash,
                "2023-11-15T05:13:20+07:00",
            );
            black_box(key.sign(sts.as_bytes()));
        })
    });
    group.bench_function("minify sample body", |b| {
        b.iter(|| black_box(minify_json(black_box(SAMPLE_BODY.as_bytes())).expect("valid")))
    });
    group.finish();
    drop(fake);
}

criterion_group!(benches, signing);
criterion_main!(benches);
