//! The fake's B2B2C (service 74) side: authorization codes, customer tokens, refresh tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::{Clock, ManualClock};
use rand::Rng;
use rand::distributions::Alphanumeric;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{CLIENT_KEY, FakeState, PREFIX, header, snap};
use crate::profile::Profile;
use crate::sign::token_string_to_sign;

/// Lifetime of the customer access tokens the fake issues.
pub(crate) const CUSTOMER_TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// Lifetime of the refresh tokens the fake issues.
pub(crate) const REFRESH_LIFETIME: Duration = Duration::from_secs(10 * 365 * 86_400);
const SERVICE: u8 = 74;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn random() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

#[derive(Default)]
pub(crate) struct CustomerState {
    codes: Mutex<HashMap<String, String>>,
    access: Mutex<HashMap<String, (String, SystemTime)>>,
    refresh: Mutex<HashMap<String, (String, SystemTime)>>,
    pub(crate) require: AtomicBool,
    pub(crate) requests: AtomicU64,
    pub(crate) refusals: AtomicU64,
}

impl CustomerState {
    pub(crate) fn issue_code(&self, customer: &str) -> String {
        let code = random();
        lock(&self.codes).insert(code.clone(), customer.to_string());
        code
    }

    pub(crate) fn expire_refresh_tokens(&self) {
        lock(&self.refresh).clear();
    }

    pub(crate) fn revoke_access_tokens(&self) {
        lock(&self.access).clear();
    }

    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = lock(&self.access).keys().cloned().collect();
        out.extend(lock(&self.refresh).keys().cloned());
        out
    }

    /// `Authorization-Customer`, when present (or required), must be a live customer token.
    pub(crate) fn check_customer(
        &self,
        req: &Request,
        clock: &ManualClock,
    ) -> Result<(), (u16, u8, &'static str)> {
        let Some(v) = header(req, "authorization-customer") else {
            if self.require.load(Ordering::SeqCst) {
                self.refusals.fetch_add(1, Ordering::SeqCst);
                return Err((401, 2, "Invalid Customer Token"));
            }
            return Ok(());
        };
        let live = v
            .strip_prefix("Bearer ")
            .and_then(|t| lock(&self.access).get(t).cloned())
            .is_some_and(|(_, exp)| clock.now() < exp);
        if live {
            Ok(())
        } else {
            self.refusals.fetch_add(1, Ordering::SeqCst);
            Err((401, 2, "Invalid Customer Token"))
        }
    }
}

struct Endpoint {
    state: Arc<FakeState>,
    clock: ManualClock,
}

impl Respond for Endpoint {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let st = &self.state;
        let cs = &st.b2b2c;
        cs.requests.fetch_add(1, Ordering::SeqCst);
        let v = &st.verifier;
        if let Err(e) = v.check_content_type(&req.headers) {
            return snap(
                e.http_status(),
                SERVICE,
                e.case_code(),
                "Invalid Field Format [Content-Type]",
            );
        }
        let (Some(key), Some(ts), Some(sig)) = (
            header(req, "x-client-key"),
            header(req, "x-timestamp"),
            header(req, "x-signature"),
        ) else {
            return snap(400, SERVICE, 2, "Invalid Mandatory Field");
        };
        if let Err(e) = v.check_timestamp(ts) {
            return snap(
                e.http_status(),
                SERVICE,
                e.case_code(),
                "Invalid X-TIMESTAMP",
            );
        }
        let ok = key == CLIENT_KEY
            && st.profile.signature_encoding.decode(sig).is_some_and(|b| {
                st.keys
                    .client_public
                    .verify(token_string_to_sign(key, ts).as_bytes(), &b)
            });
        if !ok {
            return snap(401, SERVICE, 0, "Unauthorized. [Signature]");
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let grant = body.get("grantType").and_then(|g| g.as_str()).unwrap_or("");
        let case = st.profile.b2b2c_grant_case;
        let now = self.clock.now();
        let customer = if grant == case.authorization_code() {
            let code = body.get("authCode").and_then(|c| c.as_str()).unwrap_or("");
            match lock(&cs.codes).remove(code) {
                Some(c) => c,
                None => return snap(401, SERVICE, 0, "Unauthorized. [Invalid authCode]"),
            }
        } else if grant == case.refresh_token() {
            let r = body
                .get("refreshToken")
                .and_then(|c| c.as_str())
                .unwrap_or("");
            match lock(&cs.refresh).remove(r) {
                Some((c, exp)) if now < exp => c,
                _ => return snap(401, SERVICE, 2, "Invalid Customer Token"),
            }
        } else {
            return snap(400, SERVICE, 1, "Invalid Field Format [grantType]");
        };
        let (access, refresh) = (random(), random());
        let access_exp = now + CUSTOMER_TOKEN_LIFETIME;
        let refresh_exp = now + REFRESH_LIFETIME;
        lock(&cs.access).insert(access.clone(), (customer.clone(), access_exp));
        lock(&cs.refresh).insert(refresh.clone(), (customer, refresh_exp));
        let f = st.profile.timestamp;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "responseCode": "2007400",
            "responseMessage": "Successful",
            "accessToken": access,
            "tokenType": "Bearer",
            "accessTokenExpiryTime": f.format(access_exp),
            "refreshToken": refresh,
            "refreshTokenExpiryTime": f.format(refresh_exp),
        }))
    }
}

pub(crate) async fn mount(
    server: &MockServer,
    state: Arc<FakeState>,
    clock: ManualClock,
    profile: &Profile,
) {
    Mock::given(method("POST"))
        .and(path(format!("{PREFIX}{}", profile.b2b2c_token_path)))
        .respond_with(Endpoint { state, clock })
        .with_priority(1)
        .mount(server)
        .await;
}
