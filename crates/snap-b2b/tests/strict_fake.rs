//! The fake refuses what a bank refuses: a signature over the unminified body, a timestamp
//! in another format, a wrong Content-Type; it records X-EXTERNAL-IDs before checking the
//! token; B2B2C end to end, including refresh and "authorise again".
#![cfg(feature = "test-util")]

use std::time::Duration;

use auth_core::{ExposeSecret, ManualClock, SecretString, Signer};
use tollgate_snap_b2b::mock::{CLIENT_KEY, SAMPLE_BODY, SnapFake};
use tollgate_snap_b2b::sign::{
    HmacKey, SignatureEncoding, body_sha256_hex, symmetric_string_to_sign,
};
use tollgate_snap_b2b::{CUSTOMER_ID, CustomerTokenError, CustomerTokens};

fn request(url: &str, body: &str) -> reqwest::Request {
    let mut req = reqwest::Request::new(reqwest::Method::POST, url.parse().expect("url"));
    *req.body_mut() = Some(body.to_string().into());
    req
}

async fn code(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let v: serde_json::Value =
        serde_json::from_slice(&resp.bytes().await.expect("body")).unwrap_or_default();
    (status, v["responseCode"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn refuses_what_a_bank_refuses() {
    let clock = ManualClock::at_unix(1_709_271_296);
    let fake = SnapFake::start(clock.clone()).await;
    let auth = fake.auth_builder(fake.credentials()).build().expect("auth");
    let raw = reqwest::Client::new();

    // A client that hashes the unminified body and sends it.
    let mut req = request(&fake.api_url(), SAMPLE_BODY);
    let token = auth.sign(&mut req).await.expect("sign");
    let token = token.token().expect("token");
    let ts = req.headers()["x-timestamp"]
        .to_str()
        .expect("ascii")
        .to_string();
    let sts = symmetric_string_to_sign(
        "POST",
        "/snap/v1.0/transfer-va/inquiry",
        token.secret().expose_secret(),
        &body_sha256_hex(SAMPLE_BODY.as_bytes()),
        &ts,
    );
    let hmac = HmacKey::new(&SecretString::from(fake.client_secret().to_string()));
    let bad = SignatureEncoding::Base64.encode(&hmac.sign(sts.as_bytes()));
    req.headers_mut()
        .insert("x-signature", bad.parse().expect("hv"));
    *req.body_mut() = Some(SAMPLE_BODY.into());
    assert_eq!(
        code(raw.execute(req).await.expect("send")).await,
        (401, "4012400".into())
    );

    // A timestamp in another format (UTC instead of the profile's +07:00), same instant,
    // correctly signed for it.
    let mut req = request(&fake.api_url(), SAMPLE_BODY);
    auth.sign(&mut req).await.expect("sign");
    req.headers_mut()
        .insert("x-timestamp", "2024-03-01T05:34:56Z".parse().expect("hv"));
    assert_eq!(
        code(raw.execute(req).await.expect("send")).await,
        (400, "4002401".into())
    );

    // A wrong Content-Type.
    let mut req = request(&fake.api_url(), SAMPLE_BODY);
    auth.sign(&mut req).await.expect("sign");
    req.headers_mut()
        .insert("content-type", "text/plain".parse().expect("hv"));
    assert_eq!(
        code(raw.execute(req).await.expect("send")).await,
        (400, "4002401".into())
    );

    // The external id is used up even when the token is refused.
    let mut req = request(&fake.api_url(), SAMPLE_BODY);
    auth.sign(&mut req).await.expect("sign");
    let id = req.headers()["x-external-id"].clone();
    req.headers_mut()
        .insert("authorization", "Bearer nope".parse().expect("hv"));
    assert_eq!(
        code(raw.execute(req).await.expect("send")).await,
        (401, "4012401".into())
    );
    let mut req = request(&fake.api_url(), SAMPLE_BODY);
    req.headers_mut().insert("x-external-id", id);
    auth.sign(&mut req).await.expect("sign");
    assert_eq!(
        code(raw.execute(req).await.expect("send")).await,
        (409, "4092400".into())
    );
    let _ = CLIENT_KEY;
}

#[tokio::test]
async fn b2b2c_end_to_end_with_refresh_and_authorise_again() {
    let clock = ManualClock::at_unix(1_709_271_296);
    let fake = SnapFake::start(clock.clone()).await;
    let (customers, client) = customer_client(&fake, 2);
    let call = |who: &'static str| {
        client
            .post(fake.api_url())
            .header(CUSTOMER_ID, who)
            .body(SAMPLE_BODY)
            .send()
    };
    // Unknown customer: a typed "authorise again", no request sent.
    let err = customers.token("alice").await.expect_err("unknown");
    assert!(matches!(err, CustomerTokenError::AuthoriseAgain { .. }));

    let code_a = fake.issue_auth_code("alice");
    customers
        .authorize("alice", &code_a)
        .await
        .expect("authorise");
    let resp = call("alice").await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(fake.customer_token_requests(), 1);

    // Near expiry: refreshed once, however many callers wait.
    clock.advance(Duration::from_secs(900 - 30));
    let results = futures::future::join_all((0..20).map(|_| customers.token("alice"))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(
        fake.customer_token_requests(),
        2,
        "one refresh for 20 callers"
    );
    assert_eq!(call("alice").await.expect("send").status(), 200);

    // Refresh token gone at the provider: authorise again.
    clock.advance(Duration::from_secs(900));
    fake.expire_customer_refresh_tokens();
    let err = customers.token("alice").await.expect_err("refresh refused");
    assert!(
        matches!(err, CustomerTokenError::AuthoriseAgain { .. }),
        "{err}"
    );
    assert!(customers.is_empty());
    assert!(call("alice").await.is_err(), "the middleware reports it");

    // The cache is bounded.
    for who in ["bob", "carol", "dave"] {
        let c = fake.issue_auth_code(who);
        customers.authorize(who, &c).await.expect("authorise");
    }
    assert_eq!(customers.len(), 2);
    assert!(!format!("{customers:?}").contains(&code_a));
}

/// A customer token the provider revoked before its expiry (`4012402`) is refreshed and the
/// call retried once, like a refused B2B token; the customer is not sent back to consent.
#[tokio::test]
async fn a_revoked_customer_token_is_refreshed_and_the_call_retried() {
    let clock = ManualClock::at_unix(1_709_271_296);
    let fake = SnapFake::start(clock.clone()).await;
    let (customers, client) = customer_client(&fake, 10);
    let call = || {
        client
            .post(fake.api_url())
            .header(CUSTOMER_ID, "alice")
            .body(SAMPLE_BODY)
            .send()
    };
    let code = fake.issue_auth_code("alice");
    customers
        .authorize("alice", &code)
        .await
        .expect("authorise");
    assert_eq!(call().await.expect("send").status(), 200);
    fake.revoke_customer_access_tokens();
    let resp = call().await.expect("send");
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    assert_eq!(fake.customer_token_requests(), 2, "one refresh");
    assert_eq!(customers.len(), 1, "the customer is kept");
}

/// Customer tokens (at most `max` customers) against `fake`, which now requires them, and a
/// client signing with them.
fn customer_client(
    fake: &SnapFake,
    max: usize,
) -> (CustomerTokens, reqwest_middleware::ClientWithMiddleware) {
    fake.require_customer_token(true);
    let customers = fake
        .customer_tokens_builder()
        .max_customers(max)
        .build()
        .expect("tokens");
    let auth = fake
        .auth_builder(fake.credentials())
        .customer_tokens(customers.clone())
        .build()
        .expect("auth");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    (customers, client)
}
