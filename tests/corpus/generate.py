#!/usr/bin/env python3
"""Writes the bad-input corpus (one file per input) and manifest.json.

Run from this directory: python3 generate.py. It writes each crate's files and manifest into
crates/<crate>/tests/corpus/ (so that each crate's package carries its own corpus); inputs
derived from test keys are read from crates/<crate>/tests/vectors. Every entry says which crate and loader reads the file and what error it
must produce ("kind": an ErrorKind name, or a NotificationError variant / "MinifyError"
for the SNAP verifier and minifier) and why: "field", the field the error names, or
"check", words of the error's message that name the check that refused the input (the
CHECKS table below). Every entry has one of the two, so an input refused for another
reason than the one it was written for fails the corpus.
"""
import base64, hashlib, hmac, json, os

CRATES = "../../crates"
entries = []

def rd(p):
    crate, rest = p.split("/", 1)
    with open(os.path.join(CRATES, crate, "tests", "vectors", rest), "rb") as f:
        return f.read()

def add(crate, loader, name, data, kind, field=None, note=""):
    out = os.path.join(CRATES, crate, "tests", "corpus")
    os.makedirs(out, exist_ok=True)
    path = f"{crate}/{name}"
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    e = {"file": path, "crate": crate, "loader": loader, "kind": kind}
    if field:
        e["field"] = field
    if note:
        e["note"] = note
    entries.append(e)

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

IC = "InvalidCredentials"
IR = "InvalidResponse"

# ---- dragonpass: RSA private keys (parse_rsa_private_key("private_key", ..))
rsa8 = rd("dragonpass/client_rsa_pkcs8.pem").decode()
add("dragonpass", "rsa_private_key", "key_empty.pem", "", IC, "private_key")
add("dragonpass", "rsa_private_key", "key_ec_p256.pem", rd("dragonpass/ec_p256_private.pem"), IC, "private_key")
add("dragonpass", "rsa_private_key", "key_public_not_private.pem", rd("dragonpass/client_rsa_public.pem"), IC, "private_key")
add("dragonpass", "rsa_private_key", "key_truncated.pem", rsa8[: len(rsa8) // 2] + "\n-----END PRIVATE KEY-----\n", IC, "private_key")
add("dragonpass", "rsa_private_key", "key_not_base64.pem", "-----BEGIN PRIVATE KEY-----\n!!!!not base64!!!!\n-----END PRIVATE KEY-----\n", IC, "private_key")
add("dragonpass", "rsa_private_key", "key_certificate_label.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", IC, "private_key")
add("dragonpass", "rsa_private_key", "key_rsa1024.pem", rd("dragonpass/rsa1024_private.pem"), IC, "private_key", "under MIN_RSA_BITS")
add("dragonpass", "rsa_private_key", "key_binary.bin", bytes(range(256)), IC, "private_key")
# ---- dragonpass: push public keys
add("dragonpass", "push_public_key", "push_key_private_given.pem", rd("dragonpass/push_key1_private.pem"), IC, "push_public_key")
add("dragonpass", "push_public_key", "push_key_garbage.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", IC, "push_public_key")
# ---- dragonpass: program ids
add("dragonpass", "program_id", "program_id_letters.txt", "12a4", IC, "program_id")
add("dragonpass", "program_id", "program_id_crlf.txt", "1234\r\nX-Injected: 1", IC, "program_id")
add("dragonpass", "program_id", "program_id_too_long.txt", "1" * 40, IC, "program_id")
# ---- dragonpass: token responses (HTTP 200 bodies)
add("dragonpass", "token_response", "token_html.json", "<html><body>502 Bad Gateway</body></html>", IR)
add("dragonpass", "token_response", "token_no_token.json", '{"code":0,"message":"success","data":{}}', IR)
add("dragonpass", "token_response", "token_empty_token.json", '{"code":0,"message":"success","data":{"accessToken":""}}', IR)
add("dragonpass", "token_response", "token_code_bool.json", '{"code":true,"data":{"accessToken":"x"}}', IR)
add("dragonpass", "token_response", "token_array.json", "[]", IR)
add("dragonpass", "token_response", "token_refused.json", '{"code":401,"message":"invalid clientId or secret","data":null}', "Unauthorized")
add("dragonpass", "token_response", "token_server_code.json", '{"code":"500","message":"system error"}', "ServerError")
add("dragonpass", "token_response", "token_truncated.json", '{"code":0,"data":{"accessToken":"ey', IR)
# ---- dragonpass: push-event tokens (verified with push_key1 / kid "k1")
push_priv = rd("dragonpass/push_key1_public.pem")
hdr = lambda d: b64u(json.dumps(d).encode())
add("dragonpass", "push_token", "push_empty.txt", "", "Verification")
add("dragonpass", "push_token", "push_two_parts.txt", "abc.def", "Verification")
add("dragonpass", "push_token", "push_four_parts.txt", "a.b.c.d", "Verification")
add("dragonpass", "push_token", "push_header_not_base64.txt", "!!!.e30.sig", "Verification")
add("dragonpass", "push_token", "push_alg_none.txt", hdr({"alg": "none", "typ": "JWT", "kid": "k1"}) + "." + b64u(b'{"exp":9999999999}') + ".", "Verification")
# Algorithm confusion: HS256 keyed with the RSA public key PEM.
h = hdr({"alg": "HS256", "typ": "JWT", "kid": "k1"}); c = b64u(b'{"exp":9999999999}')
sig = hmac.new(push_priv, f"{h}.{c}".encode(), hashlib.sha256).digest()
add("dragonpass", "push_token", "push_alg_confusion_hs256.txt", f"{h}.{c}.{b64u(sig)}", "Verification")
add("dragonpass", "push_token", "push_unknown_kid.txt", hdr({"alg": "RS256", "typ": "JWT", "kid": "nope"}) + "." + c + "." + b64u(b"x" * 256), "Verification")
add("dragonpass", "push_token", "push_bad_signature.txt", hdr({"alg": "RS256", "typ": "JWT", "kid": "k1"}) + "." + c + "." + b64u(b"x" * 256), "Verification")
add("dragonpass", "push_token", "push_huge.txt", "a" * 100_000 + ".b.c", "Verification")
add("dragonpass", "push_token", "push_header_not_json.txt", b64u(b"not json") + "." + c + "." + b64u(b"x"), "Verification")

# ---- snap-b2b: keys (SnapPrivateKey/SnapPublicKey::from_pem("key", ..))
add("snap-b2b", "private_key", "key_ec_p256.pem", rd("snap-b2b/keys/ec_p256_pkcs8.pem"), IC, "key")
add("snap-b2b", "private_key", "key_rsa1024.pem", rd("snap-b2b/keys/small_1024_pkcs8.pem"), IC, "key", "SNAP mandates RSA-2048")
add("snap-b2b", "private_key", "key_public_given.pem", rd("snap-b2b/keys/client_public.pem"), IC, "key")
add("snap-b2b", "private_key", "key_empty.pem", "", IC, "key")
add("snap-b2b", "private_key", "key_no_pem.txt", "just some text, no PEM armour", IC, "key")
add("snap-b2b", "public_key", "pub_private_given.pem", rd("snap-b2b/keys/client_private_pkcs8.pem"), IC, "key")
add("snap-b2b", "public_key", "pub_garbage.pem", "-----BEGIN PUBLIC KEY-----\n%%%%\n-----END PUBLIC KEY-----\n", IC, "key")
# ---- snap-b2b: bodies the minifier must refuse
for name, body in [
    ("body_trailing_comma.json", '{"a":1,}'),
    ("body_missing_value.json", '{"a":}'),
    ("body_unclosed_array.json", "[1,2"),
    ("body_unterminated_string.json", '{"a":"abc}'),
    ("body_single_quotes.json", "{'a':1}"),
    ("body_bare_word.json", "nul"),
    ("body_control_char.json", '{"a":"x\x01y"}'),
    ("body_two_documents.json", '{"a":1} {"b":2}'),
]:
    add("snap-b2b", "minify", name, body, "MinifyError")
# ---- snap-b2b: notifications {method, url, timestamp, signature, body}; the verifier's
# clock is 2024-01-01T00:00:00+07:00, window 5 min, provider key = keys/provider_public.pem
def notif(name, kind, **kw):
    d = {"method": "POST", "url": "/v1.0/transfer-va/payment", "timestamp": "2024-01-01T00:00:00+07:00",
         "signature": base64.b64encode(b"\x01" * 256).decode(), "body": '{"a":1}'}
    d.update(kw)
    add("snap-b2b", "notification", name, json.dumps(d), kind)
notif("notify_timestamp_words.json", "MalformedTimestamp", timestamp="yesterday")
notif("notify_timestamp_empty.json", "MalformedTimestamp", timestamp="")
notif("notify_stale.json", "StaleTimestamp", timestamp="2023-12-31T23:00:00+07:00")
notif("notify_future.json", "StaleTimestamp", timestamp="2024-01-01T01:00:00+07:00")
notif("notify_signature_not_base64.json", "MalformedSignature", signature="%%%not-base64%%%")
notif("notify_body_invalid.json", "InvalidBody", body='{"a":1,}')
notif("notify_bad_signature.json", "BadSignature")
notif("notify_signature_empty.json", "BadSignature", signature="")
# ---- snap-b2b: token responses (HTTP 200 bodies)
add("snap-b2b", "token_response", "token_not_json.json", "Service Unavailable", IR)
add("snap-b2b", "token_response", "token_expires_words.json", '{"responseCode":"2007300","accessToken":"t","tokenType":"Bearer","expiresIn":"soon"}', IR)
add("snap-b2b", "token_response", "token_expires_zero.json", '{"responseCode":"2007300","accessToken":"t","tokenType":"Bearer","expiresIn":"0"}', IR)
add("snap-b2b", "token_response", "token_missing.json", '{"responseCode":"2007300","tokenType":"Bearer","expiresIn":"900"}', IR)
add("snap-b2b", "token_response", "token_expires_negative.json", '{"responseCode":"2007300","accessToken":"t","expiresIn":-5}', IR)

# ---- v5-openapi: credential documents (V5Credentials::from_json_str)
add("v5-openapi", "credentials_json", "creds_not_json.json", "app_id=1", IC, "credentials_json")
add("v5-openapi", "credentials_json", "creds_array.json", "[]", IC, "credentials_json")
add("v5-openapi", "credentials_json", "creds_missing_secret.json", '{"app_id":"app-1"}', IC, "app_secret")
add("v5-openapi", "credentials_json", "creds_missing_id.json", '{"app_secret":"s3cret-value"}', IC, "app_id")
add("v5-openapi", "credentials_json", "creds_empty_id.json", '{"app_id":"","app_secret":"s3cret-value"}', IC, "app_id")
add("v5-openapi", "credentials_json", "creds_crlf_id.json", '{"app_id":"app\\r\\nX-Evil: 1","app_secret":"s3cret-value"}', IC, "app_id")
add("v5-openapi", "credentials_json", "creds_empty_secret.json", '{"app_id":"app-1","app_secret":""}', IC, "app_secret")
# ---- v5-openapi: token responses (HTTP 200 bodies, Endpoint::Token)
add("v5-openapi", "token_response", "token_not_json.json", "<html/>", IR)
add("v5-openapi", "token_response", "token_no_data.json", '{"code":0,"msg":"ok"}', IR)
add("v5-openapi", "token_response", "token_bad_signature.json", '{"code":40003,"msg":"signature verification failed"}', "Unauthorized")
add("v5-openapi", "token_response", "token_truncated.json", '{"code":0,"data":{"token":"ab', IR)

# ---- holidu: account_info.json (HoliduCredentials::from_account_info_json)
info = json.loads(rd("holidu/account_info.json"))
def acct(name, note="", **kw):
    d = dict(info); d.update(kw)
    d = {k: v for k, v in d.items() if v is not None}
    add("holidu", "account_info_json", name, json.dumps(d, indent=2), IC, note=note)
add("holidu", "account_info_json", "acct_not_json.json", "keyId: 1", IC)
add("holidu", "account_info_json", "acct_empty_object.json", "{}", IC)
acct("acct_rsa_key.json", privateKey=rd("holidu/keys/rsa2048_pkcs8.pem").decode())
acct("acct_p384_key.json", privateKey=rd("holidu/keys/p384_pkcs8.pem").decode())
acct("acct_ed25519_key.json", privateKey=rd("holidu/keys/ed25519_pkcs8.pem").decode())
acct("acct_empty_key_id.json", keyId="")
acct("acct_issuer_crlf.json", issuer="NEW\r\nPARTNER")
acct("acct_mismatched_public.json", publicKey=rd("holidu/keys/other_p256_public.pem").decode())
acct("acct_garbage_private.json", privateKey="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
acct("acct_missing_private.json", privateKey=None)

# ---- gtr: api_key.csv (GtrCredentials::from_api_key_csv_str)
add("gtr", "api_key_csv", "csv_empty.csv", "", IC, "api_key.csv")
add("gtr", "api_key_csv", "csv_header_only.csv", "vaspCode,accessKey,secretKey\n", IC, "api_key.csv")
add("gtr", "api_key_csv", "csv_missing_column.csv", "vaspCode,accessKey\nVASP1,AK1\n", IC, "api_key.csv")
add("gtr", "api_key_csv", "csv_duplicate_column.csv", "vaspCode,vaspCode,accessKey,secretKey\nA,B,C,D\n", IC, "api_key.csv")
add("gtr", "api_key_csv", "csv_unclosed_quote.csv", 'vaspCode,accessKey,secretKey\n"VASP1,AK1,SK1\n', IC, "api_key.csv")
add("gtr", "api_key_csv", "csv_non_ascii.csv", "vaspCode,accessKey,secretKey\nVASP\u00e9,AK1,SK1secretsecret\n", IC, "vaspCode")
add("gtr", "api_key_csv", "csv_empty_secret.csv", "vaspCode,accessKey,secretKey\nVASP1,AK1,\n", IC, "secretKey")
# ---- gtr: login responses (HTTP 200 bodies)
add("gtr", "login_response", "login_not_json.json", "<html>", IR)
add("gtr", "login_response", "login_refused.json", '{"verifyStatus":100020,"verifyMessage":"no auth","success":false,"data":null}', "Unauthorized")
add("gtr", "login_response", "login_no_token.json", '{"verifyStatus":100000,"verifyMessage":"ok","success":true,"data":{}}', IR)
# ---- gtr: PKCS#12 (ClientIdentity::from_pkcs12(bytes, "changeit"))
add("gtr", "pkcs12", "p12_garbage.p12", b"\x30\x82\x01\x00" + b"\x00" * 64, IC)
add("gtr", "pkcs12", "p12_empty.p12", b"", IC)
add("gtr", "pkcs12", "p12_pem_instead.p12", rd("gtr/mtls/client.pem"), IC)
add("gtr", "pkcs12", "p12_truncated.p12", rd("gtr/mtls/client.p12")[:200], IC)

# What refuses each input that names no field: words of the error message naming the check.
ENVELOPE = 'is not a {"code","data"} envelope'
CHECKS = {
    "dragonpass/token_html.json": ENVELOPE,
    "dragonpass/token_no_token.json": "has no data.accessToken",
    "dragonpass/token_empty_token.json": "has no data.accessToken",
    "dragonpass/token_code_bool.json": ENVELOPE,
    "dragonpass/token_array.json": ENVELOPE,
    "dragonpass/token_refused.json": "code 401",
    "dragonpass/token_server_code.json": "code 500",
    "dragonpass/token_truncated.json": ENVELOPE,
    "dragonpass/push_empty.txt": "not a compact JWS",
    "dragonpass/push_two_parts.txt": "not a compact JWS",
    "dragonpass/push_four_parts.txt": "not a compact JWS",
    "dragonpass/push_header_not_base64.txt": "header is not base64url",
    "dragonpass/push_alg_none.txt": "algorithm not allowed (only RS256",
    "dragonpass/push_alg_confusion_hs256.txt": "algorithm not allowed (only RS256",
    "dragonpass/push_unknown_kid.txt": "unknown kid",
    "dragonpass/push_bad_signature.txt": "bad signature",
    # Below the 1 MiB cap: refused for its header, which is 75 000 bytes of non-JSON.
    "dragonpass/push_huge.txt": "header is not a JSON object",
    "dragonpass/push_header_not_json.txt": "header is not a JSON object",
    # MinifyError: its reason.
    "snap-b2b/body_trailing_comma.json": "expected a string key",
    "snap-b2b/body_missing_value.json": "unexpected character",
    "snap-b2b/body_unclosed_array.json": "expected ',' or ']' in an array",
    "snap-b2b/body_unterminated_string.json": "unterminated string",
    "snap-b2b/body_single_quotes.json": "expected a string key",
    "snap-b2b/body_bare_word.json": "unexpected word",
    "snap-b2b/body_control_char.json": "control character in string",
    "snap-b2b/body_two_documents.json": "unexpected data after the JSON value",
    "snap-b2b/notify_timestamp_words.json": "X-TIMESTAMP is malformed",
    "snap-b2b/notify_timestamp_empty.json": "X-TIMESTAMP is malformed",
    "snap-b2b/notify_stale.json": "3600s behind the local clock",
    "snap-b2b/notify_future.json": "3600s ahead of the local clock",
    "snap-b2b/notify_signature_not_base64.json": "X-SIGNATURE is not decodable",
    "snap-b2b/notify_body_invalid.json": "expected a string key",
    "snap-b2b/notify_bad_signature.json": "signature does not verify",
    "snap-b2b/notify_signature_empty.json": "signature does not verify",
    # Refused by the JSON parse the token source runs before anything else.
    "snap-b2b/token_not_json.json": "not an access-token response",
    "snap-b2b/token_expires_words.json": "expiresIn is not a positive number",
    "snap-b2b/token_expires_zero.json": "expiresIn is not a positive number",
    "snap-b2b/token_expires_negative.json": "expiresIn is not a positive number",
    "snap-b2b/token_missing.json": "has no accessToken",
    "gtr/login_not_json.json": "not the expected JSON envelope",
    "gtr/login_refused.json": "verifyStatus 100020",
    # data without jwt does not fit the login envelope.
    "gtr/login_no_token.json": "not the expected JSON envelope",
    "v5-openapi/token_not_json.json": "not a {code, msg, data} envelope",
    "v5-openapi/token_no_data.json": "code 0 without data",
    "v5-openapi/token_bad_signature.json": "code 40003",
    "v5-openapi/token_truncated.json": "not a {code, msg, data} envelope",
}
# Loaders that name a field without the entry saying which (PKCS#12, account_info.json).
FIELDS = {
    "gtr/p12_garbage.p12": "p12",
    "gtr/p12_empty.p12": "p12",
    "gtr/p12_pem_instead.p12": "p12",
    "gtr/p12_truncated.p12": "p12",
    "holidu/acct_not_json.json": "account_info.json",
    "holidu/acct_empty_object.json": "keyId",
    "holidu/acct_rsa_key.json": "privateKey",
    "holidu/acct_p384_key.json": "privateKey",
    "holidu/acct_ed25519_key.json": "privateKey",
    "holidu/acct_empty_key_id.json": "keyId",
    "holidu/acct_issuer_crlf.json": "issuer",
    "holidu/acct_mismatched_public.json": "publicKey",
    "holidu/acct_garbage_private.json": "privateKey",
    "holidu/acct_missing_private.json": "privateKey",
}
for e in entries:
    if e["file"] in FIELDS:
        assert "field" not in e, e["file"]
        e["field"] = FIELDS[e["file"]]
    if e["file"] in CHECKS:
        e["check"] = CHECKS[e["file"]]
    assert "field" in e or "check" in e, f"{e['file']} names neither its field nor its check"

by_crate = {}
for e in entries:
    crate, name = e["file"].split("/", 1)
    by_crate.setdefault(crate, []).append(dict(e, file=name))
for crate, listed in by_crate.items():
    with open(os.path.join(CRATES, crate, "tests", "corpus", "manifest.json"), "w") as f:
        json.dump(listed, f, indent=1)
        f.write("\n")
print(len(entries), "entries")
