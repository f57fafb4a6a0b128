/** Our copy of node:net's address syntax (src/address/ip-syntax.ts) answers exactly as node:net. */
import assert from "node:assert/strict";
import { isIPv4 as netIsIPv4, isIPv6 as netIsIPv6 } from "node:net";
import { test } from "node:test";
import fc from "fast-check";
import { isIPv4, isIPv6 } from "../../src/address/ip-syntax.ts";

const EDGES = [
  "",
  "0.0.0.0",
  "255.255.255.255",
  "256.1.1.1",
  "01.2.3.4",
  "1.2.3",
  "1.2.3.4.",
  " 1.2.3.4",
  "1.2.3.4\n",
  "::",
  "::1",
  "1::",
  "::ffff:1.2.3.4",
  "::1.2.3.4",
  "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7::",
  "1::2::3",
  "fe80::1%eth0",
  "fe80::1%",
  "fe80::1%a-b.c:d",
  "12345::",
  "1:2:3:4:5:6:1.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4",
  "::ffff:01.2.3.4",
  "2001:DB8::A",
];

test("edge cases: the same answer as node:net", () => {
  for (const text of EDGES) {
    assert.equal(isIPv4(text), netIsIPv4(text), `isIPv4(${JSON.stringify(text)})`);
    assert.equal(isIPv6(text), netIsIPv6(text), `isIPv6(${JSON.stringify(text)})`);
  }
});

test("random addresses and near-addresses: the same answer as node:net", () => {
  const octet = fc.oneof(fc.nat(300).map(String), fc.constantFrom("00", "01", "a", ""));
  const v4 = fc.array(octet, { minLength: 3, maxLength: 5 }).map((parts) => parts.join("."));
  const group = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{0,5}$/),
    fc.constantFrom("", "g", "1.2.3.4", "%eth0"),
  );
  const v6 = fc.array(group, { minLength: 1, maxLength: 10 }).map((parts) => parts.join(":"));
  fc.assert(
    fc.property(fc.oneof(v4, v6, fc.string()), (text) => {
      assert.equal(isIPv4(text), netIsIPv4(text), text);
      assert.equal(isIPv6(text), netIsIPv6(text), text);
    }),
    { numRuns: 20_000 },
  );
});
