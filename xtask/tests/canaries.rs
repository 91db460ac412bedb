//! Secret canaries: every registered provider's conformance scenarios and fault matrix run
//! with tracing captured at TRACE; no credential value, nor its hex or base64 form
//! (`testkit::conformance::secret_forms`), may appear in the logs or the reports (which
//! carry every failure reason). The scenarios themselves already check the error, body and
//! `Debug` texts they collect the same way (the `no secrets in output` rows).

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_core::ManualClock;
use testkit::conformance::{run_fault_matrix, run_scenarios, text_leaks};

#[allow(dead_code)]
#[path = "../src/providers.rs"]
mod providers;

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

// Current-thread runtime: the subscriber is thread-local, and the token caches' fetch
// tasks run on this thread too, so their events are captured.
#[tokio::test]
async fn no_provider_leaks_a_credential_in_any_form() {
    let mut checked = 0;
    for p in providers::ALL {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let clock = ManualClock::at_unix(1_700_000_000);
        let target = (p.start)(clock.clone()).await;
        let report = run_scenarios(target.as_ref(), &clock).await;
        assert!(report.passed(), "{report}");
        let faults = run_fault_matrix(target.as_ref(), &clock).await;
        assert!(faults.passed(), "{faults}");
        drop(guard);

        let logs = String::from_utf8(buf.0.lock().expect("buf").clone()).expect("utf8");
        assert!(
            logs.contains("TRACE") || logs.contains("DEBUG"),
            "{}: TRACE capture saw nothing, the canary would be blind",
            p.name
        );
        let secrets = target.secrets();
        assert!(!secrets.is_empty(), "{}: no secrets to look for", p.name);
        let texts = vec![
            logs,
            format!("{report}"),
            format!("{report:?}"),
            format!("{faults}"),
            format!("{faults:?}"),
        ];
        let leaks = text_leaks(&secrets, &texts);
        assert!(leaks.is_empty(), "{}: {leaks:?}", p.name);
        checked += 1;
    }
    assert_eq!(checked, providers::ALL.len());
}

#[test]
fn the_canary_catches_an_encoded_leak() {
    let secret = "canary-secret-value-0042".to_string();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("id:{secret}"));
    let texts = vec![format!("Authorization: Basic {b64}")];
    assert_eq!(text_leaks(&[secret], &texts).len(), 1);
}
