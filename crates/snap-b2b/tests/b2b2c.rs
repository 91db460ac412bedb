//! B2B2C edges: the customer marker never leaves for a server the signer does not sign
//! for, and the customer token endpoint follows auth-core's endpoint rules.
#![cfg(feature = "test-util")]

use auth_core::{AuthError, ErrorKind, ManualClock, SkipAuth};
use tollgate_snap_b2b::mock::{CONFORMANCE_CUSTOMER, SAMPLE_BODY, SnapFake};
use tollgate_snap_b2b::{CUSTOMER_ID, CustomerTokens, SnapCredentials, SnapPrivateKey};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");

fn client(auth: tollgate_snap_b2b::SnapAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build()
}

async fn elsewhere() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn customer_marker_is_never_sent_unsigned() {
    let clock = ManualClock::at_unix(1_709_271_296);
    let fake = SnapFake::start_b2b2c(clock).await.expect("fake");
    let tokens = fake.customer_tokens().expect("customers").clone();
    let auth = fake
        .auth_builder(fake.credentials())
        .customer_tokens(tokens)
        .build()
        .expect("auth");
    let http = client(auth);
    let other = elsewhere().await;

    // In scope: the marker becomes Authorization-Customer and the fake accepts the call.
    let resp = http
        .post(fake.api_url())
        .header(CUSTOMER_ID, CONFORMANCE_CUSTOMER)
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);

    // Another origin, or SkipAuth: refused before anything is sent.
    let err = http
        .post(format!("{}/v1.0/anything", other.uri()))
        .header(CUSTOMER_ID, CONFORMANCE_CUSTOMER)
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect_err("refused");
    let ae = AuthError::from_middleware(&err).expect("typed");
    assert_eq!(ae.kind(), ErrorKind::UnsupportedRequest);
    let err = http
        .post(fake.api_url())
        .with_extension(SkipAuth)
        .header(CUSTOMER_ID, CONFORMANCE_CUSTOMER)
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        AuthError::from_middleware(&err).expect("typed").kind(),
        ErrorKind::UnsupportedRequest
    );
    assert!(
        other
            .received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "nothing reached the other server"
    );
    // Without the marker, the other origin is called unsigned as before.
    let resp = http
        .post(format!("{}/v1.0/anything", other.uri()))
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let received = other.received_requests().await.expect("recording");
    assert_eq!(received.len(), 1);
    assert!(!received[0].headers.contains_key("x-signature"));
}

#[tokio::test]
async fn customer_marker_without_customer_tokens_is_refused() {
    let clock = ManualClock::at_unix(1_709_271_296);
    let fake = SnapFake::start(clock).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let err = client(auth)
        .post(fake.api_url())
        .header(CUSTOMER_ID, "customer-42")
        .body(SAMPLE_BODY)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(
        AuthError::from_middleware(&err).expect("typed").kind(),
        ErrorKind::UnsupportedRequest
    );
    assert_eq!(fake.accepted_calls(), 0);
}

fn creds() -> SnapCredentials {
    let pem = std::fs::read_to_string(format!("{KEYS}client_private_pkcs8.pem")).expect("key");
    SnapCredentials::builder()
        .client_key("10001")
        .client_secret("secret")
        .private_key(SnapPrivateKey::from_pem("private_key", &pem).expect("key"))
        .channel_id("95221")
        .build()
        .expect("credentials")
}

/// auth-core's rule for token endpoints: https; plain http on loopback (any 127.0.0.0/8
/// address, `localhost`, `[::1]`) or with the explicit test opt-in; nothing but http(s).
#[test]
fn customer_token_url_follows_auth_core_endpoint_rules() {
    let c = creds();
    let build = |base: &str| CustomerTokens::builder(&c).base_url(base).build();
    for ok in [
        "https://api.example.co.id/snap",
        "http://127.0.0.1:8080/snap",
        "http://127.0.0.2:8080",
        "http://localhost:9000",
        "http://[::1]:9000",
    ] {
        assert!(build(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api.example.co.id/snap",
        "ftp://localhost/snap",
        "not a url",
    ] {
        let err = build(bad).expect_err(bad);
        assert_eq!(err.field(), Some("base_url"), "{bad}");
    }
    let err = CustomerTokens::builder(&c)
        .token_url("http://api.example.co.id/v1.0/access-token/b2b2c")
        .build()
        .expect_err("plain http");
    assert_eq!(err.field(), Some("token_url"));
    assert!(
        CustomerTokens::builder(&c)
            .base_url("http://api.example.co.id")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
}

/// A B2B2C token endpoint on loopback answering every request with `answer`.
async fn b2b2c_endpoint(answer: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    server
}

/// Requests sent after authorising, asking for the token now and a year and a day later.
async fn requests_after_a_year(answer: serde_json::Value) -> u64 {
    let clock = ManualClock::at_unix(1_709_271_296);
    let server = b2b2c_endpoint(answer).await;
    let tokens = CustomerTokens::builder(&creds())
        .base_url(server.uri())
        .clock(clock.shared())
        .build()
        .expect("customer tokens");
    tokens.authorize("c", "code").await.expect("authorised");
    tokens.token("c").await.expect("token now");
    assert_eq!(tokens.requests_sent(), 1, "fresh token: no refresh");
    clock.advance(std::time::Duration::from_secs(367 * 86_400));
    tokens.token("c").await.expect("token a year later");
    tokens.requests_sent()
}

/// An absurd `accessTokenExpiryTime` (year 9999) is capped like an absurd `expiresIn`: a
/// year and a day later the customer token is refreshed, not used for ever.
#[tokio::test]
async fn absurd_access_token_expiry_time_is_clamped_like_expires_in() {
    let base = serde_json::json!({
        "responseCode": "2007400",
        "accessToken": "customer-access",
        "tokenType": "Bearer",
        "refreshToken": "customer-refresh",
    });
    let mut by_seconds = base.clone();
    by_seconds["expiresIn"] = serde_json::json!(u64::MAX.to_string());
    assert_eq!(
        requests_after_a_year(by_seconds).await,
        2,
        "expiresIn is capped"
    );
    for absurd in [
        "9999-12-31T23:59:59+07:00",
        // Past the end of year 9999 once moved to UTC.
        "9999-12-31T23:59:59-23:59",
    ] {
        let mut by_date = base.clone();
        by_date["accessTokenExpiryTime"] = serde_json::json!(absurd);
        assert_eq!(
            requests_after_a_year(by_date).await,
            2,
            "accessTokenExpiryTime {absurd} is capped"
        );
    }
}

/// Expiry dates at the edges of the calendar are accepted or refused, never a panic.
#[tokio::test]
async fn access_token_expiry_times_at_the_calendar_edges_do_not_panic() {
    let clock = ManualClock::at_unix(1_709_271_296);
    for when in [
        "0000-01-01T00:00:00+23:59",
        "0000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999-23:59",
        "9999-99-99T99:99:99Z",
        "+9999-12-31T23:59:59Z",
    ] {
        let server = b2b2c_endpoint(serde_json::json!({
            "responseCode": "2007400",
            "accessToken": "customer-access",
            "accessTokenExpiryTime": when,
            "refreshToken": "customer-refresh",
            "refreshTokenExpiryTime": when,
        }))
        .await;
        let tokens = CustomerTokens::builder(&creds())
            .base_url(server.uri())
            .clock(clock.shared())
            .build()
            .expect("customer tokens");
        if tokens.authorize("c", "code").await.is_ok() {
            // Whatever the date, asking for the token answers (a token or a typed error).
            let _ = tokens.token("c").await;
        }
    }
}

/// A B2B2C endpoint that grants the authorization code, then answers refreshes with
/// `status` and `refusal`.
async fn refusing_refreshes(status: u16, refusal: serde_json::Value) -> MockServer {
    use wiremock::matchers::body_string_contains;
    let server = MockServer::start().await;
    Mock::given(body_string_contains("authCode"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2007400",
            "accessToken": "customer-access",
            "tokenType": "Bearer",
            "expiresIn": "900",
            "refreshToken": "customer-refresh",
        })))
        .mount(&server)
        .await;
    Mock::given(body_string_contains("refreshToken"))
        .respond_with(ResponseTemplate::new(status).set_body_json(refusal))
        .mount(&server)
        .await;
    server
}

/// Only an answer that says the refresh token itself is bad sends the customer back
/// through consent; a stale timestamp or a bad signature is the client's own fault and
/// leaves the customer's tokens in place.
#[tokio::test]
async fn only_a_bad_refresh_token_forgets_the_customer() {
    use tollgate_snap_b2b::CustomerTokenError;
    for (status, code, forgotten) in [
        (401, "4017400", false), // Unauthorized. [Signature] / [X-TIMESTAMP]
        (400, "4007401", false), // Invalid field format
        (401, "4017401", true),  // Invalid token
        (401, "4017402", true),  // Invalid customer token
        (401, "4017404", true),  // Customer token not found
    ] {
        let clock = ManualClock::at_unix(1_709_271_296);
        let refusal = serde_json::json!({"responseCode": code, "responseMessage": "refused"});
        let server = refusing_refreshes(status, refusal).await;
        let tokens = CustomerTokens::builder(&creds())
            .base_url(server.uri())
            .clock(clock.shared())
            .build()
            .expect("customer tokens");
        tokens.authorize("c", "code").await.expect("authorised");
        clock.advance(std::time::Duration::from_secs(901));
        let err = tokens.token("c").await.expect_err("the refresh is refused");
        assert_eq!(
            matches!(err, CustomerTokenError::AuthoriseAgain { .. }),
            forgotten,
            "{code}: {err}"
        );
        assert_eq!(tokens.len(), usize::from(!forgotten), "{code}");
    }
}

/// OVO puts the customer token in `Authorization` on direct-debit calls: there it replaces
/// the B2B token (and is the token the signature covers), and no `Authorization-Customer`
/// is sent. Calls without a customer keep the B2B token. OVO's required `X-DEVICE-ID` is
/// checked before anything is sent.
#[tokio::test]
async fn ovo_sends_the_customer_token_in_authorization() {
    use tollgate_snap_b2b::sign::{HmacKey, body_sha256_hex, symmetric_string_to_sign};
    use tollgate_snap_b2b::{Profile, SnapAuth};
    use wiremock::matchers::path;
    let clock = ManualClock::at_unix(1_709_271_296);
    let server = MockServer::start().await;
    Mock::given(path("/OVOSNAP/v1.0/access-token/b2b"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2007300", "accessToken": "b2b-token", "expiresIn": "900",
        })))
        .mount(&server)
        .await;
    Mock::given(path("/OVOSNAP/v2.0/access-token/b2b2c"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2007400", "accessToken": "customer-access", "expiresIn": "900",
            "refreshToken": "customer-refresh",
        })))
        .mount(&server)
        .await;
    Mock::given(path("/OVOSNAP/v2.0/debit/payment-host-to-host"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2005400",
        })))
        .mount(&server)
        .await;
    let profile = Profile::ovo();
    let tokens = CustomerTokens::builder(&creds())
        .profile(&profile)
        .base_url(server.uri())
        .clock(clock.shared())
        .build()
        .expect("customer tokens");
    tokens.authorize("alice", "code").await.expect("authorised");
    let auth = SnapAuth::builder()
        .credentials(creds())
        .profile(profile)
        .base_url(server.uri())
        .clock(clock.shared())
        .customer_tokens(tokens)
        .build()
        .expect("auth");
    let client = client(auth);
    let url = format!("{}/OVOSNAP/v2.0/debit/payment-host-to-host", server.uri());
    let body = r#"{"partnerReferenceNo":"r-1"}"#;
    let sent = |customer: bool| {
        let mut req = client
            .post(&url)
            .header("x-device-id", "device-1")
            .body(body);
        if customer {
            req = req.header(CUSTOMER_ID, "alice");
        }
        req.send()
    };
    assert_eq!(sent(true).await.expect("send").status(), 200);
    assert_eq!(sent(false).await.expect("send").status(), 200);
    let api: Vec<_> = server
        .received_requests()
        .await
        .expect("recording")
        .into_iter()
        .filter(|r| r.url.path().contains("debit"))
        .collect();
    let h = |r: &wiremock::Request, n: &str| {
        r.headers
            .get(n)
            .map(|v| v.to_str().expect("ascii").to_string())
    };
    let signature_over = |r: &wiremock::Request, token: &str| {
        let sts = symmetric_string_to_sign(
            "POST",
            "/OVOSNAP/v2.0/debit/payment-host-to-host",
            token,
            &body_sha256_hex(body.as_bytes()),
            &h(r, "x-timestamp").expect("timestamp"),
        );
        let key = HmacKey::new(&"secret".to_string().into());
        tollgate_snap_b2b::sign::SignatureEncoding::Base64.encode(&key.sign(sts.as_bytes()))
    };
    assert_eq!(
        h(&api[0], "authorization").as_deref(),
        Some("Bearer customer-access")
    );
    assert_eq!(h(&api[0], "authorization-customer"), None);
    assert_eq!(
        h(&api[0], "x-signature"),
        Some(signature_over(&api[0], "customer-access"))
    );
    assert_eq!(
        h(&api[1], "authorization").as_deref(),
        Some("Bearer b2b-token")
    );
    assert_eq!(
        h(&api[1], "x-signature"),
        Some(signature_over(&api[1], "b2b-token"))
    );

    let err = client
        .post(&url)
        .body(body)
        .send()
        .await
        .expect_err("no X-DEVICE-ID");
    assert!(err.to_string().contains("x-device-id"), "{err}");
    let calls = server.received_requests().await.expect("recording");
    assert_eq!(
        calls
            .iter()
            .filter(|r| r.url.path().contains("debit"))
            .count(),
        2
    );
}
