//! AuthMiddleware behaviour against a wiremock server: signing, skipping, body replacement,
//! the single retry after a rejection, and typed errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Request;
use reqwest_middleware::ClientBuilder;
use tollgate_auth_core::{AuthError, AuthMiddleware, ErrorKind, Signer, SkipAuth, body_bytes};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Signs with `Authorization: Test <n>` (n counts signings) and, when `needs_body`, a header
/// with the body length, replacing the body with its upper-case form.
#[derive(Default)]
struct TestSigner {
    signed: AtomicU64,
    rejected: AtomicU64,
    needs_body: bool,
    fail: bool,
}

impl Signer for TestSigner {
    type Receipt = u64;

    async fn sign(&self, req: &mut Request) -> Result<u64, AuthError> {
        if self.fail {
            return Err(AuthError::invalid_field("secret", "must not be empty"));
        }
        let n = self.signed.fetch_add(1, Ordering::SeqCst) + 1;
        if self.needs_body {
            let upper = body_bytes(req)?.to_ascii_uppercase();
            req.headers_mut()
                .insert("x-body-len", upper.len().to_string().parse().expect("num"));
            *req.body_mut() = Some(upper.into());
        }
        req.headers_mut().insert(
            "authorization",
            format!("Test {n}").parse().expect("header"),
        );
        Ok(n)
    }

    fn on_rejected(&self, _receipt: &u64) -> bool {
        self.rejected.fetch_add(1, Ordering::SeqCst);
        true
    }
}

fn client(signer: Arc<TestSigner>) -> reqwest_middleware::ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::from_arc(signer))
        .build()
}

#[tokio::test]
async fn signs_every_request() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .and(header("authorization", "Test 1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner::default());
    let resp = client(signer.clone())
        .get(format!("{}/x", server.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(signer.signed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn skip_auth_sends_unsigned() {
    let server = MockServer::start().await;
    Mock::given(path("/public"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner::default());
    client(signer.clone())
        .get(format!("{}/public", server.uri()))
        .with_extension(SkipAuth)
        .send()
        .await
        .expect("send");
    assert_eq!(signer.signed.load(Ordering::SeqCst), 0);
    let reqs = server.received_requests().await.expect("recorded");
    assert!(reqs[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn rejected_request_is_signed_again_and_retried_exactly_once() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .and(header("authorization", "Test 1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("authorization", "Test 2"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner::default());
    let resp = client(signer.clone())
        .post(format!("{}/x", server.uri()))
        .body("payload")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(signer.rejected.load(Ordering::SeqCst), 1);
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body, b"payload");
}

#[tokio::test]
async fn a_second_rejection_is_passed_through_without_looping() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(401).set_body_string("nope"))
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner::default());
    let resp = client(signer.clone())
        .get(format!("{}/x", server.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.text().await.expect("body"), "nope");
    assert_eq!(server.received_requests().await.expect("r").len(), 2);
    assert_eq!(signer.signed.load(Ordering::SeqCst), 2);
    // A rejection of the retry's fresh credential is not a token problem: it is passed
    // through without being reported (so the fresh token is not evicted for everyone).
    assert_eq!(signer.rejected.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn streaming_bodies_are_not_replayed_but_the_rejection_is_reported() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner::default());
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"chunk",
    ))]);
    let resp = client(signer.clone())
        .post(format!("{}/x", server.uri()))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 401);
    assert_eq!(server.received_requests().await.expect("r").len(), 1);
    assert_eq!(signer.rejected.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn body_signers_replace_the_body_and_refuse_streams() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/x"))
        .and(header("x-body-len", "5"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let signer = Arc::new(TestSigner {
        needs_body: true,
        ..Default::default()
    });
    let c = client(signer.clone());
    let resp = c
        .post(format!("{}/x", server.uri()))
        .body("hello")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let reqs = server.received_requests().await.expect("r");
    assert_eq!(reqs[0].body, b"HELLO", "the signer's body is what was sent");

    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"chunk",
    ))]);
    let err = c
        .post(format!("{}/x", server.uri()))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect_err("streams cannot be signed");
    let ae = AuthError::from_middleware(&err).expect("typed");
    assert_eq!(ae.kind(), ErrorKind::UnsupportedRequest);
    assert_eq!(server.received_requests().await.expect("r").len(), 1);
}

#[tokio::test]
async fn signing_errors_are_typed_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let signer = Arc::new(TestSigner {
        fail: true,
        ..Default::default()
    });
    let err = client(signer)
        .get(format!("{}/x", server.uri()))
        .send()
        .await
        .expect_err("signing fails");
    let ae = AuthError::from_middleware(&err).expect("typed");
    assert_eq!(ae.kind(), ErrorKind::InvalidCredentials);
    assert_eq!(ae.field(), Some("secret"));
    assert!(server.received_requests().await.expect("r").is_empty());
}

/// Hands out `tok-1`, `tok-2`, … (one per fetch).
struct Numbered(AtomicU64);

impl tollgate_auth_core::TokenSource for Numbered {
    async fn fetch(
        &self,
        _cx: &tollgate_auth_core::FetchContext,
    ) -> Result<tollgate_auth_core::FetchedToken, AuthError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(tollgate_auth_core::FetchedToken::new(
            format!("tok-{n}"),
            std::time::Duration::from_secs(3600),
        ))
    }
}

fn bearer(judge: bool) -> tollgate_auth_core::BearerSigner<Numbered> {
    let cache = tollgate_auth_core::TokenCache::new(Numbered(AtomicU64::new(0)));
    let signer = tollgate_auth_core::BearerSigner::new(cache, Vec::new());
    if judge {
        signer.with_rejection_body(|body| body == br#"{"session":"lost"}"#)
    } else {
        signer
    }
}

#[tokio::test]
async fn a_bearer_signer_with_a_body_judge_refetches_on_a_rejection_sent_with_200() {
    let server = MockServer::start().await;
    // The first token is reported lost in a 200 body; the second one is served.
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"session":"lost"}"#))
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    let signer = bearer(true);
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(signer.clone()))
        .build();
    let resp = client
        .get(format!("{}/x", server.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.text().await.expect("body"), "ok");
    assert_eq!(signer.cache().fetches_started(), 2, "one refetch");
}

#[tokio::test]
async fn without_a_body_judge_a_200_body_is_passed_through() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"session":"lost"}"#))
        .mount(&server)
        .await;
    let signer = bearer(false);
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(signer.clone()))
        .build();
    let resp = client
        .get(format!("{}/x", server.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.text().await.expect("body"), r#"{"session":"lost"}"#);
    assert_eq!(signer.cache().fetches_started(), 1, "no refetch");
}

/// Signs nothing, and refuses to let a request carrying `x-private` go out unsigned.
struct Guarding;

impl Signer for Guarding {
    type Receipt = ();

    async fn sign(&self, req: &mut Request) -> Result<(), AuthError> {
        req.headers_mut().remove("x-private");
        Ok(())
    }

    fn pass_unsigned(&self, req: &mut Request) -> Result<(), AuthError> {
        if req.headers().contains_key("x-private") {
            return Err(AuthError::new(
                ErrorKind::UnsupportedRequest,
                "x-private is only for the signer's own origin",
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn pass_unsigned_guards_requests_outside_the_scope_and_skipped_ones() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    // The scope is another origin: requests to the server go out unsigned.
    let scope = tollgate_auth_core::Scope::origin("https://api.example.com").expect("scope");
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::new(Guarding).with_scope(scope))
        .build();
    let url = format!("{}/x", server.uri());
    let err = client
        .get(&url)
        .header("x-private", "customer-1")
        .send()
        .await
        .expect_err("refused");
    let err = AuthError::from_middleware(&err).expect("typed");
    assert_eq!(err.kind(), ErrorKind::UnsupportedRequest);
    let err = client
        .get(&url)
        .header("x-private", "customer-1")
        .with_extension(SkipAuth)
        .send()
        .await
        .expect_err("refused when skipped too");
    assert!(AuthError::from_middleware(&err).is_some());
    // Without the header the unsigned request goes out.
    let resp = client.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        1,
        "only the clean request reached the server"
    );
}

/// The `Authorization` header `signer` puts on a fresh request.
async fn signed_with(
    signer: &tollgate_auth_core::BearerSigner<Numbered>,
) -> (String, tollgate_auth_core::BearerReceipt) {
    let mut req = Request::new(
        reqwest::Method::GET,
        "https://api.example.com/x".parse().expect("url"),
    );
    let receipt = signer.sign(&mut req).await.expect("sign");
    let auth = req.headers()["authorization"]
        .to_str()
        .expect("ascii")
        .to_string();
    (auth, receipt)
}

#[tokio::test]
async fn a_bearer_receipt_rejects_only_the_token_it_was_signed_with() {
    let signer = bearer(false);
    let (auth, old) = signed_with(&signer).await;
    assert_eq!(auth, "Bearer tok-1");
    // The same token again (warm path): the same receipt.
    let (auth, again) = signed_with(&signer).await;
    assert_eq!(auth, "Bearer tok-1");
    assert_eq!(again, old);
    // Another request replaced the token meanwhile.
    signer.cache().invalidate();
    let (auth, new) = signed_with(&signer).await;
    assert_eq!(auth, "Bearer tok-2");
    assert_ne!(new, old);
    // A late rejection of the request signed with tok-1 keeps tok-2 (signing again helps).
    assert!(signer.on_rejected(&old));
    assert_eq!(signed_with(&signer).await.0, "Bearer tok-2");
    // A rejection of tok-2 drops it.
    assert!(signer.on_rejected(&new));
    assert_eq!(signed_with(&signer).await.0, "Bearer tok-3");
}

/// A scoped signer's request answered with a 307 (after `hops - 1` redirects inside the
/// signed origin) to another origin, on the client `make` builds for the scope: `(status
/// or typed error, the header names of each request the other origin saw)`.
async fn redirected_with(
    hops: usize,
    make: impl FnOnce(&tollgate_auth_core::Scope) -> reqwest::Client,
) -> (Result<u16, AuthError>, Vec<Vec<String>>) {
    use tollgate_auth_core::Scope;
    let signed = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&other)
        .await;
    for i in 0..hops {
        let to = if i + 1 == hops {
            format!("{}/captured", other.uri())
        } else {
            format!("{}/hop{}", signed.uri(), i + 1)
        };
        let from = if i == 0 {
            "/start".to_string()
        } else {
            format!("/hop{i}")
        };
        Mock::given(path(from))
            .respond_with(ResponseTemplate::new(307).insert_header("location", to.as_str()))
            .mount(&signed)
            .await;
    }
    let scope = Scope::origin(&signed.uri()).expect("scope");
    let client = ClientBuilder::new(make(&scope))
        .with(AuthMiddleware::new(TestSigner::default()).with_scope(scope))
        .build();
    let r = client
        .post(format!("{}/start", signed.uri()))
        .header("x-custom", "1")
        .body("{}")
        .send()
        .await;
    let outcome = match r {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(e) => Err(AuthError::from_middleware(&e)
            .cloned()
            .unwrap_or_else(|| panic!("expected a typed error, got {e}"))),
    };
    let seen = other
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.headers.keys().map(|k| k.as_str().to_string()).collect())
        .collect();
    (outcome, seen)
}

#[tokio::test]
async fn a_signed_request_answered_from_another_origin_is_a_typed_error() {
    // `reqwest::Client::new()` follows redirects: the answer comes from the other origin.
    let (outcome, _) = redirected_with(1, |_| reqwest::Client::new()).await;
    let err = outcome.expect_err("an answer from another origin must not be a success");
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(!err.is_retryable());
    assert!(err.message().contains("another origin"), "{err}");
}

#[tokio::test]
async fn the_scope_redirect_policy_keeps_signed_requests_in_their_scope() {
    for hops in [1, 3] {
        let (outcome, seen) = redirected_with(hops, |scope| {
            reqwest::Client::builder()
                .redirect(scope.redirect_policy())
                .build()
                .expect("client")
        })
        .await;
        assert!(
            seen.is_empty(),
            "{hops} hop(s): the other origin saw {seen:?}"
        );
        assert_eq!(outcome.expect("the redirect is handed back"), 307);
    }
}

#[tokio::test]
async fn the_scope_redirect_policy_follows_unsigned_requests_as_reqwest_does() {
    use tollgate_auth_core::Scope;
    let a = MockServer::start().await;
    let b = MockServer::start().await;
    Mock::given(path("/go"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/end", b.uri()).as_str()),
        )
        .mount(&a)
        .await;
    Mock::given(path("/end"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&b)
        .await;
    // Signs for neither server: the request is unsigned and may go anywhere.
    let scope = Scope::origin("https://api.example.com").expect("scope");
    let http = reqwest::Client::builder()
        .redirect(scope.redirect_policy())
        .build()
        .expect("client");
    let resp = http
        .get(format!("{}/go", a.uri()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    // A loop still ends.
    Mock::given(path("/loop"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/loop", a.uri()).as_str()),
        )
        .mount(&a)
        .await;
    assert!(http.get(format!("{}/loop", a.uri())).send().await.is_err());
}
