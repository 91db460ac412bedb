// Per-preset vectors, each computed the way that provider's own SDK computes its signatures,
// with Node's crypto module (independent of the Rust code). Regenerate from this directory:
//   node presets.js > presets.json
// Keys: keys/client_private_pkcs8.pem (test-only); midtrans-demo/ holds Midtrans's published
// demo key and bodies (SNAP-BI-Signature-Demo), whose published outputs the midtrans case
// reproduces.
const crypto = require('crypto');
const fs = require('fs');

const key = fs.readFileSync('keys/client_private_pkcs8.pem', 'utf8');
const demoKey = fs.readFileSync('midtrans-demo/demo_private_pkcs8.pem', 'utf8');
const rsa = (k, s) => crypto.sign('RSA-SHA256', Buffer.from(s), k).toString('base64');
const hmac = (secret, s) => crypto.createHmac('sha512', secret).update(s).digest('base64');
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
// Jakarta wall-clock time "yyyy-MM-ddTHH:mm:ss+07:00" (DOKU on a Jakarta host, DANA, BNI).
const jakarta = (ms) => new Date(ms + 7 * 3600e3).toISOString().slice(0, 19) + '+07:00';
const at = 1709271296789; // 2024-03-01T05:34:56.789Z

// A body whose JSON.stringify(JSON.parse(.)) differs from its whitespace-minified form.
const jsBody = '{\n  "partnerReferenceNo": "INV-001",\n  "amount": { "value": "10000.00", "currency": "IDR" },\n  "rate": 1.50,\n  "note": "a\\/b \\u00e9"\n}';
const plainBody = '{\n  "partnerServiceId": "  12345",\n  "customerNo": "0001",\n  "virtualAccountNo": "  123450001"\n}';
const minify = (s) => s.replace(/\s+(?=(?:[^"\\]|\\.|"(?:[^"\\]|\\.)*")*$)/g, ''); // outside strings
const secret = 'preset-client-secret-0123456789';
const token = 'preset-access-token-abc';

function symmetric(name, o) {
  const ts = o.ts;
  const hashed = o.hashed;
  const sts = `POST:${o.endpoint}:${token}:${sha(hashed)}:${ts}`;
  return {
    preset: name, source: o.source, client_key: o.clientKey || '10001', client_secret: secret,
    access_token: token, unix_millis: at, base_url: o.base, url: o.url, body: o.body,
    token_timestamp: ts, token_string_to_sign: `${o.clientKey || '10001'}|${ts}`,
    token_signature: rsa(key, `${o.clientKey || '10001'}|${ts}`), token_body: o.tokenBody,
    token_path: o.tokenPath, timestamp: ts, endpoint_url: o.endpoint, sent_body: hashed,
    body_sha256_hex: sha(hashed), string_to_sign: sts, signature: hmac(secret, sts),
  };
}

const cases = [
  symmetric('aspi', {
    source: 'SNAP specification: +07:00 timestamp, EndpointUrl path+query, minified body',
    ts: jakarta(at), base: 'http://HOST/snap', url: '/snap/v1.0/transfer-va/inquiry?lang=id',
    endpoint: '/snap/v1.0/transfer-va/inquiry?lang=id', body: plainBody, hashed: minify(plainBody),
    tokenBody: '{"grantType":"client_credentials"}', tokenPath: '/snap/v1.0/access-token/b2b',
  }),
  symmetric('doku', {
    source: 'doku-nodejs-library tokenService.generateSymmetricSignature: JSON.stringify(body), path, local +07:00',
    ts: jakarta(at), base: 'http://HOST', url: '/virtual-accounts/bi-snap-va/v1.1/transfer-va/create-va',
    endpoint: '/virtual-accounts/bi-snap-va/v1.1/transfer-va/create-va', body: jsBody,
    hashed: JSON.stringify(JSON.parse(jsBody)), tokenBody: '{"grantType":"client_credentials"}',
    tokenPath: '/authorization/v1/access-token/b2b',
  }),
  symmetric('bni', {
    source: 'bni-nodejs generateSignatureServiceSnapBI: JSON.stringify(body), full path, Jakarta +07:00; token body with additionalInfo',
    ts: jakarta(at), base: 'http://HOST', url: '/snap-service/v1/balance-inquiry',
    endpoint: '/snap-service/v1/balance-inquiry', body: jsBody, hashed: JSON.stringify(JSON.parse(jsBody)),
    tokenBody: '{"grantType":"client_credentials","additionalInfo":{}}', tokenPath: '/snap/v1/access-token/b2b',
  }),
  symmetric('midtrans', {
    source: 'midtrans-nodejs-client SnapBi: toISOString() timestamp, API path, JSON.stringify(body), grant_type',
    ts: new Date(at).toISOString(), base: 'http://HOST', url: '/v1.0/qr/qr-mpm-generate?x=1',
    endpoint: '/v1.0/qr/qr-mpm-generate', body: jsBody, hashed: JSON.stringify(JSON.parse(jsBody)),
    tokenBody: '{"grant_type":"client_credentials"}', tokenPath: '/v1.0/access-token/b2b',
  }),
];
// DANA: asymmetric, no token, url.Path only (query dropped), the body hashed as sent.
{
  const ts = jakarta(at);
  const sent = minify(jsBody);
  const endpoint = '/payment-gateway/v1.0/debit/status.htm';
  const sts = `POST:${endpoint}:${sha(sent)}:${ts}`;
  cases.push({
    preset: 'dana', source: 'dana-go utils/snap_header.go generateSignature: SHA256withRSA over METHOD:url.Path:sha256(body):timestamp',
    client_key: '10001', unix_millis: at, base_url: 'http://HOST', url: endpoint + '?lang=id', body: jsBody,
    timestamp: ts, endpoint_url: endpoint, sent_body: sent, body_sha256_hex: sha(sent), string_to_sign: sts,
    signature: rsa(key, sts),
  });
}

// The presets below carry the fields their new behaviours need: `signing`, the two
// signature encodings, `token_response`, `expect_headers`/`absent_headers`,
// `request_headers` and `external_id_pattern`. `sdk_serializer` names how the provider's
// SDK writes the body it hashes; each body is chosen so that serializer's output is also
// the preset's body form, and the serializers below are emulated to check that.
const hmacHex = (secret, s) => crypto.createHmac('sha512', secret).update(s).digest('hex');
const rsaHex = (k, s) => crypto.sign('RSA-SHA256', Buffer.from(s), k).toString('hex');
const providerKey = fs.readFileSync('keys/provider_private_pkcs8.pem', 'utf8');
// Jakarta wall-clock time with milliseconds, "yyyy-MM-ddTHH:mm:ss.SSS+07:00" (BRI, OVO).
const jakartaMs = (ms) => new Date(ms + 7 * 3600e3).toISOString().slice(0, 23) + '+07:00';
const u4 = (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
// PHP json_encode over a decoded value: `/` as `\/` unless JSON_UNESCAPED_SLASHES, non-ASCII
// as lowercase \uXXXX unless JSON_UNESCAPED_UNICODE, `<`/`>` as \u003C/\u003E with
// JSON_HEX_TAG; floats in shortest round-trip form (serialize_precision -1).
function phpJson(v, f) {
  if (Array.isArray(v)) return '[' + v.map((x) => phpJson(x, f)).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).map((k) => phpJson(k, f) + ':' + phpJson(v[k], f)).join(',') + '}';
  }
  if (typeof v !== 'string') return JSON.stringify(v);
  let out = '"';
  for (const c of v) {
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (c === '/') out += f.unescapedSlashes ? '/' : '\\/';
    else if (f.hexTag && (c === '<' || c === '>')) out += '\\u003' + (c === '<' ? 'C' : 'E');
    else if (c < ' ') out += JSON.stringify(c).slice(1, -1);
    else if (c > '\x7f' && !f.unescapedUnicode) out += c.length === 2 ? u4(c[0]) + u4(c[1]) : u4(c);
    else out += c;
  }
  return out + '"';
}
// Go encoding/json Marshal: maps in sorted key order (structs in field order), `<`, `>`,
// `&`, U+2028 and U+2029 as \u escapes, other non-ASCII raw, `/` unescaped.
function goJson(v, sortKeys) {
  if (Array.isArray(v)) return '[' + v.map((x) => goJson(x, sortKeys)).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const keys = sortKeys ? Object.keys(v).sort() : Object.keys(v);
    return '{' + keys.map((k) => goJson(k, sortKeys) + ':' + goJson(v[k], sortKeys)).join(',') + '}';
  }
  if (typeof v !== 'string') return JSON.stringify(v);
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, u4);
}
const same = (a, b, what) => { if (a !== b) throw new Error(`${what}: ${a} != ${b}`); };
const tokenAnswer = { responseCode: '2007300', responseMessage: 'Successful', accessToken: token, tokenType: 'Bearer', expiresIn: '900' };

// A transaction case. o.signing: symmetric (HMAC-SHA512 with the token), asymmetric
// (SHA256withRSA, no token), asymmetric-with-token (SHA256withRSA, token only as Bearer).
function preset(name, o) {
  const ck = o.clientKey || '10001';
  const hash = sha(o.sent);
  const sts = o.signing === 'symmetric'
    ? `POST:${o.endpoint}:${token}:${hash}:${o.ts}`
    : `POST:${o.endpoint}:${hash}:${o.ts}`;
  const enc = o.encoding || 'base64';
  const c = {
    preset: name, source: o.source, signing: o.signing, signature_encoding: enc,
    client_key: ck, unix_millis: at, base_url: o.base, url: o.url, body: o.body,
    sdk_serializer: o.serializer, timestamp: o.ts, endpoint_url: o.endpoint, sent_body: o.sent,
    body_sha256_hex: hash, string_to_sign: sts,
    signature: o.signing === 'symmetric'
      ? (enc === 'hex' ? hmacHex(secret, sts) : hmac(secret, sts))
      : (enc === 'hex' ? rsaHex(key, sts) : rsa(key, sts)),
    external_id_pattern: o.externalId,
  };
  if (o.signing === 'symmetric') c.client_secret = secret;
  if (o.tokenPath) {
    Object.assign(c, {
      access_token: token, token_path: o.tokenPath, token_body: o.tokenBody,
      token_timestamp: o.ts, token_string_to_sign: `${ck}|${o.ts}`,
      token_signature: rsa(key, `${ck}|${o.ts}`), token_signature_encoding: 'base64',
      token_response: o.tokenResponse || tokenAnswer,
    });
  }
  if (o.expect) c.expect_headers = o.expect;
  if (o.absent) c.absent_headers = o.absent;
  if (o.requestHeaders) c.request_headers = o.requestHeaders;
  if (o.unconfirmed) c.unconfirmed = o.unconfirmed;
  return c;
}

// BCA: the two community clients agree on everything but the body writer; this body is
// written alike by both (no `/`, no non-ASCII, no floats), so it is their common form.
{
  const parsed = JSON.parse(plainBody);
  same(phpJson(parsed, {}), minify(plainBody), 'bca php');
  cases.push(preset('bca', {
    source: 'tentendigital-id/Snap-BCA-API snap_bca_api/bca.py; otnansirk/php-snap-bi src/Services/BCA, src/Support/Signature.php',
    signing: 'symmetric', ts: jakarta(at), base: 'http://HOST',
    url: '/openapi/v1.0/bank-statement?b=2&a=1', endpoint: '/openapi/v1.0/bank-statement?b=2&a=1',
    body: plainBody, sent: minify(plainBody),
    serializer: 'Python json.dumps(separators=(",",":")) / PHP json_encode($body) (default flags)',
    tokenPath: '/openapi/v1.0/access-token/b2b', tokenBody: '{"grantType":"client_credentials"}',
    externalId: '^[0-9]{16}$',
    unconfirmed: ['endpoint_url: neither client sends a query; path and query as sent follows the SNAP specification, a sorted query is a third-party simulator claim'],
  }));
}
// BRI: bridex-api-php-sdk DirectDebit/QRIS write json_encode(JSON_UNESCAPED_UNICODE |
// JSON_UNESCAPED_SLASHES), which is JSON.stringify for this body; path only; lowercase hex.
{
  const sent = phpJson(JSON.parse(jsBody), { unescapedSlashes: true, unescapedUnicode: true });
  same(sent, JSON.stringify(JSON.parse(jsBody)), 'bri php');
  cases.push(preset('bri', {
    source: 'bri-oss/bridex-api-php-sdk src/Signature/Signature.php, src/Util/GetAccessToken.php, src/DirectDebit/DirectDebit.php, README.md; developers.bri.co.id APIDOCS Oauth SNAP BI',
    signing: 'symmetric', encoding: 'hex', ts: jakartaMs(at), base: 'http://HOST',
    url: '/snap/v2.0/debit/status?lang=id', endpoint: '/snap/v2.0/debit/status',
    body: jsBody, sent, serializer: 'PHP json_encode($body, JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES)',
    tokenPath: '/snap/v1.0/access-token/b2b', tokenBody: '{"grantType":"client_credentials"}',
    tokenResponse: { accessToken: token, tokenType: 'BearerToken', expiresIn: '899' },
    externalId: '^[1-9][0-9]{8}$',
  }));
}
// NICEPay: base URL ends in /nicepay and the signed EndpointUrl is the path below it; Go's
// json.Marshal of a map sorts keys, so the body is given in sorted order.
{
  const body = '{\n  "additionalInfo": { "bankCd": "BMRI", "dbProcessUrl": "https://merchant.example/notify" },\n  "totalAmount": { "currency": "IDR", "value": "10000.00" },\n  "trxId": "order-001",\n  "virtualAccountName": "John Test"\n}';
  same(goJson(JSON.parse(body), true), minify(body), 'nicepay go');
  cases.push(preset('nicepay', {
    source: 'nicepay-dev/golang-nicepay snap/snap.go, snap/helper.go, snap/config.go; nicepay-dev/python-nicepay python_nicepay/data/builder/snap/dataGenerator.py; docs.nicepay.co.id Request Access Token API - SNAP',
    signing: 'symmetric', ts: jakarta(at), base: 'http://HOST/nicepay',
    url: '/nicepay/api/v1.0/transfer-va/create-va', endpoint: '/api/v1.0/transfer-va/create-va',
    body, sent: minify(body), serializer: 'Go json.Marshal(map[string]interface{}) (sorted keys)',
    tokenPath: '/v1.0/access-token/b2b', tokenBody: '{"grantType":"client_credentials","additionalInfo":{}}',
    // The Python SDK's `ordNo` + yyyyMMddHHmmss repeats within a second (409s under load):
    // the preset keeps the specification's unique 32 digits.
    externalId: '^[0-9]{32}$',
    expect: { 'channel-id': '1000101', 'x-partner-id': '10001' },
  }));
}
// Paydia: paydia-snap-node hashes and sends JSON.stringify(payload), signs /snap/v1.0/...
{
  cases.push(preset('paydia', {
    source: 'Paydia/paydia-snap-node lib/util.js, lib/auth.js, lib/mpm.js, lib/config.js; Paydia/paydia-snap-php lib/Util.php, lib/Config.php, lib/Mpm.php',
    signing: 'symmetric', ts: jakarta(at), base: 'http://HOST/snap',
    url: '/snap/v1.0/qr/qr-mpm-generate', endpoint: '/snap/v1.0/qr/qr-mpm-generate',
    body: jsBody, sent: JSON.stringify(JSON.parse(jsBody)), serializer: 'JSON.stringify(payload) (node); PHP json_encode default (php)',
    tokenPath: '/v1.0/access-token/b2b', tokenBody: '{"grantType":"client_credentials"}',
    externalId: '^[0-9]{13}$',
  }));
}
// Faspay SendMe: asymmetric without token; the SDK hashes json.Marshal output with `\/`
// replaced by `/`, which Go never writes for `/`, so the hash covers the bytes sent.
{
  const sent = goJson(JSON.parse(jsBody), false);
  same(sent.replaceAll('\\/', '/'), sent, 'faspay replace');
  same(sent, JSON.stringify(JSON.parse(jsBody)), 'faspay go');
  cases.push(preset('faspay', {
    source: 'faspay-team/SNAP-sendme-go snap/client.go (doRequest, generateSignatureSnap, generateRandomNumber), snap/constants.go',
    signing: 'asymmetric', ts: jakarta(at), base: 'http://HOST',
    url: '/account/v1.0/transfer-interbank', endpoint: '/account/v1.0/transfer-interbank',
    body: jsBody, sent, serializer: 'Go json.Marshal(struct) then strings.ReplaceAll(`\\/`, `/`) for the hash only',
    // The SDK writes partner id + Unix ms + 0-999; the preset keeps the specification's
    // 32 digits, which do not depend on the partner id.
    externalId: '^[0-9]{32}$',
    expect: { 'channel-id': '88001', 'x-partner-id': '10001' }, absent: ['authorization'],
  }));
}
// Winpay: asymmetric without token; docs hash json_encode(json_decode(body), JSON_UNESCAPED_SLASHES).
const winpayBody = '{\n  "customerNo": "08123456789",\n  "virtualAccountName": "CHUS PANDI",\n  "trxId": "INV-000000001",\n  "totalAmount": { "value": "10000.00", "currency": "IDR" },\n  "virtualAccountTrxType": "c",\n  "expiredDate": "2023-11-02T17:18:48+07:00",\n  "additionalInfo": { "channel": "BSI", "callbackUrl": "https://merchant.example/cb" }\n}';
{
  same(phpJson(JSON.parse(winpayBody), { unescapedSlashes: true }), minify(winpayBody), 'winpay php');
  cases.push(preset('winpay', {
    source: 'docs.winpay.id SNAP API "Signature Generation" (PHP sample)',
    signing: 'asymmetric', ts: jakarta(at), base: 'http://HOST',
    url: '/v1.0/transfer-va/create-va', endpoint: '/v1.0/transfer-va/create-va',
    body: winpayBody, sent: minify(winpayBody), serializer: 'PHP json_encode(json_decode($payload), JSON_UNESCAPED_SLASHES)',
    externalId: '^[0-9]{1,36}$', absent: ['authorization'],
    unconfirmed: ['base URL path and X-EXTERNAL-ID shape not found in the pages read'],
  }));
}
// OVO: token under /OVOSNAP, millisecond timestamps, X-DEVICE-ID on every call.
{
  cases.push(preset('ovo', {
    source: 'ovo.id partner-integration "Technical Documentation SNAP - Linking and Payments" v1.0.7',
    signing: 'symmetric', ts: jakartaMs(at), base: 'http://HOST',
    url: '/OVOSNAP/v2.0/debit/refund', endpoint: '/OVOSNAP/v2.0/debit/refund',
    body: plainBody, sent: minify(plainBody), serializer: 'not published (SNAP minify)',
    tokenPath: '/OVOSNAP/v1.0/access-token/b2b', tokenBody: '{"grantType":"client_credentials"}',
    externalId: '^[0-9A-Za-z-]{1,36}$',
    requestHeaders: { 'X-DEVICE-ID': 'ovo-device-01' }, expect: { 'x-device-id': 'ovo-device-01' },
    unconfirmed: ['timestamp zone (+07:00 chosen), body form, signature encoding and token answer not found in the pages read'],
  }));
}
// BNC: the B2B token is sent as Bearer but not signed; transactions are SHA256withRSA.
{
  cases.push(preset('bnc', {
    source: 'developers.bankneo.co.id "Direct Debit - Get Access Token", "Direct Debit - Payment", "Direct Debit - Account Inquiry"',
    signing: 'asymmetric-with-token', ts: jakarta(at), base: 'http://HOST',
    url: '/v1.0/debit/payment-host-to-host', endpoint: '/v1.0/debit/payment-host-to-host',
    body: plainBody, sent: minify(plainBody), serializer: 'minify (docs: toLowercase(hexEncode(SHA256(minify(body)))))',
    tokenPath: '/v1.0/access-token/b2b', tokenBody: '{"grant_type":"client_credentials"}',
    externalId: '^[0-9A-Za-z-]{1,36}$',
    expect: { 'channel-id': '88881', 'x-client-key': '10001' }, absent: ['x-partner-id'],
    unconfirmed: ['token and transaction paths: the pages leave Endpoint blank; ASPI paths used'],
  }));
}

// Notifications from providers to the partner, each as the provider sends it.
const providerNote = 'signed with keys/provider_private_pkcs8.pem; verify with keys/provider_public.pem';
const notifications = [];
{
  const ts = jakarta(at);
  const sts = `10001|${ts}`;
  notifications.push({
    provider: 'nicepay', source: 'docs.nicepay.co.id "Notification - API Virtual Account SNAP"; nicepay-dev/golang-nicepay snap/helper.go VerifySHA256RSA, README.md 2.3.2',
    algorithm: 'SHA256withRSA', encoding: 'base64', key: providerNote,
    method: 'POST', endpoint_url: '/api/v1.0/transfer-va/payment', timestamp: ts,
    string_to_sign: sts, signature: rsa(providerKey, sts),
    headers: { 'Content-Type': 'application/json', 'X-TIMESTAMP': ts, 'X-CLIENT-KEY': '10001', 'X-SIGNATURE': rsa(providerKey, sts) },
    // NICEPay's own published sample (golang-nicepay README 2.3.2), with its public key.
    published: {
      string_to_sign: 'TNICEVA023|2024-08-19T17:12:40+07:00',
      signature: 'VoxMPjbcV9pro4YyHGQgoRj4rDVJgYk2Ecxn+95B90w47Wnabtco35BfhGpR7a5RukUNnAdeOEBNczSFk4B9uYyu3jc+ceX+Dvz5OYSgSnw5CiMHtGiVnTAqCM/yHZ2MRpIEqekBc4BWMLVtexSWp0YEJjLyo9dZPrSkSbyLVuD7jkUbvmEpVdvK0uK15xb8jueCcDA6LYVXHkq/OMggS1/5mrLNriBhCGLuR7M7hBUJbhpOXSJJEy7XyfItTBA+3MRC2FLcvUpMDrn/wz1uH1+b9A6FP7mG0bRSBOm2BTLyf+xJR5+cdd88RhF70tNQdQxhqr4okVo3IFqlCz2FFg==',
      public_key_spki_base64: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApizrKJl/1Legp3Zj8f0oTIjKnUWe2HJCBSoRsVLxtpf0Dr1MI+23y+AMNKKxVXxbvReZq/sD91uN4GFYMUr16LY9oX7nJXh9C1JlI4/Xb/Q9MF30o1XYvogHLATtvTR/KQ8hxrf6Nlj/yuzeqrT+PiQMZt1CaKiE6UMn36kq11DmDq4ocwcNhChKDudNZSZ4YYIFn5IgH05K+VsRjehpa0szbO8qHmvnprXVVcqvk7ZSS+6fYwDynOq0f552aL0LWX0glNhh9F0oJqmTreW4lM0mdhNDq4GhlJZl5IpaUiaGRM2Rz/t6spgwR7nqUhI9aE2kjzaorgP4ZWUGm3wlTwIDAQAB',
    },
  });
  const pub = notifications[0].published;
  const pem = `-----BEGIN PUBLIC KEY-----\n${pub.public_key_spki_base64.match(/.{1,64}/g).join('\n')}\n-----END PUBLIC KEY-----\n`;
  same(crypto.verify('RSA-SHA256', Buffer.from(pub.string_to_sign), pem, Buffer.from(pub.signature, 'base64')), true, 'nicepay published');
}
{
  // bridex-api-php-sdk PrepareRequest::DirectDebitOutbound: date('Y-m-d H:i:s') local time,
  // hash_hmac('sha256', "clientId|timestamp", clientSecret) in lowercase hex; the access
  // token goes in Authorization without "Bearer ".
  const ts = new Date(at + 7 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
  const sts = `10001|${ts}`;
  const sig = crypto.createHmac('sha256', secret).update(sts).digest('hex');
  notifications.push({
    provider: 'bri', source: 'bri-oss/bridex-api-php-sdk src/Util/PrepareRequest.php DirectDebitOutbound, src/DirectDebit/DirectDebit.php paymentNotify (/snap/v2.0/debit/notify)',
    algorithm: 'HMAC-SHA256', encoding: 'hex', key: 'client_secret (the secret passed with the client id to paymentNotify)',
    client_secret: secret, method: 'POST', endpoint_url: '/snap/v2.0/debit/notify', timestamp: ts,
    string_to_sign: sts, signature: sig,
    headers: { 'Content-Type': 'application/json', 'X-TIMESTAMP': ts, 'X-SIGNATURE': sig, 'X-CLIENT-KEY': '10001', 'x-partner-id': '10001', Authorization: token },
  });
}
{
  // docs.winpay.id "Signature Callback Validation": the merchant's listener path as called,
  // json_encode($body, JSON_UNESCAPED_SLASHES) (non-ASCII as \uXXXX), base64 SHA256withRSA.
  const body = '{"partnerServiceId":" 9042","customerNo":"00000009","virtualAccountNo":" 904200000009","virtualAccountName":"WINPAY - f\u00e9di","trxId":"INV-000000023220","paymentRequestId":"45539","paidAmount":{"value":"10000.00","currency":"IDR"},"trxDateTime":"2024-03-01T12:30:00+07:00","additionalInfo":{"contractId":"si1cd5671d","channel":"BSI"}}';
  const hashed = phpJson(JSON.parse(body), { unescapedSlashes: true });
  const ts = jakarta(at);
  const path = '/sandbox_prod/url_listener.php/v1.0/transfer-va/payment';
  const sts = `POST:${path}:${sha(hashed)}:${ts}`;
  const sig = rsa(providerKey, sts);
  notifications.push({
    provider: 'winpay', source: 'docs.winpay.id SNAP API "Signature Callback Validation" (PHP sample)',
    algorithm: 'SHA256withRSA', encoding: 'base64', key: providerNote,
    note: 'the verifier hashes its own json_encode of the decoded body, so a non-ASCII character is hashed as \\uXXXX even when sent raw',
    method: 'POST', endpoint_url: path, timestamp: ts, body, hashed_body: hashed,
    body_sha256_hex: sha(hashed), string_to_sign: sts, signature: sig,
    headers: { 'Content-Type': 'application/json', 'X-Timestamp': ts, 'X-Signature': sig, 'X-Partner-Id': '10001' },
  });
}

// Midtrans's own published demo: token signature and symmetric transaction.
const demoBody = fs.readFileSync('midtrans-demo/symmetric_body.json', 'utf8');
const midtransDemo = {
  token_string_to_sign: 'G1234325-SNAP|2024-03-01T08:27:49.024Z',
  token_signature: rsa(demoKey, 'G1234325-SNAP|2024-03-01T08:27:49.024Z'),
  body_sha256_hex: sha(JSON.stringify(JSON.parse(demoBody))),
  transaction_signature: hmac('myclientsecret', `POST:/v1.0/qr/qr-mpm-generate:myaccesstoken:${sha(JSON.stringify(JSON.parse(demoBody)))}:2024-03-05T10:37:16.196Z`),
};
console.log(JSON.stringify({ generator: `node ${process.version}`, cases, midtrans_demo: midtransDemo, notifications }, null, 2));
