/**
 * The `firewalls` list: each entry a firewall of its own, inheriting the top level's user,
 * password source and TLS mode unless it sets its own; the single-firewall form stays valid and
 * is one firewall named `default`; every mistake is reported at once, naming the entry.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { firewallConfigs } from "../../src/config/firewall-configs.ts";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors/index.ts";
import { MARKER, ORIGINAL, tempDir, writeConfig } from "../config/helpers.ts";

const PIN = "ab".repeat(32);

test("the single-firewall form is one firewall named default", async () => {
  const path = writeConfig(tempDir(), ORIGINAL);
  const { config } = await loadConfig({ path });
  assert.equal(config.firewalls, undefined);
  const all = firewallConfigs(config);
  assert.deepEqual(
    all.map((f) => [f.name, f.config.url]),
    [["default", "https://192.168.1.1:4444"]],
  );
});

test("entries inherit the user, the password and the TLS mode as a whole, and set their own", async () => {
  const dir = tempDir();
  const path = writeConfig(dir, {
    user: "apiuser",
    pass: MARKER,
    tls_pin_sha256: PIN,
    iphost_prefix: "f2b_",
    metrics_listen: "9617",
    firewalls: [
      { name: "site-a", url: "https://fw-a.example:4444" },
      {
        name: "branch",
        url: "https://fw-b.example:4444",
        user: "other",
        pass_env: "BRANCH_PASS",
        tls_insecure: true,
        layout: "iplist",
        iphost_prefix: "bl_",
        health_stale_after_s: 60,
      },
    ],
  });
  const { config, warnings } = await loadConfig({ path, env: { BRANCH_PASS: "branch-secret-1" } });
  const [a, b] = firewallConfigs(config);
  assert.equal(a!.name, "site-a");
  assert.equal(a!.config.url, "https://fw-a.example:4444");
  assert.equal(a!.config.username, "apiuser");
  assert.equal(a!.config.password, MARKER);
  assert.deepEqual(a!.config.tls, { mode: "pin", sha256: PIN });
  assert.equal(a!.config.layout, "hosts");
  assert.equal(a!.config.metrics?.staleAfterMs, 300_000);
  assert.equal(b!.config.username, "other");
  assert.equal(b!.config.password, "branch-secret-1");
  assert.equal(b!.config.passwordSource, "pass_env");
  assert.deepEqual(b!.config.tls, { mode: "insecure" }, "the pin is not inherited by an entry that sets TLS");
  assert.equal(b!.config.layout, "iplist");
  assert.equal(b!.config.prefix, "bl_");
  assert.equal(b!.config.metrics?.staleAfterMs, 60_000);
  assert.equal(config.stateDir, b!.config.stateDir, "one shared state directory");
  assert.ok(
    warnings.some((w) => /firewall "branch"/.test(w)),
    warnings.join("\n"),
  );
});

test("mistakes in the list are all reported, each naming its entry, and never quoting the password", async () => {
  const path = writeConfig(tempDir(), {
    url: "https://fw.example:4444",
    user: "apiuser",
    pass: MARKER,
    firewalls: [
      { name: "Site A", url: "https://a.example:4444" },
      { name: "b", url: "http://b.example" },
      { name: "b", url: "https://b2.example:4444", state_dir: "/tmp/x" },
      "c",
      { name: "d" },
    ],
  });
  const error = await loadConfig({ path }).catch((e: unknown) => e);
  assert.ok(error instanceof ConfigError);
  const text = error.problems.join("\n");
  assert.match(text, /key "url": with "firewalls", each firewall names its own "url"/);
  assert.match(text, /firewalls\[0\]: key "name" must be 1 to 32 lower-case letters/);
  assert.match(text, /firewall "b": key "url": /);
  assert.match(text, /firewall "b": the name is used twice/);
  assert.match(text, /firewall "b": key "state_dir" cannot be set per firewall/);
  assert.match(text, /firewalls\[3\]: must be an object/);
  assert.match(text, /firewall "d": key "url" is missing/);
  assert.equal(text.includes(MARKER), false);
});
