//! Opening `.p12` files as OpenSSL, Java keytool and GTR's portal write them.
//!
//! `p12-keystore` 0.2 decrypts the contents (PBES2 with AES or 3DES, the legacy PBES1
//! RC2-40/3DES) and assembles the chain. Before it runs, this module:
//! - verifies the MAC itself, for SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 (p12-keystore
//!   knows only SHA-1 and SHA-256), then hands p12-keystore the file without its MAC;
//! - rewraps an unencrypted key bag (`openssl pkcs12 -keypbe NONE`), which p12-keystore
//!   ignores, as a shrouded key bag under the same password (in memory only);
//! - names the algorithm of anything it cannot read (a MAC digest, a PBES1 scheme, a PBES2
//!   cipher or key derivation), instead of "not a valid PKCS#12 file".
//!
//! Every decrypted key copy made here is wiped on drop.

use auth_core::AuthError;
use cms::content_info::ContentInfo;
use der::asn1::{ContextSpecific, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Sequence};
use hmac::Mac;
use pkcs5::pbes2;
use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
use pkcs12::pbe_params::EncryptedPrivateKeyInfo;
use pkcs12::pfx::Pfx;
use pkcs12::safe_bag::{SafeBag, SafeContents};
use zeroize::Zeroizing;

use cms::cert::x509::spki::AlgorithmIdentifierOwned;

/// MAC and PBKDF iteration counts above this are refused: the count comes from the file, and
/// OpenSSL (2048) and Java (10 000 – 100 000) stay far below it.
pub(crate) const MAX_ITERATIONS: i32 = 10_000_000;

const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const PBE_SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
const SCRYPT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11591.4.11");

/// A readable name for the algorithms a `.p12` may name.
fn algorithm_name(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.2.2" => "MD2",
        "1.2.840.113549.2.5" => "MD5",
        "1.3.14.3.2.26" => "SHA-1",
        "1.2.840.113549.1.12.1.1" => "pbeWithSHAAnd128BitRC4 (RC4-128)",
        "1.2.840.113549.1.12.1.2" => "pbeWithSHAAnd40BitRC4 (RC4-40)",
        "1.2.840.113549.1.12.1.4" => "pbeWithSHAAnd2-KeyTripleDES-CBC (2-key 3DES)",
        "1.2.840.113549.1.12.1.5" => "pbeWithSHAAnd128BitRC2-CBC (RC2-128)",
        "1.2.840.113549.1.5.1" => "pbeWithMD2AndDES-CBC (PBES1)",
        "1.2.840.113549.1.5.3" => "pbeWithMD5AndDES-CBC (PBES1)",
        "1.2.840.113549.1.5.4" => "pbeWithMD2AndRC2-CBC (PBES1)",
        "1.2.840.113549.1.5.6" => "pbeWithMD5AndRC2-CBC (PBES1)",
        "1.2.840.113549.1.5.10" => "pbeWithSHA1AndDES-CBC (PBES1)",
        "1.2.840.113549.1.5.11" => "pbeWithSHA1AndRC2-CBC (PBES1)",
        "1.3.14.3.2.7" => "DES-CBC",
        "1.2.840.113549.3.2" => "RC2-CBC",
        "1.2.840.113549.3.4" => "RC4",
        "2.16.840.1.101.3.4.1.6" => "AES-128-GCM",
        "2.16.840.1.101.3.4.1.46" => "AES-256-GCM",
        "1.2.840.113549.2.7" => "hmacWithSHA1",
        "1.2.840.113549.2.8" => "hmacWithSHA224",
        "1.2.840.113549.2.9" => "hmacWithSHA256",
        "1.2.840.113549.2.10" => "hmacWithSHA384",
        "1.2.840.113549.2.11" => "hmacWithSHA512",
        "1.2.840.113549.1.7.3" => "public-key encryption (enveloped data)",
        "1.2.840.113549.1.7.2" => "public-key integrity (signed data)",
        _ => "",
    };
    if name.is_empty() {
        format!("OID {oid}")
    } else {
        format!("{name}, OID {oid}")
    }
}

fn unsupported(what: &str, oid: &ObjectIdentifier) -> AuthError {
    AuthError::invalid_field(
        "p12",
        format!("uses an unsupported {what}: {}", algorithm_name(oid)),
    )
}

fn malformed() -> AuthError {
    AuthError::invalid_field("p12", "is not a valid PKCS#12 file")
}

fn wrong_password() -> AuthError {
    AuthError::invalid_field(
        "p12_password",
        "is wrong (the PKCS#12 integrity check or decryption failed)",
    )
}

/// `PBES2-params` read loosely, to name what `pkcs5` cannot read.
#[derive(Sequence)]
struct LoosePbes2 {
    kdf: AlgorithmIdentifierOwned,
    encryption: AlgorithmIdentifierOwned,
}

/// `PBKDF2-params` read loosely (salt as any, iteration count, optional key length, PRF).
#[derive(Sequence)]
struct LoosePbkdf2 {
    salt: Any,
    iterations: u32,
    key_length: Option<u32>,
    prf: Option<AlgorithmIdentifierOwned>,
}

/// Ok if p12-keystore (with pkcs5's `3des` and `sha1-insecure`) can decrypt with `alg`;
/// otherwise an error naming the algorithm.
fn check_encryption(alg: &AlgorithmIdentifierOwned) -> Result<(), AuthError> {
    match alg.oid {
        PBE_SHA1_3DES | PBE_SHA1_RC2_40 => Ok(()),
        PBES2 => {
            let params = alg
                .parameters
                .as_ref()
                .ok_or_else(malformed)?
                .to_der()
                .map_err(|_| malformed())?;
            if let Ok(p) = pbes2::Parameters::from_der(&params) {
                if let pbes2::Kdf::Pbkdf2(k) = &p.kdf
                    && i64::from(k.iteration_count) > i64::from(MAX_ITERATIONS)
                {
                    return Err(AuthError::invalid_field(
                        "p12",
                        "asks for more PBKDF2 iterations than this crate allows",
                    ));
                }
                return Ok(());
            }
            let loose = LoosePbes2::from_der(&params).map_err(|_| malformed())?;
            match loose.kdf.oid {
                PBKDF2 => {
                    let prf = loose
                        .kdf
                        .parameters
                        .as_ref()
                        .and_then(|p| p.to_der().ok())
                        .and_then(|d| LoosePbkdf2::from_der(&d).ok())
                        .and_then(|p| p.prf);
                    // A known PRF with an unknown cipher: name the cipher.
                    match prf {
                        Some(prf)
                            if !matches!(
                                prf.oid.to_string().as_str(),
                                "1.2.840.113549.2.7"
                                    | "1.2.840.113549.2.8"
                                    | "1.2.840.113549.2.9"
                                    | "1.2.840.113549.2.10"
                                    | "1.2.840.113549.2.11"
                            ) =>
                        {
                            Err(unsupported("PBKDF2 pseudo-random function", &prf.oid))
                        }
                        _ => Err(unsupported(
                            "PBES2 encryption algorithm",
                            &loose.encryption.oid,
                        )),
                    }
                }
                SCRYPT => Err(unsupported(
                    "PBES2 encryption algorithm",
                    &loose.encryption.oid,
                )),
                other => Err(unsupported("PBES2 key derivation", &other)),
            }
        }
        other => Err(unsupported("encryption algorithm", &other)),
    }
}

macro_rules! verify_mac_with {
    ($digest:ty, $password:expr, $mac:expr, $data:expr) => {{
        let key = Zeroizing::new(
            derive_key_utf8::<$digest>(
                $password,
                $mac.mac_salt.as_bytes(),
                Pkcs12KeyType::Mac,
                $mac.iterations,
                <$digest as sha2::Digest>::output_size(),
            )
            .map_err(|_| malformed())?,
        );
        let mut hmac = hmac::Hmac::<$digest>::new_from_slice(&key).map_err(|_| malformed())?;
        hmac.update($data);
        hmac.verify_slice($mac.mac.digest.as_bytes()).is_ok()
    }};
}

/// The inner value of a `[0] EXPLICIT` bag value as `pkcs12` decodes it (tag included).
fn bag_inner(bag: &SafeBag) -> Result<Any, AuthError> {
    ContextSpecific::<Any>::from_der(&bag.bag_value)
        .map(|c| c.value)
        .map_err(|_| malformed())
}

/// A key bag's `PrivateKeyInfo`, encrypted under `password` as a PBES2 (PBKDF2-SHA256, one
/// iteration: it never leaves memory) shrouded key bag value.
fn shroud(private_key_info: &[u8], password: &str) -> Result<Vec<u8>, AuthError> {
    let salt: [u8; 16] = rand::random();
    let iv: [u8; 16] = rand::random();
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(1, &salt, &iv)
        .map_err(|_| AuthError::new(auth_core::ErrorKind::Internal, "PBES2 setup failed"))?;
    let encrypted = params
        .encrypt(password.as_bytes(), private_key_info)
        .map_err(|_| AuthError::new(auth_core::ErrorKind::Internal, "PBES2 encryption failed"))?;
    let encryption_algorithm = AlgorithmIdentifierOwned {
        oid: PBES2,
        parameters: Some(
            Any::from_der(&params.to_der().map_err(|_| malformed())?).map_err(|_| malformed())?,
        ),
    };
    EncryptedPrivateKeyInfo {
        encryption_algorithm,
        encrypted_data: OctetString::new(encrypted).map_err(|_| malformed())?,
    }
    .to_der()
    .map_err(|_| malformed())
}

/// The PFX in `der`, its MAC (if any) verified with `password`.
fn open_verified(der: &[u8], password: &str) -> Result<Pfx, AuthError> {
    let pfx = Pfx::from_der(der).map_err(|_| malformed())?;
    if pfx.auth_safe.content_type != DATA {
        return Err(unsupported("integrity mode", &pfx.auth_safe.content_type));
    }
    let content = pfx.auth_safe.content.value();
    if let Some(mac) = &pfx.mac_data {
        if !(1..=MAX_ITERATIONS).contains(&mac.iterations) {
            return Err(AuthError::invalid_field(
                "p12",
                "has a MAC iteration count out of range",
            ));
        }
        let ok = match mac.mac.algorithm.oid {
            SHA1 => verify_mac_with!(sha1::Sha1, password, mac, content),
            SHA224 => verify_mac_with!(sha2::Sha224, password, mac, content),
            SHA256 => verify_mac_with!(sha2::Sha256, password, mac, content),
            SHA384 => verify_mac_with!(sha2::Sha384, password, mac, content),
            SHA512 => verify_mac_with!(sha2::Sha512, password, mac, content),
            other => return Err(unsupported("MAC algorithm", &other)),
        };
        if !ok {
            return Err(wrong_password());
        }
    }
    Ok(pfx)
}

/// Checks `der` (MAC, algorithms) and returns a PFX that p12-keystore 0.2 can open with the
/// same password: no MAC (verified here), unencrypted key bags shrouded.
pub(crate) fn normalize(der: &[u8], password: &str) -> Result<Vec<u8>, AuthError> {
    let pfx = open_verified(der, password)?;
    let content = pfx.auth_safe.content.value();
    let safes: Vec<ContentInfo> = Vec::<ContentInfo>::from_der(content).map_err(|_| malformed())?;
    let mut out = Vec::with_capacity(safes.len());
    for safe in safes {
        match safe.content_type {
            DATA => {
                // Plain safe contents may hold an unencrypted key bag: the copies made here
                // are wiped (the caller's own buffer, the file as read, holds it in the clear).
                let content = Zeroizing::new(safe.content.to_der().map_err(|_| malformed())?);
                let bytes = Zeroizing::new(
                    OctetString::from_der(&content)
                        .map_err(|_| malformed())?
                        .into_bytes(),
                );
                let bags = SafeContents::from_der(&bytes).map_err(|_| malformed())?;
                let mut rewritten = Vec::with_capacity(bags.len());
                for mut bag in bags {
                    let inner = bag_inner(&bag)?;
                    let (bag_id, value) = match bag.bag_id {
                        KEY_BAG => {
                            let key = Zeroizing::new(inner.to_der().map_err(|_| malformed())?);
                            zeroize::Zeroize::zeroize(&mut bag.bag_value);
                            (SHROUDED_KEY_BAG, shroud(&key, password)?)
                        }
                        SHROUDED_KEY_BAG => {
                            let info = EncryptedPrivateKeyInfo::from_der(
                                &inner.to_der().map_err(|_| malformed())?,
                            )
                            .map_err(|_| malformed())?;
                            check_encryption(&info.encryption_algorithm)?;
                            (bag.bag_id, inner.to_der().map_err(|_| malformed())?)
                        }
                        id => (id, inner.to_der().map_err(|_| malformed())?),
                    };
                    rewritten.push(SafeBag {
                        bag_id,
                        bag_value: value,
                        bag_attributes: bag.bag_attributes,
                    });
                }
                let encoded = Zeroizing::new(rewritten.to_der().map_err(|_| malformed())?);
                let octets = OctetString::new(encoded.as_slice()).map_err(|_| malformed())?;
                out.push(ContentInfo {
                    content_type: DATA,
                    content: Any::encode_from(&octets).map_err(|_| malformed())?,
                });
            }
            ENCRYPTED_DATA => {
                let data = cms::encrypted_data::EncryptedData::from_der(
                    &safe.content.to_der().map_err(|_| malformed())?,
                )
                .map_err(|_| malformed())?;
                check_encryption(&data.enc_content_info.content_enc_alg)?;
                out.push(safe);
            }
            other => return Err(unsupported("content protection", &other)),
        }
    }
    let auth_safe = Zeroizing::new(out.to_der().map_err(|_| malformed())?);
    let octets = OctetString::new(auth_safe.as_slice()).map_err(|_| malformed())?;
    let pfx = Pfx {
        version: pfx.version,
        auth_safe: ContentInfo {
            content_type: DATA,
            content: Any::encode_from(&octets).map_err(|_| malformed())?,
        },
        mac_data: None,
    };
    pfx.to_der().map_err(|_| malformed())
}

/// Decrypts the contents of an `EncryptedData` safe (PBES2 through `pkcs5`; the PKCS#12
/// PBES1 schemes of `openssl -legacy` and Java keytool: 3DES and RC2-40 with the PKCS#12 key
/// derivation over SHA-1). `check_encryption` has accepted `alg` before.
fn decrypt_safe(
    alg: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
) -> Result<Vec<u8>, AuthError> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(malformed)?
        .to_der()
        .map_err(|_| malformed())?;
    match alg.oid {
        PBES2 => pbes2::Parameters::from_der(&params)
            .map_err(|_| malformed())?
            .decrypt(password.as_bytes(), ciphertext)
            .map_err(|_| wrong_password()),
        PBE_SHA1_3DES | PBE_SHA1_RC2_40 => {
            let pbe =
                pkcs12::pbe_params::Pkcs12PbeParams::from_der(&params).map_err(|_| malformed())?;
            if !(1..=MAX_ITERATIONS).contains(&pbe.iterations) {
                return Err(AuthError::invalid_field(
                    "p12",
                    "has an encryption iteration count out of range",
                ));
            }
            let key_len = if alg.oid == PBE_SHA1_3DES { 24 } else { 5 };
            let derive = |kind, len| {
                derive_key_utf8::<sha1::Sha1>(
                    password,
                    pbe.salt.as_bytes(),
                    kind,
                    pbe.iterations,
                    len,
                )
                .map(Zeroizing::new)
                .map_err(|_| malformed())
            };
            let key = derive(Pkcs12KeyType::EncryptionKey, key_len)?;
            let iv = derive(Pkcs12KeyType::Iv, 8)?;
            let plain = if alg.oid == PBE_SHA1_3DES {
                cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                    .map_err(|_| malformed())?
                    .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            } else {
                // RC2 with a 5-byte key: 40 effective key bits, as the scheme's name says.
                cbc::Decryptor::<rc2::Rc2>::new_from_slices(&key, &iv)
                    .map_err(|_| malformed())?
                    .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            };
            plain.map_err(|_| wrong_password())
        }
        other => Err(unsupported("encryption algorithm", &other)),
    }
}

/// The X.509 certificates (DER) of a certificates-only `.p12` (a trust store, as Java keytool
/// and `openssl pkcs12 -export -nokeys` write it), its MAC verified with `password` and its
/// encrypted safes decrypted. A file holding a private key is refused: a trust store holds
/// certificates only (the key would mean an identity file was given by mistake).
pub(crate) fn certificates(der: &[u8], password: &str) -> Result<Vec<Vec<u8>>, AuthError> {
    let pfx = open_verified(der, password)?;
    let safes: Vec<ContentInfo> =
        Vec::<ContentInfo>::from_der(pfx.auth_safe.content.value()).map_err(|_| malformed())?;
    let mut certs = Vec::new();
    for safe in safes {
        let contents = match safe.content_type {
            DATA => OctetString::from_der(&safe.content.to_der().map_err(|_| malformed())?)
                .map_err(|_| malformed())?
                .into_bytes(),
            ENCRYPTED_DATA => {
                let data = cms::encrypted_data::EncryptedData::from_der(
                    &safe.content.to_der().map_err(|_| malformed())?,
                )
                .map_err(|_| malformed())?;
                let alg = &data.enc_content_info.content_enc_alg;
                check_encryption(alg)?;
                let ciphertext = data
                    .enc_content_info
                    .encrypted_content
                    .as_ref()
                    .ok_or_else(malformed)?;
                decrypt_safe(alg, ciphertext.as_bytes(), password)?
            }
            other => return Err(unsupported("content protection", &other)),
        };
        // A wrong password that happened to unpad still yields garbage here.
        let bags = SafeContents::from_der(&contents).map_err(|_| wrong_password())?;
        for bag in bags {
            match bag.bag_id {
                CERT_BAG => {
                    let inner = bag_inner(&bag)?.to_der().map_err(|_| malformed())?;
                    let cert =
                        pkcs12::cert_type::CertBag::from_der(&inner).map_err(|_| malformed())?;
                    if cert.cert_id != X509_CERTIFICATE {
                        return Err(AuthError::invalid_field(
                            "p12",
                            "holds a certificate type other than X.509",
                        ));
                    }
                    certs.push(cert.cert_value.into_bytes());
                }
                KEY_BAG | SHROUDED_KEY_BAG => {
                    return Err(AuthError::invalid_field(
                        "p12",
                        "holds a private key: a trust store holds certificates only",
                    ));
                }
                // CRLs, secrets, nested safe contents: nothing to trust.
                _ => {}
            }
        }
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_algorithms_are_named_by_oid() {
        let oid = ObjectIdentifier::new_unwrap("1.2.3.4");
        assert_eq!(algorithm_name(&oid), "OID 1.2.3.4");
        let md5 = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        assert!(algorithm_name(&md5).starts_with("MD5"));
    }

    #[test]
    fn garbage_is_not_a_pkcs12_file() {
        let e = normalize(b"\x30\x03\x02\x01\x03", "pw").expect_err("garbage");
        assert_eq!(e.field(), Some("p12"));
    }
}
