#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/seeds/<target>/.

Each seed is laid out the way its target reads its input (a selector byte, a clock, header
lines before a blank line...), built from the test vectors in crates/<crate>/tests/vectors/. Seeds are
near misses, never inputs a target must accept: a verifier target fails on anything it
accepts. Run `python3 generate.py` here after changing it; `cargo xtask fuzz` starts each
target from its seeds (read only; new inputs go to fuzz/corpus/<target>/).
"""
import json
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
CRATES = HERE.parent.parent / "crates"


def vector(krate, *parts):
    """A file of crates/<krate>/tests/vectors/."""
    return CRATES.joinpath(krate, "tests", "vectors", *parts)


def text(*parts):
    return vector(*parts).read_text()


def write(target, name, data):
    d = HERE / target
    d.mkdir(exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def main():
    # Fail before deleting anything when the vectors have moved.
    if not vector("snap-b2b", "minify.json").is_file():
        raise SystemExit(f"no vectors under {CRATES}/<crate>/tests/vectors")
    for d in HERE.iterdir():
        if d.is_dir():
            shutil.rmtree(d)

    # credential_files: selector (0 V5 JSON, 1 Holidu account_info, 2 GTR CSV, 3 program id).
    write("credential_files", "v5_json", b"\x00" + b'{"app_id": "app-1", "app_secret": "s3cret"}')
    write("credential_files", "v5_aliases", b"\x00" + b'{"user_id": "app-1"}')
    write("credential_files", "holidu_account", b"\x01" + text("holidu", "account_info.json").encode())
    write("credential_files", "gtr_csv", b"\x02" + b"vaspCode,accessKey,secretKey\r\n\"v\",a,s\r\n")
    write("credential_files", "program_id", b"\x031234567890123456789")

    # pem_keys: selector (0 DragonPass RSA, 1 push key, 2 SNAP private, 3 SNAP public, 4 Holidu).
    write("pem_keys", "dp_rsa_pkcs1", b"\x00" + text("dragonpass", "client_rsa_pkcs1.pem").encode())
    write("pem_keys", "dp_push_public", b"\x01" + text("dragonpass", "push_key1_public.pem").encode())
    write("pem_keys", "snap_private", b"\x02" + text("snap-b2b", "keys", "client_private_pkcs8.pem").encode())
    write("pem_keys", "snap_public", b"\x03" + text("snap-b2b", "keys", "provider_public.pem").encode())
    write("pem_keys", "holidu_p256", b"\x04" + text("holidu", "keys", "other_p256_pkcs8.pem").encode())

    # token_responses / api_envelopes: selector, status byte (200 + 2*b % 400), header lines,
    # a blank line, the body.
    bodies = {
        0: b'{"code":0,"message":"success","data":{"accessToken":"eyJ.a.b","expiresIn":3600}}',
        1: b'{"responseCode":"2007300","accessToken":"eyJ.a.b","tokenType":"Bearer","expiresIn":"900"}',
        2: b'{"code":0,"msg":"ok","data":{"token":"t0k","expire_time":"2023-11-10T18:43:23.232093"}}',
        3: b'{"data":{"jwt":"eyJ.a.b"},"verifyStatus":"100000","success":true}',
    }
    for which, body in bodies.items():
        write("token_responses", f"ok_{which}", bytes([which, 0]) + b"\n" + body)
        write("token_responses", f"busy_{which}", bytes([which, 150]) + b"retry-after: 7\n\n" + body)
        write("token_responses", f"date_{which}", bytes([which, 14]) + b"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\n\n<html>")
    api = {
        0: b'{"data":null,"verifyStatus":100021,"verifyMessage":"no login","success":false}',
        1: b'{"code":40001,"message":"invalid parameter","data":null}',
        2: b'{"code":40101,"msg":"token expired","data":null}',
        3: b'{"responseCode":"4012401","responseMessage":"Invalid Token (B2B)"}',
        4: b'{"status":401,"error":"Unauthorized","message":"JWT rejected: unknown kid"}',
    }
    for which, body in api.items():
        write("api_envelopes", f"refused_{which}", bytes([which, 100]) + b"retry-after: 30\n\n" + body)
        write("api_envelopes", f"quota_{which}", bytes([which, 101]) + b"retry-after: 99999999999999999999\n\n" + body)
        write("api_envelopes", f"ok_{which}", bytes([which, 0]) + b"\n" + body)

    # snap_minify: the valid and invalid minification vectors.
    minify = json.loads(text("snap-b2b", "minify.json"))
    for i, case in enumerate(minify["valid"]):
        write("snap_minify", f"valid_{i}", case["input"])
    for i, case in enumerate(minify["invalid"]):
        write("snap_minify", f"invalid_{i}", case["input"] if isinstance(case, dict) else case)

    # snap_notification: skew byte, then method, URL, timestamp, signature and body on
    # separate lines. The provider's signed vector with one signature character changed
    # (the unchanged one would be accepted), with the body reformatted, and stale.
    n = json.loads(text("snap-b2b", "notification.json"))
    sig = n["signature_base64"]
    forged = ("A" if sig[0] != "A" else "B") + sig[1:]
    for skew, name in ((0, "at_timestamp"), (0x7F, "window_behind"), (0xFF, "window_ahead")):
        write("snap_notification", name, bytes([skew]) + "\n".join(
            [n["method"], n["endpoint_url"], n["timestamp"], forged, n["body"]]).encode())
    write("snap_notification", "hex_signature", b"\x10" + "\n".join(
        [n["method"], n["endpoint_url"], n["timestamp"], "ab" * 256, n["minified_body"]]).encode())

    # stored_token: remaining-life byte (even: present), then `<ms or ->:<token>`.
    for name, v in (("lifetime", b"\x0a3600000:eyJ.a.b"), ("forever", b"\x00-:opaque"),
                    ("colon_in_token", b"\x02900000:a:b:c"), ("huge", b"\x0199999999999999999999:t")):
        write("stored_token", name, v)

    # retry_after_cache: 6 little-endian u64 (clock, lifetime ns, margin ms, buffer ms,
    # max lifetime s, backoff ms), a flags byte, then the Retry-After value.
    def cache_seed(now, life_ns, margin, buf, max_s, backoff, flags, header):
        return struct.pack("<6Q", now, life_ns, margin, buf, max_s, backoff) + bytes([flags]) + header
    write("retry_after_cache", "token", cache_seed(1_700_000_000, 600 * 10**9, 60_000, 10_000, 86_400, 1000, 0, b"120"))
    write("retry_after_cache", "failure_seconds", cache_seed(1_700_000_000, 0, 0, 0, 0, 1000, 0x20, b"7"))
    write("retry_after_cache", "failure_date", cache_seed(1_445_412_400, 0, 0, 0, 0, 1000, 0x20, b"Wed, 21 Oct 2015 07:28:00 GMT"))
    write("retry_after_cache", "unbounded_cap", cache_seed(2**40, 2**63, 2**63, 2**63, 0, 0, 0x1F, b"18446744073709551616"))

    # holidu_verify: now and leeway (little-endian u64), then the token. The Holidu example
    # token (the one token the target accepts, at a clock inside its validity) at a clock
    # long before it was issued, and with its algorithm replaced by none.
    seed = json.loads(text("holidu", "seed_token.json"))
    write("holidu_verify", "example_before_iat", struct.pack("<QQ", 0, 0) + seed["token"].encode())
    write("holidu_verify", "example_alg_none", struct.pack("<QQ", seed["iat"], 60)
          + ("eyJhbGciOiJub25lIn0." + seed["claims_b64"] + ".").encode())

    # v5_expire_time: zone offset (i32 little-endian, seconds east), then the text.
    for i, case in enumerate(json.loads(text("v5-openapi", "expire_time.json"))["cases"]):
        write("v5_expire_time", f"case_{i}", struct.pack("<i", case["offset_seconds"]) + case["expire_time"].encode())

    # gtr_pkcs12: even byte + PKCS#12 (password "changeit"), odd byte + cert PEM, blank
    # line, key PEM.
    write("gtr_pkcs12", "client_p12", b"\x00" + vector("gtr", "mtls", "client.p12").read_bytes())
    write("gtr_pkcs12", "legacy_p12", b"\x00" + vector("gtr", "mtls", "client-legacy.p12").read_bytes())
    write("gtr_pkcs12", "client_pem", b"\x01" + (text("gtr", "mtls", "client.pem").strip() + "\n\n" + text("gtr", "mtls", "client.key")).encode())

    # gtr_callback: even byte + callback body, odd byte + truststore .p12.
    fixtures = HERE.parent.parent / "crates" / "gtr" / "tests" / "fixtures"
    write("gtr_callback", "network_check", b"\x00" + b'{"requestId":"r","invokeVaspCode":"v","originatorVasp":"v","beneficiaryVasp":"w","callbackType":0,"callbackData":{}}')
    write("gtr_callback", "tx_notify", b"\x00" + b'{"callbackType":7,"callbackData":{"txId":"t","requestId":"r"}}')
    write("gtr_callback", "type_as_string", b"\x00" + b'{"callbackType":"0","callbackData":{}}')
    write("gtr_callback", "duplicate_type", b"\x00" + b'{"callbackType":6,"callbackType":0}')
    write("gtr_callback", "truststore_p12", b"\x01" + (fixtures / "truststore.p12").read_bytes())
    write("gtr_callback", "truststore_legacy_p12", b"\x01" + (fixtures / "truststore-legacy.p12").read_bytes())

    # dragonpass_push: a header-only near miss (the bad-input corpus in tests/corpus/ is the
    # rest of its seeds).
    write("dragonpass_push", "rs256_header_no_signature", "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.")


if __name__ == "__main__":
    main()
