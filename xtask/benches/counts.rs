//! Instruction-count half of `cargo xtask bench` (a plain binary: `harness = false`).
//!
//! Run under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=counts::counted_region
//! --dump-after=counts::counted_region` (see `xtask/src/counts.rs`): every case runs its work
//! `iters` times inside one call of [`counted_region`], so callgrind writes one profile per
//! case holding exactly that work, and the case's label is printed on stdout in the same
//! order. Everything else — building signers, starting fakes, warming caches and connection
//! pools, the loopback server (another process) — happens outside the counted region.
//!
//! `counts <group> [server-address]` runs one group; `counts serve` runs the loopback HTTP
//! server the `requests` group talks to and prints its address.

#![allow(missing_docs)]

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;

use auth_core::{AuthMiddleware, Signer};
use bytes::Bytes;
use http::Extensions;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use reqwest_middleware::{ClientBuilder, Middleware, Next};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use snap_b2b::sign::{HmacKey, SignatureEncoding, sign_symmetric, symmetric_string_to_sign};

mod common;
use common::{Provider, now};

const BASE: &str = "http://127.0.0.1:9";
const TIMESTAMP: &str = "2026-01-01T00:00:00+07:00";

/// The only function callgrind counts: one call per case.
#[inline(never)]
fn counted_region(work: &mut dyn FnMut()) {
    work();
    black_box(());
}

/// Runs `f` once to warm up, then `iters` times inside the counted region, and announces
/// the case on stdout (the driver pairs the n-th label with callgrind's n-th dump).
fn case(label: &str, iters: u64, mut f: impl FnMut()) {
    f();
    let mut body = || {
        for _ in 0..iters {
            f();
        }
    };
    counted_region(&mut body);
    println!("case\t{label}\t{iters}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

// ---------------------------------------------------------------------------------------
// Warm-cache signing against its floor.

fn cached_token<S: Signer>(p: &Provider<S>, iters: u64) {
    let floor_headers = p.added_headers(BASE);
    let mut req = p.request(BASE);
    case(&format!("sign/{}/sign", p.name), iters, || {
        now(p.signer.sign(black_box(&mut req))).expect("sign");
    });
    let mut req = p.request(BASE);
    case(&format!("sign/{}/floor", p.name), iters, || {
        let h = black_box(&mut req).headers_mut();
        for (n, v) in &floor_headers {
            h.insert(n.clone(), v.clone());
        }
    });
}

fn sign_group() {
    let rt = runtime();
    let dragonpass = rt.block_on(common::dragonpass());
    let v5 = rt.block_on(common::v5());
    let holidu = rt.block_on(common::holidu());
    let snap = rt.block_on(common::snap());
    let gtr_sso = rt.block_on(common::gtr_sso());
    let gtr_app = rt.block_on(common::gtr_app());
    let _cx = rt.enter();
    cached_token(&dragonpass, 2000);
    cached_token(&v5, 2000);
    cached_token(&holidu, 2000);
    cached_token(&gtr_sso, 2000);

    // GTR's app token against one SHA-512 of its string to sign.
    let input = gtr_app
        .signer
        .token_with_nonce("03kadafd039hfa-2dasdf")
        .secret_token_input;
    let mut req = gtr_app.request(BASE);
    case("sign/gtr-app-token/sign", 500, || {
        now(gtr_app.signer.sign(black_box(&mut req))).expect("sign");
    });
    case("sign/gtr-app-token/floor", 500, || {
        black_box(sha2::Sha512::digest(black_box(input.as_bytes())));
    });

    // SNAP's token part: the cached access token as a bearer header.
    let cache = snap.signer.token_cache().expect("symmetric mode");
    let token = now(cache.token()).expect("warm token");
    let bearer = auth_core::bearer_header(&token).expect("bearer");
    let mut req = snap.request(BASE);
    case("sign/snap-token/sign", 2000, || {
        let t = now(cache.token()).expect("token");
        black_box(&mut req).headers_mut().insert(
            http::header::AUTHORIZATION,
            auth_core::bearer_header(&t).expect("bearer"),
        );
    });
    case("sign/snap-token/floor", 2000, || {
        black_box(&mut req)
            .headers_mut()
            .insert(http::header::AUTHORIZATION, bearer.clone());
    });

    // The whole transaction signature of the sample body.
    let body = snap.body.clone().expect("snap body");
    let key = HmacKey::new(&SecretString::from("bench-client-secret".to_string()));
    let minified = snap_b2b::minify_json(&body).expect("json");
    let sts = symmetric_string_to_sign(
        "POST",
        snap.path,
        token.secret().expose_secret(),
        &"0".repeat(64),
        TIMESTAMP,
    );
    let mut req = snap.request(BASE);
    case("sign/snap-txn/sign", 500, || {
        *req.body_mut() = Some(reqwest::Body::from(body.clone()));
        now(snap.signer.sign(black_box(&mut req))).expect("sign");
    });
    case("sign/snap-txn/floor", 500, || {
        *req.body_mut() = Some(reqwest::Body::from(body.clone()));
        black_box(Sha256::digest(black_box(&minified)));
        black_box(key.sign(black_box(sts.as_bytes())));
    });
}

// ---------------------------------------------------------------------------------------
// SNAP bodies, and SNAP signing against kamu-snap-crypto.

fn bodies_group() {
    let key = HmacKey::new(&SecretString::from("bench-client-secret".to_string()));
    let token = "bench-access-token-0123456789abcdef";
    let path = snap_b2b::mock::API_PATH;
    for (label, size, iters) in [
        ("1k", 1usize << 10, 200u64),
        ("64k", 64 << 10, 10),
        ("1m", 1 << 20, 2),
    ] {
        let body = common::json_body(size);
        case(&format!("body/{label}/sign"), iters, || {
            black_box(
                sign_symmetric(
                    &key,
                    "POST",
                    path,
                    token,
                    black_box(&body),
                    TIMESTAMP,
                    SignatureEncoding::Base64,
                )
                .expect("sign"),
            );
        });
        case(&format!("body/{label}/sha256"), iters, || {
            black_box(Sha256::digest(black_box(&body)));
        });
        case(&format!("body/{label}/minify"), iters, || {
            black_box(snap_b2b::minify_json(black_box(&body)).expect("json"));
        });
    }

    // The same job in both libraries: sign an already minified body (kamu-snap-crypto
    // takes the minified bytes; tollgate validates and minifies them again).
    let kamu = kamu_snap_crypto::HmacSigner::new(b"bench-client-secret").expect("kamu key");
    let method = http::Method::POST;
    for (label, body) in [
        (
            "sample",
            snap_b2b::minify_json(snap_b2b::mock::SAMPLE_BODY.as_bytes()).expect("json"),
        ),
        (
            "1k",
            snap_b2b::minify_json(&common::json_body(1 << 10)).expect("json"),
        ),
    ] {
        case(&format!("peer-snap/{label}/tollgate"), 200, || {
            let s = sign_symmetric(
                &key,
                "POST",
                path,
                token,
                black_box(&body),
                TIMESTAMP,
                SignatureEncoding::Base64,
            )
            .expect("sign");
            black_box(s.signature);
        });
        case(&format!("peer-snap/{label}/kamu-snap-crypto"), 200, || {
            let parts = kamu_snap_crypto::snap_bi::ServiceStringToSign {
                method: &method,
                path,
                access_token: token,
                body: black_box(&body),
                timestamp: TIMESTAMP,
            };
            black_box(kamu.sign(parts.build()).to_base64());
        });
    }
}

// ---------------------------------------------------------------------------------------
// JWT minting against jsonwebtoken::encode.

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    exp: u64,
}

fn jwt_group() {
    use jsonwebtoken::{EncodingKey, Header};
    const EXP: u64 = 1_754_303_100;

    // DragonPass: HS256 self-signed.
    let secret = "60B118779DD14B0990692B51BF8B93DC";
    let creds =
        dragonpass::SelfSignedCredentials::hs256("6A909655CF67444A93262A665CDD235F", secret)
            .expect("hs256 creds");
    case("jwt/dragonpass-hs256/tollgate", 500, || {
        black_box(dragonpass::sign::sign_self_signed(&creds, black_box(EXP)).expect("jwt"));
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    let header = Header::new(jsonwebtoken::Algorithm::HS256);
    case("jwt/dragonpass-hs256/jsonwebtoken", 500, || {
        let claims = Claims {
            iss: creds.issuer(),
            iat: None,
            exp: black_box(EXP),
        };
        black_box(jsonwebtoken::encode(&header, &claims, &key).expect("jwt"));
    });

    // Holidu: ES256 with a key id.
    let json = include_str!("../../crates/holidu/tests/vectors/account_info.json");
    let creds = holidu::HoliduCredentials::from_account_info_json(json).expect("holidu creds");
    let pem: serde_json::Value = serde_json::from_str(json).expect("json");
    let pem = pem["privateKey"].as_str().expect("privateKey");
    let lifetime = std::time::Duration::from_secs(3600);
    let mut rng = rand::rngs::OsRng;
    case("jwt/holidu-es256/tollgate", 100, || {
        black_box(
            holidu::sign::mint(&creds, black_box(EXP - 3600), lifetime, &mut rng).expect("jwt"),
        );
    });
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(der)
            .expect("pem body")
    };
    let key = EncodingKey::from_ec_der(&der);
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(creds.key_id().to_string());
    case("jwt/holidu-es256/jsonwebtoken", 100, || {
        let claims = Claims {
            iss: creds.issuer(),
            iat: Some(black_box(EXP - 3600)),
            exp: EXP,
        };
        black_box(jsonwebtoken::encode(&header, &claims, &key).expect("jwt"));
    });
}

// ---------------------------------------------------------------------------------------
// Client-side cost of one request.

/// A middleware that does nothing: the cost of reqwest-middleware's own dispatch.
struct Noop;

#[async_trait::async_trait]
impl Middleware for Noop {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        next.run(req, extensions).await
    }
}

const REQUESTS: u64 = 200;
/// Repetitions of each request case (see `requests_group`).
const REPEATS: usize = 3;

/// One request case: `$client` (a bare client or one with middleware, of either reqwest
/// stack) sends a copy of `$req` and reads the answer, which must be a success. The label
/// carries the repetition (`#<rep>`): the driver keeps each case's fewest instructions.
macro_rules! request_case {
    ($rt:expr, $rep:expr, $label:expr, $client:expr, $req:expr $(,)?) => {
        case(&format!("{}#{}", $label, $rep), REQUESTS, || {
            $rt.block_on(async {
                let r = $client
                    .execute($req.try_clone().expect("clone"))
                    .await
                    .expect("send");
                assert!(r.status().is_success());
                black_box(r.bytes().await.expect("body"));
            })
        })
    };
}

fn request_rows<S: Signer>(
    rep: usize,
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    p: &Provider<S>,
    base: &str,
) {
    let t = p.request(base);
    let noop = ClientBuilder::new(client.clone()).with(Noop).build();
    let signed = ClientBuilder::new(client.clone())
        .with(AuthMiddleware::from_arc(p.signer.clone()))
        .build();
    // The same request with the signer's headers already in it (taken from one signature
    // made outside the counted region): what a hand-written client sends.
    let mut t_pre = p.request(base);
    for (n, v) in p.added_headers(base) {
        t_pre.headers_mut().insert(n, v);
    }
    // Interleaved, so that a slow drift of the process (heap growth) hits every variant.
    request_case!(
        rt,
        rep,
        &format!("request/{}/bare-headers", p.name),
        client,
        &t_pre,
    );
    request_case!(
        rt,
        rep,
        &format!("request/{}/noop-headers", p.name),
        &noop,
        &t_pre,
    );
    request_case!(rt, rep, &format!("request/{}/signed", p.name), &signed, &t);
    // The retry copy alone (part of what `signed` pays over `noop-headers`).
    case(
        &format!("request/{}/retry-copy#{rep}", p.name),
        REQUESTS,
        || {
            black_box(t.try_clone());
        },
    );
}

/// A middleware that does nothing, for reqwest-middleware 0.4 (the aliri side).
struct Noop04;

#[async_trait::async_trait]
impl reqwest_middleware04::Middleware for Noop04 {
    async fn handle(
        &self,
        req: reqwest012::Request,
        extensions: &mut Extensions,
        next: reqwest_middleware04::Next<'_>,
    ) -> reqwest_middleware04::Result<reqwest012::Response> {
        next.run(req, extensions).await
    }
}

/// Bearer middleware with a static token: tollgate's `AuthMiddleware` over a
/// `BearerSigner` on reqwest 0.13 / reqwest-middleware 0.5, and `aliri_reqwest`'s
/// `AccessTokenMiddleware` over a `TokenWatcher` on reqwest 0.12 / reqwest-middleware 0.4 (the
/// stack it supports), each against its own bare client, all on the same loopback server.
fn bearer_peer_rows(
    rep: usize,
    fakes: &tokio::runtime::Runtime,
    rt: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    base: &str,
) {
    let url = format!("{base}/bearer/resource");
    let t = client.get(&url).build().expect("request");
    let signer = Arc::new(auth_core::BearerSigner::new(
        auth_core::TokenCache::new(common::StaticToken),
        Vec::new(),
    ));
    let signed = ClientBuilder::new(client.clone())
        .with(AuthMiddleware::from_arc(signer.clone()))
        .build();
    let noop = ClientBuilder::new(client.clone()).with(Noop).build();

    let client12 = reqwest012::Client::builder().build().expect("client");
    let watcher = fakes
        .block_on(aliri_tokens::TokenWatcher::spawn_from_token_source(
            aliri_tokens::sources::ConstTokenSource::new(common::STATIC_TOKEN)
                .with_token_valid_for(aliri_clock::DurationSecs(86_400)),
            aliri_tokens::jitter::NullJitter,
            aliri_tokens::backoff::ErrorBackoffConfig::default(),
        ))
        .expect("token watcher");
    // `AccessTokenMiddleware` sends its token over HTTPS only by default; the loopback
    // server speaks plain HTTP, so the predicate says yes to every request (as tollgate's
    // `allow_insecure_http` does for its fakes).
    let aliri = reqwest_middleware04::ClientBuilder::new(client12.clone())
        .with(
            aliri_reqwest::AccessTokenMiddleware::new(watcher)
                .with_predicate(predicates::constant::always()),
        )
        .build();
    let noop12 = reqwest_middleware04::ClientBuilder::new(client12.clone())
        .with(Noop04)
        .build();
    let t12 = client12.get(&url).build().expect("request");
    // Open the pooled connection of the second client.
    for _ in 0..20 {
        rt.block_on(async {
            let r = client12
                .execute(t12.try_clone().expect("clone"))
                .await
                .expect("send");
            black_box(r.bytes().await.expect("body"));
        });
    }
    // The server answers 401 to `/bearer/…` requests without an `Authorization` header, so
    // every counted request below (each asserts success) carried its token. The bare clients
    // send the same request with the same header already in it.
    let mut t_with = t.try_clone().expect("clone");
    t_with.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static(common::STATIC_BEARER),
    );
    let mut t12_with = t12.try_clone().expect("clone");
    t12_with.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static(common::STATIC_BEARER),
    );
    let unsigned = rt.block_on(async {
        client12
            .execute(t12.try_clone().expect("clone"))
            .await
            .expect("send")
            .status()
    });
    assert_eq!(
        unsigned, 401,
        "the loopback server must refuse unsigned /bearer requests"
    );

    request_case!(rt, rep, "peer-bearer/tollgate/bare", client, &t_with);
    request_case!(rt, rep, "peer-bearer/tollgate/noop", &noop, &t_with);
    request_case!(rt, rep, "peer-bearer/tollgate/signed", &signed, &t);
    request_case!(rt, rep, "peer-bearer/aliri/bare", client12, &t12_with);
    request_case!(rt, rep, "peer-bearer/aliri/noop", noop12, &t12_with);
    request_case!(rt, rep, "peer-bearer/aliri/signed", aliri, &t12);
}

fn requests_group(addr: &str) {
    let base = format!("http://{addr}");
    // The fakes run on their own runtime; the counted client runs on a current-thread
    // runtime, so everything a request costs on the client side happens on this thread.
    let fakes = runtime();
    let dragonpass = fakes.block_on(common::dragonpass());
    let v5 = fakes.block_on(common::v5());
    let holidu = fakes.block_on(common::holidu());
    let snap = fakes.block_on(common::snap());
    let gtr_sso = fakes.block_on(common::gtr_sso());
    let gtr_app = fakes.block_on(common::gtr_app());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder().build().expect("client");
    // Open the pooled connection.
    let warm = dragonpass.request(&base);
    for _ in 0..20 {
        rt.block_on(async {
            let r = client
                .execute(warm.try_clone().expect("clone"))
                .await
                .expect("send");
            black_box(r.bytes().await.expect("body"));
        });
    }
    // Every case runs REPEATS times, interleaved with the others. What a request costs
    // glibc's allocator depends on the state its earlier requests left (a consolidation
    // of freed chunks costs a few hundred instructions), so the driver keeps each case's
    // fewest instructions: the cost without that bookkeeping, the same for every case.
    for rep in 0..REPEATS {
        request_rows(rep, &rt, &client, &dragonpass, &base);
        request_rows(rep, &rt, &client, &v5, &base);
        request_rows(rep, &rt, &client, &holidu, &base);
        request_rows(rep, &rt, &client, &gtr_sso, &base);
        request_rows(rep, &rt, &client, &gtr_app, &base);
        request_rows(rep, &rt, &client, &snap, &base);
        bearer_peer_rows(rep, &fakes, &rt, &client, &base);
    }
}

// ---------------------------------------------------------------------------------------
// The loopback server (its own process, never counted).

fn serve() {
    let rt = runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<Incoming>| async move {
                    // The bearer peer rows' requests must carry a token.
                    let refused = req.uri().path().starts_with("/bearer")
                        && !req.headers().contains_key(http::header::AUTHORIZATION);
                    let _ = req.into_body().collect().await;
                    let mut resp = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                    if refused {
                        *resp.status_mut() = hyper::StatusCode::UNAUTHORIZED;
                    }
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

/// With xtask's feature `metrics`: a Prometheus recorder as the global recorder, installed
/// before any signer, cache or middleware is built (they register their handles then), so
/// the metrics rows of `cargo xtask bench` count what a service with metrics pays.
#[cfg(feature = "metrics")]
fn install_recorder() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::set_global_recorder(recorder).expect("no recorder installed yet");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[cfg(feature = "metrics")]
    if args.first().is_some_and(|a| a != "serve") {
        install_recorder();
    }
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve"] => serve(),
        ["sign"] => sign_group(),
        ["bodies"] => bodies_group(),
        ["jwt"] => jwt_group(),
        ["requests", addr] => requests_group(addr),
        // `cargo bench` runs every bench binary with `--bench`: nothing to count without
        // valgrind, so say how to run it.
        _ => eprintln!(
            "counts: run through `cargo xtask bench` (groups: sign, bodies, jwt, requests ADDR, serve)"
        ),
    }
}
