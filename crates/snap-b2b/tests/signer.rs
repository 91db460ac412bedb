//! The signer against the fake and against independent recomputation of each setting.
#![cfg(feature = "test-util")]

use std::time::Duration;
use tollgate_snap_b2b::mock::ConformanceTarget as _;

use auth_core::{ErrorKind, ExposeSecret, ManualClock, SecretString, Signer};
use http::StatusCode;
use tollgate_snap_b2b::GrantTypeField;
use tollgate_snap_b2b::minify_json;
use tollgate_snap_b2b::mock::{CLIENT_KEY, SAMPLE_BODY, SnapFake, TOKEN_LIFETIME};
use tollgate_snap_b2b::sign::{
    EndpointUrlMode, HmacKey, SignatureEncoding, asymmetric_string_to_sign, body_sha256_hex,
    symmetric_string_to_sign,
};
use tollgate_snap_b2b::{Profile, SnapAuth, TransactionSigning};
use tollgate_snap_b2b::{TimestampFormat, Zone};

const START: u64 = 1_709_271_296; // 2024-03-01T12:34:56+07:00

fn request(url: &str, body: Option<&str>) -> reqwest::Request {
    let mut req = reqwest::Request::new(reqwest::Method::POST, url.parse().expect("url"));
    if let Some(b) = body {
        *req.body_mut() = Some(b.to_string().into());
    }
    req
}

fn header<'a>(req: &'a reqwest::Request, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .expect("ascii")
}

fn client(auth: SnapAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build()
}

#[tokio::test]
async fn sign_replaces_body_and_sets_every_header() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let url = format!("{}?b=2&a=1", fake.api_url());
    let mut req = request(&url, Some(SAMPLE_BODY));
    req.headers_mut()
        .insert("content-length", "9999".parse().expect("hv"));
    let receipt = auth.sign(&mut req).await.expect("sign");
    let token = receipt.token().expect("symmetric mode has a token");

    let sent = req
        .body()
        .and_then(|b| b.as_bytes())
        .expect("in-memory body");
    let minified = minify_json(SAMPLE_BODY.as_bytes()).expect("valid");
    assert_eq!(
        sent,
        minified.as_slice(),
        "the request carries the minified bytes"
    );
    assert!(
        req.headers().get("content-length").is_none(),
        "stale length dropped"
    );

    let ts = header(&req, "x-timestamp");
    assert_eq!(ts, "2024-03-01T12:34:56+07:00");
    let sts = symmetric_string_to_sign(
        "POST",
        "/snap/v1.0/transfer-va/inquiry?b=2&a=1",
        token.secret().expose_secret(),
        &body_sha256_hex(sent),
        ts,
    );
    let secret = SecretString::from("fake-client-secret-5f2b9c0e7d1a4b38".to_string());
    let expected = SignatureEncoding::Base64.encode(&HmacKey::new(&secret).sign(sts.as_bytes()));
    assert_eq!(header(&req, "x-signature"), expected);
    assert_eq!(
        header(&req, "authorization"),
        format!("Bearer {}", token.secret().expose_secret())
    );
    assert_eq!(header(&req, "x-partner-id"), CLIENT_KEY);
    assert_eq!(header(&req, "channel-id"), "95221");
    assert_eq!(header(&req, "content-type"), "application/json");
    let ext = header(&req, "x-external-id");
    assert_eq!(ext.len(), 32);
    assert!(ext.bytes().all(|b| b.is_ascii_digit()));

    // Signing a signed request again is refused: it would go out with the same
    // X-EXTERNAL-ID (the middleware's own retry signs a copy of the unsigned request).
    clock.advance(Duration::from_secs(1));
    let before = ext.to_string();
    let err = auth.sign(&mut req).await.expect_err("signed twice");
    assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);
    assert_eq!(header(&req, "x-external-id"), before);
    assert_eq!(header(&req, "x-timestamp"), "2024-03-01T12:34:56+07:00");
}

#[tokio::test]
async fn user_headers_override_and_duplicate_external_id_is_409() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let c = client(fake.auth_builder(fake.credentials()).build().expect("auth"));
    let send = |id: &'static str| {
        c.post(fake.api_url())
            .header("X-EXTERNAL-ID", id)
            .header("CHANNEL-ID", "95051")
            .body(SAMPLE_BODY)
            .send()
    };
    let first = send("123456789").await.expect("send");
    assert_eq!(first.status(), StatusCode::OK);
    let dup = send("123456789").await.expect("send");
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let body: serde_json::Value =
        serde_json::from_slice(&dup.bytes().await.expect("body")).expect("json");
    assert_eq!(body["responseCode"], "4092400");
    // The same id is fine again the next (Jakarta) day.
    clock.advance(Duration::from_secs(86_400));
    assert_eq!(
        send("123456789").await.expect("send").status(),
        StatusCode::OK
    );
    // Generated ids never collide.
    for _ in 0..20 {
        let r = c
            .post(fake.api_url())
            .body(SAMPLE_BODY)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn fake_rejects_tampering_expired_tokens_and_stale_timestamps() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let raw = reqwest::Client::new();
    let code = |resp: reqwest::Response| async move {
        let status = resp.status();
        let v: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
        (
            status.as_u16(),
            v["responseCode"].as_str().unwrap_or("").to_string(),
        )
    };

    // A correctly signed request is accepted as sent.
    let signed = || async {
        let mut req = request(&fake.api_url(), Some(SAMPLE_BODY));
        auth.sign(&mut req).await.expect("sign");
        req
    };
    let ok = raw.execute(signed().await).await.expect("send");
    assert_eq!(code(ok).await, (200, "2002400".into()));

    // Body content changed after signing: signature fails.
    let mut req = signed().await;
    *req.body_mut() = Some(SAMPLE_BODY.replace("0001", "0002").into());
    let r = raw.execute(req).await.expect("send");
    assert_eq!(code(r).await, (401, "4012400".into()));

    // The pretty body sent for the minified body hashed: the fake minifies what it
    // receives before hashing, as a bank does, and accepts it.
    let mut req = signed().await;
    *req.body_mut() = Some(SAMPLE_BODY.into());
    let r = raw.execute(req).await.expect("send");
    assert_eq!(code(r).await, (200, "2002400".into()));

    // Query changed after signing.
    let mut req = signed().await;
    req.url_mut().set_query(Some("x=1"));
    let r = raw.execute(req).await.expect("send");
    assert_eq!(code(r).await, (401, "4012400".into()));

    // Signed long ago: timestamp outside the window (token still valid).
    let req = signed().await;
    clock.advance(Duration::from_secs(301));
    let r = raw.execute(req).await.expect("send");
    assert_eq!(code(r).await, (401, "4012400".into()));

    // Token expired by the fake's clock → 401xx01.
    let req = signed().await;
    clock.advance(TOKEN_LIFETIME);
    let r = raw.execute(req).await.expect("send");
    assert_eq!(code(r).await, (401, "4012401".into()));

    // Token endpoint: stale timestamp and a wrong key both give 4017300.
    let wrong = fake
        .auth_builder(fake.wrong_credentials())
        .build()
        .expect("auth");
    let err = wrong
        .sign(&mut request(&fake.api_url(), Some("{}")))
        .await
        .expect_err("wrong key");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.provider_code(), Some("4017300"));
    assert!(!err.is_retryable());
    let skewed = ManualClock::at_unix(START + 10_000);
    let skewed_auth = SnapAuth::builder()
        .credentials(fake.credentials())
        .base_url(fake.base_url())
        .clock(skewed.shared())
        .build()
        .expect("auth");
    let err = skewed_auth
        .sign(&mut request(&fake.api_url(), Some("{}")))
        .await
        .expect_err("clock skew");
    assert_eq!(err.provider_code(), Some("4017300"));

    // Outage: 5007300 with HTTP 500, retryable.
    fake.set_token_endpoint_failing(true);
    let fresh = fake.auth_builder(fake.credentials()).build().expect("auth");
    let err = fresh
        .sign(&mut request(&fake.api_url(), Some("{}")))
        .await
        .expect_err("outage");
    assert_eq!(err.kind(), ErrorKind::ServerError);
    assert!(err.is_retryable());
    assert_eq!(err.provider_code(), Some("5007300"));
}

#[tokio::test]
async fn rejected_token_is_refreshed_once_by_the_middleware() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let c = client(fake.auth_builder(fake.credentials()).build().expect("auth"));
    let ok = c
        .post(fake.api_url())
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), StatusCode::OK);
    fake.reject_next_api_calls(1);
    let ok = c
        .post(fake.api_url())
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(fake.token_fetches(), 2);
    assert_eq!(fake.api_calls(), 3);
    // Within the rejection cooldown a second rejected token is not refetched: one call.
    fake.reject_next_api_calls(1);
    let r = c
        .post(fake.api_url())
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fake.api_calls(), 4);
    assert_eq!(fake.token_fetches(), 2);
    // After it, rejected twice in a row: one retry, then the caller sees the 401, no loop.
    clock.advance(std::time::Duration::from_secs(10));
    fake.reject_next_api_calls(2);
    let r = c
        .post(fake.api_url())
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fake.api_calls(), 6);
    assert_eq!(fake.token_fetches(), 3);
}

#[tokio::test]
async fn invalid_json_and_streaming_bodies_are_refused() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let err = auth
        .sign(&mut request(&fake.api_url(), Some("{\"a\":1,}")))
        .await
        .expect_err("invalid JSON");
    assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);
    assert!(err.to_string().contains("not valid JSON"), "{err}");

    let mut req = request(&fake.api_url(), None);
    let streaming = http_body_util::Full::new(bytes::Bytes::from("{}"));
    *req.body_mut() = Some(reqwest::Body::wrap(streaming));
    let err = auth.sign(&mut req).await.expect_err("stream");
    assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);

    // No body at all: hashes the empty string and is accepted.
    let mut req = reqwest::Request::new(
        reqwest::Method::GET,
        format!("{}?accountNo=1", fake.api_url())
            .parse()
            .expect("url"),
    );
    auth.sign(&mut req).await.expect("sign");
    assert!(req.body().is_none());
    let r = reqwest::Client::new().execute(req).await.expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn settings_change_exactly_what_they_should() {
    let clock = ManualClock::at_unix(START);
    clock.advance(Duration::from_millis(789));
    let fake = SnapFake::start(clock.clone()).await;
    // Token endpoint accepting grant_type and hex signatures is provider-specific; the fake
    // is strict, so check these settings on the wire with a capture server instead.
    let capture = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "responseCode": "2007300",
                "accessToken": "tok-123",
                "tokenType": "Bearer",
                "expiresIn": 900,
            })),
        )
        .mount(&capture)
        .await;
    let auth = SnapAuth::builder()
        .credentials(fake.credentials())
        .base_url(format!("{}/api/", capture.uri()))
        .profile({
            let mut p = Profile::aspi();
            p.token_path = "v2.0/token".to_string();
            p.timestamp = TimestampFormat {
                zone: Zone::Utc,
                millis: true,
            };
            p.endpoint_url = EndpointUrlMode::PathOnly;
            p.grant_type = GrantTypeField::SnakeCase;
            p.signature_encoding = SignatureEncoding::Hex;
            p.token_signature_encoding = SignatureEncoding::Hex;
            p
        })
        .clock(clock.shared())
        .build()
        .expect("auth");
    let mut req = request(&format!("{}/x/y?q=1", capture.uri()), Some("[ 1 ]"));
    auth.sign(&mut req).await.expect("sign");
    let token_req = &capture.received_requests().await.expect("recorded")[0];
    assert_eq!(token_req.url.path(), "/api/v2.0/token");
    assert_eq!(token_req.body, br#"{"grant_type":"client_credentials"}"#);
    let token_ts = token_req.headers["x-timestamp"].to_str().expect("ascii");
    assert_eq!(token_ts, "2024-03-01T05:34:56.789Z");
    let token_sig = token_req.headers["x-signature"].to_str().expect("ascii");
    assert_eq!(token_sig.len(), 512, "hex RSA-2048 signature");
    let signed = format!("{CLIENT_KEY}|{token_ts}");
    let pubkey = fake.credentials().private_key().public_key().clone();
    assert!(pubkey.verify(signed.as_bytes(), &hex::decode(token_sig).expect("hex")));

    let ts = header(&req, "x-timestamp");
    assert_eq!(ts, "2024-03-01T05:34:56.789Z");
    let sts = symmetric_string_to_sign("POST", "/x/y", "tok-123", &body_sha256_hex(b"[1]"), ts);
    let secret = SecretString::from("fake-client-secret-5f2b9c0e7d1a4b38".to_string());
    assert_eq!(
        header(&req, "x-signature"),
        hex::encode(HmacKey::new(&secret).sign(sts.as_bytes()))
    );
}

#[tokio::test]
async fn asymmetric_signing_needs_no_token() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let auth = fake
        .auth_builder(fake.credentials())
        .transaction_signing(TransactionSigning::Asymmetric)
        .build()
        .expect("auth");
    assert!(auth.token_cache().is_none());
    let mut req = request(&fake.api_url(), Some(SAMPLE_BODY));
    let receipt = auth.sign(&mut req).await.expect("sign");
    assert!(receipt.token().is_none());
    assert!(req.headers().get("authorization").is_none());
    let ts = header(&req, "x-timestamp").to_string();
    let minified = minify_json(SAMPLE_BODY.as_bytes()).expect("valid");
    let sts = asymmetric_string_to_sign(
        "POST",
        "/snap/v1.0/transfer-va/inquiry",
        &body_sha256_hex(&minified),
        &ts,
    );
    let sig = SignatureEncoding::Base64
        .decode(header(&req, "x-signature"))
        .expect("b64");
    let pubkey = fake.credentials().private_key().public_key().clone();
    assert!(pubkey.verify(sts.as_bytes(), &sig));
    let r = reqwest::Client::new().execute(req).await.expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(fake.token_fetches(), 0);

    // Without a secret, symmetric mode cannot be built; asymmetric can.
    let no_secret = tollgate_snap_b2b::SnapCredentials::builder()
        .client_key(CLIENT_KEY)
        .private_key(fake.credentials().private_key().clone())
        .channel_id("1")
        .build()
        .expect("creds");
    let err = SnapAuth::builder()
        .credentials(no_secret.clone())
        .base_url(fake.base_url())
        .build()
        .expect_err("needs secret");
    assert_eq!(err.field(), Some("client_secret"));
    // Without a base URL there is no origin to sign for: refused, naming the field.
    let err = SnapAuth::builder()
        .credentials(no_secret.clone())
        .transaction_signing(TransactionSigning::Asymmetric)
        .build()
        .expect_err("no origin");
    assert_eq!(err.field(), Some("base_url"));
    assert!(
        SnapAuth::builder()
            .credentials(no_secret)
            .transaction_signing(TransactionSigning::Asymmetric)
            .base_url(fake.base_url())
            .build()
            .is_ok()
    );
}

#[test]
fn mock_keys_match_the_vector_keys() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
    for name in [
        "client_private_pkcs8.pem",
        "client_public.pem",
        "wrong_private_pkcs8.pem",
        "provider_private_pkcs8.pem",
        "provider_public.pem",
    ] {
        let a = std::fs::read(format!("{dir}src/mock_keys/{name}")).expect("mock key");
        let b = std::fs::read(format!("{dir}tests/vectors/keys/{name}")).expect("vector key");
        assert_eq!(a, b, "{name} differs between the fake and the vectors");
    }
}

#[tokio::test]
async fn builder_validates_urls() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    for (base, what) in [
        (None, "missing"),
        (Some("not a url"), "bad"),
        (Some("ftp://x/"), "scheme"),
    ] {
        let mut b = SnapAuth::builder().credentials(fake.credentials());
        if let Some(u) = base {
            b = b.base_url(u);
        }
        let err = b.build().expect_err(what);
        assert_eq!(err.field(), Some("base_url"), "{what}");
    }
    let dbg = format!(
        "{:?}",
        fake.auth_builder(fake.credentials()).build().expect("ok")
    );
    assert!(!dbg.contains("fake-client-secret"));
}

#[tokio::test]
async fn origin_and_user_set_headers() {
    let clock = ManualClock::at_unix(START);
    let fake = SnapFake::start(clock.clone()).await;
    let creds = tollgate_snap_b2b::SnapCredentials::builder()
        .client_key(CLIENT_KEY)
        .client_secret("fake-client-secret-5f2b9c0e7d1a4b38")
        .private_key(fake.credentials().private_key().clone())
        .channel_id("95221")
        .origin("merchant.example")
        .build()
        .expect("creds");
    let auth = fake.auth_builder(creds).build().expect("auth");
    let mut req = request(&fake.api_url(), Some("{}"));
    auth.sign(&mut req).await.expect("sign");
    assert_eq!(header(&req, "origin"), "merchant.example");

    let mut req = request(&fake.api_url(), Some("{}"));
    for (name, value) in [
        ("origin", "other.example"),
        ("channel-id", "95051"),
        ("x-partner-id", "P-OTHER"),
        ("x-external-id", "42"),
        ("content-type", "application/json; charset=utf-8"),
    ] {
        req.headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    auth.sign(&mut req).await.expect("sign");
    assert_eq!(header(&req, "origin"), "other.example");
    assert_eq!(header(&req, "channel-id"), "95051");
    assert_eq!(header(&req, "x-partner-id"), "P-OTHER");
    assert_eq!(header(&req, "x-external-id"), "42");
    assert_eq!(
        header(&req, "content-type"),
        "application/json; charset=utf-8"
    );
}
