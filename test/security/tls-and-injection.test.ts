/**
 * At the CLI level: a wrong pin sends nothing (the emulator counts zero requests); insecure TLS
 * warns on stderr on every run; values that reach XML (password, prefix, group name, address)
 * cannot inject elements: the emulator ends up with exactly the objects named, nothing else.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { runCli, startFirewall, TEST_USER, tempDir, writeConfig } from "../support/harness.ts";

let emu: RunningEmulator;
const tmp = tempDir("f2b-inject");
before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu.close();
  tmp.cleanup();
});

test("wrong pin: no command sends a single request", async () => {
  await emu.reset();
  const config = writeConfig(join(tmp.dir, "pin"), emu, { tls_pin_sha256: "ef".repeat(32) });
  for (const command of [["start"], ["ban", "--ip", "192.0.2.3"], ["sync"], ["list"], ["check"]]) {
    const result = await runCli([...command, "--configfile", config]);
    assert.notEqual(result.code, 2, result.stderr);
    if (command[0] !== "ban") {
      assert.equal(result.code, 1, `${command[0]}: ${result.stderr}`);
      assert.match(result.stderr, /pinned|fingerprint/i);
    }
  }
  assert.equal(emu.counters.requests, 0, "the emulator saw no API request");
});

test("insecure TLS (verifySslCertificate: false or tls_insecure): a warning on stderr on every run", async () => {
  await emu.reset();
  for (const key of [{ verifySslCertificate: false }, { tls_insecure: true }]) {
    const config = writeConfig(join(tmp.dir, "insecure"), emu, { tls_pin_sha256: undefined, ...key });
    for (const command of [
      ["start"],
      ["ban", "--ip", "192.0.2.4"],
      ["status"],
      ["list"],
      ["sync"],
      ["unban", "--ip", "192.0.2.4"],
    ]) {
      const result = await runCli([...command, "--configfile", config]);
      assert.equal(result.code, 0, `${command[0]}: ${result.stderr}`);
      const warnings = result.stderr
        .split("\n")
        .filter((l) => /warning: .*TLS certificate verification is off/.test(l));
      assert.equal(warnings.length, 1, `${command[0]} warns once: ${result.stderr}`);
      assert.ok(!result.stdout.includes("verification is off"), "the warning goes to stderr");
    }
  }
});

test("a group name with XML in it names one group, and creates no other element", async () => {
  await emu.reset();
  const evil = "x</Name><Name>evil";
  const evil6 = "y</Name></IPHostGroup><IPHostGroup><Name>evil6";
  const config = writeConfig(join(tmp.dir, "group"), emu, {
    iphostgroup_name: evil,
    iphostgroup_name_v6: evil6,
  });
  assert.equal((await runCli(["start", "--configfile", config])).code, 0);
  assert.equal((await runCli(["ban", "--ip", "192.0.2.9", "--configfile", config])).code, 0);
  const groups = emu.snapshot().groups.map((g) => g.name);
  assert.ok(groups.includes(evil) && groups.includes(evil6), JSON.stringify(groups));
  assert.ok(
    !groups.some((g) => g === "evil" || g === "evil6" || g === "x" || g === "y"),
    JSON.stringify(groups),
  );
  assert.deepEqual(emu.snapshot().groups.find((g) => g.name === evil)?.hosts, ["f2b_192.0.2.9"]);
});

test("a prefix with XML specials names exactly our hosts", async () => {
  await emu.reset();
  const prefix = `<&>"'q`;
  const config = writeConfig(join(tmp.dir, "prefix"), emu, { iphost_prefix: prefix });
  assert.equal((await runCli(["start", "--configfile", config])).code, 0);
  const ban = await runCli(["ban", "--ip", "192.0.2.10", "--configfile", config]);
  assert.equal(ban.code, 0, ban.stderr);
  const hosts = emu
    .snapshot()
    .hosts.filter((h) => h.hostType !== "System Host")
    .map((h) => h.name);
  assert.deepEqual(hosts, [`${prefix}192.0.2.10`]);
  const unban = await runCli(["unban", "--ip", "192.0.2.10", "--configfile", config]);
  assert.equal(unban.code, 0, unban.stderr);
  assert.deepEqual(
    emu.snapshot().hosts.filter((h) => h.hostType !== "System Host"),
    [],
  );
});

test("a password with XML in it logs in as itself; an injected login does not", async () => {
  const password = "a</Password><Username>admin</Username><Password>b&c";
  const fw = await startFirewall({ password });
  try {
    const good = writeConfig(join(tmp.dir, "pw"), fw, { pass: password });
    const ok = await runCli(["start", "--configfile", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fw.counters.loginFailures, 0);
    // A password that tries to close the element and pass another: it is one (wrong) password.
    const forged = writeConfig(join(tmp.dir, "pw2"), fw, {
      pass: `x</Password></Login><Login><Username>${TEST_USER}</Username><Password>${password}`,
    });
    const refused = await runCli(["start", "--configfile", forged]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /authentication|login/i);
    assert.ok(fw.counters.loginFailures >= 1);
  } finally {
    await fw.close();
  }
});

test("an address carrying XML is refused before anything is sent", async () => {
  await emu.reset();
  const config = writeConfig(join(tmp.dir, "addr"), emu);
  for (const ip of [
    "192.0.2.1</IPAddress><IPAddress>10.0.0.1",
    "192.0.2.1&amp;",
    "2001:db8::1<x/>",
    "192.0.2.1\n10.0.0.1",
  ]) {
    const result = await runCli(["ban", "--ip", ip, "--configfile", config]);
    assert.equal(result.code, 2, ip);
  }
  assert.equal(emu.counters.requests, 0);
});
