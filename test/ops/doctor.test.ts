/**
 * `doctor` against the emulator, run as the built CLI: one line per step, the right step FAILs
 * with its fix for each broken link of the chain, later steps say `skip`, exit 1 on any FAIL.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import {
  foreignObjects,
  runCli,
  startFirewall,
  TEST_PASSWORD,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { fail2banDir, statusOf, stepLine } from "./fixtures.ts";

const STEPS = [
  "permissions",
  "config",
  "resolve",
  "connect",
  "tls",
  "api",
  "caller",
  "login",
  "firmware",
  "read",
  "groups",
  "write",
  "ipv6 network",
  "state dir",
  "agent",
  "action file",
  "jail",
];

let emu: RunningEmulator;
const tmp = tempDir("f2b-doctor");
let f2b: string;

before(async () => {
  emu = await startFirewall({ seedForeign: 3 });
  f2b = fail2banDir(tmp.dir, { jail: "[sshd]\nenabled = true\nbanaction = sophosxg\n" });
});
after(async () => {
  await emu.close();
  tmp.cleanup();
});

async function doctor(config: string, env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(["doctor", "--configfile", config], {
    env: { F2B_SOPHOSXG_FAIL2BAN_DIR: f2b, ...env },
  });
  assert.ok(!(result.stdout + result.stderr).includes(TEST_PASSWORD));
  return result;
}

function tempDirIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function configIn(name: string, overrides: Record<string, unknown> = {}): string {
  return writeConfig(tempDirIn(join(tmp.dir, name)), emu, overrides);
}

test("a healthy chain: every step ok, one line each, exit 0; the write probe leaves nothing behind", async () => {
  await emu.reset();
  await emu.seedForeign(3);
  const config = configIn("healthy");
  const start = await runCli(["start", "--configfile", config]);
  assert.equal(start.code, 0, start.stderr);
  const before = foreignObjects(emu);
  const writesBefore = emu.counters.entityWritesApplied;
  const result = await doctor(config);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const lines = result.stdout.trim().split("\n");
  assert.deepEqual(
    lines.map((l) => l.replace(/^\S+\s+([^:]+):.*$/, "$1")),
    STEPS,
    "one line per step, in order",
  );
  for (const step of STEPS) {
    const status = statusOf(result.stdout, step);
    if (step === "agent") assert.equal(status, "info");
    else if (step === "action file")
      assert.match(status, /^(ok|warn)$/, "the program path may not exist here");
    else assert.equal(status, "ok", stepLine(result.stdout, step));
  }
  assert.match(
    stepLine(result.stdout, "tls"),
    new RegExp(`pinned SHA-256 ${emu.fingerprint256.slice(0, 2)}`, "i"),
  );
  assert.match(stepLine(result.stdout, "write"), /created and deleted IP host f2b_doctor_probe/);
  // Nothing is known yet of the IPv6 network form: the IPv6 probe learns it (test/targets/ipv6-subnet-form.test.ts).
  assert.equal(
    emu.counters.entityWritesApplied - writesBefore,
    4,
    "one create and one delete of each probe (IPv4 host, IPv6 network)",
  );
  assert.ok(!emu.snapshot().hosts.some((h) => h.name.includes("doctor_probe")), "probes deleted");
  assert.deepEqual(foreignObjects(emu), before, "nothing foreign touched");
  assert.equal(result.stderr, "");
});

test("wrong pin: tls FAILs showing the actual fingerprint and the fix; nothing reaches the API", async () => {
  await emu.reset();
  const config = configIn("pin", { tls_pin_sha256: "ab".repeat(32) });
  const result = await doctor(config);
  assert.equal(result.code, 1);
  const tls = stepLine(result.stdout, "tls");
  assert.match(tls, /^FAIL\s+tls: certificate SHA-256 is [0-9A-F:]{95}, the pin is (ab){32}/);
  assert.ok(tls.includes(`"tls_pin_sha256": "${emu.fingerprint256}"`), tls);
  for (const step of ["api", "caller", "login", "read", "groups", "write"]) {
    assert.equal(statusOf(result.stdout, step), "skip", step);
  }
  assert.equal(statusOf(result.stdout, "state dir"), "ok", "local steps still run");
  assert.equal(emu.counters.requests, 0, "no API request was sent");
});

test("system CA mode against a self-signed firewall: FAIL with the fingerprint to pin", async () => {
  const dir = join(tmp.dir, "system");
  tempDirIn(dir);
  const config = writeConfig(dir, emu);
  const text = JSON.parse(readFileSync(config, "utf8"));
  delete text.tls_pin_sha256;
  writeFileSync(config, JSON.stringify(text));
  const result = await doctor(config);
  assert.equal(result.code, 1);
  const tls = stepLine(result.stdout, "tls");
  assert.match(tls, /^FAIL\s+tls: certificate not trusted/);
  assert.ok(tls.includes(emu.fingerprint256), tls);
});

test("insecure TLS: the config and tls steps warn, the chain still passes", async () => {
  await emu.reset();
  const config = configIn("insecure", { tls_pin_sha256: undefined, verifySslCertificate: false });
  await runCli(["start", "--configfile", config]);
  const result = await doctor(config);
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /^warn\s+config: .*verification is off \("verifySslCertificate"\)/m);
  assert.match(stepLine(result.stdout, "tls"), /^warn\s+tls: certificate not checked .*"tls_pin_sha256"/);
});

test("API disabled (532), caller not allowed (534), wrong credentials: the matching step FAILs", async () => {
  const config = configIn("faults");
  const cases: Array<[Record<string, boolean>, string, RegExp]> = [
    [{ apiDisabled: true }, "api", /Backup & firmware > API/],
    [{ callerNotAllowed: true }, "caller", /allowed IP addresses/],
    [{ wrongCredentials: true }, "login", /user name and password/],
  ];
  for (const [fault, step, fix] of cases) {
    await emu.reset();
    await emu.setFaults(fault);
    const result = await doctor(config);
    assert.equal(result.code, 1, step);
    assert.equal(statusOf(result.stdout, step), "FAIL", result.stdout);
    assert.match(stepLine(result.stdout, step), fix);
    const index = STEPS.indexOf(step);
    for (const before of STEPS.slice(2, index)) assert.equal(statusOf(result.stdout, before), "ok", before);
    for (const later of ["read", "groups", "write"]) assert.equal(statusOf(result.stdout, later), "skip");
  }
  await emu.reset();
});

test("firewall down: connect FAILs, the rest of the firewall chain is skipped", async () => {
  const config = configIn("down");
  await emu.setFaults({ down: true });
  try {
    const result = await doctor(config);
    assert.equal(result.code, 1);
    assert.match(stepLine(result.stdout, "connect"), /^FAIL\s+connect: .*ECONNREFUSED.* -> fix: /);
    assert.equal(statusOf(result.stdout, "tls"), "skip");
    assert.equal(statusOf(result.stdout, "write"), "skip");
  } finally {
    await emu.setFaults({ down: false });
  }
});

test("an unknown host name: resolve FAILs", async () => {
  const config = configIn("dns", { url: "https://no-such-firewall.invalid:4444" });
  const result = await doctor(config);
  assert.equal(result.code, 1);
  assert.match(
    stepLine(result.stdout, "resolve"),
    /^FAIL\s+resolve: cannot resolve no-such-firewall\.invalid/,
  );
  assert.equal(statusOf(result.stdout, "connect"), "skip");
});

test("config problems: permissions and keys FAIL with fixes; every later firewall step is skipped", async () => {
  const dir = join(tmp.dir, "badconfig");
  tempDirIn(dir);
  const open = writeConfig(dir, emu);
  chmodSync(open, 0o644);
  let result = await doctor(open);
  assert.equal(result.code, 1);
  assert.match(
    stepLine(result.stdout, "permissions"),
    /^FAIL\s+permissions: .* mode 0644.* -> fix: chmod 600 /,
  );
  assert.equal(statusOf(result.stdout, "config"), "FAIL");
  for (const step of ["resolve", "tls", "login", "write", "state dir", "agent"]) {
    assert.equal(statusOf(result.stdout, step), "skip", step);
  }
  assert.equal(statusOf(result.stdout, "jail"), "ok", "Fail2ban checks need no config");

  writeFileSync(open, "{ not json", { mode: 0o600 });
  chmodSync(open, 0o600);
  result = await doctor(open);
  assert.equal(result.code, 1);
  assert.match(stepLine(result.stdout, "config"), /^FAIL\s+config: .*not valid JSON at line 1/);

  result = await doctor(join(dir, "missing.json"));
  assert.equal(result.code, 1);
  assert.match(stepLine(result.stdout, "config"), /^FAIL\s+config: .*not found/);
});

test("Fail2ban not set up: action file and jail FAIL with their fixes", async () => {
  await emu.reset();
  const config = configIn("nof2b");
  await runCli(["start", "--configfile", config]);
  const empty = fail2banDir(join(tmp.dir, "emptyf2b"), {
    action: false,
    jail: "[sshd]\n# banaction = sophosxg\n",
  });
  const result = await doctor(config, { F2B_SOPHOSXG_FAIL2BAN_DIR: empty });
  assert.equal(result.code, 1);
  assert.match(
    stepLine(result.stdout, "action file"),
    /^FAIL\s+action file: .*missing -> fix: run f2b-sophosxg install/,
  );
  assert.match(
    stepLine(result.stdout, "jail"),
    /^FAIL\s+jail: no jail uses .* -> fix: set "banaction = sophosxg"/,
  );
});
