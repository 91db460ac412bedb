//! `reqwest-tracing` outside the auth middleware (added first): tollgate's token-fetch
//! events happen inside the request's span, so they are traced with the call that caused
//! them.
#![cfg(feature = "test-util")]

use std::sync::{Arc, Mutex};

use reqwest_middleware::ClientBuilder;
use reqwest_tracing::TracingMiddleware;
use tollgate_v5_openapi::ManualClock;
use tollgate_v5_openapi::mock::{ConformanceTarget, V5Fake};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Each event's message and the spans it happened in, outermost first (reqwest-tracing's
/// span, whose name is per request, is recorded as "reqwest-tracing").
type Events = Arc<Mutex<Vec<(String, Vec<String>)>>>;

struct Capture(Events);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let scope = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        if span.metadata().fields().field("otel.name").is_some() {
                            "reqwest-tracing".to_string()
                        } else {
                            span.name().to_string()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().expect("lock").push((message.0, scope));
    }
}

// One thread: the token fetch task runs where the thread-local subscriber is set.
#[tokio::test(flavor = "current_thread")]
async fn token_fetch_events_happen_inside_the_reqwest_tracing_span() {
    let events = Events::default();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(Capture(events.clone())),
    );
    let clock = ManualClock::at_unix(1_700_000_000);
    let fake = V5Fake::start(clock.clone()).await;
    let auth = fake
        .auth_builder()
        .clock(clock.shared())
        .build()
        .expect("auth");
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(TracingMiddleware::default()) // added first: outside the signer
        .with(auth.middleware())
        .build();
    let resp = fake.call(&client).await.expect("call");
    assert!(resp.status().is_success(), "{}", resp.status());
    let events = events.lock().expect("lock").clone();
    for wanted in ["fetching token", "token fetched"] {
        let (_, scope) = events
            .iter()
            .find(|(m, _)| m == wanted)
            .unwrap_or_else(|| panic!("no {wanted:?} event in {events:?}"));
        assert_eq!(
            scope.first().map(String::as_str),
            Some("reqwest-tracing"),
            "{wanted:?} outside the request's span: {scope:?}"
        );
        assert!(scope.iter().any(|s| s == "token_fetch"), "{scope:?}");
    }
}
