// Expected outputs of JSON.stringify(JSON.parse(input)) as Node.js computes them.
// Regenerate: node tests/vectors/js_compatible.js > tests/vectors/js_compatible.json
const inputs = [
  '1.50', '1e2', '-0', '-0.0', '0.0', '1E+2', '1e-7', '1.5e-7', '0.000001', '0.0000001',
  '123456789012345678901', '1e21', '1e20', '9007199254740993', '9007199254740992',
  '-9007199254740993', '18446744073709551615', '123456789012345678901234',
  '1.7976931348623157e308', '5e-324', '1e400', '-1e400', '0.1', '0.30000000000000004',
  '100.0', '12345.678900', '3.14159265358979323846', '2.5E-3', '1e-6', '1e-5',
  '"a\\/b"', '"\\u00e9"', '"\\u00E9t\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00x"',
  '"\\u001f\\u007f\\u0080"', '"\\b\\f\\n\\r\\t\\"\\\\"', '"\\u2028\\u2029"', '"é 😀"',
  '"  spaced  out  "', '""', 'null', 'true', 'false', '[]', '{}', '[ 1 , [ 2 , [ ] ] ]',
  '{"a":1,"b":2,"a":3}', '{"a":{"x":1},"a":{"y":2}}',
  '{"b":1,"2":2,"a":3,"1":4,"01":5,"4294967294":6,"4294967295":7,"-1":8}',
  '{ "amount" : { "value" : "12345.00" , "currency" : "IDR" } , "n" : 10.10 }',
  '{"partnerReferenceNo":"2020102900000000000001","amount":{"value":"12345678.00","currency":"IDR"},"validityPeriod":"2009-07-03T12:08:56-07:00"}',
];
const out = inputs.map((input) => ({ input, expected: JSON.stringify(JSON.parse(input)) }));
console.log(JSON.stringify({ generator: `node ${process.version}`, cases: out }, null, 2));
