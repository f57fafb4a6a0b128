/**
 * `list`: what is on the firewall (address, object, group, jails and expiry from the local
 * state) and the three kinds of drift, as text and as JSON; it changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import type { ListReport } from "../../src/ops/list.ts";
import { GROUP_V4, runCli, startFirewall, TEST_PASSWORD, tempDir, writeConfig } from "../support/harness.ts";

let emu: RunningEmulator;
const tmp = tempDir("f2b-list");
let config: string;

before(async () => {
  emu = await startFirewall({ seedForeign: 2 });
  config = writeConfig(tmp.dir, emu);
});
after(async () => {
  await emu.close();
  tmp.cleanup();
});

async function cli(...args: string[]) {
  const result = await runCli([...args, "--configfile", config]);
  assert.ok(!(result.stdout + result.stderr).includes(TEST_PASSWORD));
  return result;
}

test("list shows our objects with group, jails and expiry, and each kind of drift", async () => {
  assert.equal((await cli("start")).code, 0);
  const banned = await cli(
    "ban",
    "--ip",
    "192.0.2.10",
    "--jail",
    "sshd",
    "--time",
    "1700000000",
    "--bantime",
    "-1",
  );
  assert.equal(banned.code, 0, banned.stderr);
  assert.equal((await cli("ban", "--ip", "2001:db8::10", "--jail", "sshd")).code, 0);
  assert.equal((await cli("ban", "--ip", "192.0.2.10", "--jail", "nginx", "--bantime", "3600")).code, 0);
  // Drift 1: ours, on the firewall, held by no jail, outside the group.
  // Not ours despite the prefix, and a foreign member of our group (left alone).
  await emu.seed({
    hosts: [
      {
        name: "f2b_198.51.100.9",
        ipFamily: "IPv4",
        hostType: "IP",
        ipAddress: "198.51.100.9",
        hostGroups: [],
      },
      { name: "f2b_custom", ipFamily: "IPv4", hostType: "IP", ipAddress: "203.0.113.5", hostGroups: [] },
    ],
  });
  // Drift 2: held by a jail but missing (journaled while the firewall was down).
  await emu.setFaults({ down: true });
  const down = await cli("ban", "--ip", "203.0.113.77", "--jail", "sshd");
  await emu.setFaults({ down: false });
  assert.equal(down.code, 0, "journaled while down");
  const writes = emu.counters.entityWrites;

  const json = await cli("list", "--json");
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as ListReport;
  assert.equal(emu.counters.entityWrites, writes, "list writes nothing");
  const byAddress = new Map(report.objects.map((o) => [o.address, o]));
  const v4 = byAddress.get("192.0.2.10");
  assert.ok(v4);
  assert.equal(v4.name, "f2b_192.0.2.10");
  assert.equal(v4.group, GROUP_V4);
  assert.deepEqual(v4.jails.map((j) => j.jail).sort(), ["nginx", "sshd"]);
  assert.equal(v4.jails.find((j) => j.jail === "sshd")?.expiresAt, null, "bantime -1 is permanent");
  assert.match(v4.jails.find((j) => j.jail === "nginx")?.expiresAt ?? "", /^\d{4}-\d\d-\d\dT/);
  assert.equal(byAddress.get("2001:db8::10")?.name, "f2b_2001_db8__10");
  assert.equal(byAddress.get("2001:db8::10")?.group, "fail2ban_v6");
  assert.deepEqual(report.drift, {
    notDesired: ["198.51.100.9"],
    missing: ["203.0.113.77"],
    outsideGroup: ["198.51.100.9"],
  });
  assert.deepEqual(report.unrecognised, ["f2b_custom"]);
  assert.equal(report.groups.IPv4.present, true);

  const text = await cli("list");
  assert.equal(text.code, 0);
  assert.match(
    text.stdout,
    /^192\.0\.2\.10 {2}f2b_192\.0\.2\.10 {2}fail2ban {2}.*nginx until \d{4}-.*sshd permanent/m,
  );
  assert.match(text.stdout, /^drift: on the firewall but held by no jail \(1\): 198\.51\.100\.9$/m);
  assert.match(text.stdout, /^drift: held by a jail but missing on the firewall \(1\): 203\.0\.113\.77$/m);
  assert.match(text.stdout, /^drift: ours but outside the group \(1\): 198\.51\.100\.9$/m);
  assert.match(text.stdout, /f2b-sophosxg sync/);
  assert.match(text.stdout, /not ours despite the prefix \(left alone\): f2b_custom/);
});

test("list with the firewall down fails with exit 1 and a one-line reason", async () => {
  await emu.setFaults({ down: true });
  try {
    const result = await cli("list");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^f2b-sophosxg list: .*(refused|reach|connect)/im);
  } finally {
    await emu.setFaults({ down: false });
  }
});
