/**
 * Drop-in replacement for the original program, through the built CLI as a process:
 *
 * - its config file (exactly its six keys; `verifySslCertificate: false` = insecure TLS with a
 *   warning) and its command lines (`ban --ip X --configfile F`, `unban …`, `start`, `flush`,
 *   `check`, `stop`) work unchanged. The only extra is F2B_SOPHOSXG_STATE_DIR, because the
 *   default state directory (/var/lib/f2b-sophosxg) is not a test's to write;
 * - objects the original created (`f2b_192.0.2.7`, an IP host in `fail2ban`) are adopted by ban,
 *   never duplicated, and removed by unban, even when this program never banned them;
 * - ban and unban cost a small constant number of requests, the same with 10 or 5,000 foreign
 *   IP hosts on the firewall.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import type { IpHost } from "../../src/protocol/index.ts";
import {
  foreignObjects,
  ourHosts,
  runCli,
  startFirewall,
  TEST_PASSWORD,
  TEST_USER,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { counterMark, group, succeeds } from "./support.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-original");

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

/** The original's config.json: its six keys and nothing else. */
function originalConfig(name: string): { path: string; env: NodeJS.ProcessEnv; stateDir: string } {
  const dir = join(dirs.dir, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "config.json");
  writeFileSync(
    path,
    JSON.stringify({
      url: emu.url,
      verifySslCertificate: false,
      user: TEST_USER,
      pass: TEST_PASSWORD,
      iphost_prefix: "f2b_",
      iphostgroup_name: "fail2ban",
    }),
  );
  chmodSync(path, 0o600);
  const stateDir = join(dir, "state");
  return { path, env: { F2B_SOPHOSXG_STATE_DIR: stateDir }, stateDir };
}

/** What the original left on the firewall for a ban of `ip`. */
function originalObject(ip: string): IpHost {
  return { name: `f2b_${ip}`, ipFamily: "IPv4", hostType: "IP", ipAddress: ip, hostGroups: ["fail2ban"] };
}

test("the original's config file and command lines work unchanged", async () => {
  await emu.reset();
  await emu.seedForeign(10);
  const foreign = foreignObjects(emu);
  const { path, env, stateDir } = originalConfig("plain");
  const run = (args: string[]) => runCli([...args, "--configfile", path], { env });

  const start = await run(["start"]);
  assert.equal(start.code, 0, start.stderr);
  // verifySslCertificate: false is honoured (the emulator's certificate is self-signed) and warned about.
  assert.match(start.stderr, /warning: .*verification is off \("verifySslCertificate"\)/);
  assert.ok(group(emu, "fail2ban"), "IPv4 group created");
  assert.ok(group(emu, "fail2ban_v6"), "IPv6 group derived from iphostgroup_name");
  assert.ok(existsSync(stateDir), "the state directory is F2B_SOPHOSXG_STATE_DIR");

  const check = await run(["check"]);
  assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /check: ok/);

  const ban = await run(["ban", "--ip", "192.0.2.1"]);
  assert.equal(ban.code, 0, ban.stderr);
  assert.deepEqual([...ourHosts(emu).keys()], ["f2b_192.0.2.1"]);
  assert.deepEqual(group(emu, "fail2ban")?.hosts, ["f2b_192.0.2.1"]);
  assert.ok(existsSync(join(stateDir, "journal.jsonl")), "journaled in F2B_SOPHOSXG_STATE_DIR");

  const unban = await run(["unban", "--ip", "192.0.2.1"]);
  assert.equal(unban.code, 0, unban.stderr);
  assert.equal(ourHosts(emu).size, 0);
  assert.deepEqual(group(emu, "fail2ban")?.hosts, []);

  for (const ip of ["192.0.2.2", "192.0.2.3"]) await succeeds(run, ["ban", "--ip", ip]);
  const flush = await run(["flush"]);
  assert.equal(flush.code, 0, flush.stderr);
  assert.equal(ourHosts(emu).size, 0);
  assert.deepEqual(group(emu, "fail2ban")?.hosts, [], "flush keeps the group, empty");

  const mark = counterMark(emu);
  const stop = await run(["stop"]);
  assert.equal(stop.code, 0);
  assert.equal(mark().requests, 0, "stop sends nothing");
  assert.ok(group(emu, "fail2ban") && group(emu, "fail2ban_v6"), "stop keeps the groups");

  for (const r of [start, check, ban, unban, flush, stop]) {
    assert.ok(!`${r.stdout}${r.stderr}`.includes(TEST_PASSWORD), "the password never shows");
    assert.ok(r.stdout.split("\n").filter(Boolean).length <= 3, `a few short lines: ${r.stdout}`);
  }
  assert.deepEqual(foreignObjects(emu), foreign);
});

test("F2B_SOPHOSXG_STATE_DIR must be absolute, and never overrides a state_dir in the file", async () => {
  await emu.reset();
  const { path } = originalConfig("relative");
  const r = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", path], {
    env: { F2B_SOPHOSXG_STATE_DIR: "relative/state" },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /F2B_SOPHOSXG_STATE_DIR.*absolute/);
  assert.equal(emu.counters.requests, 0);

  const own = join(dirs.dir, "own");
  const withKey = writeConfig(own, emu);
  const elsewhere = join(dirs.dir, "elsewhere");
  const ban = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", withKey], {
    env: { F2B_SOPHOSXG_STATE_DIR: elsewhere },
  });
  assert.equal(ban.code, 0, ban.stderr);
  assert.ok(existsSync(join(own, "state", "journal.jsonl")));
  assert.ok(!existsSync(elsewhere));
});

test("ban adopts an object the original created (one object, still a member) and unban removes it", async () => {
  await emu.reset();
  await emu.seedForeign(10);
  await emu.seed({
    groups: [{ name: "fail2ban", ipFamily: "IPv4", hosts: [] }],
    hosts: [originalObject("192.0.2.7")],
  });
  const foreign = foreignObjects(emu);
  const { path, env } = originalConfig("adopt");
  const run = (args: string[]) => runCli([...args, "--configfile", path], { env });

  await succeeds(run, ["start"]);
  const ban = await run(["ban", "--ip", "192.0.2.7"]);
  assert.equal(ban.code, 0, ban.stderr);
  const hosts = emu.snapshot().hosts.filter((h) => h.ipAddress === "192.0.2.7");
  assert.deepEqual(
    hosts.map((h) => h.name),
    ["f2b_192.0.2.7"],
    "still exactly one object for the address",
  );
  assert.deepEqual(group(emu, "fail2ban")?.hosts, ["f2b_192.0.2.7"]);
  await succeeds(run, ["ban", "--ip", "192.0.2.7"]);
  assert.equal(emu.snapshot().hosts.filter((h) => h.ipAddress === "192.0.2.7").length, 1);

  const unban = await run(["unban", "--ip", "192.0.2.7"]);
  assert.equal(unban.code, 0, unban.stderr);
  assert.equal(emu.snapshot().hosts.filter((h) => h.ipAddress === "192.0.2.7").length, 0);
  assert.deepEqual(group(emu, "fail2ban")?.hosts, []);
  assert.deepEqual(foreignObjects(emu), foreign);
});

test("unban removes an object the original created even though this program never banned it", async () => {
  // The drop-in case: the binary is swapped while Fail2ban runs; its next unban names a ban
  // the original made. Leaving the object would block the address for good.
  await emu.reset();
  await emu.seed({
    groups: [{ name: "fail2ban", ipFamily: "IPv4", hosts: [] }],
    hosts: [originalObject("192.0.2.8"), originalObject("192.0.2.9")],
  });
  const { path, env } = originalConfig("untracked");
  const mark = counterMark(emu);
  const unban = await runCli(["unban", "--ip", "192.0.2.8", "--configfile", path], { env });
  assert.equal(unban.code, 0, unban.stderr);
  assert.ok(mark().requests <= 3, `unban took ${mark().requests} requests`);
  assert.deepEqual([...ourHosts(emu).keys()], ["f2b_192.0.2.9"], "only that one removed");
  assert.deepEqual(group(emu, "fail2ban")?.hosts, ["f2b_192.0.2.9"]);

  // Unbanning what is not on the firewall at all is success too, at the same constant cost.
  const again = counterMark(emu);
  const none = await runCli(["unban", "--ip", "192.0.2.99", "--configfile", path], { env });
  assert.equal(none.code, 0, none.stderr);
  assert.ok(again().requests <= 3);
  assert.deepEqual([...ourHosts(emu).keys()], ["f2b_192.0.2.9"]);
});

/** Requests of ban then unban of `ip` on a firewall holding `foreign` foreign IP hosts. */
async function costs(foreign: number): Promise<{ ban: number; unban: number; reads: number }> {
  await emu.reset();
  await emu.seedForeign(foreign);
  const { path, env } = originalConfig(`cost-${foreign}`);
  const run = (args: string[]) => runCli([...args, "--configfile", path], { env });
  await succeeds(run, ["start"]);
  await succeeds(run, ["ban", "--ip", "192.0.2.50"]);

  const banMark = counterMark(emu);
  const ban = await run(["ban", "--ip", "2001:db8::50"]);
  const banCost = banMark();
  assert.equal(ban.code, 0, ban.stderr);
  assert.deepEqual(group(emu, "fail2ban_v6")?.hosts, ["f2b_2001_db8__50"]);

  const unbanMark = counterMark(emu);
  const unban = await run(["unban", "--ip", "192.0.2.50"]);
  const unbanCost = unbanMark();
  assert.equal(unban.code, 0, unban.stderr);
  assert.deepEqual(group(emu, "fail2ban")?.hosts, []);
  assert.equal(emu.snapshot().hosts.filter((h) => h.name.startsWith("admin_host_")).length, foreign);
  return {
    ban: banCost.requests,
    unban: unbanCost.requests,
    reads: banCost.entityReads + unbanCost.entityReads,
  };
}

test("ban and unban cost a small constant number of requests: 10 vs 5,000 foreign hosts", async () => {
  const few = await costs(10);
  const many = await costs(5000);
  assert.ok(few.ban <= 2, `ban took ${few.ban} requests`);
  assert.ok(few.unban <= 3, `unban took ${few.unban} requests`);
  assert.deepEqual(many, few, "the same with 5,000 foreign IP hosts");
  assert.equal(many.reads, 0, "no object is read: the cost cannot grow with the firewall");
});
