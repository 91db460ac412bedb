//! Tracing events exist for fetches and failures, and never carry a secret or a token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tollgate_auth_core::ManualClock;
use tollgate_testkit::conformance::{ConformanceTarget, run_scenarios};
use tollgate_testkit::mock::ReferenceFake;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buf").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Current-thread runtime: the subscriber is thread-local and the fetch tasks run here too.
#[tokio::test]
async fn trace_output_has_events_but_no_secrets() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = ReferenceFake::start(clock.clone()).await;
    let report = run_scenarios(&fake, &clock).await;
    assert!(report.passed(), "{report}");

    let logs = String::from_utf8(buf.0.lock().expect("buf").clone()).expect("utf8");
    assert!(
        logs.contains("fetching token"),
        "fetch events are traced:\n{logs:.2000}"
    );
    assert!(logs.contains("token fetch failed"), "failures are traced");
    assert!(logs.contains("retrying once"), "retries are traced");
    for secret in fake.secrets() {
        assert!(!logs.contains(&secret), "a credential leaked into the logs");
    }
    assert!(!logs.contains("ref-token-"), "a token leaked into the logs");
}
