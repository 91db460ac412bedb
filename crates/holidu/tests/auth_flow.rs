//! Minting through the cache, the headers on the wire, and the fake's checks.
#![cfg(feature = "test-util")]

use std::time::{Duration, UNIX_EPOCH};

use auth_core::{ErrorKind, ExposeSecret, ManualClock};
use tollgate_holidu::HoliduAuth;
use tollgate_holidu::mock::{CLOCK_LEEWAY, HoliduFake};
use tollgate_holidu::sign::{self, Expectations};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const T0: u64 = 1_700_000_000;

fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let c = token.split('.').nth(1).expect("claims");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .expect("b64");
    serde_json::from_slice(&raw).expect("json")
}

#[tokio::test]
async fn token_is_signed_once_and_reused_until_refresh_ahead() {
    let clock = ManualClock::at_unix(T0);
    let fake = HoliduFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .cache_config(auth_core::CacheConfig::without_jitter())
        .build()
        .expect("auth");
    let first = auth.token().await.expect("token");
    clock.advance(Duration::from_millis(1500));
    let again = auth.token().await.expect("token");
    assert_eq!(
        first.secret().expose_secret(),
        again.secret().expose_secret()
    );
    assert_eq!(auth.cache().fetches_started(), 1);
    let claims = claims_of(first.secret().expose_secret());
    // Issued 60 s in the past (the default iat skew), valid one hour from iat.
    assert_eq!(claims["iat"], T0 - 60);
    assert_eq!(claims["exp"], T0 - 60 + 3600);
    assert_eq!(claims["iss"], "NEW_PARTNER");
    // The cache never keeps it past exp.
    assert_eq!(
        first.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 3540))
    );
    // Inside the 60 s margin a new one is minted in the background.
    clock.set(UNIX_EPOCH + Duration::from_secs(T0 + 3540 - 30));
    let _ = auth.token().await.expect("still valid");
    auth.cache().settle().await;
    assert_eq!(auth.cache().fetches_started(), 2);
    let fresh = auth.cache().peek().expect("fresh");
    assert_eq!(
        claims_of(fresh.secret().expose_secret())["iat"],
        T0 + 3510 - 60
    );
}

#[tokio::test]
async fn iat_is_never_in_the_future() {
    // A clock between seconds: iat rounds down.
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_millis(T0 * 1000 + 999));
    let fake = HoliduFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let tok = auth.token().await.expect("token");
    let claims = claims_of(tok.secret().expose_secret());
    assert_eq!(claims["iat"], T0 - 60);
    assert!(tok.expires_at() <= Some(UNIX_EPOCH + Duration::from_secs(T0 + 3540)));
}

#[tokio::test]
async fn lifetime_is_configurable_and_capped_at_an_hour() {
    let clock = ManualClock::at_unix(T0);
    let fake = HoliduFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .token_lifetime(Duration::from_secs(900))
        .build()
        .expect("auth");
    let tok = auth.token().await.expect("token");
    // exp - iat is the lifetime; iat is 60 s in the past (the default skew).
    assert_eq!(
        claims_of(tok.secret().expose_secret())["exp"],
        T0 - 60 + 900
    );
    for bad in [
        Duration::from_secs(3601),
        Duration::ZERO,
        Duration::from_secs(86_400),
    ] {
        let e = fake
            .auth_builder()
            .token_lifetime(bad)
            .build()
            .expect_err("bad lifetime");
        assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(e.field(), Some("token_lifetime"));
    }
    let e = HoliduAuth::builder().build().expect_err("no credentials");
    assert_eq!(e.field(), Some("credentials"));
}

#[tokio::test]
async fn requests_carry_bearer_and_accept_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let clock = ManualClock::at_unix(T0);
    let fake = HoliduFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .allow_origin(server.uri())
        .clock(clock.shared())
        .build()
        .expect("auth");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    let resp = client
        .get(format!("{}/properties", server.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let reqs = server.received_requests().await.expect("recorded");
    let auth_header = reqs[0].headers.get("authorization").expect("authorization");
    let token = auth_header
        .to_str()
        .expect("ascii")
        .strip_prefix("Bearer ")
        .expect("bearer");
    let creds = fake.credentials();
    let expect = Expectations {
        key_id: creds.key_id(),
        issuer: creds.issuer(),
        now: T0,
        leeway: 0,
    };
    sign::verify(token, creds.verifying_key(), &expect).expect("a valid Holidu JWT");
}

async fn send(fake: &HoliduFake, token: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}/properties", fake.uri()))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(&resp.bytes().await.expect("body")).unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn fake_checks_signature_kid_iss_lifetime_and_clock() {
    let clock = ManualClock::at_unix(T0);
    let fake = HoliduFake::start(clock.clone()).await;
    let good = fake.credentials();
    let mint = |creds: &tollgate_holidu::HoliduCredentials, iat: u64, life: u64| {
        sign::mint(
            creds,
            iat,
            Duration::from_secs(life),
            &mut rand::rngs::OsRng,
        )
        .expect("mint")
        .token
        .expose_secret()
        .to_string()
    };
    assert_eq!(send(&fake, &mint(&good, T0, 3600)).await.0, 200);
    assert_eq!(fake.token_fetches(), 1);

    let other_kid = tollgate_holidu::HoliduCredentials::from_signing_key(
        "another-kid",
        good.issuer(),
        good.signing_key().clone(),
    )
    .expect("creds");
    let other_iss = tollgate_holidu::HoliduCredentials::from_signing_key(
        good.key_id(),
        "SOMEONE_ELSE",
        good.signing_key().clone(),
    )
    .expect("creds");
    // A token valid for more than an hour, signed properly (the minting API refuses it).
    let long = {
        let h = sign::header_json(good.key_id());
        let c = sign::claims_json(good.issuer(), T0, T0 + 3601);
        let input = sign::signing_input(&h, &c);
        let sig =
            sign::sign_es256(good.signing_key(), &input, &mut rand::rngs::OsRng).expect("sig");
        format!("{input}.{}", sign::b64url(&sig))
    };
    let leeway = CLOCK_LEEWAY.as_secs();
    let cases = [
        (
            "wrong key",
            mint(&fake.wrong_credentials(), T0, 3600),
            "bad signature",
        ),
        ("wrong kid", mint(&other_kid, T0, 3600), "kid"),
        ("wrong iss", mint(&other_iss, T0, 3600), "iss"),
        ("over an hour", long, "more than one hour"),
        (
            "iat in the future",
            mint(&good, T0 + leeway + 5, 600),
            "future",
        ),
        ("expired", mint(&good, T0 - 700 - leeway, 600), "expired"),
        ("garbage", "not.a.jwt".to_string(), "JWT rejected"),
    ];
    for (name, token, why) in cases {
        let (status, body) = send(&fake, &token).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(body["status"], 401, "{name}");
        let msg = body["message"].as_str().unwrap_or_default();
        assert!(msg.contains(why), "{name}: {msg}");
    }
    // Refused tokens are not counted.
    assert_eq!(fake.token_fetches(), 1);
}

/// `iat` is issued a configurable skew in the past (default 60 s, as GitHub's app JWTs), so a
/// Holidu clock running behind does not see a token issued in the future; `exp - iat` stays
/// within the one-hour maximum.
#[tokio::test]
async fn tokens_pass_a_verifier_whose_clock_runs_20_s_behind() {
    let clock = ManualClock::at_unix(T0);
    let fake = HoliduFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let tok = auth.token().await.expect("token");
    let creds = fake.credentials();
    let behind = Expectations {
        key_id: creds.key_id(),
        issuer: creds.issuer(),
        now: T0 - 20,
        leeway: 0,
    };
    let claims = sign::verify(tok.secret().expose_secret(), creds.verifying_key(), &behind)
        .expect("a verifier 20 s behind accepts the token");
    assert_eq!(claims.iat, T0 - 60);
    assert!(claims.exp - claims.iat <= 3600);
    assert_eq!(claims.exp, T0 - 60 + 3600);
    // The cache never holds it past exp.
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 3540))
    );

    // Configurable: no skew gives iat = now; a larger one is taken from the lifetime.
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .iat_skew(Duration::ZERO)
        .build()
        .expect("auth");
    let claims = claims_of(auth.token().await.expect("token").secret().expose_secret());
    assert_eq!(
        (claims["iat"].as_u64(), claims["exp"].as_u64()),
        (Some(T0), Some(T0 + 3600))
    );
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .iat_skew(Duration::from_secs(300))
        .token_lifetime(Duration::from_secs(1800))
        .build()
        .expect("auth");
    let claims = claims_of(auth.token().await.expect("token").secret().expose_secret());
    assert_eq!(
        (claims["iat"].as_u64(), claims["exp"].as_u64()),
        (Some(T0 - 300), Some(T0 + 1500))
    );
    // A skew that would leave no validity, or an absurd one, is refused.
    for (skew, life) in [(600u64, 600u64), (601, 3600)] {
        let err = fake
            .auth_builder()
            .iat_skew(Duration::from_secs(skew))
            .token_lifetime(Duration::from_secs(life))
            .build()
            .expect_err("bad skew");
        assert_eq!(err.field(), Some("iat_skew"), "{skew}/{life}");
    }
}

#[test]
fn the_default_scope_signs_the_current_host_and_the_old_one() {
    let fake_key = tollgate_holidu::mock::PRIVATE_KEY_PEM;
    let creds = tollgate_holidu::HoliduCredentials::new(
        tollgate_holidu::mock::KEY_ID,
        tollgate_holidu::mock::ISSUER,
        fake_key,
        None,
    )
    .expect("credentials");
    let auth = tollgate_holidu::HoliduAuth::builder()
        .credentials(creds)
        .build()
        .expect("auth");
    // The current Bookiply Channel API pages use chapi.bookiply.com; older ones
    // chapi.bookiplyholidu.com. A user following either must get signed requests.
    for url in [
        "https://chapi.bookiply.com/properties",
        "https://chapi.bookiplyholidu.com/properties",
    ] {
        assert!(auth.scope().allows(&url.parse().expect("url")), "{url}");
    }
    assert_eq!(
        tollgate_holidu::DEFAULT_BASE_URL,
        "https://chapi.bookiply.com"
    );
    assert!(
        !auth
            .scope()
            .allows(&"https://bookiply.com/".parse().expect("url"))
    );
}
