//! The crate against GTR's current documentation: answers, codes, `api_key.csv` and login
//! fields as GTR's pages show them.

use http::StatusCode;
use serde_json::Value;
use tollgate_gtr::{ErrorKind, check_envelope, parse_login_response};

const JWT: &str = "eyJ.as-documented.sig";

/// The login answer as GTR's login reference shows it: no `success` field.
#[test]
fn login_success_without_success_field() {
    let body = format!(
        r#"{{"data":{{"jwt":"{JWT}","vaspCode":"v"}},"verifyStatus":100000,"verifyMessage":"Verify Success"}}"#
    );
    let d = parse_login_response(StatusCode::OK, None, body.as_bytes()).expect("a success");
    assert_eq!(d.jwt, JWT);
    // The string form of the code, too.
    let body = format!(r#"{{"data":{{"jwt":"{JWT}"}},"verifyStatus":"100000"}}"#);
    parse_login_response(StatusCode::OK, None, body.as_bytes()).expect("a success");
}

/// Manual-verify and `/api/verify/query` answers: no `success` field either.
#[test]
fn api_success_without_success_field() {
    let body = br#"{"data":{"n":1},"verifyStatus":100000,"verifyMessage":"Verify Success"}"#;
    let data: Option<Value> = check_envelope(StatusCode::OK, None, body).expect("a success");
    assert_eq!(data.expect("data")["n"], 1);
    // No data at all is still a success (the caller decides whether it needs data).
    let none: Option<Value> = check_envelope(
        StatusCode::OK,
        None,
        br#"{"verifyStatus":100000,"verifyMessage":"Verify Success"}"#,
    )
    .expect("a success");
    assert!(none.is_none());
}

/// `success: false`, another code, or no code and no `success` are never a success.
#[test]
fn what_is_not_a_success() {
    let jwt = format!(r#"{{"jwt":"{JWT}"}}"#);
    for body in [
        format!(r#"{{"data":{jwt},"verifyStatus":100000,"success":false}}"#),
        format!(r#"{{"data":{jwt},"verifyStatus":100001,"verifyMessage":"x"}}"#),
        format!(r#"{{"data":{jwt},"verifyStatus":100006,"success":true}}"#),
        format!(r#"{{"data":{jwt}}}"#),
        format!(r#"{{"data":{jwt},"success":false}}"#),
    ] {
        let e =
            parse_login_response(StatusCode::OK, None, body.as_bytes()).expect_err(body.as_str());
        assert!(!format!("{e} {e:?}").contains(JWT), "{e:?}");
        check_envelope::<Value>(StatusCode::OK, None, body.as_bytes()).expect_err(body.as_str());
    }
    // A success code on a failed HTTP status is not a success.
    let body = format!(r#"{{"data":{jwt},"verifyStatus":100000}}"#);
    let e = parse_login_response(StatusCode::INTERNAL_SERVER_ERROR, None, body.as_bytes())
        .expect_err("HTTP 500");
    assert_eq!(e.kind(), ErrorKind::ServerError);
    // `success: true` without a code stays a success, as before.
    let body = format!(r#"{{"data":{jwt},"success":true}}"#);
    parse_login_response(StatusCode::OK, None, body.as_bytes()).expect("success: true");
}

#[cfg(feature = "test-util")]
mod fake {
    use auth_core::ManualClock;
    use serde_json::Value;
    use tollgate_gtr::SsoAuth;
    use tollgate_gtr::mock::GtrFake;

    /// Logs in through the fake and makes one API call; returns the raw login answer.
    async fn login_and_call(fake: &GtrFake) -> Value {
        let raw = fake
            .http_client()
            .expect("client")
            .post(format!("{}/api/login", fake.uri()))
            .header("content-type", "application/json")
            .body(
                serde_json::to_vec(&tollgate_gtr::LoginRequest::new(&fake.credentials(), None))
                    .expect("json"),
            )
            .send()
            .await
            .expect("login");
        let raw: Value = serde_json::from_slice(&raw.bytes().await.expect("body")).expect("json");
        let auth = SsoAuth::builder()
            .credentials(fake.credentials())
            .base_url(fake.uri())
            .http_client(fake.http_client_builder().expect("builder"))
            .build()
            .expect("auth");
        let client = reqwest_middleware::ClientBuilder::new(fake.http_client().expect("client"))
            .with(auth.middleware())
            .build();
        let r = client
            .get(format!("{}/api/vasp/list", fake.uri()))
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), 200);
        let body: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
        let data = tollgate_gtr::check_envelope::<Value>(
            http::StatusCode::OK,
            None,
            body.to_string().as_bytes(),
        )
        .expect("the API answer is a success");
        assert!(data.is_some());
        raw
    }

    /// By default the fake answers as GTR's current login reference shows: no `success`.
    #[tokio::test]
    async fn fake_login_without_success_field() {
        let fake = GtrFake::start(ManualClock::at_unix(1_701_734_400)).await;
        let raw = login_and_call(&fake).await;
        assert!(raw.get("success").is_none(), "{raw}");
        assert_eq!(raw["verifyStatus"], "100000");
        assert_eq!(fake.logins(), 2);
    }

    /// With `success: true` (GTR's older examples) logins work just the same.
    #[tokio::test]
    async fn fake_login_with_success_field() {
        let fake = GtrFake::start(ManualClock::at_unix(1_701_734_400)).await;
        fake.set_success_field(true);
        let raw = login_and_call(&fake).await;
        assert_eq!(raw["success"], true, "{raw}");
        assert_eq!(fake.logins(), 2);
    }
}

mod codes {
    use std::time::Duration;

    use http::{HeaderMap, HeaderValue, StatusCode};
    use tollgate_gtr::{ErrorKind, Origin, VerifyStatus, check_envelope, error_from_response};

    const STATUSES: [u16; 4] = [200, 400, 402, 500];

    fn status(s: u16) -> StatusCode {
        StatusCode::from_u16(s).expect("status")
    }

    /// 100003 (quota exceeded): GTR says to buy a new subscription, so retrying is useless.
    #[test]
    fn quota_exceeded_is_not_retryable() {
        for origin in [Origin::Api, Origin::TokenEndpoint] {
            for s in STATUSES {
                let e =
                    error_from_response(origin, status(s), Some(VerifyStatus::QuotaExceeded), None);
                assert_eq!(e.kind(), ErrorKind::RateLimited, "{s} {origin:?}");
                assert!(!e.is_retryable(), "{s} {origin:?}: {e:?}");
                assert_eq!(e.retry_after(), None);
                assert_eq!(e.provider_code(), Some("100003"));
            }
            // HTTP 402 without an envelope is the same quota answer.
            let e = error_from_response(origin, StatusCode::PAYMENT_REQUIRED, None, None);
            assert_eq!(e.kind(), ErrorKind::RateLimited);
            assert!(!e.is_retryable(), "{e:?}");
        }
        let e = check_envelope::<serde_json::Value>(
            StatusCode::OK,
            None,
            br#"{"verifyStatus":100003,"verifyMessage":"quota exceeded"}"#,
        )
        .expect_err("quota");
        assert!(!e.is_retryable());
    }

    /// 100006 (GTR server fail): retry every 30 s.
    #[test]
    fn server_fail_retries_after_30_s() {
        for origin in [Origin::Api, Origin::TokenEndpoint] {
            for s in STATUSES {
                let e =
                    error_from_response(origin, status(s), Some(VerifyStatus::ServerFail), None);
                assert_eq!(e.kind(), ErrorKind::ServerError, "{s} {origin:?}");
                assert!(e.is_retryable());
                assert_eq!(e.retry_after(), Some(Duration::from_secs(30)), "{s}");
            }
        }
        // A Retry-After header from the server wins over the documented interval.
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("5"));
        let e = error_from_response(
            Origin::Api,
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(VerifyStatus::ServerFail),
            Some(&h),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
        // In a 200 body, too.
        let e = check_envelope::<serde_json::Value>(
            StatusCode::OK,
            None,
            br#"{"verifyStatus":100006,"verifyMessage":"GTR server fail"}"#,
        )
        .expect_err("server fail");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    }

    /// 100001, 100016, 200001–200003, 200007: named codes, final (not retryable), whatever
    /// the HTTP status they come with.
    #[test]
    fn listed_codes_are_named_and_final() {
        for code in [100001u64, 100016, 200001, 200002, 200003, 200007] {
            let v = VerifyStatus::from_code(code);
            assert!(!matches!(v, VerifyStatus::Other(_)), "{code} has no name");
            assert_eq!(v.code(), code);
            assert!(!v.is_token_rejected() && !v.is_success());
            for origin in [Origin::Api, Origin::TokenEndpoint] {
                for s in STATUSES {
                    let e = error_from_response(origin, status(s), Some(v), None);
                    assert_eq!(e.kind(), ErrorKind::Provider, "{code} {s} {origin:?}");
                    assert!(!e.is_retryable(), "{code} {s} {origin:?}: {e:?}");
                    assert_eq!(e.provider_code(), Some(code.to_string().as_str()));
                }
            }
        }
    }
}

mod api_key_csv {
    use tollgate_gtr::{ErrorKind, ExposeSecret, GtrCredentials};

    const SECRET: &str = "S3cr3tK3yValue0123456789";

    /// GTR's pages name the columns `vasp_code`, `access_key`, `secret_key`.
    #[test]
    fn api_key_csv_with_the_names_on_gtrs_pages() {
        let text = format!(
            "vasp_code,access_key,secret_key,curvePublicKey,curvePrivateKey\r\nv_1,AK1,{SECRET},pub,priv\r\n"
        );
        let c = GtrCredentials::from_api_key_csv_str(&text).expect("snake_case header");
        assert_eq!(c.vasp_code(), "v_1");
        assert_eq!(c.access_key(), "AK1");
        assert_eq!(c.secret_key().expose_secret(), SECRET);
        // Mixed spellings, any order.
        let text = format!("secret_key,vaspCode,access_key\n\"{SECRET}\",v_1,AK1\n");
        let c = GtrCredentials::from_api_key_csv_str(&text).expect("mixed header");
        assert_eq!(c.secret_key().expose_secret(), SECRET);
    }

    /// Both spellings of one column: which one holds the key is ambiguous.
    #[test]
    fn api_key_csv_both_spellings_of_a_column_are_refused() {
        let text = format!("vaspCode,accessKey,access_key,secretKey\nv,AK1,AK2,{SECRET}\n");
        let e = GtrCredentials::from_api_key_csv_str(&text).expect_err("ambiguous");
        assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
        assert_eq!(e.field(), Some("api_key.csv"));
        assert!(!format!("{e} {e:?}").contains(SECRET));
    }

    /// Quoting the `csv` way: a quoted value may hold commas; a line break inside quotes
    /// makes a value that is refused by name (not a "line" error echoing nothing useful).
    #[test]
    fn api_key_csv_quoting() {
        let text = format!("vaspCode,accessKey,secretKey\n\"v,1\",AK1,\"{SECRET}\"\n");
        let e = GtrCredentials::from_api_key_csv_str(&text).expect("comma in a quoted value");
        assert_eq!(e.vasp_code(), "v,1");
        let text = format!("vaspCode,accessKey,secretKey\nv,AK1,\"{SECRET}\nmore\"\n");
        let e = GtrCredentials::from_api_key_csv_str(&text).expect_err("line break in a secret");
        assert_eq!(e.field(), Some("secretKey"), "{e}");
        assert!(!format!("{e} {e:?}").contains(SECRET));
        // Stray quotes are still refused, never silently dropped.
        for row in [
            format!("v,\"AK1\"x,{SECRET}"),
            format!("v,AK1,{SECRET}\"x"),
            format!("v,AK1,\"{SECRET}"),
        ] {
            let text = format!("vaspCode,accessKey,secretKey\n{row}\n");
            let e = GtrCredentials::from_api_key_csv_str(&text).expect_err(&row);
            assert_eq!(e.field(), Some("api_key.csv"), "{row}: {e}");
            assert!(!format!("{e} {e:?}").contains(SECRET));
        }
    }
}

mod login_fields {
    use tollgate_gtr::{ErrorKind, GtrCredentials, LoginRequest, LoginSource, SsoAuth};

    fn creds() -> GtrCredentials {
        GtrCredentials::new("vasp_1", "AK1", "secret-key-1").expect("creds")
    }

    fn build(minutes: u32) -> Result<SsoAuth, tollgate_gtr::AuthError> {
        SsoAuth::builder()
            .credentials(creds())
            .base_url("https://uat-platform.globaltravelrule.com")
            .http_client(reqwest::Client::builder())
            .expire_in_minutes(minutes)
            .build()
    }

    /// `expireInMinutes` is an int32 at GTR: larger values are refused before any login.
    #[test]
    fn expire_in_minutes_is_bounded_to_int32() {
        let max = u32::try_from(i32::MAX).expect("fits");
        build(max).expect("i32::MAX minutes");
        for too_big in [max + 1, u32::MAX] {
            let e = build(too_big).expect_err("above i32::MAX");
            assert_eq!(e.kind(), ErrorKind::InvalidCredentials);
            assert_eq!(e.field(), Some("expire_in_minutes"), "{e}");
        }
        // The same bound when the login body is built by hand.
        let e = LoginSource::from_request(
            reqwest::Client::new(),
            "https://uat-platform.globaltravelrule.com",
            LoginRequest::new(&creds(), Some(u32::MAX)),
        )
        .expect_err("above i32::MAX");
        assert_eq!(e.field(), Some("expireInMinutes"), "{e}");
    }
}
