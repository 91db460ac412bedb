//! Property tests of the callback parser (untrusted input from the network): any bytes give
//! an envelope or a typed error, never a panic; envelopes of any field types are accepted
//! exactly when GTR's shape holds; errors never quote the body; a network check is always
//! answered with success.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tollgate_gtr::callback::{
    self, CallbackAnswer, CallbackEnvelope, CallbackError, CallbackType, MAX_BODY_BYTES,
};

/// A marker that must never appear in an error message.
const MARK: &str = "QQmarkQQ";

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        "[ -~]{0,8}".prop_map(|s| json!(format!("{MARK}{s}"))),
        Just(json!({"k": MARK})),
        Just(json!([MARK])),
        (0i64..20).prop_map(|n| json!(n.to_string())),
    ]
}

fn envelope() -> impl Strategy<Value = Map<String, Value>> {
    let fields = [
        "requestId",
        "invokeVaspCode",
        "originatorVasp",
        "beneficiaryVasp",
        "callbackType",
        "callbackData",
        "callbackScenario",
    ];
    proptest::collection::vec(proptest::option::of(any_value()), fields.len()).prop_map(
        move |values| {
            let mut m = Map::new();
            for (name, v) in fields.iter().zip(values) {
                if let Some(v) = v {
                    m.insert((*name).to_string(), v);
                }
            }
            m
        },
    )
}

/// What the parser must decide for `m`, by GTR's shape.
fn expected_ok(m: &Map<String, Value>) -> bool {
    let strings_ok = [
        "requestId",
        "invokeVaspCode",
        "originatorVasp",
        "beneficiaryVasp",
    ]
    .iter()
    .all(|f| matches!(m.get(*f), None | Some(Value::Null) | Some(Value::String(_))));
    let type_ok = matches!(m.get("callbackType"), Some(Value::Number(n)) if n.as_i64().is_some_and(|c| c >= 0));
    let data_ok = matches!(
        m.get("callbackData"),
        None | Some(Value::Null) | Some(Value::Object(_))
    );
    strings_ok && type_ok && data_ok
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_give_an_envelope_or_a_typed_error(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let parsed = CallbackEnvelope::parse(&body);
        let reply = callback::handle(&body, |_| CallbackAnswer::failure(1, "app"));
        prop_assert_eq!(parsed.is_ok(), reply.status == 200);
        if let Err(e) = parsed {
            prop_assert!(matches!(reply.status.as_u16(), 400 | 413));
            prop_assert_eq!(reply.answer, e.answer());
        }
    }

    #[test]
    fn envelopes_are_accepted_exactly_when_well_shaped(m in envelope()) {
        let body = serde_json::to_vec(&m).expect("json");
        let parsed = CallbackEnvelope::parse(&body);
        prop_assert_eq!(parsed.is_ok(), expected_ok(&m), "{}", String::from_utf8_lossy(&body));
        match parsed {
            Ok(e) => {
                let code = m["callbackType"].as_i64().expect("checked");
                prop_assert_eq!(e.callback_type.code(), code);
                prop_assert_eq!(e.callback_type, CallbackType::from_code(code));
                prop_assert_eq!(e.request_id.as_deref(), m.get("requestId").and_then(Value::as_str));
                // Round trip.
                prop_assert_eq!(CallbackEnvelope::parse(&e.to_json()), Ok(e.clone()));
                let reply = callback::handle(&body, |_| CallbackAnswer::failure(1, "app"));
                prop_assert_eq!(reply.status, 200);
                if code == 0 {
                    prop_assert_eq!(reply.answer, CallbackAnswer::success());
                } else {
                    prop_assert_eq!(reply.answer, CallbackAnswer::failure(1, "app"));
                }
            }
            Err(e) => {
                prop_assert!(!e.to_string().contains(MARK), "{}", e);
                let debug = format!("{:?}", e);
                prop_assert!(!debug.contains(MARK), "{}", debug);
            }
        }
    }

    #[test]
    fn whitespace_and_nesting_do_not_change_the_answer(pad in "[ \t\r\n]{0,8}", depth in 0usize..200) {
        let data = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!("{pad}{{\"callbackType\":0,\"callbackScenario\":{}}}{pad}", if depth == 0 { "null".into() } else { data });
        let reply = callback::handle(body.as_bytes(), |_| CallbackAnswer::failure(1, "app"));
        // serde_json's recursion limit (128) refuses very deep nesting; either way no panic.
        if depth < 100 {
            prop_assert_eq!(reply.answer, CallbackAnswer::success());
        } else {
            prop_assert!(reply.status == 200 || reply.status == 400);
        }
    }
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let mut body = br#"{"callbackType":0,"callbackData":{"pad":""#.to_vec();
    body.resize(MAX_BODY_BYTES + 1, b'a');
    body.extend_from_slice(b"\"}}");
    assert_eq!(
        CallbackEnvelope::parse(&body),
        Err(CallbackError::TooLarge {
            limit: MAX_BODY_BYTES
        })
    );
    assert_eq!(
        callback::handle(&body, |_| CallbackAnswer::success()).status,
        413
    );
}
