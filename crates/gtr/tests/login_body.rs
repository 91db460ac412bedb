//! The SSO login body as sent: the crate's fields first, then the documented extras.

use auth_core::ErrorKind;
use serde_json::Value;
use tollgate_gtr::GtrCredentials;
use tollgate_gtr::LoginRequest;
use tollgate_gtr::SsoAuth;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn creds() -> GtrCredentials {
    GtrCredentials::new("vasp_1", "AK1", "secret-key-1").expect("creds")
}

#[tokio::test]
async fn login_body_carries_the_extra_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": {"jwt": "eyJ.a.b", "vaspCode": "vasp_1"},
            "verifyStatus": 100000, "success": true
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/vasp/list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": [], "verifyStatus": 100000, "success": true
        })))
        .mount(&server)
        .await;
    let auth = SsoAuth::builder()
        .credentials(creds())
        .base_url(server.uri())
        .http_client(reqwest::Client::builder())
        .expire_in_minutes(60)
        .login_field("vaspPublicKey", "cHVibGljLWtleQ==")
        .build()
        .expect("auth");
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth.middleware())
        .build();
    let resp = client
        .get(format!("{}/api/vasp/list", server.uri()))
        .send()
        .await
        .expect("call");
    assert_eq!(resp.status(), 200);

    let requests = server.received_requests().await.expect("recorded");
    let login = requests
        .iter()
        .find(|r| r.url.path() == "/api/login")
        .expect("a login");
    let body = std::str::from_utf8(&login.body).expect("utf-8");
    let expected = serde_json::to_string(
        &LoginRequest::new(&creds(), Some(60)).with_field("vaspPublicKey", "cHVibGljLWtleQ=="),
    )
    .expect("json");
    assert_eq!(body, expected);
    assert!(
        body.ends_with(r#","expireInMinutes":60,"vaspPublicKey":"cHVibGljLWtleQ=="}"#),
        "{body}"
    );
    let v: Value = serde_json::from_str(body).expect("json");
    assert_eq!(v["vaspCode"], "vasp_1");
}

#[test]
fn extra_fields_cannot_replace_the_crates_own() {
    for name in [
        "signedSecretKey",
        "vaspCode",
        "accessKey",
        "expireInMinutes",
    ] {
        let err = SsoAuth::builder()
            .credentials(creds())
            .base_url("https://gtr.test")
            .http_client(reqwest::Client::builder())
            .login_field(name, "x")
            .build()
            .expect_err(name);
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials, "{name}");
        assert_eq!(err.field(), Some("login_field"));
    }
}

#[test]
fn the_login_request_wipes_its_signed_secret_key() {
    fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<LoginRequest>();
    let mut request = LoginRequest::new(&creds(), None);
    assert_eq!(request.signed_secret_key.len(), 128);
    zeroize::Zeroize::zeroize(&mut request);
    assert!(request.signed_secret_key.is_empty());
}
