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

/** A section as a config file holds it, with every key set to a value the full check accepts. */
const SECTIONS: Record<string, Record<string, unknown>> = {
  fleet: {
    redis_url: "rediss://f2b@redis.example:6380",
    redis_pass_file: "/etc/f2b-sophosxg/redis.pass",
    redis_tls_ca_file: "/etc/f2b-sophosxg/redis-ca.pem",
    name: "dmz",
    member: "web1",
    lease_ms: 15_000,
  },
  crowdsec: {
    lapi_url: "http://127.0.0.1:8080",
    api_key_file: "/etc/f2b-sophosxg/crowdsec.key",
    poll_interval: "10s",
    origins: ["crowdsec", "cscli"],
    scenarios_containing: ["ssh"],
    scenarios_not_containing: ["http"],
    min_duration: "5m",
    max_decisions: 1000,
    only_ban_type: true,
    request_timeout_ms: 9000,
  },
};

/** What a section's keys meet besides the boundaries above. */
const SECTION_VALUES: unknown[] = [
  ...BOUNDARIES,
  "redis://127.0.0.1:6379",
  "http://127.0.0.1:8080/",
  "https://lapi:8080/x",
  "http://u@lapi:8080",
  "0s",
  "1s",
  "999ms",
  "3600s",
  "3601s",
  "1h",
  "1h0m0.001s",
  "8760h",
  "8761h",
  "10x",
  "web-1.a_b",
  "-web",
  "F2B_REDIS_PASS",
  ["a,b"],
  ["a\nb"],
  [""],
  [1],
  1_000_000,
  1_000_001,
];

test("the sections: accepted only when the full check accepts them, with the same values", () => {
  for (const [key, whole] of Object.entries(SECTIONS)) {
    assert.ok(quickCheckKeys({ [key]: whole }) !== undefined, `a plain ${key} section takes the quick check`);
    assertAgrees(key, whole);
    for (const inner of Object.keys(whole)) {
      const { [inner]: _left, ...without } = whole;
      assertAgrees(key, without);
      for (const value of SECTION_VALUES) assertAgrees(key, { ...whole, [inner]: value });
    }
    assertAgrees(key, { ...whole, nope: 1 });
    assert.equal(quickCheckKeys({ [key]: { ...whole, nope: 1 } }), undefined, `${key} with an unknown key`);
  }
});

test("random JSON inside the sections: never more lenient than the full check", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.keys(SECTIONS)),
      fc.dictionary(fc.constantFrom(...Object.values(SECTIONS).flatMap(Object.keys)), fc.jsonValue()),
      (key, changes) => assertAgrees(key, { ...SECTIONS[key], ...changes }),
    ),
    { numRuns: 3000 },
  );
});

test("a fleet member's config, and one with CrowdSec, metrics and several firewalls, pass whole", () => {
  for (const config of [
    {
      url: "https://192.168.1.1:4444",
      user: "apiuser",
      pass_file: "/etc/p",
      layout: "iplist",
      fleet: SECTIONS.fleet,
    },
    {
      user: "apiuser",
      pass_file: "/etc/p",
      crowdsec: SECTIONS.crowdsec,
      metrics_listen: "127.0.0.1:9617",
      health_stale_after_s: 600,
      firewalls: [
        { name: "a", url: "https://10.0.0.1:4444" },
        { name: "b", url: "https://10.0.0.2:4444" },
      ],
    },
  ]) {
    assert.deepEqual(quickCheckKeys(config)?.values, checkKeys("/c.json", config).values);
  }
});
