import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { type BanTarget, parseTargetSyntax } from "../../src/address/index.ts";
import { targetOf } from "../../src/address/target.ts";
import { firewallNameProblem, OUR_NAME_MAX } from "../../src/protocol/index.ts";
import {
  banTargetFromHost,
  ipHostFor,
  maxPrefixLength,
  objectNameFor,
} from "../../src/targets/sophos/index.ts";

/** Zero-heavy 16-bit groups, so that compression and mixed notation are exercised. */
const group = fc.oneof(
  fc.constant(0),
  fc.constant(0),
  fc.constant(0xffff),
  fc.integer({ min: 0, max: 0xffff }),
);
const ipv6Words = fc.array(group, { minLength: 8, maxLength: 8 });
const ipv4Value = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 0xffffffff, 0x7f000001),
);

const ipv4Target = fc
  .tuple(ipv4Value, fc.integer({ min: 0, max: 32 }))
  .map(([v, len]) => targetOf("IPv4", BigInt(v), len));
const ipv6Target = fc.tuple(ipv6Words, fc.integer({ min: 0, max: 128 })).map(([words, len]) =>
  targetOf(
    "IPv6",
    words.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n),
    len,
  ),
);
const target: fc.Arbitrary<BanTarget> = fc.oneof(ipv4Target, ipv6Target);

/** Another spelling of the same IPv6 address: full width, random case. */
const spelling = fc.tuple(ipv6Words, fc.boolean(), fc.boolean()).map(([words, pad, upper]) => {
  const text = words.map((w) => (pad ? w.toString(16).padStart(4, "0") : w.toString(16))).join(":");
  return upper ? text.toUpperCase() : text;
});

const prefixChar = fc.constantFrom(..."abcxyz_-.09 /#".split(""));
const prefix = fc
  .array(prefixChar, { minLength: 1, maxLength: maxPrefixLength })
  .map((chars) => chars.join(""))
  .filter((p) => !p.startsWith("#"));

test("canonicalisation is idempotent: parse(canonical(x)) equals x", () => {
  fc.assert(
    fc.property(target, (t) => {
      assert.deepEqual(parseTargetSyntax(t.canonical), t);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(spelling, fc.integer({ min: 0, max: 128 }), (text, len) => {
      const once = parseTargetSyntax(`${text}/${len}`);
      assert.deepEqual(parseTargetSyntax(once.canonical), once);
      assert.equal(once.canonical, once.canonical.toLowerCase());
    }),
    { numRuns: 1000 },
  );
});

test("object names are valid, short, and round-trip through the firewall's host", () => {
  fc.assert(
    fc.property(prefix, target, (p, t) => {
      const name = objectNameFor(p, t);
      assert.ok(name.length <= OUR_NAME_MAX, name);
      assert.equal(firewallNameProblem(name), undefined);
      assert.ok(!name.includes(":") && !name.includes(",") && !name.startsWith("#"), name);
      const host = ipHostFor(p, t, "fail2ban");
      assert.equal(host.name, name);
      assert.deepEqual(banTargetFromHost(p, host), t);
    }),
    { numRuns: 3000 },
  );
});

test("object names are unique per distinct target", () => {
  fc.assert(
    fc.property(prefix, fc.array(target, { minLength: 2, maxLength: 60 }), (p, targets) => {
      const byName = new Map<string, string>();
      for (const t of targets) {
        const name = objectNameFor(p, t);
        const seen = byName.get(name);
        assert.ok(seen === undefined || seen === t.canonical, `${name}: ${seen} and ${t.canonical}`);
        byName.set(name, t.canonical);
      }
    }),
    { numRuns: 500 },
  );
  // Near neighbours: the same address as ip and network, and readable vs. compact forms.
  const p = "abcdefghijk";
  const tricky = [
    "2001:db8::",
    "2001:db8::/64",
    "2001:db8::/127",
    "2001:db8:1111:2222:3333:4444:5555:6666",
    "2001:db8:1111:2222:3333:4444:5555:6666/127",
    "::1.2.3.4",
    "1.2.3.4",
    "::102:304/127",
  ].map(parseTargetSyntax);
  const names = new Set(tricky.map((t) => objectNameFor(p, t)));
  assert.equal(names.size, tricky.length);
});
