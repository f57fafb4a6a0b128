import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors/index.ts";
import { MARKER, ORIGINAL, tempDir, writeConfig } from "./helpers.ts";

const dir = tempDir();
const base = { url: "https://fw.example:4444", user: "apiuser", pass: "pw-1234" };

/** The problems of a config that must fail. */
async function problemsOf(content: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const path = writeConfig(dir, content, `c${Math.random().toString(36).slice(2)}.json`);
  try {
    await loadConfig({ path, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(error.problems.length > 0);
    for (const p of error.problems) assert.ok(p.startsWith(path), p);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

test("the original program's config file works unchanged", async () => {
  const path = writeConfig(dir, ORIGINAL);
  const { config, warnings, path: used } = await loadConfig({ path, env: {} });
  assert.equal(used, path);
  assert.equal(config.url, "https://192.168.1.1:4444");
  assert.equal(config.username, "apiuser");
  assert.equal(config.password, MARKER);
  assert.equal(config.passwordSource, "pass");
  assert.deepEqual(config.tls, { mode: "insecure" });
  assert.equal(config.prefix, "f2b_");
  assert.deepEqual(config.groups, { IPv4: "fail2ban", IPv6: "fail2ban_v6" });
  assert.equal(config.layout, "hosts");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? "", /verification is off \("verifySslCertificate"\)/);
});

test("defaults", async () => {
  const { config, warnings } = await loadConfig({ path: writeConfig(dir, base), env: {} });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    url: "https://fw.example:4444",
    username: "apiuser",
    password: "pw-1234",
    passwordSource: "pass",
    tls: { mode: "system" },
    allowInsecureHttp: false,
    prefix: "f2b_",
    groups: { IPv4: "fail2ban", IPv6: "fail2ban_v6" },
    connectTimeoutMs: 5000,
    requestTimeoutMs: 20000,
    maxEntitiesPerRequest: 100,
    deliveryBudgetMs: 20_000,
    shardSize: 1000,
    stateDir: "/var/lib/f2b-sophosxg",
    layout: "hosts",
    allowWorldReadable: false,
  });
});

test("every new key is read", async () => {
  const { config } = await loadConfig({
    path: writeConfig(dir, {
      ...base,
      iphost_prefix: "web1_",
      iphostgroup_name: "bans4",
      iphostgroup_name_v6: "bans6",
      tls_pin_sha256: "AB:".repeat(31) + "AB",
      connect_timeout_ms: 1000,
      request_timeout_ms: 9000,
      max_entities_per_request: 1000,
      state_dir: "/tmp/state",
      layout: "hosts",
      log_level: "debug",
      verifySslCertificate: true,
      tls_insecure: false,
    }),
    env: {},
  });
  assert.equal(config.prefix, "web1_");
  assert.deepEqual(config.groups, { IPv4: "bans4", IPv6: "bans6" });
  assert.deepEqual(config.tls, { mode: "pin", sha256: "ab".repeat(32) });
  assert.equal(config.connectTimeoutMs, 1000);
  assert.equal(config.requestTimeoutMs, 9000);
  assert.equal(config.maxEntitiesPerRequest, 1000);
  assert.equal(config.stateDir, "/tmp/state");
  assert.equal(config.logLevel, "debug");
});

test("the URL is normalised to the base URL", async () => {
  for (const [url, expected] of [
    ["https://192.168.1.1:4444/webconsole/APIController", "https://192.168.1.1:4444"],
    ["https://192.168.1.1:4444/", "https://192.168.1.1:4444"],
    ["  https://FW.example:4444  ", "https://fw.example:4444"],
    ["https://[2001:db8::1]:4444", "https://[2001:db8::1]:4444"],
    ["https://fw.example", "https://fw.example"],
  ]) {
    const { config } = await loadConfig({ path: writeConfig(dir, { ...base, url }), env: {} });
    assert.equal(config.url, expected, url);
  }
});

test("http needs allow_insecure_http and then warns", async () => {
  const problems = await problemsOf({ ...base, url: "http://fw.example:4444" });
  assert.match(
    problems.join("\n"),
    /key "url": must start with https:\/\/ \(set "allow_insecure_http": true to use http\)/,
  );
  const loaded = await loadConfig({
    path: writeConfig(dir, { ...base, url: "http://fw.example:4444", allow_insecure_http: true }),
    env: {},
  });
  assert.equal(loaded.config.url, "http://fw.example:4444");
  assert.equal(loaded.config.allowInsecureHttp, true);
  assert.match(loaded.warnings.join("\n"), /clear text/);
});

test("each key's value is checked", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ url: "fw.example:4444" }, /key "url": must start with https:\/\//],
    [{ url: "ftp://fw.example" }, /key "url": must start with https:\/\//],
    [{ url: "https://u:p@fw.example" }, /key "url": must not contain credentials/],
    [{ url: "https://fw.example/other" }, /key "url": must be the console's base URL/],
    [{ url: "https://fw.example/?x=1" }, /key "url": must not contain \?query/],
    [{ url: 4444 }, /key "url": must be a string \(found a number\)/],
    [{ url: "" }, /key "url": must not be empty/],
    [{ verifySslCertificate: "false" }, /key "verifySslCertificate": must be true or false/],
    [{ user: "" }, /key "user": must not be empty/],
    [{ user: "a\nb" }, /key "user": must not contain control characters/],
    [{ iphost_prefix: "" }, /key "iphost_prefix": must not be empty/],
    [{ iphost_prefix: "a,b" }, /key "iphost_prefix": must not contain a comma/],
    [{ iphost_prefix: "a:b" }, /key "iphost_prefix": must not contain ":"/],
    [{ iphost_prefix: "#f2b" }, /key "iphost_prefix": must not start with "#"/],
    [{ iphost_prefix: "abcdefghijkl" }, /key "iphost_prefix": is 12 characters; at most 11/],
    [
      { iphostgroup_name: "a,b" },
      /key "iphostgroup_name": is not a valid firewall object name: the name contains a comma/,
    ],
    [{ iphostgroup_name: "#grp" }, /key "iphostgroup_name": .*starts with #/],
    [{ iphostgroup_name: "x".repeat(61) }, /key "iphostgroup_name": .*longer than 60/],
    [{ iphostgroup_name: "x".repeat(58) }, /too long to derive the IPv6 group name/],
    [{ iphostgroup_name_v6: "fail2ban" }, /"iphostgroup_name" and "iphostgroup_name_v6" must differ/],
    [{ tls_pin_sha256: "abcd" }, /key "tls_pin_sha256": must be a SHA-256 fingerprint/],
    [{ tls_insecure: 1 }, /key "tls_insecure": must be true or false \(found a number\)/],
    [{ allow_insecure_http: "yes" }, /key "allow_insecure_http": must be true or false/],
    [{ connect_timeout_ms: 0 }, /key "connect_timeout_ms": must be at least 100/],
    [{ request_timeout_ms: 1.5 }, /key "request_timeout_ms": must be a whole number/],
    [{ request_timeout_ms: "20000" }, /key "request_timeout_ms": must be a number/],
    [{ max_entities_per_request: 0 }, /key "max_entities_per_request": must be at least 1/],
    [{ max_entities_per_request: 1001 }, /key "max_entities_per_request": must be at most 1000/],
    [{ state_dir: "var/lib" }, /key "state_dir": must be an absolute path/],
    [{ layout: "lists" }, /key "layout": must be "hosts"/],
    [{ iplist_shard_size: 1001 }, /key "iplist_shard_size": must be at most 1000/],
    [{ delivery_budget_ms: 500 }, /key "delivery_budget_ms": must be at least 1000/],
    [{ allow_world_readable: null }, /key "allow_world_readable": must be true or false \(found null\)/],
    [{ log_level: "verbose" }, /key "log_level": must be "error", "warn", "info" or "debug"/],
    [{ pass_env: "not a name" }, /key "pass_env": must be an environment variable name/],
    [{ urll: "x" }, /unknown key "urll" \(did you mean "url"\?\)/],
    [
      { iphostgroup_namev6: "x" },
      /unknown key "iphostgroup_namev6" \(did you mean "iphostgroup_name_v6"\?\)/,
    ],
    [{ verify_ssl_certificate: true }, /did you mean "verifySslCertificate"\?/],
    [{ something: 1 }, /unknown key "something" \(remove it; see docs\/configuration.md/],
  ];
  for (const [patch, pattern] of cases) {
    const problems = await problemsOf({ ...base, ...patch });
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${JSON.stringify(patch)} → ${problems.join(" | ")}`,
    );
  }
});

test("required keys and file shape", async () => {
  assert.match(
    (await problemsOf({ pass: "pw-1234" })).join("\n"),
    /key "url" is missing[\s\S]*key "user" is missing/,
  );
  assert.match((await problemsOf([1, 2])).join("\n"), /must hold one JSON object/);
  assert.match((await problemsOf("")).join("\n"), /is empty/);
});

test("all problems are reported together, one line each", async () => {
  const problems = await problemsOf({
    url: "http://x",
    user: "",
    pass: 5,
    iphost_prefix: "#",
    bogus: 1,
    tls_insecure: true,
    tls_pin_sha256: "00".repeat(32),
  });
  assert.ok(problems.length >= 5, problems.join("\n"));
  for (const p of problems) assert.ok(!p.includes("\n"), p);
  const path = writeConfig(dir, { url: "http://x", user: "", pass: "pw-1234", bogus: 1 }, "multi.json");
  await assert.rejects(loadConfig({ path, env: {} }), (error: ConfigError) => {
    assert.match(error.message, /^invalid configuration .*multi\.json: 3 problems$/);
    return true;
  });
});

test("conflicting TLS keys are errors", async () => {
  const pin = "00".repeat(32);
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { tls_pin_sha256: pin, tls_insecure: true },
      /"tls_insecure" turns certificate checks off but "tls_pin_sha256"/,
    ],
    [
      { tls_pin_sha256: pin, verifySslCertificate: false },
      /"verifySslCertificate" turns certificate checks off/,
    ],
    [{ tls_pin_sha256: pin, tls_ca_file: "ca.pem" }, /"tls_ca_file" and "tls_pin_sha256" conflict/],
    [{ verifySslCertificate: true, tls_insecure: true }, /disagree/],
    [{ verifySslCertificate: false, tls_insecure: false }, /disagree/],
    [
      { url: "http://fw", allow_insecure_http: true, tls_pin_sha256: pin },
      /has no effect with an http:\/\/ URL/,
    ],
  ];
  for (const [patch, pattern] of cases) {
    const problems = await problemsOf({ ...base, ...patch });
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${JSON.stringify(patch)} → ${problems.join(" | ")}`,
    );
  }
  const both = await loadConfig({
    path: writeConfig(dir, { ...base, tls_insecure: true, verifySslCertificate: false }),
    env: {},
  });
  assert.deepEqual(both.config.tls, { mode: "insecure" });
  assert.match(both.warnings.join(), /"tls_insecure"/);
});

test("tls_ca_file is read relative to the config file", async () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  writeConfig(dir, pem, "ca.pem", 0o644);
  const { config } = await loadConfig({
    path: writeConfig(dir, { ...base, tls_ca_file: "ca.pem" }),
    env: {},
  });
  assert.equal(config.tls.mode, "ca");
  assert.ok(config.tls.mode === "ca" && config.tls.ca === pem && config.tls.caFile === `${dir}/ca.pem`);
  writeConfig(dir, "not a cert", "bad.pem", 0o644);
  assert.match((await problemsOf({ ...base, tls_ca_file: "bad.pem" })).join(), /holds no PEM certificate/);
  assert.match(
    (await problemsOf({ ...base, tls_ca_file: "/nonexistent/ca.pem" })).join(),
    /key "tls_ca_file": \/nonexistent\/ca.pem does not exist/,
  );
});
