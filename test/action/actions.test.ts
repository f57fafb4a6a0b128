/**
 * The six actions one by one, through the built CLI as Fail2ban runs it: start creates only
 * what is missing and refuses a group of the wrong family; check fails with one line when a
 * group is missing, the login is wrong or the firewall is down; ban names and shapes objects
 * right (IPv4 original form, IPv6, CIDR → Network, IPv4-mapped → IPv4); flush removes only our
 * hosts in few requests and never deletes a group; ban/unban exit 0 once journaled even with
 * the firewall down.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import {
  foreignObjects,
  GROUP_V4,
  GROUP_V6,
  ourHosts,
  runCli,
  startFirewall,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { counterMark, group, host, succeeds } from "./support.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-actions");
let n = 0;

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});
beforeEach(async () => {
  await emu.reset();
  await emu.seedForeign(10);
});

/** A fresh config (own state directory) for each test. */
function freshConfig(overrides: Record<string, unknown> = {}): (args: string[]) => ReturnType<typeof runCli> {
  const path = writeConfig(join(dirs.dir, `t${++n}`), emu, overrides);
  return (args) => runCli([...args, "--configfile", path]);
}

function outputLines(r: { stdout: string; stderr: string }): string[] {
  return `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
}

test("start creates only the missing group and changes nothing else", async () => {
  await emu.seed({
    groups: [{ name: GROUP_V4, ipFamily: "IPv4", description: "made by hand", hosts: ["admin_host_1"] }],
  });
  const before = emu.snapshot();
  const run = freshConfig();
  const r = await run(["start"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fail2ban \(IPv4\) present, fail2ban_v6 \(IPv6\) created/);
  const after = emu.snapshot();
  assert.deepEqual(
    after.groups.find((g) => g.name === GROUP_V4),
    before.groups.find((g) => g.name === GROUP_V4),
  );
  assert.equal(group(emu, GROUP_V6)?.ipFamily, "IPv6");
  assert.deepEqual(after.hosts, before.hosts);
  // A second start is a no-op that writes nothing.
  const mark = counterMark(emu);
  await succeeds(run, ["start"]);
  assert.equal(mark().Set + mark().Remove, 0);
});

test("start refuses a group of our name with the wrong family, with a clear message", async () => {
  await emu.seed({ groups: [{ name: GROUP_V6, ipFamily: "IPv4", hosts: [] }] });
  const before = emu.snapshot();
  const r = await freshConfig()(["start"]);
  assert.equal(r.code, 1);
  const lines = outputLines(r);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /"fail2ban_v6" exists on the firewall as IPv4, but it is configured for IPv6/);
  assert.match(lines[0]!, /iphostgroup_name_v6/, "says what to do");
  assert.deepEqual(emu.snapshot().groups, before.groups, "nothing changed");
});

test("check: ok when all is set up; one line and exit 1 when a group is missing", async () => {
  const run = freshConfig();
  const missing = await run(["check"]);
  assert.equal(missing.code, 1);
  assert.equal(outputLines(missing).length, 1, missing.stdout);
  assert.match(missing.stdout, /fail2ban \(IPv4\), fail2ban_v6 \(IPv6\) missing.*f2b-sophosxg start/);
  assert.equal(group(emu, GROUP_V4), undefined, "check creates nothing");

  await succeeds(run, ["start"]);
  const ok = await run(["check"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^check: ok/);

  // The IPv6 group deleted behind our back.
  await emu.reset({ counters: false, faults: false });
  await emu.seed({ groups: [{ name: GROUP_V4, ipFamily: "IPv4", hosts: [] }] });
  const oneMissing = await run(["check"]);
  assert.equal(oneMissing.code, 1);
  assert.match(oneMissing.stdout, /fail2ban_v6 \(IPv6\) missing/);
  assert.doesNotMatch(oneMissing.stdout, /fail2ban \(IPv4\)/);
});

test("check fails with one line on a wrong login and on a firewall that is down", async () => {
  const run = freshConfig();
  await succeeds(run, ["start"]);
  await emu.setFaults({ wrongCredentials: true });
  const login = await run(["check"]);
  assert.equal(login.code, 1);
  assert.equal(outputLines(login).length, 1, login.stderr);
  assert.match(login.stderr, /^f2b-sophosxg check: .*(login|authentic|credential)/i);

  await emu.setFaults({ wrongCredentials: false, down: true });
  const down = await run(["check"]);
  assert.equal(down.code, 1);
  assert.equal(outputLines(down).length, 1, down.stderr);
  assert.match(down.stderr, /^f2b-sophosxg check: /);
  assert.match(down.stderr, /refused|connect|reach/i);

  const start = await run(["start"]);
  assert.equal(start.code, 1, "start fails too when the firewall is down");
});

test("ban and unban exit 0 once journaled while the firewall is down, and deliver later", async () => {
  const run = freshConfig();
  await succeeds(run, ["start"]);
  await emu.setFaults({ down: true });
  const ban = await run(["ban", "--ip", "192.0.2.20"]);
  assert.equal(ban.code, 0, ban.stderr);
  assert.match(ban.stdout, /journaled; .*pending/);
  await emu.setFaults({ down: false });
  const next = await run(["ban", "--ip", "192.0.2.21"]);
  assert.equal(next.code, 0);
  assert.deepEqual([...(group(emu, GROUP_V4)?.hosts ?? [])].sort(), ["f2b_192.0.2.20", "f2b_192.0.2.21"]);
});

test("ban: names and object shapes for IPv4, IPv4-mapped IPv6, IPv6, CIDR; twice is one object", async () => {
  const run = freshConfig();
  const cases: { ip: string; name: string; group: string; hostType: string }[] = [
    { ip: "192.0.2.1", name: "f2b_192.0.2.1", group: GROUP_V4, hostType: "IP" },
    { ip: "::ffff:192.0.2.2", name: "f2b_192.0.2.2", group: GROUP_V4, hostType: "IP" },
    { ip: "2001:DB8::1", name: "f2b_2001_db8__1", group: GROUP_V6, hostType: "IP" },
    { ip: "198.51.100.7/24", name: "f2b_198.51.100.0/24", group: GROUP_V4, hostType: "Network" },
    { ip: "2001:db8:aa::/48", name: "f2b_2001_db8_aa__/48", group: GROUP_V6, hostType: "Network" },
  ];
  for (const c of cases) {
    const r = await run(["ban", "--ip", c.ip]);
    assert.equal(r.code, 0, `${c.ip}: ${r.stderr}`);
    const h = host(emu, c.name);
    assert.ok(h, `${c.ip} → ${c.name}`);
    assert.equal(h.hostType, c.hostType, c.ip);
    assert.ok(group(emu, c.group)?.hosts.includes(c.name), `${c.name} in ${c.group}`);
  }
  assert.equal(host(emu, "f2b_198.51.100.0/24")?.ipAddress, "198.51.100.0");
  const count = ourHosts(emu).size;
  await succeeds(run, ["ban", "--ip", "192.0.2.1"]);
  await succeeds(run, ["ban", "--ip", "::ffff:192.0.2.1"]);
  assert.equal(ourHosts(emu).size, count, "banning twice (in any spelling) is one object");
  // unban of something not banned is success.
  await succeeds(run, ["unban", "--ip", "203.0.113.99"]);
});

test("flush: removes only our hosts, in few requests, keeps the groups and their foreign members", async () => {
  // A small batch bound so that 25 hosts need 3 batches of each write.
  const run = freshConfig({ max_entities_per_request: 10 });
  await succeeds(run, ["start"]);
  for (let i = 1; i <= 25; i++) await succeeds(run, ["ban", "--ip", `192.0.2.${i}`]);
  await succeeds(run, ["ban", "--ip", "2001:db8::1"]);
  // An admin put a host of their own into our group, and made a host that merely looks like ours.
  await emu.seed({
    hosts: [
      {
        name: "admin_pinned",
        ipFamily: "IPv4",
        hostType: "IP",
        ipAddress: "203.0.113.5",
        hostGroups: [GROUP_V4],
      },
      {
        name: "f2b_notes",
        ipFamily: "IPv4",
        hostType: "IP",
        ipAddress: "203.0.113.6",
        hostGroups: [GROUP_V4],
      },
    ],
  });
  const foreign = foreignObjects(emu, "f2b_192.0.2.");

  const mark = counterMark(emu);
  const v4 = await run(["flush", "--family", "inet4"]);
  const cost = mark();
  assert.equal(v4.code, 0, v4.stderr);
  // One consistent line: what the flush removed is what it says it removed.
  assert.match(v4.stdout, /: 0 added, 25 removed on the firewall/);
  assert.doesNotMatch(v4.stdout, /; 0 added, 0 removed/);
  assert.deepEqual([...(group(emu, GROUP_V4)?.hosts ?? [])].sort(), ["admin_pinned", "f2b_notes"]);
  assert.deepEqual(group(emu, GROUP_V6)?.hosts, ["f2b_2001_db8__1"], "--family inet4 leaves IPv6 alone");
  assert.ok(host(emu, "f2b_notes"), "a host with our prefix that is not one of ours is left alone");
  // 25 removals with a bound of 10: 3 unlink requests + 3 Remove requests, plus the reads.
  assert.equal(cost.Remove, 3, JSON.stringify(cost));
  assert.ok(cost.Set <= 3, JSON.stringify(cost));
  assert.ok(cost.requests <= 12, `flush took ${cost.requests} requests`);
  assert.deepEqual(foreignObjects(emu, "f2b_192.0.2."), foreign);

  const all = await run(["flush"]);
  assert.equal(all.code, 0);
  assert.deepEqual(group(emu, GROUP_V6)?.hosts, []);
  assert.ok(group(emu, GROUP_V4) && group(emu, GROUP_V6), "flush never deletes a group");
});

test("flush --jail releases only that jail's holds", async () => {
  const run = freshConfig();
  await succeeds(run, ["ban", "--ip", "192.0.2.1", "--jail", "sshd"]);
  await succeeds(run, ["ban", "--ip", "192.0.2.1", "--jail", "nginx"]);
  await succeeds(run, ["ban", "--ip", "192.0.2.2", "--jail", "sshd"]);
  await succeeds(run, ["flush", "--jail", "sshd", "--family", "inet4"]);
  assert.deepEqual(group(emu, GROUP_V4)?.hosts, ["f2b_192.0.2.1"], "nginx still holds 192.0.2.1");
  await succeeds(run, ["unban", "--ip", "192.0.2.1", "--jail", "nginx"]);
  assert.deepEqual(group(emu, GROUP_V4)?.hosts, []);
});

test("stop sends nothing and changes nothing", async () => {
  const run = freshConfig();
  await succeeds(run, ["ban", "--ip", "192.0.2.1"]);
  const before = emu.snapshot();
  const mark = counterMark(emu);
  const r = await run(["stop"]);
  assert.equal(r.code, 0);
  assert.equal(mark().requests, 0);
  assert.deepEqual(emu.snapshot(), before);
});
