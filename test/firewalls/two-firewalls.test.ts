/**
 * Two emulators as two firewalls of one config. With one down, the other gets every ban at
 * once (the agent's loops and the hooks' deliveries are per firewall); the first catches up
 * when it is back. `--firewall NAME` picks one; `sync --firewall NAME --remove-ours` retires
 * one and leaves the other, and the shared bans, alone.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { hook, nameOf, namesOnFirewall, waitUntil } from "../agent/helpers.ts";
import { assertNoSecret, metricsText, sample } from "../metrics/helpers.ts";
import { runCli, startFirewall, TEST_PASSWORD, tempDir } from "../support/harness.ts";
import { startIdleFirewallsAgent, writeFirewallsConfig } from "./helpers.ts";

let siteA: RunningEmulator;
let siteB: RunningEmulator;
const cleanups: (() => void)[] = [];

before(async () => {
  siteA = await startFirewall();
  siteB = await startFirewall();
});
after(async () => {
  await siteA.close();
  await siteB.close();
  for (const cleanup of cleanups) cleanup();
});
beforeEach(async () => {
  for (const emu of [siteA, siteB]) {
    await emu.reset();
    emu.setLatency({ readMs: 0, writeMs: 0, entityMs: 0, timeScale: 1 });
  }
});

async function setUp(label: string, overrides: Record<string, unknown> = {}) {
  const { dir, cleanup } = tempDir(label);
  cleanups.push(cleanup);
  const config = writeFirewallsConfig(
    dir,
    [
      { name: "site-a", emu: siteA },
      { name: "site-b", emu: siteB },
    ],
    overrides,
  );
  const started = await runCli(["start", "--configfile", config]);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  assert.match(started.stdout, /^firewall site-a: start: groups /m);
  assert.match(started.stdout, /^firewall site-b: start: groups /m);
  return { config, stateDir: join(dir, "state") };
}

type FirewallStatus = { pending: { add: number; remove: number }; members: { IPv4: { count: number } } };

async function statusOf(config: string): Promise<Record<string, FirewallStatus>> {
  const result = await runCli(["status", "--json", "--configfile", config]);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { firewalls: Record<string, FirewallStatus> }).firewalls;
}

const WAVE = Array.from({ length: 12 }, (_, i) => `192.0.2.${i + 10}`);

test("with the agent: one firewall down, the other gets every ban at once; the first catches up when it is back", async () => {
  const { config, stateDir } = await setUp("f2b-fw-agent", {
    metrics_listen: "127.0.0.1:0",
    health_stale_after_s: 1,
  });
  const agent = await startIdleFirewallsAgent(config, ["site-a", "site-b"]);
  const metricsLine = await agent.waitForLine(/^metrics: serving /);
  const url = /serving (http:\/\/\S+)\/metrics/.exec(metricsLine)![1]!;
  try {
    await siteB.setFaults({ down: true });
    for (const ip of WAVE) await hook(config, "ban", ip);
    await waitUntil("site-a has every ban", () => namesOnFirewall(siteA).length === WAVE.length, 10_000);
    assert.deepEqual(namesOnFirewall(siteA), WAVE.map(nameOf).sort());
    assert.deepEqual(namesOnFirewall(siteB), [], "site-b is down");
    const down = await statusOf(config);
    assert.equal(down["site-a"]!.pending.add, 0);
    assert.equal(down["site-b"]!.pending.add, WAVE.length, "site-b's bans stay pending");
    assert.ok(
      agent.lines.some((l) => /^firewall site-b: agent: failure 1, retrying in/.test(l)),
      agent.lines.join("\n"),
    );
    // /healthz names the firewall that is behind, and only that one.
    let health = { status: 0, body: "" };
    await waitUntil("/healthz says site-b is behind", async () => {
      const res = await fetch(`${url}/healthz`);
      health = { status: res.status, body: await res.text() };
      return health.status === 503 && health.body.includes("pending");
    });
    assert.match(health.body, /^firewall site-b: \d+ change\(s\) pending/m);
    assert.doesNotMatch(health.body, /site-a/);
    const text = await metricsText(url);
    assert.equal(sample(text, "f2b_sophosxg_healthy", { firewall: "site-a" }), 1);
    assert.equal(sample(text, "f2b_sophosxg_healthy", { firewall: "site-b" }), 0);
    assert.equal(sample(text, "f2b_sophosxg_active_bans", { firewall: "site-a" }), WAVE.length);
    assert.equal(
      sample(text, "f2b_sophosxg_pending_changes", { firewall: "site-b", action: "add" }),
      WAVE.length,
    );
    assert.equal(sample(text, "f2b_sophosxg_changes_journaled_total", { action: "ban" }), WAVE.length);
    assertNoSecret(text, "/metrics");
    // Each firewall's belief lives apart; the holds are shared.
    assert.ok(existsSync(join(stateDir, "firewalls", "site-a", "journal.jsonl")));

    await siteB.setFaults({ down: false });
    await waitUntil("site-b catches up", () => namesOnFirewall(siteB).length === WAVE.length, 15_000);
    assert.deepEqual(namesOnFirewall(siteB), WAVE.map(nameOf).sort());
    const up = await statusOf(config);
    assert.equal(up["site-b"]!.pending.add, 0);
    assert.equal(up["site-b"]!.members.IPv4.count, WAVE.length);
    await waitUntil("/healthz is ok again", async () => (await fetch(`${url}/healthz`)).status === 200);

    // An unban reaches both.
    await hook(config, "unban", WAVE[0]!);
    await waitUntil(
      "the unban reaches both",
      () =>
        namesOnFirewall(siteA).length === WAVE.length - 1 &&
        namesOnFirewall(siteB).length === WAVE.length - 1,
    );
  } finally {
    await siteB.setFaults({ down: false });
    await agent.stop();
  }
});

test("without the agent a hook delivers to each firewall; one down only leaves its own change pending", async () => {
  const { config } = await setUp("f2b-fw-hooks");
  await siteB.setFaults({ down: true });
  const result = await runCli(["ban", "--configfile", config, "--jail", "j1", "--ip", "198.51.100.7"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /site-a: 1 added, 0 removed on the firewall/);
  assert.match(
    result.stdout,
    /site-b: 0 added, 0 removed on the firewall; 1 change\(s\) stay pending \(journaled\)/,
  );
  assert.deepEqual(namesOnFirewall(siteA), [nameOf("198.51.100.7")]);
  assert.equal(result.stdout.includes(TEST_PASSWORD) || result.stderr.includes(TEST_PASSWORD), false);

  const doctor = await runCli(["doctor", "--configfile", config]);
  assert.match(doctor.stdout, /^firewall site-a \(https:\/\/127\.0\.0\.1:\d+\):\nok {4}resolve/m);
  assert.match(
    doctor.stdout,
    /^firewall site-b \(https:\/\/127\.0\.0\.1:\d+\):\nok {4}resolve.*\nFAIL {2}connect: /m,
  );
  const onlyA = await runCli(["doctor", "--firewall", "site-a", "--configfile", config]);
  assert.doesNotMatch(onlyA.stdout, /site-b/);

  await siteB.setFaults({ down: false });
  const synced = await runCli(["sync", "--firewall", "site-b", "--configfile", config]);
  assert.equal(synced.code, 0, synced.stdout + synced.stderr);
  assert.doesNotMatch(synced.stdout, /site-a/);
  assert.deepEqual(namesOnFirewall(siteB), [nameOf("198.51.100.7")]);

  const unknown = await runCli(["status", "--firewall", "site-c", "--configfile", config]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no firewall of that name.*site-a, site-b/s);
});

test("sync --firewall NAME --remove-ours retires one firewall (dry run first); the other and the shared bans stay", async () => {
  const { config } = await setUp("f2b-fw-retire");
  for (const ip of ["203.0.113.5", "2001:db8:9::1"]) await hook(config, "ban", ip);
  assert.equal(namesOnFirewall(siteB).length, 2);

  const everywhere = await runCli(["sync", "--remove-ours", "--configfile", config]);
  assert.equal(everywhere.code, 2, everywhere.stdout);
  assert.match(everywhere.stdout, /name the firewall to retire with --firewall NAME/);
  assert.equal(namesOnFirewall(siteB).length, 2);

  const plan = await runCli([
    "sync",
    "--firewall",
    "site-b",
    "--remove-ours",
    "--dry-run",
    "--configfile",
    config,
  ]);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.match(plan.stdout, /would remove 2 object\(s\) of ours from firewall site-b/);
  assert.equal(namesOnFirewall(siteB).length, 2, "a dry run changes nothing");

  const agent = await startIdleFirewallsAgent(config, ["site-a", "site-b"]);
  try {
    const refused = await runCli(["sync", "--firewall", "site-b", "--remove-ours", "--configfile", config]);
    assert.equal(refused.code, 2);
    assert.match(refused.stdout, /the agent \(pid \d+\) runs and would put the bans back/);
  } finally {
    await agent.stop();
  }

  const retired = await runCli(["sync", "--firewall", "site-b", "--remove-ours", "--configfile", config]);
  assert.equal(retired.code, 0, retired.stdout + retired.stderr);
  assert.match(retired.stdout, /removed 2 of 2 object\(s\) of ours from firewall site-b .*the groups stay/);
  assert.deepEqual(namesOnFirewall(siteB), []);
  assert.ok(
    siteB.snapshot().groups.some((g) => g.name === "fail2ban"),
    "the groups stay",
  );
  assert.equal(namesOnFirewall(siteA).length, 2, "site-a keeps every ban");
  const status = await statusOf(config);
  assert.equal(status["site-a"]!.pending.add, 0);
});

test("a firewall added to a running setup is brought up to the whole desired state", async () => {
  const { dir, cleanup } = tempDir("f2b-fw-added");
  cleanups.push(cleanup);
  const one = writeFirewallsConfig(dir, [{ name: "site-a", emu: siteA }]);
  assert.equal((await runCli(["start", "--configfile", one])).code, 0);
  for (const ip of WAVE.slice(0, 5)) await hook(one, "ban", ip);
  assert.equal(namesOnFirewall(siteA).length, 5);

  const both = writeFirewallsConfig(dir, [
    { name: "site-a", emu: siteA },
    { name: "site-b", emu: siteB },
  ]);
  // No `start` for site-b: the agent's start-up reconcile creates its groups too.
  const agent = await startIdleFirewallsAgent(both, ["site-a", "site-b"]);
  try {
    await waitUntil("site-b has every ban", () => namesOnFirewall(siteB).length === 5);
    assert.deepEqual(namesOnFirewall(siteB), namesOnFirewall(siteA));
    assert.match(agent.lines.join("\n"), /^firewall site-a: reconcile: 5 in place, \+0 -0/m);
  } finally {
    await agent.stop();
  }
});
