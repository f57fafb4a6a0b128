/**
 * The hooks' fast path (src/cli/hook-fast-path.ts): with a real agent running, `ban` and `unban`
 * through the bin (dist/f2b-sophosxg.cjs) and through dist/f2b-sophosxg.mjs journal the intent
 * and say the agent delivers it, exactly as the full CLI would; the agent then delivers it. On
 * anything doubtful (a bad config) the full CLI answers, with the same words as without the
 * fast path; warnings are printed the same way.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { desiredTargets, Journal } from "../../src/journal/index.ts";
import { type AgentProcess, startIdleAgent, waitUntil } from "../agent/helpers.ts";
import { ourHosts, REPO, runCli, startFirewall, tempDir, writeConfig } from "../support/harness.ts";

const BIN = join(REPO, "dist", "f2b-sophosxg.cjs");
const MJS = join(REPO, "dist", "f2b-sophosxg.mjs");

const tmp = tempDir("f2b-fast-path");
let emu: RunningEmulator;
let config: string;
let stateDir: string;
let agent: AgentProcess;

before(async () => {
  emu = await startFirewall();
  config = writeConfig(tmp.dir, emu);
  stateDir = join(tmp.dir, "state");
  agent = await startIdleAgent(config);
});
after(async () => {
  await agent?.stop();
  await emu?.close();
  tmp.cleanup();
});

function run(
  program: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [program, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function desired(): Map<string, string> {
  return desiredTargets(new Journal(stateDir).load().state, Date.now() / 1000);
}

/** A config beside the good one, on the same state directory (so the agent counts as alive). */
function variant(name: string, overrides: Record<string, unknown>): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, JSON.stringify(overrides), { mode: 0o600 });
  return path;
}

for (const [label, program] of [
  ["bin (.cjs)", BIN],
  [".mjs", MJS],
] as const) {
  test(`${label}: ban and unban with the agent alive journal the intent; the agent delivers it`, async () => {
    const ip = label === ".mjs" ? "192.0.2.42" : "192.0.2.41";
    const ban = await run(program, [
      "ban",
      "--configfile",
      config,
      "--jail",
      "sshd",
      "--ip",
      ip,
      "--family",
      "inet4",
    ]);
    assert.equal(ban.code, 0, ban.stderr);
    assert.equal(ban.stdout, `ban ${ip} (jail sshd) journaled; the agent (pid ${agent.pid}) delivers it\n`);
    assert.equal(ban.stderr, "");
    assert.ok(desired().has(ip), "journaled");
    await waitUntil(`${ip} on the firewall`, () => ourHosts(emu).has(`f2b_${ip}`));

    const unban = await run(program, ["unban", "--configfile", config, "--jail", "sshd", "--ip", ip]);
    assert.equal(unban.code, 0, unban.stderr);
    assert.equal(
      unban.stdout,
      `unban ${ip} (jail sshd) journaled; the agent (pid ${agent.pid}) delivers it\n`,
    );
    assert.ok(!desired().has(ip), "released in the journal");
    await waitUntil(`${ip} off the firewall`, () => !ourHosts(emu).has(`f2b_${ip}`));
  });
}

test("a bad config with the agent alive: the full CLI's error, exit 2, nothing journaled", async () => {
  const bad = variant("bad.json", {
    url: emu.url,
    user: "apiuser",
    pass: "x",
    tls_pin_sha256: emu.fingerprint256,
    state_dir: stateDir,
    connect_timeout_ms: 5,
  });
  const args = ["ban", "--configfile", bad, "--ip", "192.0.2.43"];
  const fast = await run(BIN, args);
  // --dry-run never takes the fast path: the full CLI's own words.
  const full = await runCli([...args, "--dry-run"]);
  assert.equal(fast.code, 2);
  assert.equal(full.code, 2);
  assert.match(fast.stderr, /connect_timeout_ms.*at least 100/);
  assert.equal(fast.stderr, full.stderr);
  assert.equal(fast.stdout, "");
  assert.ok(!desired().has("192.0.2.43"));
});

test("bad arguments with the agent alive: the full CLI's usage error", async () => {
  const fast = await run(BIN, ["ban", "--configfile", config, "--ip", "<ip>"]);
  const full = await runCli(["ban", "--configfile", config, "--ip", "<ip>"]);
  assert.equal(fast.code, 2);
  assert.equal(fast.stderr, full.stderr);
  assert.match(fast.stderr, /f2b-sophosxg: /);
});

test("a config's warnings are printed by the fast path as by the full CLI", async () => {
  const insecure = variant("insecure.json", {
    url: emu.url,
    user: "apiuser",
    pass: "x",
    verifySslCertificate: false,
    state_dir: stateDir,
  });
  const args = ["ban", "--configfile", insecure, "--ip", "192.0.2.44"];
  const fast = await run(BIN, args);
  const full = await runCli([...args, "--dry-run"]);
  assert.equal(fast.code, 0, fast.stderr);
  assert.match(fast.stdout, /journaled; the agent \(pid \d+\) delivers it/);
  assert.match(fast.stderr, /warning: .*TLS certificate verification is off/);
  assert.equal(fast.stderr, full.stderr);
});

/**
 * The entry alone, without dist/cli.mjs beside it: a hook that answers from this copy took the
 * fast path (the full CLI cannot even load).
 */
/** The full command line alone (dist/cli.mjs's runMain), as the entry runs it when not sure. */
function runFullCli(args: string[]): ReturnType<typeof run> {
  const script = join(tmp.dir, "full-cli.mjs");
  writeFileSync(
    script,
    `import { runMain } from ${JSON.stringify(join(REPO, "dist", "cli.mjs"))};\nawait runMain(process.argv.slice(2));\n`,
  );
  return run(script, args);
}

function entryWithoutFullCli(): string {
  const dir = join(tmp.dir, "entry-only");
  mkdirSync(dir, { recursive: true });
  copyFileSync(BIN, join(dir, "f2b-sophosxg.cjs"));
  return join(dir, "f2b-sophosxg.cjs");
}

test("a fleet member's, a CrowdSec box's and several firewalls' hooks take the fast path too", async () => {
  const entryOnly = entryWithoutFullCli();
  const passFile = join(tmp.dir, "redis.pass");
  writeFileSync(passFile, "redis-secret\n", { mode: 0o600 });
  const keyFile = join(tmp.dir, "crowdsec.key");
  writeFileSync(keyFile, "crowdsec-key\n", { mode: 0o600 });
  const connection = { user: "apiuser", pass: "x", tls_pin_sha256: emu.fingerprint256, state_dir: stateDir };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "fleet.json",
      {
        url: emu.url,
        ...connection,
        layout: "iplist",
        // Nothing listens there: a hook never talks to Redis.
        fleet: { redis_url: "redis://f2b@127.0.0.1:1", redis_pass_file: passFile, name: "t", member: "m1" },
      },
      "this fleet member's agent forwards it to the fleet (only the pusher writes)",
    ],
    [
      "crowdsec.json",
      {
        url: emu.url,
        ...connection,
        crowdsec: { lapi_url: "http://127.0.0.1:1", api_key_file: keyFile, poll_interval: "10s" },
        metrics_listen: "127.0.0.1:1",
      },
      `the agent (pid ${agent.pid}) delivers it`,
    ],
    [
      "firewalls.json",
      {
        ...connection,
        firewalls: [
          { name: "default", url: emu.url },
          { name: "b", url: emu.url },
        ],
      },
      `the agent (pid ${agent.pid}) delivers it`,
    ],
  ];
  for (const [[name, data, next], i] of cases.map((c, i) => [c, i] as const)) {
    const path = variant(name, data);
    const ip = `192.0.2.${50 + i}`;
    const args = ["ban", "--configfile", path, "--jail", "sshd", "--ip", ip];
    const fast = await run(entryOnly, args);
    assert.equal(fast.code, 0, `${name}: ${fast.stderr}`);
    assert.equal(fast.stdout, `ban ${ip} (jail sshd) journaled; ${next}\n`, name);
    assert.equal(fast.stderr, "", name);
    assert.ok(desired().has(ip), `${name}: journaled`);
    // The full CLI, without the entry's fast path, says the same (a second ban of the same
    // address is journaled as one).
    const full = await runFullCli(args);
    assert.equal(full.stdout, fast.stdout, `${name}: the full CLI's words`);
    const unban = await run(entryOnly, ["unban", "--configfile", path, "--jail", "sshd", "--ip", ip]);
    assert.equal(unban.code, 0, `${name}: ${unban.stderr}`);
    assert.ok(!desired().has(ip), `${name}: released`);
  }
  assert.ok(!JSON.stringify(cases).includes("redis-secret"));
});
