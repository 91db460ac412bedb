//! Stage-by-stage checks against the vectors in `tests/vectors/` (made with
//! python3 and openssl, see the README there).

use serde_json::Value;
use tollgate_dragonpass::sign::{
    Algorithm, b64url, claims_json, header_json, hs256_signature, rs256_signature, sign_jwt,
    signing_input,
};
use tollgate_dragonpass::{SelfSignedCredentials, SigningKey};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");

fn vector(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{DIR}{name}")).expect("vector file");
    serde_json::from_str(&text).expect("vector json")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("vector field {k}"))
}

#[test]
fn hs256_seed_vector_stage_by_stage() {
    let v = vector("hs256.json");
    let issuer = s(&v, "issuer");
    let exp = v["exp"].as_u64().expect("exp");
    assert_eq!(
        issuer, "6A909655CF67444A93262A665CDD235F",
        "the seed's issuer"
    );

    let h = header_json(Algorithm::Hs256, None);
    assert_eq!(h, s(&v, "header_json"));
    assert_eq!(b64url(&h), s(&v, "header_b64"));
    let c = claims_json(issuer, exp);
    assert_eq!(c, s(&v, "claims_json"));
    assert_eq!(b64url(&c), s(&v, "claims_b64"));
    let input = signing_input(s(&v, "header_b64"), s(&v, "claims_b64"));
    assert_eq!(input, s(&v, "signing_input"));
    let sig = hs256_signature(s(&v, "secret").as_bytes(), &input);
    assert_eq!(hex(&sig), s(&v, "signature_hex"));
    assert_eq!(b64url(sig), s(&v, "signature_b64"));

    let creds = SelfSignedCredentials::hs256(issuer, s(&v, "secret")).expect("creds");
    let stages = sign_jwt(creds.key(), creds.issuer(), None, exp).expect("sign");
    assert_eq!(stages.header_b64, s(&v, "header_b64"));
    assert_eq!(stages.claims_b64, s(&v, "claims_b64"));
    assert_eq!(stages.signing_input, s(&v, "signing_input"));
    assert_eq!(stages.signature_b64, s(&v, "signature_b64"));
    assert_eq!(stages.token, s(&v, "token"));
    // A different exp changes the claims and the signature.
    let other = sign_jwt(creds.key(), creds.issuer(), None, exp + 1).expect("sign");
    assert_ne!(other.token, stages.token);
}

#[test]
fn rs256_vector_stage_by_stage_pkcs8_and_pkcs1() {
    let v = vector("rs256.json");
    let issuer = s(&v, "issuer");
    let exp = v["exp"].as_u64().expect("exp");
    assert_eq!(header_json(Algorithm::Rs256, None), s(&v, "header_json"));
    assert_eq!(claims_json(issuer, exp), s(&v, "claims_json"));
    for file in ["private_key_file", "private_key_pkcs1_file"] {
        let pem = std::fs::read_to_string(format!("{DIR}{}", s(&v, file))).expect("pem");
        let creds = SelfSignedCredentials::rs256_pem(issuer, &pem).expect("rsa creds");
        let SigningKey::Rs256(key) = creds.key() else {
            panic!("expected an RS256 key")
        };
        let sig = rs256_signature(key, s(&v, "signing_input")).expect("sign");
        assert_eq!(hex(&sig), s(&v, "signature_hex"), "{file}");
        let stages = sign_jwt(creds.key(), creds.issuer(), None, exp).expect("sign");
        assert_eq!(stages.signing_input, s(&v, "signing_input"));
        assert_eq!(stages.signature_b64, s(&v, "signature_b64"));
        assert_eq!(stages.token, s(&v, "token"), "{file}");
    }
}

#[test]
fn kid_goes_into_the_header_only_when_configured() {
    let pem = std::fs::read_to_string(format!("{DIR}client_rsa_pkcs8.pem")).expect("pem");
    let creds = SelfSignedCredentials::rs256_pem("ISS", &pem)
        .expect("creds")
        .with_key_id("client-2025")
        .expect("kid");
    let stages = sign_jwt(creds.key(), creds.issuer(), creds.key_id(), 1).expect("sign");
    assert_eq!(
        stages.header_json,
        r#"{"alg":"RS256","typ":"JWT","kid":"client-2025"}"#
    );
    assert!(!format!("{stages:?}").contains(&stages.signature_b64));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RS256 signing is blinded: the private-key operation draws randomness (rsa 0.9's
/// `try_sign` does not, and RUSTSEC-2023-0071 is waived in deny.toml on the ground that
/// signing is blinded). PKCS#1 v1.5 signatures are deterministic, so the bytes still equal
/// the vector.
#[test]
fn rs256_signing_is_blinded_and_still_matches_the_vector() {
    use rand::{CryptoRng, RngCore};
    struct Counting(rand::rngs::StdRng, usize);
    impl RngCore for Counting {
        fn next_u32(&mut self) -> u32 {
            self.1 += 1;
            self.0.next_u32()
        }
        fn next_u64(&mut self) -> u64 {
            self.1 += 1;
            self.0.next_u64()
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            self.1 += 1;
            self.0.fill_bytes(dest)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.1 += 1;
            self.0.try_fill_bytes(dest)
        }
    }
    impl CryptoRng for Counting {}

    let v = vector("rs256.json");
    let pem = std::fs::read_to_string(format!("{DIR}{}", s(&v, "private_key_file"))).expect("pem");
    let creds = SelfSignedCredentials::rs256_pem(s(&v, "issuer"), &pem).expect("rsa creds");
    let SigningKey::Rs256(key) = creds.key() else {
        panic!("expected an RS256 key")
    };
    let mut rng = Counting(rand::SeedableRng::seed_from_u64(7), 0);
    let sig =
        tollgate_dragonpass::sign::rs256_signature_with_rng(key, s(&v, "signing_input"), &mut rng)
            .expect("sign");
    assert!(rng.1 > 0, "the signature was made without blinding");
    assert_eq!(hex(&sig), s(&v, "signature_hex"));
}
