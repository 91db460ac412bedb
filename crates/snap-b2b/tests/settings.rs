//! EndpointUrl below the base path, the `X-EXTERNAL-ID` hook, retries only when a new token
//! can help, keys as bare base64 DER, and outgoing body forms — each against a loopback
//! server that records what it receives, recomputed independently.
#![cfg(feature = "test-util")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth_core::{ManualClock, SecretString};
use base64::Engine;
use tollgate_snap_b2b::BodyForm;
use tollgate_snap_b2b::EndpointBase;
use tollgate_snap_b2b::sign::{
    EndpointUrlMode, HmacKey, SignatureEncoding, body_sha256_hex, symmetric_string_to_sign,
};
use tollgate_snap_b2b::{Profile, SnapAuth, SnapCredentials};
use tollgate_snap_b2b::{SnapPrivateKey, SnapPublicKey};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const SECRET: &str = "settings-secret-0123456789abcdef";
const TOKEN: &str = "tok-settings-1";

fn key_text(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}keys/{name}")).expect("key file")
}

/// The default profile with `change` applied.
fn profile(change: impl FnOnce(&mut Profile)) -> Profile {
    let mut p = Profile::aspi();
    change(&mut p);
    p
}

fn creds() -> SnapCredentials {
    SnapCredentials::builder()
        .client_key("10001")
        .client_secret(SECRET)
        .private_key_pem(key_text("client_private_pkcs8.pem"))
        .channel_id("95221")
        .build()
        .expect("creds")
}

async fn server(token_path: &str) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2007300", "accessToken": TOKEN, "expiresIn": "900",
        })))
        .with_priority(1)
        .mount(&s)
        .await;
    s
}

fn client(auth: SnapAuth) -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build()
}

fn hdr<'a>(r: &'a wiremock::Request, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn expected_sig(r: &wiremock::Request, endpoint: &str) -> String {
    let sts = symmetric_string_to_sign(
        r.method.as_str(),
        endpoint,
        TOKEN,
        &body_sha256_hex(&r.body),
        hdr(r, "x-timestamp"),
    );
    let key = HmacKey::new(&SecretString::from(SECRET.to_string()));
    SignatureEncoding::Base64.encode(&key.sign(sts.as_bytes()))
}

fn api_requests(all: Vec<wiremock::Request>) -> Vec<wiremock::Request> {
    all.into_iter()
        .filter(|r| !r.url.path().contains("access-token"))
        .collect()
}

#[tokio::test]
async fn endpoint_url_below_the_base_path_with_and_without_query() {
    let clock = ManualClock::at_unix(1_709_271_296);
    for (mode, base, expected) in [
        (
            EndpointUrlMode::PathAndQuery,
            EndpointBase::BelowBasePath,
            "/v1.0/transfer-va/inquiry?a=1&b=2",
        ),
        (
            EndpointUrlMode::PathOnly,
            EndpointBase::BelowBasePath,
            "/v1.0/transfer-va/inquiry",
        ),
        (
            EndpointUrlMode::PathAndQuery,
            EndpointBase::FullPath,
            "/snap/v1.0/transfer-va/inquiry?a=1&b=2",
        ),
        (
            EndpointUrlMode::PathOnly,
            EndpointBase::FullPath,
            "/snap/v1.0/transfer-va/inquiry",
        ),
    ] {
        let s = server("/snap/v1.0/access-token/b2b").await;
        Mock::given(path_regex("^/snap/v1.0/.+"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .with_priority(5)
            .mount(&s)
            .await;
        let auth = SnapAuth::builder()
            .credentials(creds())
            .base_url(format!("{}/snap/", s.uri()))
            .profile(profile(|p| {
                p.endpoint_url = mode;
                p.endpoint_base = base;
            }))
            .clock(clock.shared())
            .build()
            .expect("auth");
        client(auth)
            .post(format!("{}/snap/v1.0/transfer-va/inquiry?a=1&b=2", s.uri()))
            .body("{}")
            .send()
            .await
            .expect("send");
        let api = api_requests(s.received_requests().await.expect("rec"));
        assert_eq!(api.len(), 1);
        assert_eq!(
            hdr(&api[0], "x-signature"),
            expected_sig(&api[0], expected),
            "{mode:?} {base:?}"
        );
    }
}

async fn rejecting_server(code: &str, times: u64) -> (MockServer, Arc<AtomicU64>) {
    let s = server("/v1.0/access-token/b2b").await;
    let tokens = Arc::new(AtomicU64::new(0));
    Mock::given(path("/v1.0/x"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "responseCode": code, "responseMessage": "refused",
        })))
        .up_to_n_times(times)
        .with_priority(2)
        .mount(&s)
        .await;
    Mock::given(path("/v1.0/x"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .with_priority(5)
        .mount(&s)
        .await;
    (s, tokens)
}

fn token_requests(all: &[wiremock::Request]) -> usize {
    all.iter()
        .filter(|r| r.url.path().contains("access-token"))
        .count()
}

#[tokio::test]
async fn invalid_token_is_refetched_and_retried_with_a_fresh_external_id() {
    let (s, _) = rejecting_server("4012401", 1).await;
    let auth = SnapAuth::builder()
        .credentials(creds())
        .base_url(s.uri())
        .clock(ManualClock::at_unix(1_709_271_296).shared())
        .build()
        .expect("auth");
    let resp = client(auth)
        .post(format!("{}/v1.0/x", s.uri()))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let all = s.received_requests().await.expect("rec");
    assert_eq!(token_requests(&all), 2, "the rejected token is replaced");
    let api = api_requests(all);
    assert_eq!(api.len(), 2, "one retry");
    assert_ne!(hdr(&api[0], "x-external-id"), hdr(&api[1], "x-external-id"));
}

#[tokio::test]
async fn signature_and_field_errors_are_not_retried() {
    for code in ["4012400", "4017300"] {
        let (s, _) = rejecting_server(code, 1).await;
        let auth = SnapAuth::builder()
            .credentials(creds())
            .base_url(s.uri())
            .clock(ManualClock::at_unix(1_709_271_296).shared())
            .build()
            .expect("auth");
        let resp = client(auth)
            .post(format!("{}/v1.0/x", s.uri()))
            .body("{}")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 401, "{code}: the caller sees the refusal");
        let body: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("body intact");
        assert_eq!(body["responseCode"], code);
        let all = s.received_requests().await.expect("rec");
        assert_eq!(token_requests(&all), 1, "{code}: no refetch");
        assert_eq!(api_requests(all).len(), 1, "{code}: no retry");
    }
}

#[tokio::test]
async fn external_id_hook_runs_per_attempt_and_a_set_id_is_kept() {
    let (s, _) = rejecting_server("4012401", 1).await;
    let n = Arc::new(AtomicU64::new(0));
    let counter = n.clone();
    let clock = ManualClock::at_unix(1_709_271_296);
    let auth = SnapAuth::builder()
        .credentials(creds())
        .base_url(s.uri())
        .clock(clock.shared())
        .external_id_generator(move |_now| {
            format!("ext-{}", counter.fetch_add(1, Ordering::SeqCst))
        })
        .build()
        .expect("auth");
    let c = client(auth);
    c.post(format!("{}/v1.0/x", s.uri()))
        .body("{}")
        .send()
        .await
        .expect("send");
    // Past the cache's cooldown for rejection-driven refetches; reject once more.
    clock.advance(Duration::from_secs(30));
    Mock::given(path("/v1.0/x"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "responseCode": "4012401", "responseMessage": "Invalid Token (B2B)",
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&s)
        .await;
    c.post(format!("{}/v1.0/x", s.uri()))
        .header("x-external-id", "mine-1")
        .body("{}")
        .send()
        .await
        .expect("send");
    let api = api_requests(s.received_requests().await.expect("rec"));
    let ids: Vec<&str> = api.iter().map(|r| hdr(r, "x-external-id")).collect();
    // First request: rejected once, retried with a fresh id; second: rejected, retried, own id.
    assert_eq!(ids, ["ext-0", "ext-1", "mine-1", "mine-1"]);
    assert_eq!(n.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn js_compatible_body_form_is_hashed_and_sent() {
    let s = server("/v1.0/access-token/b2b").await;
    Mock::given(path("/v1.0/x"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&s)
        .await;
    let auth = SnapAuth::builder()
        .credentials(creds())
        .base_url(s.uri())
        .profile(profile(|p| p.body_form = BodyForm::JsCompatible))
        .clock(ManualClock::at_unix(1_709_271_296).shared())
        .build()
        .expect("auth");
    client(auth)
        .post(format!("{}/v1.0/x", s.uri()))
        .body(r#"{ "rate": 1.50, "p": "a\/b", "rate": 2e0 }"#)
        .send()
        .await
        .expect("send");
    let api = api_requests(s.received_requests().await.expect("rec"));
    assert_eq!(api[0].body, br#"{"rate":2,"p":"a/b"}"#);
    assert_eq!(
        hdr(&api[0], "x-signature"),
        expected_sig(&api[0], "/v1.0/x")
    );
    let refused = SnapAuth::builder()
        .credentials(creds())
        .base_url(s.uri())
        .profile(profile(|p| p.body_form = BodyForm::WhitespaceStripped))
        .build()
        .expect_err("not an outgoing form");
    assert_eq!(refused.field(), Some("body_form"));
}

#[tokio::test]
async fn extra_headers_are_added_unless_present() {
    let s = server("/v1.0/access-token/b2b").await;
    Mock::given(path("/v1.0/x"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&s)
        .await;
    let auth = SnapAuth::builder()
        .credentials(creds())
        .base_url(s.uri())
        .extra_header(
            http::HeaderName::from_static("x-device-id"),
            http::HeaderValue::from_static("dev-1"),
        )
        .clock(ManualClock::at_unix(1_709_271_296).shared())
        .build()
        .expect("auth");
    let c = client(auth);
    c.post(format!("{}/v1.0/x", s.uri()))
        .body("{}")
        .send()
        .await
        .expect("send");
    c.post(format!("{}/v1.0/x", s.uri()))
        .header("x-device-id", "own")
        .body("{}")
        .send()
        .await
        .expect("send");
    let api = api_requests(s.received_requests().await.expect("rec"));
    assert_eq!(hdr(&api[0], "x-device-id"), "dev-1");
    assert_eq!(hdr(&api[1], "x-device-id"), "own");
}

fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn keys_in_every_form_sign_alike() {
    let pkcs8 = key_text("client_private_pkcs8.pem");
    let pkcs1 = key_text("client_private_pkcs1.pem");
    let reference = SnapPrivateKey::from_pem("k", &pkcs8).expect("pkcs8");
    let msg = b"10001|2024-03-01T12:34:56+07:00";
    let want = reference.sign(msg);
    let escaped = pkcs8.trim().replace('\n', "\\n");
    let bare8 = pem_body(&pkcs8);
    let bare1 = pem_body(&pkcs1);
    let wrapped = bare8
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join("\n");
    for (form, text) in [
        ("pkcs1", &pkcs1),
        ("escaped", &escaped),
        ("bare pkcs8", &bare8),
        ("bare pkcs1", &bare1),
        ("bare wrapped", &wrapped),
    ] {
        let k =
            SnapPrivateKey::from_pem("private_key", text).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(k.sign(msg), want, "{form}");
    }
    let public = SnapPublicKey::from_pem("public_key", &pem_body(&key_text("client_public.pem")))
        .expect("bare spki");
    assert!(public.verify(msg, &want));
}

#[test]
fn bad_keys_are_typed_errors_without_the_key() {
    let bare = pem_body(&key_text("client_private_pkcs8.pem"));
    let truncated = &bare[..bare.len() / 2];
    let small = pem_body(&key_text("small_1024_pkcs8.pem"));
    let ec = pem_body(&key_text("ec_p256_pkcs8.pem"));
    let not_der = base64::engine::general_purpose::STANDARD.encode(b"definitely not a key");
    for (what, text) in [
        ("truncated", truncated),
        ("small", small.as_str()),
        ("ec", ec.as_str()),
        ("not der", not_der.as_str()),
        ("not base64", "%%%%"),
        ("empty", "  "),
    ] {
        let e = SnapPrivateKey::from_pem("private_key", text).expect_err(what);
        assert_eq!(e.field(), Some("private_key"), "{what}");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(&bare[10..40]), "{what}: the key leaks");
        if what == "small" {
            assert!(shown.contains("1024"), "{shown}");
        }
    }
}

#[test]
fn notification_verifier_tries_the_configured_forms_in_order() {
    use tollgate_snap_b2b::NotificationError;
    use tollgate_snap_b2b::NotificationVerifier;
    use tollgate_snap_b2b::sign::asymmetric_string_to_sign;
    let provider =
        SnapPrivateKey::from_pem("k", &key_text("provider_private_pkcs8.pem")).expect("key");
    let public = SnapPublicKey::from_pem("k", &key_text("provider_public.pem")).expect("key");
    let raw = br#"{ "amount": 1.50, "note": "a\/b" }"#;
    // What a Node server signs: JSON.stringify(JSON.parse(body)).
    let js = br#"{"amount":1.5,"note":"a/b"}"#;
    let ts = "2024-03-01T12:34:56+07:00";
    let sts = asymmetric_string_to_sign("POST", "/notify", &body_sha256_hex(js), ts);
    let sig = SignatureEncoding::Base64.encode(&provider.sign(sts.as_bytes()));
    let clock = ManualClock::at_unix(1_709_271_296).shared();
    let minified_only = NotificationVerifier::new(public.clone()).clock(clock.clone());
    assert_eq!(
        minified_only
            .verify("POST", "/notify", ts, &sig, raw)
            .expect_err("other form"),
        NotificationError::BadSignature
    );
    let both = NotificationVerifier::new(public).clock(clock).body_forms([
        BodyForm::Minified,
        BodyForm::Raw,
        BodyForm::JsCompatible,
    ]);
    let ok = both
        .verify("POST", "/notify", ts, &sig, raw)
        .expect("js form verifies");
    assert_eq!(ok.minified_body, js);
    assert!(matches!(
        both.verify("POST", "/notify", ts, &sig, b"{nope")
            .expect_err("not json"),
        NotificationError::BadSignature | NotificationError::InvalidBody(_)
    ));
}

#[test]
fn every_profile_setting_takes_each_listed_value_and_refuses_others() {
    use tollgate_snap_b2b::{PROFILE_SETTINGS, Profile};
    for s in PROFILE_SETTINGS {
        let listed: Vec<&str> = if s.values.contains(" | ") {
            s.values
                .split(" | ")
                .map(|v| v.split(' ').next().unwrap_or(v))
                .map(|v| match v {
                    "+HH:MM" => "+05:30",
                    "digits:N" => "digits:9",
                    v => v,
                })
                .collect()
        } else {
            vec!["/v9.9/some/path"]
        };
        // Every listed value is taken, and at least one of them changes the ASPI preset.
        let mut changed = false;
        for v in listed {
            let mut p = Profile::aspi();
            p.set(s.name, v)
                .unwrap_or_else(|e| panic!("{} = {v:?}: {e}", s.name));
            changed |= p != Profile::aspi();
        }
        assert!(changed, "{}: no listed value changes the profile", s.name);
        let e = Profile::aspi()
            .set(s.name, "not a value")
            .expect_err(s.name);
        assert_eq!(e.field(), Some(s.name));
    }
}
