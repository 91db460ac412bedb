//! tollgate's SNAP transaction signature against kamu-snap-crypto's, where both define the
//! result: an already minified body (kamu-snap-crypto signs the bytes it is given; tollgate
//! minifies first, which leaves a minified body unchanged).

use auth_core::SecretString;
use snap_b2b::sign::{HmacKey, SignatureEncoding, sign_symmetric};

fn kamu(
    secret: &str,
    method: &http::Method,
    path: &str,
    token: &str,
    body: &[u8],
    ts: &str,
) -> String {
    let signer = kamu_snap_crypto::HmacSigner::new(secret.as_bytes()).expect("kamu key");
    let parts = kamu_snap_crypto::snap_bi::ServiceStringToSign {
        method,
        path,
        access_token: token,
        body,
        timestamp: ts,
    };
    signer.sign(parts.build()).to_base64()
}

#[test]
fn symmetric_signatures_agree_with_kamu_snap_crypto() {
    let bodies: [&[u8]; 4] = [
        b"",
        br#"{"partnerServiceId":"   12345","customerNo":"0001","amount":{"value":"10000.00","currency":"IDR"}}"#,
        br#"[1,-2.5e3,true,null,"x  \u00e9 \"q\""]"#,
        "{\"name\":\"Jökul Doe €\"}".as_bytes(),
    ];
    let cases = [
        (
            "secret",
            http::Method::POST,
            "/snap/v1.0/transfer-va/inquiry",
            "tok",
        ),
        (
            "an-other-secret-0123456789",
            http::Method::GET,
            "/v1.0/balance-inquiry?accountNo=1",
            "eyJhbGciOi.x.y",
        ),
    ];
    let mut compared = 0;
    for (secret, method, path, token) in &cases {
        let key = HmacKey::new(&SecretString::from(secret.to_string()));
        for body in bodies {
            let ts = "2026-01-01T00:00:00+07:00";
            let ours = sign_symmetric(
                &key,
                method.as_str(),
                path,
                token,
                body,
                ts,
                SignatureEncoding::Base64,
            )
            .expect("valid JSON");
            assert_eq!(ours.minified_body, body, "a minified body stays as it is");
            assert_eq!(
                ours.signature,
                kamu(secret, method, path, token, body, ts),
                "{method} {path}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 8);
    // The comparison can fail: a different body gives a different signature.
    let key = HmacKey::new(&SecretString::from("secret".to_string()));
    let ours = sign_symmetric(
        &key,
        "POST",
        "/p",
        "tok",
        b"{\"a\":1}",
        "t",
        SignatureEncoding::Base64,
    )
    .expect("valid JSON");
    assert_ne!(
        ours.signature,
        kamu(
            "secret",
            &http::Method::POST,
            "/p",
            "tok",
            b"{\"a\":2}",
            "t"
        )
    );
}
