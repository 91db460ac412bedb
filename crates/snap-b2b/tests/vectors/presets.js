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
// Midtrans's own published demo: token signature and symmetric transaction.
const demoBody = fs.readFileSync('midtrans-demo/symmetric_body.json', 'utf8');
const midtransDemo = {
  token_string_to_sign: 'G1234325-SNAP|2024-03-01T08:27:49.024Z',
  token_signature: rsa(demoKey, 'G1234325-SNAP|2024-03-01T08:27:49.024Z'),
  body_sha256_hex: sha(JSON.stringify(JSON.parse(demoBody))),
  transaction_signature: hmac('myclientsecret', `POST:/v1.0/qr/qr-mpm-generate:myaccesstoken:${sha(JSON.stringify(JSON.parse(demoBody)))}:2024-03-05T10:37:16.196Z`),
};
console.log(JSON.stringify({ generator: `node ${process.version}`, cases, midtrans_demo: midtransDemo }, null, 2));
