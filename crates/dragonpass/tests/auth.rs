//! The auth type and token sources end to end against the fake (and small wiremock stubs
//! for response shapes the fake does not produce).
#![cfg(feature = "test-util")]

use std::time::{Duration, UNIX_EPOCH};
use tollgate_dragonpass::mock::ConformanceTarget as _;

use base64::Engine as _;
use testkit::conformance::Creds;
use tollgate_dragonpass::DragonPassAuth;
use tollgate_dragonpass::auth_core::{AuthError, ErrorKind, ExposeSecret, ManualClock};
use tollgate_dragonpass::mock::{DragonPassFake, FAKE_ISSUER, FAKE_SECRET};
use tollgate_dragonpass::sign::sign_jwt;
use tollgate_dragonpass::{SelfSignedCredentials, TokenApiCredentials};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: u64 = 1_754_300_000;

fn client(auth: DragonPassAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build()
}

fn claims_of(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).expect("claims part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("b64");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn self_signed_token_is_signed_once_and_reused() {
    let clock = ManualClock::at_unix(NOW);
    let fake = DragonPassFake::start_self_signed(clock.clone()).await;
    let auth = DragonPassAuth::builder()
        .credentials(fake.credentials(Creds::Valid))
        .allow_origin(fake.uri())
        .program_id(fake.program_id())
        .token_lifetime(Duration::from_secs(900))
        .clock(clock.shared())
        .build()
        .expect("auth");
    let c = client(auth.clone());
    for _ in 0..5 {
        let r = c.get(fake.api_url()).send().await.expect("send");
        assert_eq!(r.status(), 200);
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(auth.cache().fetches_started(), 1, "signed once");
    assert_eq!(fake.distinct_tokens_seen(), 1);
    let tok = auth.cache().peek().expect("cached");
    let claims = claims_of(tok.secret().expose_secret());
    assert_eq!(claims["iss"], FAKE_ISSUER);
    assert_eq!(claims["exp"], NOW + 900, "exp = clock + lifetime");
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(NOW + 900))
    );
    assert!(!format!("{auth:?}").contains(FAKE_SECRET));
}

#[tokio::test]
async fn program_id_header_is_sent_verbatim_and_required_by_the_fake() {
    let clock = ManualClock::at_unix(NOW);
    let fake = DragonPassFake::start_self_signed(clock.clone()).await;
    let without = DragonPassAuth::builder()
        .credentials(fake.credentials(Creds::Valid))
        .allow_origin(fake.uri())
        .clock(clock.shared())
        .build()
        .expect("auth");
    let r = client(without)
        .get(fake.api_url())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value =
        serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
    assert_eq!(body["code"], 400);

    let server = MockServer::start().await;
    Mock::given(header("x-program-id", "0000000000000000019"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"code":0,"data":{}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let auth = DragonPassAuth::builder()
        .credentials(fake.credentials(Creds::Valid))
        .allow_origin(fake.uri())
        .program_id("0000000000000000019")
        .allow_origin(server.uri())
        .clock(clock.shared())
        .build()
        .expect("auth");
    let r = client(auth).get(server.uri()).send().await.expect("send");
    assert_eq!(r.status(), 200, "leading zeros kept: the id is a string");
}

#[tokio::test]
async fn fake_rejects_expired_foreign_and_misissued_tokens_with_the_envelope() {
    let clock = ManualClock::at_unix(NOW);
    let fake = DragonPassFake::start_self_signed(clock.clone()).await;
    let http = reqwest::Client::new();
    let send = |token: String| {
        http.get(fake.api_url())
            .bearer_auth(token)
            .header("x-program-id", fake.program_id())
            .send()
    };
    let good = SelfSignedCredentials::hs256(FAKE_ISSUER, FAKE_SECRET).expect("creds");
    let t = sign_jwt(good.key(), good.issuer(), None, NOW + 10).expect("sign");
    assert_eq!(send(t.token.clone()).await.expect("send").status(), 200);
    clock.advance(Duration::from_secs(10));
    let r = send(t.token).await.expect("send");
    assert_eq!(r.status(), 401, "expired by the fake's clock");
    let body: serde_json::Value =
        serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
    assert_eq!(body["code"], 401);
    assert!(body["data"].is_null());

    let other_iss = SelfSignedCredentials::hs256("SOMEONE-ELSE", FAKE_SECRET).expect("creds");
    let t = sign_jwt(other_iss.key(), other_iss.issuer(), None, NOW + 600).expect("sign");
    assert_eq!(send(t.token).await.expect("send").status(), 401);
    let wrong = SelfSignedCredentials::hs256(FAKE_ISSUER, "another-secret").expect("creds");
    let t = sign_jwt(wrong.key(), wrong.issuer(), None, NOW + 600).expect("sign");
    assert_eq!(send(t.token).await.expect("send").status(), 401);
    assert_eq!(send("not.a.jwt".into()).await.expect("send").status(), 401);
}

#[tokio::test]
async fn token_api_errors_are_typed() {
    let clock = ManualClock::at_unix(NOW);
    let fake = DragonPassFake::start(clock.clone()).await;
    let build = |creds: Creds| {
        DragonPassAuth::builder()
            .credentials(fake.credentials(creds))
            .allow_origin(fake.uri())
            .clock(clock.shared())
            .build()
            .expect("auth")
    };
    // Wrong secret: HTTP 401 + envelope → Unauthorized, not retryable, code kept.
    let err = build(Creds::Wrong).token().await.expect_err("wrong secret");
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(err.provider_code(), Some("401"));
    // Outage: HTTP 500 + envelope → ServerError, retryable.
    fake.set_token_endpoint_failing(true);
    let err = build(Creds::Valid).token().await.expect_err("outage");
    assert_eq!(err.kind(), ErrorKind::ServerError, "{err}");
    assert!(err.is_retryable());
    assert_eq!(err.provider_code(), Some("500"));
    fake.set_token_endpoint_failing(false);
    let auth = build(Creds::Valid);
    auth.token().await.expect("token");
    assert_eq!(fake.tokens_issued(), 1);
}

async fn stub(response: ResponseTemplate) -> (MockServer, TokenApiCredentials) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_json(
            serde_json::json!({"clientId": "DragonPass", "secret": "dpSecretKey12345"}),
        ))
        .respond_with(response)
        .expect(1..)
        .mount(&server)
        .await;
    let creds = TokenApiCredentials::new(
        "DragonPass",
        "dpSecretKey12345",
        &format!("{}/token", server.uri()),
    )
    .expect("creds");
    (server, creds)
}

async fn fetch(creds: TokenApiCredentials) -> Result<DragonPassAuth, AuthError> {
    let auth = DragonPassAuth::builder()
        .credentials(creds)
        .allow_origin("https://api.example.com")
        .clock(ManualClock::at_unix(NOW).shared())
        .build()?;
    auth.token().await?;
    Ok(auth)
}

#[tokio::test]
async fn token_api_response_shapes() {
    // data.token, no expiresIn → one hour.
    let (_s, creds) = stub(ResponseTemplate::new(200).set_body_json(
        serde_json::json!({"code": 0, "message": "success", "data": {"token": "abc.def.ghi"}}),
    ))
    .await;
    let auth = fetch(creds).await.expect("data.token");
    let tok = auth.cache().peek().expect("token");
    assert_eq!(tok.secret().expose_secret(), "abc.def.ghi");
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(NOW + 3600))
    );
    // Non-zero code with HTTP 200, message echoing the secret → scrubbed, typed.
    let (_s, creds) = stub(ResponseTemplate::new(200).set_body_json(
        serde_json::json!({"code": 10002, "msg": "secret dpSecretKey12345 is invalid", "data": null}),
    ))
    .await;
    let err = fetch(creds).await.expect_err("code 10002");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.provider_code(), Some("10002"));
    assert!(
        !format!("{err} {err:?}").contains("dpSecretKey12345"),
        "{err}"
    );
    // Success envelope without a token.
    let (_s, creds) = stub(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"code": 0, "data": {"x": 1}})),
    )
    .await;
    let err = fetch(creds).await.expect_err("no token");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    // Gateway HTML on 503 with Retry-After.
    let (_s, creds) = stub(
        ResponseTemplate::new(503)
            .insert_header("retry-after", "7")
            .set_body_string("<html>busy</html>"),
    )
    .await;
    let err = fetch(creds).await.expect_err("503");
    assert_eq!(err.kind(), ErrorKind::ServerError);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn rs256_fake_pins_its_algorithm_and_refuses_hs256_tokens() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let pem = std::fs::read_to_string(format!("{dir}client_rsa_pkcs8.pem")).expect("key");
    let wrong = std::fs::read_to_string(format!("{dir}push_key3_private.pem")).expect("key");
    let clock = ManualClock::at_unix(NOW);
    let fake = DragonPassFake::start_rs256(clock.clone(), &pem, &wrong)
        .await
        .expect("fake");
    let http = reqwest::Client::new();
    let send = |token: String| {
        http.get(fake.api_url())
            .bearer_auth(token)
            .header("x-program-id", fake.program_id())
            .send()
    };
    let rs = SelfSignedCredentials::rs256_pem(FAKE_ISSUER, &pem).expect("creds");
    let t = sign_jwt(rs.key(), rs.issuer(), None, NOW + 600).expect("sign");
    assert_eq!(send(t.token).await.expect("send").status(), 200);
    // A well-formed HS256 token with valid claims, signed with a secret the fake knows,
    // must still be refused: the account is RS256.
    let hs = SelfSignedCredentials::hs256(FAKE_ISSUER, FAKE_SECRET).expect("creds");
    let t = sign_jwt(hs.key(), hs.issuer(), None, NOW + 600).expect("sign");
    assert_eq!(send(t.token).await.expect("send").status(), 401);
}

/// The token API's response shape is not published: a deployment whose answer is, say, an
/// OAuth-style `{"access_token", "expires_in"}` without the envelope plugs its own parser in.
#[tokio::test]
async fn token_api_response_shape_is_pluggable() {
    use tollgate_dragonpass::{TokenResponse, default_token_response};
    let (_s, creds) = stub(ResponseTemplate::new(200).set_body_json(
        serde_json::json!({"access_token": "oauth.style.token", "expires_in": 1800, "token_type": "Bearer"}),
    ))
    .await;
    // The default shape refuses it...
    let err = fetch(creds.clone()).await.expect_err("no envelope");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    // ...a custom parser reads it.
    let auth = DragonPassAuth::builder()
        .credentials(creds.clone())
        .allow_origin("https://api.example.com")
        .clock(ManualClock::at_unix(NOW).shared())
        .token_response(
            |status: http::StatusCode, _h: &http::HeaderMap, body: &[u8]| {
                if !status.is_success() {
                    return Err(AuthError::new(ErrorKind::ServerError, "token API failed"));
                }
                let v: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|_| AuthError::new(ErrorKind::InvalidResponse, "not JSON"))?;
                Ok(TokenResponse {
                    token: v["access_token"].as_str().unwrap_or_default().to_string(),
                    lifetime: Duration::from_secs(v["expires_in"].as_u64().unwrap_or(3600)),
                })
            },
        )
        .build()
        .expect("auth");
    auth.token().await.expect("custom shape");
    let tok = auth.cache().peek().expect("token");
    assert_eq!(tok.secret().expose_secret(), "oauth.style.token");
    assert_eq!(
        tok.expires_at(),
        Some(UNIX_EPOCH + Duration::from_secs(NOW + 1800))
    );
    // A parser's errors are scrubbed of the secret like the default's.
    let auth = DragonPassAuth::builder()
        .credentials(creds.clone())
        .allow_origin("https://api.example.com")
        .clock(ManualClock::at_unix(NOW).shared())
        .token_response(|_: http::StatusCode, _: &http::HeaderMap, _: &[u8]| {
            Err(AuthError::new(
                ErrorKind::Provider,
                "rejected dpSecretKey12345",
            ))
        })
        .build()
        .expect("auth");
    let err = auth.token().await.expect_err("parser error");
    assert!(!err.to_string().contains("dpSecretKey12345"), "{err}");
    // An empty token from a parser is refused rather than cached.
    let auth = DragonPassAuth::builder()
        .credentials(creds)
        .allow_origin("https://api.example.com")
        .clock(ManualClock::at_unix(NOW).shared())
        .token_response(|_: http::StatusCode, _: &http::HeaderMap, _: &[u8]| {
            Ok(TokenResponse {
                token: String::new(),
                lifetime: Duration::from_secs(60),
            })
        })
        .build()
        .expect("auth");
    let err = auth.token().await.expect_err("empty token");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    // The default is reachable for parsers that only adjust it.
    let ok = default_token_response(
        http::StatusCode::OK,
        &http::HeaderMap::new(),
        br#"{"code":0,"data":{"accessToken":"a.b.c"}}"#,
    )
    .expect("default");
    assert_eq!(ok.token, "a.b.c");
}

#[tokio::test]
async fn a_request_chooses_its_program_with_its_own_x_program_id() {
    // A client may hold several program ids: the configured one is the default, and a
    // request that names another keeps it.
    let server = MockServer::start().await;
    Mock::given(path("/v2/a"))
        .and(header("x-program-id", "1111111111111111111"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/v2/b"))
        .and(header("x-program-id", "2222222222222222222"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let creds = SelfSignedCredentials::hs256(FAKE_ISSUER, FAKE_SECRET).expect("creds");
    let auth = DragonPassAuth::builder()
        .credentials(tollgate_dragonpass::DragonPassCredentials::from(creds))
        .allow_origin(server.uri())
        .program_id("1111111111111111111")
        .clock(ManualClock::at_unix(NOW).shared())
        .build()
        .expect("auth");
    let c = client(auth);
    let a = c
        .get(format!("{}/v2/a", server.uri()))
        .send()
        .await
        .expect("a");
    assert_eq!(a.status(), 200, "the default program");
    let b = c
        .get(format!("{}/v2/b", server.uri()))
        .header("X-Program-ID", "2222222222222222222")
        .send()
        .await
        .expect("b");
    assert_eq!(b.status(), 200, "the request's own program");
}
