import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatIPv6, parseIPv6 } from "../../src/address/ipv6.ts";

// Pairs [any spelling, what Python's socket.inet_ntop prints on glibc 2.36], generated once with
// python3 (random zero-heavy addresses plus the mixed-notation edge cases).
const pairs = JSON.parse(readFileSync(new URL("./inet-ntop-glibc.json", import.meta.url), "utf8")) as [
  string,
  string,
][];

test("IPv6 formatting matches inet_ntop for every recorded address", () => {
  assert.ok(pairs.length > 300);
  for (const [input, expected] of pairs) {
    const value = parseIPv6(input);
    assert.notEqual(value, undefined, input);
    assert.equal(formatIPv6(value!), expected, input);
    assert.equal(parseIPv6(expected), value, expected);
  }
});

test("IPv6 formatting follows RFC 5952 for the textbook cases", () => {
  const cases: [string, string][] = [
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first run wins a tie
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run wins
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::102:304", "::1.2.3.4"], // glibc writes the IPv4-compatible form dotted
  ];
  for (const [input, expected] of cases) assert.equal(formatIPv6(parseIPv6(input)!), expected, input);
});

test("parseIPv6 refuses invalid text and zone ids", () => {
  for (const bad of [
    "",
    ":",
    "1:2:3:4:5:6:7:8:9",
    "fe80::1%eth0",
    "2001:db8::g",
    "1.2.3.4",
    "::1::2",
    "[::1]",
  ]) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});
