/**
 * The hook's quick check of the config keys (src/config/quick-check.ts) never accepts what the
 * full check (valibot) refuses, and gives the same values back: side by side on every key, with
 * the values a config file can hold (JSON) and the boundaries of each rule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkKeys } from "../../src/config/issues.ts";
import { QUICK_KEYS, quickCheckKeys } from "../../src/config/quick-check.ts";
import { CONFIG_KEYS } from "../../src/config/schema.ts";

const BOUNDARIES: unknown[] = [
  "",
  " ",
  "a",
  "/",
  "/var/lib/x",
  "relative/dir",
  "a\nb",
  "a\u0000b",
  "x".repeat(200),
  "f2b_",
  "f2b,",
  "#f2b",
  "a:b",
  "hosts",
  "iplist",
  "HOSTS",
  "debug",
  "F2B_PASS",
  "9PASS",
  "a".repeat(64),
  "0".repeat(64),
  `${"AB:".repeat(31)}AB`,
  "g".repeat(64),
  0,
  -0,
  1,
  99,
  100,
  999,
  1000,
  1001,
  40_000,
  40_001,
  600_000,
  600_001,
  1.5,
  -1,
  true,
  false,
  null,
  [],
  {},
  ["a"],
];

function assertAgrees(key: string, value: unknown): void {
  const quick = quickCheckKeys({ [key]: value });
  if (quick === undefined) return; // in doubt: the full check runs
  const full = checkKeys("/c.json", { [key]: value });
  assert.deepEqual(
    full.problems,
    [],
    `${key}=${JSON.stringify(value)}: quick accepted what the full check refuses`,
  );
  assert.deepEqual(quick.values, full.values, `${key}=${JSON.stringify(value)}`);
}

test("the quick check knows only keys of the schema, and doubts any other key", () => {
  for (const key of QUICK_KEYS) assert.ok((CONFIG_KEYS as string[]).includes(key), key);
  assert.equal(quickCheckKeys({ url: "https://fw:4444", nope: 1 }), undefined);
  assert.equal(quickCheckKeys(JSON.parse('{"__proto__": {"x": 1}}')), undefined);
});

test("boundaries of every rule: accepted only when the full check accepts, with the same value", () => {
  for (const key of CONFIG_KEYS) for (const value of BOUNDARIES) assertAgrees(key, value);
});

test("random JSON values for every key: never more lenient than the full check", () => {
  fc.assert(
    fc.property(fc.constantFrom(...CONFIG_KEYS), fc.jsonValue(), (key, value) => assertAgrees(key, value)),
    { numRuns: 5000 },
  );
});

test("a typical config passes the quick check whole", () => {
  const config = {
    url: "https://192.168.1.1:4444",
    user: "apiuser",
    pass_file: "/etc/f2b-sophosxg/password",
    tls_pin_sha256: "a".repeat(64),
    iphost_prefix: "f2b_",
    iphostgroup_name: "fail2ban",
    state_dir: "/var/lib/f2b-sophosxg",
    layout: "iplist",
  };
  assert.deepEqual(quickCheckKeys(config)?.values, checkKeys("/c.json", config).values);
});
