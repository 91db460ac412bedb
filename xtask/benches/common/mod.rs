//! The providers as the benches behind `cargo xtask bench` see them: each fake started on a
//! manual clock, a signer whose cache is warm, and a way to build a cold one.

#![allow(dead_code)] // each bench binary uses part of this module

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use auth_core::{CacheConfig, ManualClock, Signer};
use futures::FutureExt;
use http::{HeaderName, HeaderValue};

/// The token [`StaticToken`] hands out.
pub(crate) const STATIC_TOKEN: &str = "bench-static-access-token-0123456789abcdef";

/// `Authorization: Bearer` [`STATIC_TOKEN`], as a hand-written client would send it.
pub(crate) const STATIC_BEARER: &str = "Bearer bench-static-access-token-0123456789abcdef";

/// A token source handing out [`STATIC_TOKEN`], valid for a day: for the rows that measure
/// the warm path and the middleware, not a provider.
pub(crate) struct StaticToken;

impl auth_core::TokenSource for StaticToken {
    async fn fetch(
        &self,
        _: &auth_core::FetchContext,
    ) -> Result<auth_core::FetchedToken, auth_core::AuthError> {
        Ok(auth_core::FetchedToken::new(
            STATIC_TOKEN,
            std::time::Duration::from_secs(86_400),
        ))
    }
}

/// A cold signer and the token fetches its cache has started.
pub(crate) struct Cold<S> {
    /// A signer with an empty cache.
    pub signer: S,
    /// Fetches (token endpoint calls or local JWT mints) its cache has started.
    pub fetches: Box<dyn Fn(&S) -> u64>,
}

/// One provider, ready to sign.
pub(crate) struct Provider<S: Signer> {
    /// Name in the tables.
    pub name: &'static str,
    /// A signer whose cache holds a valid token.
    pub signer: Arc<S>,
    /// Builds a signer with a cold cache against the same fake.
    pub cold: Box<dyn Fn() -> Cold<S>>,
    /// The method requests use.
    pub method: reqwest::Method,
    /// The body requests carry (SNAP signs a JSON body).
    pub body: Option<bytes::Bytes>,
    /// Path (and query) of the request.
    pub path: &'static str,
    /// Whether the signer caches a fetched token (GTR's app token is computed per request).
    pub has_token: bool,
    /// The fake, kept alive as long as the signer may fetch from it.
    _fake: Box<dyn Any>,
}

impl<S: Signer> Provider<S> {
    /// The request this provider signs in the benches, aimed at `base` (scheme://host:port).
    pub(crate) fn request(&self, base: &str) -> reqwest::Request {
        let url: url::Url = format!("{base}{}", self.path).parse().expect("bench url");
        let mut req = reqwest::Request::new(self.method.clone(), url);
        if let Some(b) = &self.body {
            *req.body_mut() = Some(reqwest::Body::from(b.clone()));
        }
        req
    }

    /// The headers signing adds to [`request`](Self::request), precomputed: the floor a
    /// signer with nothing to compute per request would pay is inserting clones of these.
    pub(crate) fn added_headers(&self, base: &str) -> Vec<(HeaderName, HeaderValue)> {
        let plain = self.request(base);
        let mut signed = self.request(base);
        now(self.signer.sign(&mut signed)).expect("sign");
        signed
            .headers()
            .iter()
            .filter(|(n, _)| !plain.headers().contains_key(*n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }
}

/// Polls a future that must be ready at once (a warm-cache signature never waits). Must run
/// inside a Tokio runtime context (`rt.enter()`), as the token cache expects.
pub(crate) fn now<F: Future>(f: F) -> F::Output {
    f.now_or_never()
        .expect("a warm-cache signature completes without waiting")
}

/// A clock at the real current time, so that tokens minted by the fakes stay valid for the
/// whole run whichever clock (manual or system) reads them.
pub(crate) fn clock() -> ManualClock {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time after 1970")
        .as_secs();
    ManualClock::at_unix(now)
}

fn cache() -> CacheConfig {
    CacheConfig::without_jitter()
}

pub(crate) async fn dragonpass()
-> Provider<auth_core::BearerSigner<dragonpass::DragonPassTokenSource>> {
    use dragonpass::DragonPassAuth;
    use dragonpass::mock::{API_PATH, DragonPassFake, FAKE_PROGRAM_ID};
    let clock = clock();
    let fake = Arc::new(DragonPassFake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            DragonPassAuth::builder()
                .credentials(fake.credentials(testkit::conformance::Creds::Valid))
                .allow_origin(fake.uri())
                .program_id(FAKE_PROGRAM_ID)
                .clock(clock.shared())
                .cache_config(cache())
                .build()
                .expect("dragonpass auth")
                .signer()
                .clone()
        }
    };
    let signer = make();
    signer.cache().token().await.expect("warm dragonpass");
    Provider {
        name: "dragonpass",
        signer: Arc::new(signer),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(
                |s: &auth_core::BearerSigner<dragonpass::DragonPassTokenSource>| {
                    s.cache().fetches_started()
                },
            ),
        }),
        method: reqwest::Method::GET,
        body: None,
        path: API_PATH,
        has_token: true,
        _fake: Box::new(fake),
    }
}

pub(crate) async fn v5() -> Provider<auth_core::BearerSigner<v5_openapi::V5TokenSource>> {
    use v5_openapi::mock::V5Fake;
    let clock = clock();
    let fake = Arc::new(V5Fake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            fake.auth_builder()
                .clock(clock.shared())
                .cache_config(cache())
                .build()
                .expect("v5 auth")
                .signer()
                .clone()
        }
    };
    let signer = make();
    signer.cache().token().await.expect("warm v5");
    Provider {
        name: "v5-openapi",
        signer: Arc::new(signer),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(|s: &auth_core::BearerSigner<v5_openapi::V5TokenSource>| {
                s.cache().fetches_started()
            }),
        }),
        method: reqwest::Method::GET,
        body: None,
        path: "/api/v5/anything",
        has_token: true,
        _fake: Box::new(fake),
    }
}

pub(crate) async fn holidu() -> Provider<auth_core::BearerSigner<holidu::JwtSource>> {
    use holidu::mock::HoliduFake;
    let clock = clock();
    let fake = Arc::new(HoliduFake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            fake.auth_builder()
                .clock(clock.shared())
                .cache_config(cache())
                .build()
                .expect("holidu auth")
                .signer()
                .clone()
        }
    };
    let signer = make();
    signer.cache().token().await.expect("warm holidu");
    Provider {
        name: "holidu",
        signer: Arc::new(signer),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(|s: &auth_core::BearerSigner<holidu::JwtSource>| {
                s.cache().fetches_started()
            }),
        }),
        method: reqwest::Method::GET,
        body: None,
        path: "/properties",
        has_token: true,
        _fake: Box::new(fake),
    }
}

/// SNAP B2B in symmetric mode (cached access token + HMAC-SHA512 per transaction).
pub(crate) async fn snap() -> Provider<snap_b2b::SnapAuth> {
    use snap_b2b::mock::{API_PATH, SAMPLE_BODY, SnapFake};
    let clock = clock();
    let fake = Arc::new(SnapFake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            fake.auth_builder(fake.credentials())
                .clock(clock.shared())
                .cache_config(cache())
                .build()
                .expect("snap auth")
        }
    };
    let signer = make();
    signer
        .token_cache()
        .expect("symmetric mode has a token cache")
        .token()
        .await
        .expect("warm snap");
    Provider {
        name: "snap-b2b",
        signer: Arc::new(signer),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(|s: &snap_b2b::SnapAuth| {
                s.token_cache().map_or(0, |c| c.fetches_started())
            }),
        }),
        method: reqwest::Method::POST,
        body: Some(bytes::Bytes::from_static(SAMPLE_BODY.as_bytes())),
        path: API_PATH,
        has_token: true,
        _fake: Box::new(fake),
    }
}

/// GTR in SSO mode: a JWT from the login endpoint, cached, sent as a bearer.
pub(crate) async fn gtr_sso() -> Provider<auth_core::BearerSigner<gtr::LoginSource>> {
    use gtr::SsoAuth;
    use gtr::mock::GtrFake;
    let clock = clock();
    let fake = Arc::new(GtrFake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            SsoAuth::builder()
                .credentials(fake.credentials())
                .base_url(fake.uri())
                .http_client(fake.http_client_builder().expect("gtr client"))
                .clock(clock.shared())
                .cache_config(cache())
                .build()
                .expect("gtr sso auth")
                .signer()
                .clone()
        }
    };
    let signer = make();
    signer.cache().token().await.expect("warm gtr sso");
    Provider {
        name: "gtr-sso",
        signer: Arc::new(signer),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(|s: &auth_core::BearerSigner<gtr::LoginSource>| {
                s.cache().fetches_started()
            }),
        }),
        method: reqwest::Method::GET,
        body: None,
        path: "/api/vasp/list",
        has_token: true,
        _fake: Box::new(fake),
    }
}

/// GTR's app token: a fresh nonce, timestamp and SHA-512 per request, nothing cached.
pub(crate) async fn gtr_app() -> Provider<gtr::AppTokenAuth> {
    use gtr::AppTokenAuth;
    use gtr::mock::GtrFake;
    let clock = clock();
    let fake = Arc::new(GtrFake::start(clock.clone()).await);
    let make = {
        let fake = fake.clone();
        move || {
            AppTokenAuth::builder()
                .credentials(fake.credentials())
                .base_url(fake.uri())
                .clock(clock.shared())
                .build()
                .expect("gtr app token auth")
        }
    };
    Provider {
        name: "gtr-app-token",
        signer: Arc::new(make()),
        cold: Box::new(move || Cold {
            signer: make(),
            fetches: Box::new(|_: &AppTokenAuth| 0),
        }),
        method: reqwest::Method::GET,
        body: None,
        path: "/api/vasp/list",
        has_token: false,
        _fake: Box::new(fake),
    }
}

/// A pretty-printed JSON document of at least `size` bytes (the shape of a SNAP payload,
/// indented as a client library would send it).
pub(crate) fn json_body(size: usize) -> Vec<u8> {
    let mut s = String::from("{\n  \"partnerServiceId\": \"   12345\",\n  \"items\": [\n");
    let mut i = 0u32;
    while s.len() < size {
        if i > 0 {
            s.push_str(",\n");
        }
        s.push_str(&format!(
            "    {{\n      \"customerNo\": \"{i:012}\",\n      \"virtualAccountName\": \"Jokul Doe {i}\",\n      \"amount\": {{ \"value\": \"{}.00\", \"currency\": \"IDR\" }},\n      \"paid\": false\n    }}",
            10_000 + i
        ));
        i += 1;
    }
    s.push_str("\n  ]\n}\n");
    s.into_bytes()
}
