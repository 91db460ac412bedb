//! The `metrics_server` example, run against the V5 fake: `/metrics` carries the tollgate
//! counters with the fake's numbers, `/healthz` answers 200 while a token is usable and 503
//! once the token endpoint has been failing past the grace.

#[path = "../examples/metrics_server.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use testkit::conformance::ConformanceTarget;
use tollgate_v5_openapi::ManualClock;
use tollgate_v5_openapi::mock::V5Fake;

async fn get(base: &str, path: &str) -> (u16, String) {
    let resp = reqwest::get(format!("{base}{path}")).await.expect("get");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_healthz_report_the_fakes_numbers() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = V5Fake::start(clock.clone()).await;
    // A recorder of this test's own (no global install): the auth registers with it.
    let recorder = PrometheusBuilder::new().build_recorder();
    let prometheus = recorder.handle();
    let (auth, client) = metrics::with_local_recorder(&recorder, || {
        let auth = fake
            .auth_builder()
            .clock(clock.shared())
            .metrics_label("example")
            .build()
            .expect("auth");
        let client = example::client(&auth).expect("client");
        (auth, client)
    });
    example::sign_requests(&client, &fake.uri(), 3)
        .await
        .expect("signed calls");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(example::serve(listener, auth.clone(), prometheus));

    let (status, body) = get(&base, "/metrics").await;
    assert_eq!(status, 200);
    // Labels in the order the handles were registered with.
    let labels = r#"provider="v5-openapi",credential="example""#;
    for line in [
        format!(
            r#"tollgate_token_fetches_total{{{labels},outcome="ok"}} {}"#,
            fake.token_fetches()
        ),
        format!(r#"tollgate_token_fetches_total{{{labels},outcome="server_error"}} 0"#),
        r#"tollgate_requests_signed_total{provider="v5-openapi"} 3"#.to_string(),
        format!("tollgate_token_rejections_total{{{labels}}} 0"),
        format!("tollgate_token_fetch_seconds_count{{{labels}}} 1"),
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "no `{line}` in /metrics:\n{body}"
        );
    }
    assert!(
        body.lines()
            .any(|l| l.starts_with("tollgate_token_expires_in_seconds{")),
        "{body}"
    );
    assert_eq!(fake.token_fetches(), 1);

    let (status, body) = get(&base, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("state=fresh usable=true"), "{body}");

    // The token expires while the token endpoint is down.
    fake.fake_core().expect("core").set_failing(true);
    clock.advance(Duration::from_secs(24 * 3600));
    auth.token().await.expect_err("the token endpoint is down");
    // Within the grace: still ready.
    let (status, _) = get(&base, "/healthz").await;
    assert_eq!(status, 200);
    // Failing for longer than the grace, without a token: unready.
    clock.advance(example::READINESS_GRACE);
    let (status, body) = get(&base, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("last_error=server_error"), "{body}");
    let (status, _) = get(&base, "/nothing").await;
    assert_eq!(status, 404);
    server.abort();
}
