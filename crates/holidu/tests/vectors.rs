//! The seed page's example token, stage by stage, and tokens of this crate checked by an
//! independent verifier (`jsonwebtoken`).

use std::time::Duration;

use serde_json::Value;
use tollgate_holidu::HoliduCredentials;
use tollgate_holidu::sign::{self, Expectations};

fn vectors(name: &str) -> String {
    format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn seed() -> Value {
    let text = std::fs::read_to_string(vectors("seed_token.json")).expect("vector file");
    serde_json::from_str(&text).expect("json")
}

fn creds() -> HoliduCredentials {
    HoliduCredentials::from_account_info_file(vectors("account_info.json")).expect("seed creds")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().expect(k)
}

#[test]
fn seed_token_stages_match_this_crates_encoding() {
    let v = seed();
    let iat = v["iat"].as_u64().expect("iat");
    let exp = v["exp"].as_u64().expect("exp");
    let header = sign::header_json(s(&v, "key_id"));
    let claims = sign::claims_json(s(&v, "issuer"), iat, exp);
    assert_eq!(header, s(&v, "header_json"));
    assert_eq!(claims, s(&v, "claims_json"));
    assert_eq!(sign::b64url(header.as_bytes()), s(&v, "header_b64"));
    assert_eq!(sign::b64url(claims.as_bytes()), s(&v, "claims_b64"));
    assert_eq!(
        sign::signing_input(&header, &claims),
        s(&v, "signing_input")
    );
    let sig = format!("{}{}", s(&v, "signature_r_hex"), s(&v, "signature_s_hex"));
    let sig = hex_decode(&sig);
    assert_eq!(sign::b64url(&sig), s(&v, "signature_b64"));
    assert_eq!(
        format!("{}.{}", s(&v, "signing_input"), s(&v, "signature_b64")),
        s(&v, "token")
    );
}

fn hex_decode(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn seed_token_verifies_with_the_seed_public_key() {
    let v = seed();
    let c = creds();
    let iat = v["iat"].as_u64().expect("iat");
    let expect = Expectations {
        key_id: c.key_id(),
        issuer: c.issuer(),
        now: iat,
        leeway: 0,
    };
    let claims = sign::verify(s(&v, "token"), c.verifying_key(), &expect).expect("verifies");
    assert_eq!((claims.iat, claims.exp), (1_511_900_000, 1_511_903_600));
    assert_eq!(claims.iss, "NEW_PARTNER");

    // The same token is refused after exp, with another key, or with one flipped bit.
    let late = Expectations {
        now: 1_511_903_600,
        ..expect.clone()
    };
    assert!(sign::verify(s(&v, "token"), c.verifying_key(), &late).is_err());
    let other = std::fs::read_to_string(vectors("keys/other_p256_pkcs8.pem")).expect("key");
    let other = HoliduCredentials::new(c.key_id(), c.issuer(), &other, None).expect("other");
    assert!(sign::verify(s(&v, "token"), other.verifying_key(), &expect).is_err());
    let mut bad = s(&v, "token").to_string();
    let last = bad.pop().expect("char");
    bad.push(if last == 'g' { 'h' } else { 'g' });
    assert!(sign::verify(&bad, c.verifying_key(), &expect).is_err());
}

#[test]
fn crate_tokens_verify_with_jsonwebtoken() {
    let c = creds();
    // The public key as JWK coordinates extracted with openssl (see the vector's note).
    let jwk = &seed()["public_key_jwk"];
    let key = jsonwebtoken::DecodingKey::from_ec_components(s(jwk, "x"), s(jwk, "y")).expect("jwk");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false; // fixed past times; exp is checked by hand below
    validation.set_issuer(&["NEW_PARTNER"]);
    for (iat, life) in [(1_700_000_000u64, 3600u64), (1_511_900_000, 60), (1, 1)] {
        let jwt =
            sign::mint(&c, iat, Duration::from_secs(life), &mut rand::rngs::OsRng).expect("mint");
        use auth_core::ExposeSecret;
        let token = jwt.token.expose_secret();
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("verifies");
        assert_eq!(data.header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(data.header.kid.as_deref(), Some(c.key_id()));
        assert_eq!(data.header.typ.as_deref(), Some("JWT"));
        assert_eq!(data.claims["iat"], iat);
        assert_eq!(data.claims["exp"], iat + life);
        // The header is exactly alg, typ, kid in that order.
        let head = token.split('.').next().expect("header");
        let raw = base64_decode(head);
        assert!(raw.starts_with(br#"{"alg":"ES256","typ":"JWT","kid":"#));
        // Stage outputs agree with the token.
        assert_eq!(jwt.signing_input, token.rsplit_once('.').expect("dot").0);
        assert_eq!(
            sign::b64url(&jwt.signature),
            token.rsplit('.').next().expect("sig")
        );
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("b64")
}

#[test]
fn two_mints_in_the_same_second_differ_and_both_verify() {
    let c = creds();
    let a = sign::mint(
        &c,
        1_700_000_000,
        Duration::from_secs(600),
        &mut rand::rngs::OsRng,
    )
    .expect("a");
    let b = sign::mint(
        &c,
        1_700_000_000,
        Duration::from_secs(600),
        &mut rand::rngs::OsRng,
    )
    .expect("b");
    use auth_core::ExposeSecret;
    assert_ne!(a.token.expose_secret(), b.token.expose_secret());
    let expect = Expectations {
        key_id: c.key_id(),
        issuer: c.issuer(),
        now: 1_700_000_000,
        leeway: 0,
    };
    for t in [&a, &b] {
        sign::verify(t.token.expose_secret(), c.verifying_key(), &expect).expect("verifies");
    }
}
