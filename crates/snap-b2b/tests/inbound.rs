//! The inbound verifier (the merchant as SNAP server) against the crate's own outbound
//! signer, field by field: what the signer sends is accepted, and each tampered field is
//! refused with the SNAP response code the specification assigns to it. Then the
//! published sample vectors (the specification's example inputs in `vectors/`, Midtrans's
//! demo outputs in `vectors/midtrans-demo/published.json`) through the same verifier.
#![cfg(feature = "test-util")]

use std::time::Duration;

use auth_core::{ExposeSecret, ManualClock, SecretString, Signer};
use http::{HeaderMap, HeaderValue};
use serde_json::Value;
use tollgate_snap_b2b::sign::SignatureEncoding;
use tollgate_snap_b2b::{
    BodyForm, InboundError, InboundVerifier, SnapAuth, SnapCredentials, SnapPrivateKey,
    SnapPublicKey, TimestampFormat, TransactionSigning, VerifiedTransaction, Zone, minify_json,
    parse_timestamp,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
/// 2024-03-01T12:34:56+07:00.
const START: u64 = 1_709_271_296;
const CLIENT: &str = "provider-client-10001";
const SECRET: &str = "inbound-shared-secret-3c1d9e7a";
const OTHER: &str = "other-client-20002";
const OTHER_SECRET: &str = "other-shared-secret-9b0f2e44";
/// Service 73 (B2B token) and 25 (VA payment, the sample transaction).
const TOKEN: u8 = 73;
const PAYMENT: u8 = 25;
const BODY: &str = r#"{
  "partnerServiceId": "  12345",
  "customerNo": "0001",
  "virtualAccountNo": "  123450001",
  "paidAmount": { "value": "10000.00", "currency": "IDR" }
}"#;

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{VECTORS}{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).expect("json")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn private(rel: &str) -> SnapPrivateKey {
    SnapPrivateKey::from_pem("private_key", &read(rel)).expect("private key")
}

fn public(rel: &str) -> SnapPublicKey {
    SnapPublicKey::from_pem("public_key", &read(rel)).expect("public key")
}

fn hv(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).expect("header value")
}

/// The merchant's verifier: the provider `CLIENT` with its key and secret, and a second
/// provider with another key pair and secret.
fn verifier(clock: &ManualClock) -> InboundVerifier {
    InboundVerifier::new()
        .client(CLIENT, public("keys/client_public.pem"), Some(SECRET))
        .client(
            OTHER,
            private("keys/wrong_private_pkcs8.pem").public_key().clone(),
            Some(OTHER_SECRET),
        )
        .clock(clock.shared())
        .timestamp_format(TimestampFormat::default())
}

/// The merchant's token endpoint, built on the verifier alone.
struct TokenEndpoint(InboundVerifier);

impl Respond for TokenEndpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        match self.0.verify_token_request(&req.headers, &req.body) {
            Ok(client) => ResponseTemplate::new(200)
                .set_body_json(self.0.issue_token(&client).response_body()),
            Err(e) => ResponseTemplate::new(e.http_status()).set_body_json(e.body(TOKEN)),
        }
    }
}

struct Setup {
    clock: ManualClock,
    verifier: InboundVerifier,
    server: MockServer,
    auth: SnapAuth,
}

/// The crate's outbound signer, as the provider that calls the merchant.
async fn setup(signing: TransactionSigning) -> Setup {
    let clock = ManualClock::at_unix(START);
    let verifier = verifier(&clock);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/merchant/v1.0/access-token/b2b"))
        .respond_with(TokenEndpoint(verifier.clone()))
        .mount(&server)
        .await;
    let creds = SnapCredentials::builder()
        .client_key(CLIENT)
        .client_secret(SECRET)
        .private_key(private("keys/client_private_pkcs8.pem"))
        .channel_id("95221")
        .build()
        .expect("credentials");
    let auth = SnapAuth::builder()
        .credentials(creds)
        .base_url(format!("{}/merchant", server.uri()))
        .clock(clock.shared())
        .transaction_signing(signing)
        .build()
        .expect("auth");
    Setup {
        clock,
        verifier,
        server,
        auth,
    }
}

/// A request as the merchant receives it.
#[derive(Clone)]
struct Inbound {
    method: String,
    endpoint: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Inbound {
    fn verify(&self, v: &InboundVerifier) -> Result<VerifiedTransaction, InboundError> {
        v.verify_transaction(&self.method, &self.endpoint, &self.headers, &self.body)
    }

    fn with(&self, change: impl FnOnce(&mut Inbound)) -> Inbound {
        let mut copy = self.clone();
        change(&mut copy);
        copy
    }

    fn set(&mut self, name: &'static str, value: &str) {
        self.headers.insert(name, hv(value));
    }

    fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().expect("ascii")
    }
}

impl Setup {
    /// Signs a transaction with the crate's signer; returns it as the merchant sees it.
    async fn signed(&self, method: reqwest::Method, path_and_query: &str) -> Inbound {
        let url = format!("{}{path_and_query}", self.server.uri());
        let mut req = reqwest::Request::new(method, url.parse().expect("url"));
        *req.body_mut() = Some(BODY.into());
        self.auth.sign(&mut req).await.expect("sign");
        let url = req.url().clone();
        let endpoint = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Inbound {
            method: req.method().as_str().to_string(),
            endpoint,
            headers: req.headers().clone(),
            body: req
                .body()
                .and_then(|b| b.as_bytes())
                .expect("in-memory body")
                .to_vec(),
        }
    }

    /// The token request the signer sent (the first one the merchant received).
    async fn token_request(&self) -> (HeaderMap, Vec<u8>) {
        let received = self.server.received_requests().await.expect("recording");
        let req = received.first().expect("a token request was sent");
        (req.headers.clone(), req.body.clone())
    }
}

#[track_caller]
fn refused<T: std::fmt::Debug>(
    result: Result<T, InboundError>,
    expected: InboundError,
    service: u8,
    code: &str,
) {
    let err = result.expect_err("must be refused");
    assert_eq!(err, expected);
    assert_eq!(err.response_code(service).as_str(), code, "{expected:?}");
    assert_eq!(
        err.body(service)["responseCode"],
        code,
        "the response body carries the code"
    );
}

#[tokio::test]
async fn token_request_from_the_signer_is_accepted_and_each_tampered_field_refused() {
    let st = setup(TransactionSigning::Symmetric).await;
    // The signer fetches its token from the merchant's endpoint, which verified it.
    let token = st
        .auth
        .token_cache()
        .expect("symmetric")
        .token()
        .await
        .expect("the merchant's token endpoint accepted the signer's request");
    assert_eq!(
        st.verifier
            .check_token(&format!("Bearer {}", token.secret().expose_secret())),
        Ok(CLIENT.to_string())
    );
    let (headers, body) = st.token_request().await;
    let v = &st.verifier;
    assert_eq!(v.verify_token_request(&headers, &body), Ok(CLIENT.into()));

    let with = |name: &'static str, value: Option<&str>| {
        let mut h = headers.clone();
        match value {
            Some(value) => h.insert(name, hv(value)),
            None => h.remove(name),
        };
        h
    };
    let unauthorized = InboundError::BadSignature;
    // Client key: unknown, or another known client's (signature made with the first key).
    refused(
        v.verify_token_request(&with("x-client-key", Some("unknown")), &body),
        InboundError::UnknownClient,
        TOKEN,
        "4017300",
    );
    refused(
        v.verify_token_request(&with("x-client-key", Some(OTHER)), &body),
        unauthorized.clone(),
        TOKEN,
        "4017300",
    );
    // Timestamp: the same instant in another format, garbage, another well-formed instant.
    let ts = headers["x-timestamp"].to_str().expect("ascii");
    assert_eq!(ts, "2024-03-01T12:34:56+07:00");
    for bad in ["2024-03-01T05:34:56Z", "2024-03-01 12:34:56", "1709271296"] {
        refused(
            v.verify_token_request(&with("x-timestamp", Some(bad)), &body),
            InboundError::InvalidFieldFormat("[X-TIMESTAMP]"),
            TOKEN,
            "4007301",
        );
    }
    refused(
        v.verify_token_request(
            &with("x-timestamp", Some("2024-03-01T12:34:57+07:00")),
            &body,
        ),
        unauthorized.clone(),
        TOKEN,
        "4017300",
    );
    // Signature: altered, not base64, absent.
    let sig = headers["x-signature"].to_str().expect("ascii");
    let flipped = flip(sig);
    refused(
        v.verify_token_request(&with("x-signature", Some(&flipped)), &body),
        unauthorized.clone(),
        TOKEN,
        "4017300",
    );
    refused(
        v.verify_token_request(&with("x-signature", Some("not base64!")), &body),
        unauthorized.clone(),
        TOKEN,
        "4017300",
    );
    for name in ["x-signature", "x-client-key", "x-timestamp", "content-type"] {
        let err = v
            .verify_token_request(&with(name, None), &body)
            .expect_err("missing header");
        assert!(
            matches!(err, InboundError::MissingField(_)),
            "{name}: {err:?}"
        );
        assert_eq!(err.response_code(TOKEN).as_str(), "4007302");
    }
    // Content-Type.
    refused(
        v.verify_token_request(&with("content-type", Some("text/plain")), &body),
        InboundError::InvalidFieldFormat("[Content-Type]"),
        TOKEN,
        "4007301",
    );
    assert!(
        v.verify_token_request(
            &with("content-type", Some("application/json; charset=utf-8")),
            &body
        )
        .is_ok()
    );
    // Body: another grant type, none.
    refused(
        v.verify_token_request(&headers, br#"{"grantType":"password"}"#),
        InboundError::InvalidFieldFormat("[grantType]"),
        TOKEN,
        "4007301",
    );
    refused(
        v.verify_token_request(&headers, b"{}"),
        InboundError::MissingField("[grantType]"),
        TOKEN,
        "4007302",
    );

    // Window: the same request read 5 minutes and 1 second later, or that much earlier.
    st.clock.advance(Duration::from_secs(301));
    refused(
        v.verify_token_request(&headers, &body),
        InboundError::StaleTimestamp,
        TOKEN,
        "4017300",
    );
    st.clock
        .set(std::time::UNIX_EPOCH + Duration::from_secs(START - 301));
    refused(
        v.verify_token_request(&headers, &body),
        InboundError::StaleTimestamp,
        TOKEN,
        "4017300",
    );
    st.clock
        .set(std::time::UNIX_EPOCH + Duration::from_secs(START + 299));
    assert!(v.verify_token_request(&headers, &body).is_ok());
}

/// One base64 character changed (a different signature of the same length).
fn flip(sig: &str) -> String {
    let mut chars: Vec<char> = sig.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn symmetric_transaction_from_the_signer_is_accepted() {
    let st = setup(TransactionSigning::Symmetric).await;
    let req = st
        .signed(
            reqwest::Method::POST,
            "/merchant/v1.0/transfer-va/payment?lang=id",
        )
        .await;
    let ok = req.verify(&st.verifier).expect("accepted");
    assert_eq!(ok.client_key, CLIENT);
    assert!(ok.symmetric);
    let minified = minify_json(BODY.as_bytes()).expect("json");
    assert_eq!(req.body, minified);
    assert_eq!(
        ok.body_sha256_hex,
        tollgate_snap_b2b::sign::body_sha256_hex(&minified)
    );
    // The same request with whitespace added outside strings still verifies (the verifier
    // hashes the minified form), under a fresh external id.
    let pretty = req.with(|r| {
        r.body = BODY.as_bytes().to_vec();
        r.set("x-external-id", "fresh-id-1");
    });
    assert!(pretty.verify(&st.verifier).is_ok());
}

#[tokio::test]
async fn symmetric_transaction_refuses_each_tampered_field() {
    let st = setup(TransactionSigning::Symmetric).await;
    let v = &st.verifier;
    let req = st
        .signed(
            reqwest::Method::POST,
            "/merchant/v1.0/transfer-va/payment?lang=id",
        )
        .await;
    let bad_sig = InboundError::BadSignature;
    let tampered = [
        ("signature", req.with(|r| r.set("x-signature", &flip(r.header("x-signature"))))),
        ("body", req.with(|r| r.body = br#"{"partnerServiceId":"  12345","customerNo":"0002","virtualAccountNo":"  123450001","paidAmount":{"value":"10000.00","currency":"IDR"}}"#.to_vec())),
        ("body in a string", req.with(|r| r.body = br#"{"partnerServiceId":"12345","customerNo":"0001","virtualAccountNo":"  123450001","paidAmount":{"value":"10000.00","currency":"IDR"}}"#.to_vec())),
        ("method", req.with(|r| r.method = "PUT".into())),
        ("path", req.with(|r| r.endpoint = "/merchant/v1.0/transfer-va/inquiry?lang=id".into())),
        ("query", req.with(|r| r.endpoint = "/merchant/v1.0/transfer-va/payment?lang=en".into())),
        ("query dropped", req.with(|r| r.endpoint = "/merchant/v1.0/transfer-va/payment".into())),
        ("timestamp", req.with(|r| r.set("x-timestamp", "2024-03-01T12:34:57+07:00"))),
        // The token removed: the request is read as asymmetric and the HMAC does not
        // verify as an RSA signature (no downgrade).
        ("token removed", req.with(|r| { r.headers.remove("authorization"); })),
    ];
    for (what, r) in tampered {
        let err = r.verify(v).expect_err(what);
        assert_eq!(err, bad_sig, "{what}");
        assert_eq!(err.response_code(PAYMENT).as_str(), "4012500", "{what}");
    }
    // Token: unknown, without the scheme, or one issued to another client (whose secret
    // did not sign this request).
    for value in ["Bearer forged-token", "forged-token", "Basic Zm9vOmJhcg=="] {
        refused(
            req.with(|r| r.set("authorization", value)).verify(v),
            InboundError::InvalidToken,
            PAYMENT,
            "4012501",
        );
    }
    let token = req.header("authorization").to_string();
    refused(
        req.with(|r| r.set("authorization", &token.replace("Bearer ", "Bearer x")))
            .verify(v),
        InboundError::InvalidToken,
        PAYMENT,
        "4012501",
    );
    let others = v.issue_token(OTHER);
    refused(
        req.with(|r| {
            r.set(
                "authorization",
                &format!("Bearer {}", others.access_token.expose_secret()),
            )
        })
        .verify(v),
        bad_sig.clone(),
        PAYMENT,
        "4012500",
    );
    // Timestamp format: the same instant in UTC.
    refused(
        req.with(|r| r.set("x-timestamp", "2024-03-01T05:34:56Z"))
            .verify(v),
        InboundError::InvalidFieldFormat("[X-TIMESTAMP]"),
        PAYMENT,
        "4002501",
    );
    // Content-Type.
    refused(
        req.with(|r| r.set("content-type", "text/plain")).verify(v),
        InboundError::InvalidFieldFormat("[Content-Type]"),
        PAYMENT,
        "4002501",
    );
    // Mandatory headers.
    for name in [
        "x-signature",
        "x-timestamp",
        "x-external-id",
        "content-type",
    ] {
        refused(
            req.with(|r| {
                r.headers.remove(name);
            })
            .verify(v),
            InboundError::MissingField(name),
            PAYMENT,
            "4002502",
        );
    }
    // The client's secret differs from the one that signed.
    let other_secret = InboundVerifier::new()
        .client(
            CLIENT,
            public("keys/client_public.pem"),
            Some("not-the-secret"),
        )
        .clock(st.clock.shared());
    other_secret.accept_token(
        &SecretString::from(token.trim_start_matches("Bearer ").to_string()),
        CLIENT,
        Duration::from_secs(60),
    );
    refused(
        req.verify(&other_secret),
        bad_sig.clone(),
        PAYMENT,
        "4012500",
    );

    // Still accepted untampered; then its X-EXTERNAL-ID is used up for the day.
    assert!(req.verify(v).is_ok());
    refused(
        req.verify(v),
        InboundError::DuplicateExternalId,
        PAYMENT,
        "4092500",
    );
    // A verifier that leaves external ids to the application accepts the repeat.
    let lenient = v.clone().reject_replayed_external_ids(false);
    assert!(req.verify(&lenient).is_ok());
    assert!(
        req.with(|r| {
            r.headers.remove("x-external-id");
        })
        .verify(&lenient)
        .is_ok()
    );

    // Window: 5 minutes and 1 second later the timestamp is stale (the token still lives).
    let fresh = req.with(|r| r.set("x-external-id", "fresh-id-2"));
    st.clock.advance(Duration::from_secs(301));
    refused(
        fresh.verify(v),
        InboundError::StaleTimestamp,
        PAYMENT,
        "4012500",
    );
    // After the token's lifetime (15 minutes) the token is refused first.
    st.clock.advance(Duration::from_secs(900));
    refused(
        fresh.verify(v),
        InboundError::InvalidToken,
        PAYMENT,
        "4012501",
    );
}

#[tokio::test]
async fn external_ids_are_per_client_and_per_day() {
    let st = setup(TransactionSigning::Symmetric).await;
    let v = &st.verifier;
    let req = st
        .signed(reqwest::Method::POST, "/merchant/v1.0/transfer-va/payment")
        .await;
    // A refused request does not use up its id.
    let forged = req.with(|r| r.set("x-signature", &flip(r.header("x-signature"))));
    assert_eq!(
        forged.verify(v).expect_err("refused"),
        InboundError::BadSignature
    );
    assert!(req.verify(v).is_ok());
    assert_eq!(
        req.verify(v).expect_err("refused"),
        InboundError::DuplicateExternalId
    );
    // The next day (Jakarta) the same id is fresh again.
    st.clock.advance(Duration::from_secs(86_400));
    let next_day = st
        .signed(reqwest::Method::POST, "/merchant/v1.0/transfer-va/payment")
        .await
        .with(|r| r.set("x-external-id", req.header("x-external-id")));
    assert!(next_day.verify(v).is_ok());
}

#[tokio::test]
async fn asymmetric_transaction_from_the_signer_is_accepted_and_each_tampered_field_refused() {
    let st = setup(TransactionSigning::Asymmetric).await;
    let v = &st.verifier;
    let req = st
        .signed(
            reqwest::Method::POST,
            "/merchant/v1.0/transfer-va/payment?lang=id",
        )
        .await;
    assert!(!req.headers.contains_key("authorization"));
    assert_eq!(req.header("x-partner-id"), CLIENT);
    let ok = req
        .with(|r| r.set("x-external-id", "asym-accepted"))
        .verify(v)
        .expect("accepted");
    assert_eq!(ok.client_key, CLIENT);
    assert!(!ok.symmetric);

    let bad_sig = InboundError::BadSignature;
    let tampered = [
        (
            "signature",
            req.with(|r| r.set("x-signature", &flip(r.header("x-signature")))),
        ),
        (
            "body",
            req.with(|r| r.body = br#"{"partnerServiceId":"  12345"}"#.to_vec()),
        ),
        ("method", req.with(|r| r.method = "PATCH".into())),
        (
            "path",
            req.with(|r| r.endpoint = "/merchant/v1.0/transfer-va/status?lang=id".into()),
        ),
        (
            "query",
            req.with(|r| r.endpoint = "/merchant/v1.0/transfer-va/payment".into()),
        ),
        (
            "timestamp",
            req.with(|r| r.set("x-timestamp", "2024-03-01T12:34:55+07:00")),
        ),
        // Another known client named: its public key does not verify this signature.
        ("partner", req.with(|r| r.set("x-partner-id", OTHER))),
    ];
    for (what, r) in tampered {
        let err = r.verify(v).expect_err(what);
        assert_eq!(err, bad_sig, "{what}");
        assert_eq!(err.response_code(PAYMENT).as_str(), "4012500", "{what}");
    }
    refused(
        req.with(|r| r.set("x-partner-id", "unknown-partner"))
            .verify(v),
        InboundError::UnknownClient,
        PAYMENT,
        "4012500",
    );
    refused(
        req.with(|r| {
            r.headers.remove("x-partner-id");
        })
        .verify(v),
        InboundError::MissingField("x-partner-id"),
        PAYMENT,
        "4002502",
    );
    // A bearer token added to an asymmetric request is checked as one.
    refused(
        req.with(|r| r.set("authorization", "Bearer forged-token"))
            .verify(v),
        InboundError::InvalidToken,
        PAYMENT,
        "4012501",
    );
    refused(
        req.with(|r| r.set("x-timestamp", "2024-03-01T05:34:56Z"))
            .verify(v),
        InboundError::InvalidFieldFormat("[X-TIMESTAMP]"),
        PAYMENT,
        "4002501",
    );
    st.clock.advance(Duration::from_secs(301));
    refused(
        req.verify(v),
        InboundError::StaleTimestamp,
        PAYMENT,
        "4012500",
    );
}

/// The token-request vector of the specification's example (`X-CLIENT-KEY: 10001`,
/// `X-TIMESTAMP: 2020-01-01T00:00:00+07:00`), signed by `openssl` (`token_signature.json`),
/// in base64 and in hex.
#[test]
fn specification_example_token_request_verifies() {
    let t = json("token_signature.json");
    let ts = s(&t["timestamp"]);
    let clock = ManualClock::new(parse_timestamp(ts).expect("timestamp"));
    for (encoding, sig) in [
        (SignatureEncoding::Base64, s(&t["signature_base64"])),
        (SignatureEncoding::Hex, s(&t["signature_hex"])),
    ] {
        let v = InboundVerifier::new()
            .client("10001", public("keys/client_public.pem"), None)
            .clock(clock.shared())
            .signature_encoding(encoding);
        let mut h = HeaderMap::new();
        h.insert("content-type", hv("application/json"));
        h.insert("x-client-key", hv(s(&t["client_key"])));
        h.insert("x-timestamp", hv(ts));
        h.insert("x-signature", hv(sig));
        for body in [&t["body_grant_type"], &t["body_grant_type_snake"]] {
            assert_eq!(
                v.verify_token_request(&h, s(body).as_bytes()),
                Ok("10001".to_string())
            );
        }
        h.insert("x-client-key", hv("10002"));
        assert!(
            v.verify_token_request(&h, s(&t["body_grant_type"]).as_bytes())
                .is_err()
        );
    }
}

/// The transaction vectors (`transactions.json`: python `hmac`/`hashlib` and `openssl`),
/// symmetric in base64 and hex, and asymmetric.
#[test]
fn transaction_vectors_verify() {
    let t = json("transactions.json");
    let secret = s(&t["client_secret"]);
    let token = s(&t["access_token"]);
    for c in t["cases"].as_array().expect("cases") {
        let name = s(&c["name"]);
        let ts = s(&c["timestamp"]);
        let clock = ManualClock::new(parse_timestamp(ts).expect("timestamp"));
        let mut h = HeaderMap::new();
        h.insert("content-type", hv("application/json"));
        h.insert("x-timestamp", hv(ts));
        h.insert("x-external-id", hv("41807553358950093184162180797837"));
        let body = s(&c["body"]).as_bytes();
        let (m, endpoint) = (s(&c["method"]), s(&c["endpoint_url"]));
        for (encoding, sig) in [
            (SignatureEncoding::Base64, s(&c["signature_base64"])),
            (SignatureEncoding::Hex, s(&c["signature_hex"])),
        ] {
            let v = InboundVerifier::new()
                .client("10001", public("keys/client_public.pem"), Some(secret))
                .clock(clock.shared())
                .signature_encoding(encoding);
            v.accept_token(
                &SecretString::from(token.to_string()),
                "10001",
                Duration::from_secs(900),
            );
            let mut h = h.clone();
            h.insert("authorization", hv(&format!("Bearer {token}")));
            h.insert("x-signature", hv(sig));
            let ok = v.verify_transaction(m, endpoint, &h, body).expect(name);
            assert_eq!(ok.body_sha256_hex, s(&c["body_sha256_hex"]), "{name}");
            assert!(ok.symmetric);
            // The vector's query-less EndpointUrl is another string: refused.
            if endpoint != s(&c["endpoint_url_without_query"]) {
                let other = v.verify_transaction(m, s(&c["endpoint_url_without_query"]), &h, body);
                assert_eq!(
                    other.expect_err("refused"),
                    InboundError::BadSignature,
                    "{name}"
                );
            }
        }
        let v = InboundVerifier::new()
            .client("10001", public("keys/client_public.pem"), None)
            .clock(clock.shared());
        let mut h = h.clone();
        h.insert("x-partner-id", hv("10001"));
        h.insert("x-signature", hv(s(&c["asymmetric_signature_base64"])));
        let ok = v.verify_transaction(m, endpoint, &h, body).expect(name);
        assert!(!ok.symmetric, "{name}");
    }
}

/// Midtrans's published demo outputs (`midtrans-demo/published.json`): the B2B token
/// request, a symmetric transaction, a notification it signs and one it verifies — each
/// through the inbound verifier configured the way Midtrans sends (UTC timestamps with
/// milliseconds, `JSON.stringify` bodies).
#[test]
fn midtrans_published_demo_vectors_verify() {
    let p = json("midtrans-demo/published.json");
    let demo_public = || public("midtrans-demo/demo_public.pem");
    let utc_ms = TimestampFormat {
        zone: Zone::Utc,
        millis: true,
    };

    let tok = &p["token"];
    let clock = ManualClock::new(parse_timestamp(s(&tok["timestamp"])).expect("ts"));
    let v = InboundVerifier::new()
        .client(s(&tok["client_key"]), demo_public(), None)
        .clock(clock.shared())
        .timestamp_format(utc_ms);
    let mut h = HeaderMap::new();
    h.insert("content-type", hv("application/json"));
    h.insert("x-client-key", hv(s(&tok["client_key"])));
    h.insert("x-timestamp", hv(s(&tok["timestamp"])));
    h.insert("x-signature", hv(s(&tok["signature"])));
    assert_eq!(
        v.verify_token_request(&h, br#"{"grant_type":"client_credentials"}"#),
        Ok(s(&tok["client_key"]).to_string())
    );

    let sym = &p["symmetric"];
    let clock = ManualClock::new(parse_timestamp(s(&sym["timestamp"])).expect("ts"));
    let v = InboundVerifier::new()
        .client("midtrans", demo_public(), Some(s(&sym["client_secret"])))
        .clock(clock.shared())
        .timestamp_format(utc_ms)
        .body_forms([BodyForm::JsCompatible]);
    v.accept_token(
        &SecretString::from(s(&sym["access_token"]).to_string()),
        "midtrans",
        Duration::from_secs(900),
    );
    let mut h = HeaderMap::new();
    h.insert("content-type", hv("application/json"));
    h.insert(
        "authorization",
        hv(&format!("Bearer {}", s(&sym["access_token"]))),
    );
    h.insert("x-timestamp", hv(s(&sym["timestamp"])));
    h.insert("x-signature", hv(s(&sym["signature"])));
    h.insert("x-external-id", hv("midtrans-demo-1"));
    let body = read(&format!("midtrans-demo/{}", s(&sym["body_file"])));
    let ok = v
        .verify_transaction(
            s(&sym["method"]),
            s(&sym["endpoint_url"]),
            &h,
            body.as_bytes(),
        )
        .expect("Midtrans's symmetric demo signature verifies");
    assert_eq!(ok.body_sha256_hex, s(&sym["body_sha256_hex"]));

    // Notifications are asymmetric calls from Midtrans to the merchant, named by
    // X-PARTNER-ID.
    for (case, format) in [
        ("notification_sign", utc_ms),
        ("notification_verify", TimestampFormat::default()),
    ] {
        let n = &p[case];
        let clock = ManualClock::new(parse_timestamp(s(&n["timestamp"])).expect("ts"));
        let v = InboundVerifier::new()
            .client("midtrans", demo_public(), None)
            .clock(clock.shared())
            .timestamp_format(format);
        let mut h = HeaderMap::new();
        h.insert("content-type", hv("application/json"));
        h.insert("x-partner-id", hv("midtrans"));
        h.insert("x-timestamp", hv(s(&n["timestamp"])));
        h.insert("x-signature", hv(s(&n["signature"])));
        h.insert("x-external-id", hv(case));
        let body = read(&format!("midtrans-demo/{}", s(&n["body_file"])));
        let ok = v
            .verify_transaction(s(&n["method"]), s(&n["endpoint_url"]), &h, body.as_bytes())
            .expect(case);
        assert_eq!(ok.body_sha256_hex, s(&n["body_sha256_hex"]), "{case}");
        assert!(!ok.symmetric);
        // Another EndpointUrl: refused.
        let mut h2 = h.clone();
        h2.insert("x-external-id", hv("another"));
        assert_eq!(
            v.verify_transaction(s(&n["method"]), "/v1.0/debit/notify2", &h2, body.as_bytes())
                .expect_err("refused"),
            InboundError::BadSignature,
            "{case}"
        );
    }
}

/// An asymmetric call from `CLIENT` whose signature covers `signed_body` in `form`,
/// arriving with `sent_body`.
fn asymmetric_call(form: BodyForm, signed_body: &str, sent_body: &str) -> Inbound {
    let ts = "2024-03-01T12:34:56+07:00";
    let canonical = tollgate_snap_b2b::canonical_body(signed_body.as_bytes(), form).expect("form");
    let sts = tollgate_snap_b2b::sign::asymmetric_string_to_sign(
        "POST",
        "/v1.0/transfer-va/payment",
        &tollgate_snap_b2b::sign::body_sha256_hex(&canonical),
        ts,
    );
    let key = private("keys/client_private_pkcs8.pem");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", hv("application/json"));
    headers.insert("x-partner-id", hv(CLIENT));
    headers.insert("x-timestamp", hv(ts));
    headers.insert("x-external-id", hv("41807553358950093184162180797837"));
    headers.insert(
        "x-signature",
        hv(&SignatureEncoding::Base64.encode(&key.sign(sts.as_bytes()))),
    );
    Inbound {
        method: "POST".into(),
        endpoint: "/v1.0/transfer-va/payment".into(),
        headers,
        body: sent_body.as_bytes().to_vec(),
    }
}

#[test]
fn a_duplicate_key_cannot_ride_on_a_signature() {
    let clock = ManualClock::at_unix(START);
    let signed = r#"{"paidAmount":"10.00"}"#;
    // `JSON.parse` keeps the last `paidAmount`: the JS form of the forged body is the signed
    // one, but a reader that takes the first key would pay 99999999.00.
    let forged = r#"{"paidAmount":"99999999.00","paidAmount":"10.00"}"#;
    for form in [BodyForm::JsCompatible, BodyForm::Minified, BodyForm::Raw] {
        let v = verifier(&clock).body_forms([form]);
        let genuine = asymmetric_call(form, signed, signed).verify(&v);
        assert!(genuine.is_ok(), "{form:?}: {genuine:?}");
        // Signed as sent: the signature is genuine, the body is still ambiguous.
        let v = verifier(&clock).body_forms([form]);
        refused(
            asymmetric_call(form, forged, forged).verify(&v),
            InboundError::InvalidFieldFormat("[body]"),
            PAYMENT,
            "4002501",
        );
    }
    let v = verifier(&clock).body_forms([BodyForm::JsCompatible]);
    refused(
        asymmetric_call(BodyForm::JsCompatible, signed, forged).verify(&v),
        InboundError::InvalidFieldFormat("[body]"),
        PAYMENT,
        "4002501",
    );
}

#[test]
fn the_application_gets_the_bytes_that_were_verified() {
    let clock = ManualClock::at_unix(START);
    let signed = r#"{"beneficiaryName": "Budi Santoso", "amount": 1.50}"#;
    // Spaces moved inside a string: the whitespace-stripped form is unchanged.
    let altered = r#"{"beneficiaryName": "BudiSan toso", "amount": 1.50}"#;
    let v = verifier(&clock).body_forms([BodyForm::WhitespaceStripped]);
    let ok = asymmetric_call(BodyForm::WhitespaceStripped, signed, altered)
        .verify(&v)
        .expect("the stripped form verifies");
    assert_eq!(
        ok.body, br#"{"beneficiaryName":"BudiSantoso","amount":1.50}"#,
        "what the signature covers, not what arrived"
    );
    let v = verifier(&clock).body_forms([BodyForm::JsCompatible]);
    let ok = asymmetric_call(BodyForm::JsCompatible, signed, signed)
        .verify(&v)
        .expect("verifies");
    assert_eq!(
        ok.body,
        br#"{"beneficiaryName":"Budi Santoso","amount":1.5}"#
    );
}

/// BCA re-sends a payment with the same `X-EXTERNAL-ID` (and `flagAdvise: "Y"`): with
/// `report_resends` it is handed over as a re-send to answer idempotently, not refused with
/// the 409 that would reverse the payment.
#[test]
fn a_resent_payment_gets_its_own_verdict() {
    let clock = ManualClock::at_unix(START);
    let body = r#"{"paymentRequestId":"p-1","flagAdvise":"N"}"#;
    let call = asymmetric_call(BodyForm::Minified, body, body);
    let v = verifier(&clock).report_resends(true);
    let first = call.verify(&v).expect("first delivery");
    assert!(!first.resend);
    let again = call.verify(&v).expect("the re-send verifies");
    assert!(again.resend, "reported as a re-send");
    // A forged re-send is still refused for its signature.
    let forged = call.with(|c| c.body = br#"{"paymentRequestId":"p-2","flagAdvise":"N"}"#.to_vec());
    refused(
        forged.verify(&v),
        InboundError::BadSignature,
        PAYMENT,
        "4012500",
    );
    // Without the setting, SNAP's default: 409.
    let v = verifier(&clock);
    call.verify(&v).expect("first delivery");
    refused(
        call.verify(&v),
        InboundError::DuplicateExternalId,
        PAYMENT,
        "4092500",
    );
}

/// "Asymmetric with access token" (BNC): the token is checked and the RSA signature, not an
/// HMAC, covers the call; the client is named by X-CLIENT-KEY.
#[test]
fn rsa_signed_calls_with_a_token_verify_with_the_setting() {
    let clock = ManualClock::at_unix(START);
    let body = r#"{"partnerReferenceNo":"r-1"}"#;
    let mut call = asymmetric_call(BodyForm::Minified, body, body);
    call.headers.remove("x-partner-id");
    call.set("x-client-key", CLIENT);
    call.set("authorization", "Bearer bnc-token-1");
    let v = verifier(&clock).asymmetric_with_token(true);
    v.accept_token(
        &SecretString::from("bnc-token-1".to_string()),
        CLIENT,
        Duration::from_secs(900),
    );
    let ok = call.verify(&v).expect("verifies");
    assert!(!ok.symmetric);
    assert_eq!(ok.client_key, CLIENT);
    let unknown = call.with(|c| c.set("authorization", "Bearer not-issued"));
    refused(
        unknown.verify(&v),
        InboundError::InvalidToken,
        PAYMENT,
        "4012501",
    );
    // Without the setting the token means HMAC, which this call does not carry.
    let v = verifier(&clock);
    v.accept_token(
        &SecretString::from("bnc-token-1".to_string()),
        CLIENT,
        Duration::from_secs(900),
    );
    refused(
        call.verify(&v),
        InboundError::BadSignature,
        PAYMENT,
        "4012500",
    );
}
