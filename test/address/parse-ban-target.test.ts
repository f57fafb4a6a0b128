import assert from "node:assert/strict";
import { test } from "node:test";
import { type BanTarget, parseBanTarget } from "../../src/address/index.ts";
import { UsageError } from "../../src/errors/index.ts";
import { familyOfFail2ban } from "../../src/fail2ban/index.ts";

const accepted: [string, Partial<BanTarget>][] = [
  [
    "192.0.2.1",
    { kind: "ip", family: "IPv4", address: "192.0.2.1", prefixLength: 32, canonical: "192.0.2.1" },
  ],
  ["  192.0.2.1  ", { canonical: "192.0.2.1" }],
  ["10.1.2.3", { canonical: "10.1.2.3" }],
  [
    "198.51.100.0/24",
    { kind: "network", address: "198.51.100.0", prefixLength: 24, canonical: "198.51.100.0/24" },
  ],
  ["198.51.100.7/24", { kind: "network", address: "198.51.100.0", canonical: "198.51.100.0/24" }],
  ["198.51.100.7/255.255.255.0", { canonical: "198.51.100.0/24" }],
  ["192.0.2.1/32", { kind: "ip", prefixLength: 32, canonical: "192.0.2.1" }],
  ["10.0.0.0/8", { kind: "network", canonical: "10.0.0.0/8" }],
  [
    "2001:db8::1",
    { kind: "ip", family: "IPv6", address: "2001:db8::1", prefixLength: 128, canonical: "2001:db8::1" },
  ],
  ["2001:DB8:0:0::1", { canonical: "2001:db8::1" }],
  ["2001:0db8:0000:0000:0000:0000:0000:0001", { canonical: "2001:db8::1" }],
  ["2001:db8:0:1:1:1:1:1", { canonical: "2001:db8:0:1:1:1:1:1" }],
  ["2001:db8::/48", { kind: "network", family: "IPv6", address: "2001:db8::", prefixLength: 48 }],
  ["2001:db8:1234:5678::9/48", { canonical: "2001:db8:1234::/48" }],
  ["2001:db8::1/128", { kind: "ip", canonical: "2001:db8::1" }],
  ["::ffff:192.0.2.44", { kind: "ip", family: "IPv4", canonical: "192.0.2.44" }],
  ["::FFFF:c000:22c", { family: "IPv4", canonical: "192.0.2.44" }],
  ["::ffff:198.51.100.0/120", { kind: "network", family: "IPv4", canonical: "198.51.100.0/24" }],
  ["fc00::1", { canonical: "fc00::1" }],
  ["2001:db8::/16", { canonical: "2001::/16" }],
  ["1.0.0.0/8", { canonical: "1.0.0.0/8" }],
  ["::1.2.3.4", { family: "IPv6", canonical: "::1.2.3.4" }],
];

test("accepted addresses are canonicalised", () => {
  for (const [input, expected] of accepted) {
    const target = parseBanTarget(input);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(target[key as keyof BanTarget], value, `${JSON.stringify(input)}: ${key}`);
    }
  }
});

/** [input, a fragment the message must contain] */
const refused: [string, RegExp][] = [
  ["", /no address given/],
  ["   ", /no address given/],
  ["<ip>", /unresolved Fail2ban tag/],
  ["192.0.2.1<br>", /unresolved Fail2ban tag/],
  ["192.0.2.1\u0000", /control character/],
  ["192.0.2.1;id", /shell metacharacter/],
  ["$(id)", /shell metacharacter/],
  ["`id`", /shell metacharacter/],
  ["192.0.2.1 192.0.2.2", /space or shell metacharacter/],
  ["192.0.2.1|x", /shell metacharacter/],
  ["'192.0.2.1'", /shell metacharacter/],
  ["fe80::1%eth0", /zone id/],
  ["[2001:db8::1]", /brackets/],
  ["[2001:db8::1]:22", /brackets/],
  ["192.0.2.1:22", /port/],
  ["example.com", /host name/],
  ["localhost", /host name/],
  ["01.2.3.4", /not a valid IPv4/],
  ["1.2.3", /not a valid IPv4/],
  ["256.1.1.1", /not a valid IPv4/],
  ["2001:db8::g", /not an address/],
  ["1.2.3.4/", /prefix length must be a number/],
  ["1.2.3.4/33", /out of range for IPv4/],
  ["2001:db8::/129", /out of range for IPv6/],
  ["1.2.3.4/-1", /prefix length must be a number/],
  ["1.2.3.4/024", /prefix length must be a number/],
  ["1.2.3.4/255.0.255.0", /not a contiguous netmask/],
  ["1.2.3.4/8/8", /more than one/],
  ["0.0.0.0/0", /\/0 network is every IPv4 address/],
  ["::/0", /\/0 network is every IPv6 address/],
  ["64.0.0.0/2", /wider than the widest IPv4 network accepted \(\/8\)/],
  ["2000::/3", /wider than the widest IPv6 network accepted \(\/16\)/],
  ["0.0.0.0", /unspecified/],
  ["127.0.0.1", /loopback/],
  ["127.0.0.0/8", /loopback/],
  ["169.254.1.1", /link-local/],
  ["224.0.0.1", /multicast/],
  ["239.1.2.3", /multicast/],
  ["255.255.255.255", /reserved\/broadcast/],
  ["::", /unspecified/],
  ["::1", /loopback/],
  ["::/16", /unspecified/],
  ["fe80::1", /link-local/],
  ["fe80::/16", /link-local/],
  ["ff02::1", /multicast/],
  ["::ffff:127.0.0.1", /loopback/],
];

test("refused inputs throw UsageError with a message and a hint", () => {
  for (const [input, pattern] of refused) {
    assert.throws(
      () => parseBanTarget(input),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, `${JSON.stringify(input)} threw ${String(error)}`);
        assert.match(error.message, pattern, JSON.stringify(input));
        assert.ok(error.hint && error.hint.length > 0, `${JSON.stringify(input)} has a hint`);
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      },
      JSON.stringify(input),
    );
  }
});

test("a non-string input is treated as missing", () => {
  assert.throws(() => parseBanTarget(undefined as unknown as string), /no address given/);
});

test("a very long input is cut short in the message", () => {
  assert.throws(
    () => parseBanTarget(`${"a".repeat(500)}.example`),
    (error: Error) => error.message.length < 200,
  );
});

test("familyOfFail2ban maps inet4/inet6 and refuses the rest", () => {
  assert.equal(familyOfFail2ban("inet4"), "IPv4");
  assert.equal(familyOfFail2ban(" inet6 "), "IPv6");
  for (const bad of ["<family>", "", "inet", "IPv4", "inet5"]) {
    assert.throws(() => familyOfFail2ban(bad), UsageError, bad);
  }
  assert.throws(() => familyOfFail2ban("<family>"), /unresolved Fail2ban tag/);
});

test("an address with a trailing newline or tab is refused, not trimmed", () => {
  for (const text of ["192.0.2.1\n", "\t192.0.2.1", "2001:db8::1\r"]) {
    assert.throws(() => parseBanTarget(text), /control character/);
  }
});
