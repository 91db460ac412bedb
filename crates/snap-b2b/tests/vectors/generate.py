#!/usr/bin/env python3
"""Generates the SNAP B2B test vectors independently of the Rust code.

Run from this directory: `python3 generate.py`. Uses only the Python standard library
(hashlib, hmac, base64, json, datetime) and the `openssl` CLI for RSA signatures
(RSA PKCS#1 v1.5 with SHA-256 is deterministic, so `openssl dgst -sha256 -sign` gives the
exact signature bytes). The keys in keys/ were generated once with `openssl genpkey`.
"""
import base64
import datetime
import hashlib
import hmac
import json
import subprocess

KEYS = "keys/"


def rsa_sign(key_file, message):
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEYS + key_file],
        input=message.encode(),
        capture_output=True,
        check=True,
    ).stdout


def minify(text):
    """Strip whitespace outside strings; keep everything else byte for byte."""
    out = []
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch in " \t\r\n":
            continue
        else:
            out.append(ch)
            if ch == '"':
                in_string = True
    result = "".join(out)
    if text.strip():
        assert json.loads(result) == json.loads(text)
    return result


def ts(unix, offset_minutes, millis):
    tz = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    dt = datetime.datetime.fromtimestamp(unix / 1000, tz)
    s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        s += ".%03d" % (unix % 1000)
    if offset_minutes == 0:
        return s + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    m = abs(offset_minutes)
    return s + "%s%02d:%02d" % (sign, m // 60, m % 60)


# --- timestamps -------------------------------------------------------------------------
timestamps = []
for unix_ms, off, millis in [
    (1577811600000, 420, False),  # the seed's 2020-01-01T00:00:00+07:00
    (1577811600000, 0, False),
    (1577811600123, 420, True),
    (1577811600123, 0, True),
    (951782400999, 420, True),  # 2000-02-29 leap day, +07:00
    (1709164800000, -330, False),  # negative offset with minutes
    (4102444799000, 420, False),  # 2100-01-01 06:59:59 +07:00
    (0, 0, False),
]:
    timestamps.append(
        {
            "unix_millis": unix_ms,
            "offset_minutes": off,
            "millis": millis,
            "formatted": ts(unix_ms, off, millis),
        }
    )

# --- access token signature -------------------------------------------------------------
client_key = "10001"
token_ts = "2020-01-01T00:00:00+07:00"
sts = client_key + "|" + token_ts
sig = rsa_sign("client_private_pkcs8.pem", sts)
token = {
    "note": "X-SIGNATURE of the B2B access token request; RSA signature by openssl dgst -sha256 -sign keys/client_private_pkcs8.pem",
    "client_key": client_key,
    "timestamp": token_ts,
    "string_to_sign": sts,
    "signature_base64": base64.b64encode(sig).decode(),
    "signature_hex": sig.hex(),
    "body_grant_type": '{"grantType":"client_credentials"}',
    "body_grant_type_snake": '{"grant_type":"client_credentials"}',
}

# --- transactions -----------------------------------------------------------------------
client_secret = "7e0c0a2f8f1f4a7a9ec1c1d2b8f3a8d1"
access_token = "gp9HjjEj813Y9JGoqwOeOPWbnt4CUpvIJbU1mMU4a11MNDZ7Sg5u9a"
tx_cases = [
    {
        "name": "va inquiry, pretty body, query kept",
        "method": "POST",
        "url": "https://sandbox.bank.example/snap/v1.0/transfer-va/inquiry?lang=id&x=1",
        "endpoint_url": "/snap/v1.0/transfer-va/inquiry?lang=id&x=1",
        "endpoint_url_without_query": "/snap/v1.0/transfer-va/inquiry",
        "timestamp": "2020-01-01T00:00:00+07:00",
        "body": '{\n  "partnerServiceId": "  12345",\n  "customerNo": "0001",\n  "virtualAccountNo": "  123450001",\n  "amount": { "value": "10000.00", "currency": "IDR" },\n  "additionalInfo": {}\n}\n',
    },
    {
        "name": "keys unsorted, unicode and escapes in strings, numbers as written",
        "method": "POST",
        "url": "https://api.example.co.id/v1.0/debit/payment-host-to-host",
        "endpoint_url": "/v1.0/debit/payment-host-to-host",
        "endpoint_url_without_query": "/v1.0/debit/payment-host-to-host",
        "timestamp": "2024-03-01T12:34:56.789+07:00",
        "body": '{ "z" : 1.50 , "a": [ 1e+2, -0, true, null ],\t"note": "Rp 10.000 \\u00e9 \\"q\\" \\\\ \u00e9 / spaces  kept",\r\n "b": {"y": "", "x": "tab\\tin"} }',
    },
    {
        "name": "GET without body hashes the empty string",
        "method": "GET",
        "url": "https://api.example.co.id/snap/v1.0/balance-inquiry?accountNo=123",
        "endpoint_url": "/snap/v1.0/balance-inquiry?accountNo=123",
        "endpoint_url_without_query": "/snap/v1.0/balance-inquiry",
        "timestamp": "2024-03-01T05:34:56Z",
        "body": "",
    },
]
for c in tx_cases:
    mini = minify(c["body"])
    c["minified_body"] = mini
    h = hashlib.sha256(mini.encode()).hexdigest()
    c["body_sha256_hex"] = h
    s = ":".join([c["method"], c["endpoint_url"], access_token, h, c["timestamp"]])
    c["string_to_sign"] = s
    mac = hmac.new(client_secret.encode(), s.encode(), hashlib.sha512).digest()
    c["signature_base64"] = base64.b64encode(mac).decode()
    c["signature_hex"] = mac.hex()
    a = ":".join([c["method"], c["endpoint_url"], h, c["timestamp"]])
    c["asymmetric_string_to_sign"] = a
    c["asymmetric_signature_base64"] = base64.b64encode(
        rsa_sign("client_private_pkcs8.pem", a)
    ).decode()
transactions = {
    "note": "Symmetric: base64(HMAC-SHA512(client_secret, METHOD:EndpointUrl:AccessToken:hex(sha256(minified)):X-TIMESTAMP)) by python hmac/hashlib; asymmetric: openssl dgst -sha256 -sign keys/client_private_pkcs8.pem over METHOD:EndpointUrl:hex(sha256(minified)):X-TIMESTAMP",
    "client_secret": client_secret,
    "access_token": access_token,
    "cases": tx_cases,
}

# --- notifications ----------------------------------------------------------------------
n_body = '{"virtualAccountNo":"  123450001",\n "paidAmount": {"value":"10000.00","currency":"IDR"}, "trxDateTime":"2024-03-01T12:30:00+07:00"}'
n_mini = minify(n_body)
n_hash = hashlib.sha256(n_mini.encode()).hexdigest()
n_ts = "2024-03-01T12:34:56+07:00"
n_sts = ":".join(["POST", "/v1.0/transfer-va/payment", n_hash, n_ts])
notification = {
    "note": "Provider-signed notification: openssl dgst -sha256 -sign keys/provider_private_pkcs8.pem over METHOD:EndpointUrl:hex(sha256(minified raw body)):X-TIMESTAMP",
    "method": "POST",
    "endpoint_url": "/v1.0/transfer-va/payment",
    "timestamp": n_ts,
    "timestamp_unix": 1709271296,
    "body": n_body,
    "minified_body": n_mini,
    "body_sha256_hex": n_hash,
    "string_to_sign": n_sts,
    "signature_base64": base64.b64encode(rsa_sign("provider_private_pkcs8.pem", n_sts)).decode(),
}

# --- minify -----------------------------------------------------------------------------
minify_cases = [
    '{"b":1,"a":2}',
    ' { "b" : 1 , "a" : 2 } ',
    '[ 1 , 2.50 , -0.0e-0 , 1E9 ]',
    '"  only a string  "',
    '{"k":"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00E9 \\ud83d\\ude00"}',
    '{"k" : "\u00e9\u4e2d\U0001F600  "}',
    "\n\t\r {\n\"nested\": {\"deeper\": [ {}, [], {\"x\": [ ] } ]}}\n",
    "true",
    " null ",
    "0",
]
minify_vectors = {
    "note": "Expected outputs by an independent python state machine, each checked with json.loads",
    "valid": [{"input": m, "output": minify(m)} for m in minify_cases],
    "invalid": [
        "{",
        '{"a":1,}',
        '{"a" 1}',
        "[1 2]",
        '{"a":01}',
        '{"a":1.}',
        '{"a":tru}',
        '"unterminated',
        '{"a":"bad \\x escape"}',
        '{"a":"raw\u0001control"}',
        "{} {}",
        "{'a':1}",
        '{"a":+1}',
        '{"a":"\\u12G4"}',
        "NaN",
    ],
}

for name, data in [
    ("timestamps.json", timestamps),
    ("token_signature.json", token),
    ("transactions.json", transactions),
    ("notification.json", notification),
    ("minify.json", minify_vectors),
]:
    with open(name, "w") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")
print("ok")
