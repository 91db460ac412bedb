//! Push-event verification: RS256 only, iss "dragonpass", kid lookup among two keys, exp
//! with leeway against an injected clock. Every rejection path has a test.

use std::time::Duration;

use serde_json::json;
use tollgate_dragonpass::auth_core::{ErrorKind, ManualClock};
use tollgate_dragonpass::sign::{b64url, hs256_signature, rs256_signature, signing_input};
use tollgate_dragonpass::{PushPublicKey, PushVerifier};
use tollgate_dragonpass::{RsaSigningKey, parse_rsa_private_key};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
const NOW: u64 = 1_754_300_000;

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).expect("test key")
}

fn signer(n: u8) -> RsaSigningKey {
    let pem = file(&format!("push_key{n}_private.pem"));
    RsaSigningKey::new(parse_rsa_private_key("k", &pem).expect("private key"))
}

fn jws(header: serde_json::Value, claims: serde_json::Value, key: &RsaSigningKey) -> String {
    let input = signing_input(&b64url(header.to_string()), &b64url(claims.to_string()));
    let sig = rs256_signature(key, &input).expect("sign");
    format!("{input}.{}", b64url(sig))
}

fn event(exp: u64) -> serde_json::Value {
    json!({"iss": "dragonpass", "exp": exp, "eventType": "ORDER_USED", "orderNo": "9007199254740993123"})
}

struct Fixture {
    clock: ManualClock,
    verifier: PushVerifier,
    k1: RsaSigningKey,
    k2: RsaSigningKey,
    k3: RsaSigningKey,
}

fn fixture() -> Fixture {
    let clock = ManualClock::at_unix(NOW);
    let verifier = PushVerifier::new(vec![
        PushPublicKey::from_pem("dp-2025-01", &file("push_key1_public.pem")).expect("k1"),
        PushPublicKey::from_pem("dp-2025-07", &file("push_key2_public.pem")).expect("k2"),
    ])
    .expect("verifier")
    .with_leeway(Duration::from_secs(30))
    .expect("leeway")
    .with_clock(clock.shared());
    Fixture {
        clock,
        verifier,
        k1: signer(1),
        k2: signer(2),
        k3: signer(3),
    }
}

fn rejected(f: &Fixture, token: &str, why: &str) {
    let err = f.verifier.verify(token).expect_err(why);
    assert_eq!(err.kind(), ErrorKind::Verification, "{why}: {err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains(why), "expected {why:?}, got {err}");
}

#[test]
fn both_rotation_keys_verify() {
    let f = fixture();
    let t1 = jws(
        json!({"alg": "RS256", "typ": "JWT", "kid": "dp-2025-01"}),
        event(NOW + 300),
        &f.k1,
    );
    let ev = f.verifier.verify(&t1).expect("key 1");
    assert_eq!(ev.kid, "dp-2025-01");
    assert_eq!(ev.exp, NOW + 300);
    assert_eq!(ev.claims["orderNo"], "9007199254740993123");
    let t2 = jws(
        json!({"alg": "RS256", "kid": "dp-2025-07"}),
        event(NOW + 300),
        &f.k2,
    );
    assert_eq!(
        f.verifier
            .verify(&format!("Bearer {t2}"))
            .expect("key 2")
            .kid,
        "dp-2025-07"
    );
    // The kid selects the key: key 2's token announced as key 1 fails.
    let swapped = jws(
        json!({"alg": "RS256", "kid": "dp-2025-01"}),
        event(NOW + 300),
        &f.k2,
    );
    rejected(&f, &swapped, "bad signature");
}

#[test]
fn alg_none_is_rejected() {
    let f = fixture();
    let input = signing_input(
        &b64url(json!({"alg": "none", "kid": "dp-2025-01"}).to_string()),
        &b64url(event(NOW + 300).to_string()),
    );
    rejected(&f, &format!("{input}."), "algorithm not allowed");
    rejected(&f, &format!("{input}.AAAA"), "algorithm not allowed");
    let no_alg = jws(json!({"kid": "dp-2025-01"}), event(NOW + 300), &f.k1);
    rejected(&f, &no_alg, "no alg");
}

#[test]
fn hs256_key_confusion_is_rejected() {
    let f = fixture();
    // The classic attack: HMAC keyed with the verifier's public key PEM.
    let public = file("push_key1_public.pem");
    let input = signing_input(
        &b64url(json!({"alg": "HS256", "kid": "dp-2025-01"}).to_string()),
        &b64url(event(NOW + 300).to_string()),
    );
    let sig = hs256_signature(public.as_bytes(), &input);
    rejected(
        &f,
        &format!("{input}.{}", b64url(sig)),
        "algorithm not allowed",
    );
    let rs512 = jws(
        json!({"alg": "RS512", "kid": "dp-2025-01"}),
        event(NOW + 300),
        &f.k1,
    );
    rejected(&f, &rs512, "algorithm not allowed");
}

#[test]
fn unknown_and_missing_kid_are_rejected() {
    let f = fixture();
    let t = jws(
        json!({"alg": "RS256", "kid": "dp-2026-01"}),
        event(NOW + 300),
        &f.k3,
    );
    rejected(&f, &t, "unknown kid");
    let t = jws(json!({"alg": "RS256"}), event(NOW + 300), &f.k1);
    rejected(&f, &t, "no kid");
    let t = jws(json!({"alg": "RS256", "kid": 1}), event(NOW + 300), &f.k1);
    rejected(&f, &t, "no kid");
}

#[test]
fn bad_signatures_are_rejected() {
    let f = fixture();
    let stranger = jws(
        json!({"alg": "RS256", "kid": "dp-2025-01"}),
        event(NOW + 300),
        &f.k3,
    );
    rejected(&f, &stranger, "bad signature");
    // Claims swapped after signing.
    let good = jws(
        json!({"alg": "RS256", "kid": "dp-2025-01"}),
        event(NOW + 300),
        &f.k1,
    );
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[1] = b64url(event(NOW + 99_999).to_string());
    rejected(&f, &parts.join("."), "bad signature");
    parts[1] = good.split('.').nth(1).expect("claims").to_string();
    parts[2] = "AAAA".into();
    rejected(&f, &parts.join("."), "bad signature");
    parts[2] = "not*base64".into();
    rejected(&f, &parts.join("."), "not base64url");
    let h = jws(
        json!({"alg": "RS256", "kid": "dp-2025-01", "crit": ["x"]}),
        event(NOW + 300),
        &f.k1,
    );
    rejected(&f, &h, "critical");
}

#[test]
fn wrong_or_missing_issuer_is_rejected() {
    let f = fixture();
    let h = json!({"alg": "RS256", "kid": "dp-2025-01"});
    let t = jws(
        h.clone(),
        json!({"iss": "DragonPass", "exp": NOW + 300}),
        &f.k1,
    );
    rejected(&f, &t, "wrong issuer");
    let t = jws(h, json!({"exp": NOW + 300}), &f.k1);
    rejected(&f, &t, "wrong issuer");
}

#[test]
fn exp_is_checked_with_leeway_against_the_injected_clock() {
    let f = fixture();
    let h = json!({"alg": "RS256", "kid": "dp-2025-01"});
    // Expired 29 s ago: inside the 30 s leeway.
    let t = jws(h.clone(), event(NOW - 29), &f.k1);
    f.verifier.verify(&t).expect("within leeway");
    // Expired 30 s ago: outside.
    let t = jws(h.clone(), event(NOW - 30), &f.k1);
    rejected(&f, &t, "expired");
    // A valid token expires when the clock moves.
    let t = jws(h.clone(), event(NOW + 60), &f.k1);
    f.verifier.verify(&t).expect("valid now");
    f.clock.advance(Duration::from_secs(90));
    rejected(&f, &t, "expired");
    let t = jws(h.clone(), json!({"iss": "dragonpass"}), &f.k1);
    rejected(&f, &t, "no exp");
    let t = jws(
        h.clone(),
        json!({"iss": "dragonpass", "exp": "soon"}),
        &f.k1,
    );
    rejected(&f, &t, "NumericDate");
    let now = NOW + 90;
    let t = jws(
        h,
        json!({"iss": "dragonpass", "exp": now + 600, "nbf": now + 120}),
        &f.k1,
    );
    rejected(&f, &t, "not valid yet");
}

#[test]
fn malformed_tokens_are_rejected() {
    let f = fixture();
    rejected(&f, "", "compact JWS");
    rejected(&f, "a.b", "compact JWS");
    rejected(&f, "a.b.c.d", "compact JWS");
    rejected(&f, "!!.b.c", "not base64url");
    rejected(
        &f,
        &format!("{}.e30.AA", b64url("[1]")),
        "header is not a JSON object",
    );
}

fn k1_header() -> serde_json::Value {
    json!({"alg": "RS256", "kid": "dp-2025-01"})
}

/// The docs never promise `exp`: by default an event without one is accepted when its `iat`
/// is recent (max age), refused when it is old, missing or in the future; `require_exp`
/// restores the strict rule.
#[test]
fn events_without_exp_are_judged_by_their_age() {
    use tollgate_dragonpass::PushPolicy;
    let f = fixture();
    let fresh = jws(
        k1_header(),
        json!({"iss": "dragonpass", "iat": NOW - 60}),
        &f.k1,
    );
    let ev = f.verifier.verify(&fresh).expect("recent iat, no exp");
    // The effective expiry: iat + max age.
    assert_eq!(ev.exp, NOW - 60 + PushPolicy::default().max_age.as_secs());
    let old = jws(
        k1_header(),
        json!({"iss": "dragonpass", "iat": NOW - 400}),
        &f.k1,
    );
    rejected(&f, &old, "too old");
    let future = jws(
        k1_header(),
        json!({"iss": "dragonpass", "iat": NOW + 120}),
        &f.k1,
    );
    rejected(&f, &future, "issued in the future");
    let neither = jws(k1_header(), json!({"iss": "dragonpass"}), &f.k1);
    rejected(&f, &neither, "no exp");
    // Age is measured on the injected clock.
    f.clock.advance(Duration::from_secs(300));
    rejected(&f, &fresh, "too old");

    let strict = fixture();
    let strict = Fixture {
        verifier: strict
            .verifier
            .with_policy(PushPolicy {
                require_exp: true,
                ..PushPolicy::default()
            })
            .expect("policy"),
        ..strict
    };
    let t = jws(
        k1_header(),
        json!({"iss": "dragonpass", "iat": NOW - 1}),
        &strict.k1,
    );
    rejected(&strict, &t, "no exp");
}

/// An `exp` far in the future is not a licence to replay an event for years.
#[test]
fn exp_beyond_the_maximum_lifetime_is_refused() {
    use tollgate_dragonpass::PushPolicy;
    let f = fixture();
    let ten_years = NOW + 10 * 365 * 24 * 3600;
    let t = jws(k1_header(), event(ten_years), &f.k1);
    rejected(&f, &t, "exp too far");
    // Just inside the default maximum lifetime: accepted.
    let max = PushPolicy::default().max_lifetime.as_secs();
    let t = jws(k1_header(), event(NOW + max), &f.k1);
    f.verifier.verify(&t).expect("at the maximum lifetime");
    // Measured from iat when there is one.
    let t = jws(
        k1_header(),
        json!({"iss": "dragonpass", "iat": NOW - 10, "exp": NOW - 10 + max + 1}),
        &f.k1,
    );
    rejected(&f, &t, "exp too far");
    // Configurable.
    let f = fixture();
    let f = Fixture {
        verifier: f
            .verifier
            .with_policy(PushPolicy {
                max_lifetime: Duration::from_secs(600),
                ..PushPolicy::default()
            })
            .expect("policy"),
        ..f
    };
    let t = jws(k1_header(), event(NOW + 900), &f.k1);
    rejected(&f, &t, "exp too far");
    // Nonsense policies are refused.
    let err = fixture()
        .verifier
        .with_policy(PushPolicy {
            max_age: Duration::ZERO,
            ..PushPolicy::default()
        })
        .expect_err("zero max age");
    assert_eq!(err.field(), Some("push_policy"));
}

/// Two keys per event type (the docs' rotation overlap applies to each event type's keys).
#[test]
fn keys_per_event_type() {
    let f = fixture();
    let k3 = PushPublicKey::from_pem("orders-3", &file("push_key3_public.pem")).expect("k3");
    let k2 = PushPublicKey::from_pem("orders-2", &file("push_key2_public.pem")).expect("k2");
    let verifier = f
        .verifier
        .clone()
        .with_event_type_keys("ORDER_USED", vec![k3.clone(), k2])
        .expect("two keys for ORDER_USED");
    // A key of ORDER_USED verifies an ORDER_USED event...
    let t = jws(
        json!({"alg": "RS256", "kid": "orders-3"}),
        event(NOW + 60),
        &f.k3,
    );
    let ev = verifier.verify_event("ORDER_USED", &t).expect("type key");
    assert_eq!(ev.kid, "orders-3");
    // ...not an event of another type, which falls back to the verifier's default keys.
    let err = verifier.verify_event("REFUND", &t).expect_err("other type");
    assert!(err.to_string().contains("unknown kid"), "{err}");
    let refund = json!({"iss": "dragonpass", "exp": NOW + 60, "eventType": "REFUND"});
    let r1 = jws(k1_header(), refund, &f.k1);
    verifier.verify_event("REFUND", &r1).expect("default keys");
    let t1 = jws(k1_header(), event(NOW + 60), &f.k1);
    // The default keys do not verify a type that has its own.
    let err = verifier
        .verify_event("ORDER_USED", &t1)
        .expect_err("default key");
    assert!(err.to_string().contains("unknown kid"), "{err}");
    // Still at most two per type, distinct kids.
    let three = vec![
        k3.clone(),
        PushPublicKey::from_pem("x", &file("push_key1_public.pem")).expect("k"),
        PushPublicKey::from_pem("y", &file("push_key2_public.pem")).expect("k"),
    ];
    let err = f
        .verifier
        .clone()
        .with_event_type_keys("ORDER_USED", three)
        .expect_err("three");
    assert_eq!(err.field(), Some("push_keys"));
    // A verifier can hold only per-type keys.
    let only = PushVerifier::for_event_type("ORDER_USED", vec![k3])
        .expect("per type")
        .with_clock(f.clock.shared());
    only.verify_event("ORDER_USED", &t).expect("per-type only");
    let err = only.verify(&t).expect_err("no default keys");
    assert_eq!(err.kind(), ErrorKind::Verification);
}

/// An endpoint that serves one event type refuses a token of another type (or of none): a
/// valid ORDER_USED event posted to the REFUND endpoint is not a refund.
#[test]
fn verify_event_refuses_a_token_of_another_event_type() {
    let f = fixture();
    let t = jws(k1_header(), event(NOW + 60), &f.k1);
    let err = f
        .verifier
        .verify_event("REFUND", &t)
        .expect_err("ORDER_USED token at the REFUND endpoint");
    assert_eq!(err.kind(), ErrorKind::Verification, "{err}");
    assert_eq!(err.field(), Some("eventType"), "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("event type"), "{err}");
    // Also when the endpoint's type has keys of its own.
    let k3 = PushPublicKey::from_pem("refund-3", &file("push_key3_public.pem")).expect("k3");
    let typed = f
        .verifier
        .clone()
        .with_event_type_keys("REFUND", vec![k3])
        .expect("keys");
    let t3 = jws(
        json!({"alg": "RS256", "kid": "refund-3"}),
        event(NOW + 60),
        &f.k3,
    );
    let err = typed.verify_event("REFUND", &t3).expect_err("wrong type");
    assert_eq!(err.field(), Some("eventType"), "{err}");
    // No eventType, or not a string: refused by a typed endpoint, accepted by `verify`.
    for claims in [
        json!({"iss": "dragonpass", "exp": NOW + 60}),
        json!({"iss": "dragonpass", "exp": NOW + 61, "eventType": 7}),
        json!({"iss": "dragonpass", "exp": NOW + 62, "eventType": "order_used"}),
    ] {
        let t = jws(k1_header(), claims.clone(), &f.k1);
        let err = f
            .verifier
            .verify_event("ORDER_USED", &t)
            .expect_err("no matching eventType");
        assert_eq!(err.field(), Some("eventType"), "{claims}: {err}");
        f.verifier.verify(&t).expect("verify has no expected type");
    }
    // The matching type passes.
    let ev = f
        .verifier
        .verify_event("ORDER_USED", &t)
        .expect("same type");
    assert_eq!(ev.claims["eventType"], "ORDER_USED");
}

/// The identical token delivered twice is reported as a replay (a typed error the app
/// answers idempotently), however it is wrapped; other tokens are not; the seen set
/// forgets a token once the token itself is no longer accepted.
#[test]
fn a_second_delivery_of_the_same_token_is_a_replay() {
    use tollgate_dragonpass::is_push_replay as is_replay;
    let f = fixture();
    let t = jws(k1_header(), event(NOW + 60), &f.k1);
    let first = f.verifier.verify(&t).expect("first delivery");
    for again in [t.clone(), format!("Bearer {t}"), format!("  {t}\n")] {
        let err = f.verifier.verify(&again).expect_err("second delivery");
        assert!(is_replay(&err), "{err}");
        assert_eq!(err.kind(), ErrorKind::Verification);
        assert_eq!(err.field(), Some("replay"));
        assert!(!err.is_retryable());
    }
    // Through verify_event and through a clone of the verifier too (one seen set).
    let err = f
        .verifier
        .clone()
        .verify_event("ORDER_USED", &t)
        .expect_err("replay through a clone");
    assert!(is_replay(&err), "{err}");
    // A forged copy is not a replay: it fails verification first.
    let mut forged: Vec<String> = t.split('.').map(str::to_string).collect();
    forged[2] = "AAAA".into();
    let err = f.verifier.verify(&forged.join(".")).expect_err("forged");
    assert!(!is_replay(&err), "{err}");
    // Another event is not a replay.
    let other = jws(
        k1_header(),
        json!({"iss": "dragonpass", "exp": NOW + 60, "eventType": "ORDER_USED", "orderNo": "2"}),
        &f.k1,
    );
    f.verifier.verify(&other).expect("another event");
    // An app that could not process the first delivery forgets it, so DragonPass's
    // redelivery is processed.
    f.verifier.forget(&first);
    f.verifier.verify(&t).expect("redelivery after forget");
    assert!(is_replay(&f.verifier.verify(&t).expect_err("and again")));
    // Once outside its window the token is refused as expired, not as a replay.
    f.clock.advance(Duration::from_secs(100));
    let err = f.verifier.verify(&t).expect_err("expired");
    assert!(!is_replay(&err), "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
    // A verifier with the check turned off accepts the same token twice.
    let g = fixture();
    let open = g.verifier.with_replay_capacity(0);
    let t = jws(k1_header(), event(NOW + 60), &g.k1);
    open.verify(&t).expect("first");
    open.verify(&t).expect("second, unchecked");
}

/// The seen set is bounded: entries leave when their token's window closes, and at
/// capacity the entry expiring soonest makes room.
#[test]
fn the_seen_set_is_bounded_by_size_and_by_the_freshness_window() {
    use tollgate_dragonpass::is_push_replay as is_replay;
    let f = fixture();
    let v = f.verifier.clone().with_replay_capacity(2);
    let tok = |exp: u64, n: u32| {
        jws(
            k1_header(),
            json!({"iss": "dragonpass", "exp": exp, "eventType": "ORDER_USED", "orderNo": n.to_string()}),
            &f.k1,
        )
    };
    let (a, b, c) = (tok(NOW + 60, 1), tok(NOW + 600, 2), tok(NOW + 900, 3));
    v.verify(&a).expect("a");
    v.verify(&b).expect("b");
    assert_eq!(v.replay_entries(), 2);
    // Full: c pushes out a, the entry expiring soonest; b and c are still replays.
    v.verify(&c).expect("c");
    assert_eq!(v.replay_entries(), 2);
    assert!(is_replay(&v.verify(&b).expect_err("b replay")));
    assert!(is_replay(&v.verify(&c).expect_err("c replay")));
    // Past b's window (exp + leeway), b's entry is gone.
    f.clock.advance(Duration::from_secs(600 + 30));
    let d = tok(NOW + 700 + 600, 4);
    v.verify(&d).expect("d");
    assert_eq!(v.replay_entries(), 2, "c and d");
}
