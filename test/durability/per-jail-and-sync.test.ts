/**
 * DONE-WHEN 4 and 6, with real CLI processes: per-jail references and expiry; `sync` repairing
 * half-done work (and `--dry-run` changing nothing); `status --json` after a failed delivery.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { desiredTargets, Journal } from "../../src/journal/index.ts";
import {
  foreignObjects,
  GROUP_V4,
  GROUP_V6,
  runCli,
  startFirewall,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { waitUntil } from "../support/wait.ts";
import { firewallView, nameOf } from "./helpers.ts";

describe("per-jail holds, expiry, sync and status", { timeout: 60_000 }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startFirewall();
  });
  after(async () => {
    await emu.close();
  });

  it("a ban held by two jails survives one jail's unban and one jail's flush", async () => {
    await emu.reset();
    await emu.seedForeign(3);
    const { dir, cleanup } = tempDir("f2b-jails");
    try {
      const config = writeConfig(dir, emu);
      const cli = async (...args: string[]) => {
        const r = await runCli([...args, "--configfile", config]);
        assert.equal(r.code, 0, r.stderr);
        return r;
      };
      const x = "192.0.2.77";
      const on = () => firewallView(emu).members.includes(nameOf(x));
      await cli("ban", "--ip", x, "--jail", "sshd", "--bantime", "600");
      await cli("ban", "--ip", x, "--jail", "recidive", "--bantime", "-1");
      await cli("unban", "--ip", x, "--jail", "sshd");
      assert.ok(on(), "recidive still holds it after sshd's unban");
      await cli("ban", "--ip", x, "--jail", "sshd", "--bantime", "600");
      await cli("flush", "--jail", "recidive", "--family", "inet4");
      assert.ok(on(), "sshd still holds it after recidive's flush");
      await cli("flush", "--jail", "sshd", "--family", "inet6");
      assert.ok(on(), "a flush of the other family releases nothing");
      await cli("unban", "--ip", x, "--jail", "sshd");
      assert.ok(!on(), "gone once no jail holds it");
      assert.deepEqual(firewallView(emu).hosts, []);
    } finally {
      cleanup();
    }
  });

  it("expired holds are released without an unban; permanent ones stay", async () => {
    await emu.reset();
    await emu.seedForeign(3);
    const { dir, cleanup } = tempDir("f2b-expiry");
    try {
      const config = writeConfig(dir, emu);
      const now = Math.floor(Date.now() / 1000);
      const run = (...args: string[]) => runCli([...args, "--configfile", config]);
      // A restored ban whose time is already over is never put on the firewall.
      assert.equal(
        (
          await run(
            "ban",
            "--ip",
            "192.0.2.80",
            "--jail",
            "a",
            "--time",
            String(now - 100),
            "--bantime",
            "50",
          )
        ).code,
        0,
      );
      // Long enough that the next ban lands before it is over, even on a loaded machine.
      assert.equal((await run("ban", "--ip", "192.0.2.81", "--jail", "a", "--bantime", "4")).code, 0);
      assert.equal((await run("ban", "--ip", "192.0.2.82", "--jail", "a", "--bantime", "-1")).code, 0);
      assert.deepEqual(firewallView(emu).members, [nameOf("192.0.2.81"), nameOf("192.0.2.82")].sort());
      // Wait on the expiry itself: the moment the journal no longer holds 192.0.2.81.
      const state = join(dir, "state");
      await waitUntil("192.0.2.81's four-second ban has expired", () => {
        const held = desiredTargets(new Journal(state).load().state, Date.now() / 1000);
        return !held.has("192.0.2.81") && held.has("192.0.2.82");
      });
      // Any later command delivers the expiry.
      assert.equal((await run("unban", "--ip", "192.0.2.99", "--jail", "a")).code, 0);
      assert.deepEqual(firewallView(emu).members, [nameOf("192.0.2.82")]);
    } finally {
      cleanup();
    }
  });

  it("sync repairs half-done work; --dry-run plans it and writes nothing", async () => {
    await emu.reset();
    await emu.seedForeign(3);
    const { dir, cleanup } = tempDir("f2b-sync");
    try {
      const config = writeConfig(dir, emu);
      const journal = new Journal(`${dir}/state`);
      const at = Date.now();
      journal.append([
        { t: "ban", at, jail: "sshd", target: "192.0.2.1", family: "IPv4", expiresAt: null },
        { t: "ban", at, jail: "sshd", target: "192.0.2.4", family: "IPv4", expiresAt: null },
        { t: "ban", at, jail: "sshd", target: "2001:db8::4", family: "IPv6", expiresAt: null },
        // Believed applied (a stale belief: the firewall will not have it).
        { t: "applied", at, present: ["192.0.2.4"], absent: [] },
      ]);
      const host = (target: string, groups: string[]) => ({
        name: nameOf(target),
        ipFamily: target.includes(":") ? ("IPv6" as const) : ("IPv4" as const),
        hostType: "IP" as const,
        ipAddress: target,
        hostGroups: groups,
      });
      await emu.seed({
        groups: [
          { name: GROUP_V4, ipFamily: "IPv4", hosts: [] },
          { name: GROUP_V6, ipFamily: "IPv6", hosts: [] },
        ],
        hosts: [
          host("192.0.2.1", []), // ours, desired, outside the group → re-linked
          host("192.0.2.2", []), // ours, unlinked but not removed, not desired → removed
          host("192.0.2.3", [GROUP_V4]), // ours, in the group, not desired → removed
          {
            name: "f2b_notours",
            ipFamily: "IPv4",
            hostType: "IPRange",
            startIpAddress: "192.0.2.5",
            endIpAddress: "192.0.2.6",
            hostGroups: [],
          },
        ],
      });
      const foreignBefore = foreignObjects(emu);
      const snapshotBefore = JSON.stringify(emu.snapshot());
      const writes = emu.counters.entityWrites;

      const dry = await runCli(["sync", "--dry-run", "--configfile", config]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /to add: 3 /);
      assert.match(dry.stdout, /to remove: 2 /);
      assert.match(dry.stdout, /f2b_notours/);
      assert.equal(emu.counters.entityWrites, writes, "dry run: no write request");
      assert.equal(JSON.stringify(emu.snapshot()), snapshotBefore);

      const real = await runCli(["sync", "--configfile", config]);
      assert.equal(real.code, 0, real.stderr);
      const view = firewallView(emu);
      assert.deepEqual(
        view.members,
        [nameOf("192.0.2.1"), nameOf("192.0.2.4"), nameOf("2001:db8::4")].sort(),
      );
      assert.deepEqual(
        view.orphans,
        ["f2b_notours"],
        "only the unrecognised host is left alone, outside the group",
      );
      assert.deepEqual(foreignObjects(emu), foreignBefore);
      const again = await runCli(["sync", "--dry-run", "--configfile", config]);
      assert.match(again.stdout, /in place: 3; to add: 0 .*to remove: 0 /);
      const { state } = journal.load();
      assert.deepEqual([...state.applied.keys()].sort(), ["192.0.2.1", "192.0.2.4", "2001:db8::4"]);
      assert.equal(state.uncertain.size, 0);
    } finally {
      cleanup();
    }
  });

  it("status --json after a failed delivery: lastError, pending, age", async () => {
    await emu.reset();
    await emu.seedForeign(3);
    const { dir, cleanup } = tempDir("f2b-status");
    try {
      const config = writeConfig(dir, emu);
      await emu.setFaults({ down: true });
      const ban = await runCli(["ban", "--ip", "192.0.2.50", "--jail", "sshd", "--configfile", config]);
      assert.equal(ban.code, 0, "journaled: exit 0 although the firewall is down");
      assert.match(ban.stdout, /stay pending/);
      const status = await runCli(["status", "--json", "--configfile", config]);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout);
      assert.equal(report.pending.add, 1);
      assert.equal(report.pending.remove, 0);
      assert.ok(report.pending.oldestAgeSeconds >= 0);
      assert.equal(report.lastSuccessAt, null);
      assert.equal(typeof report.lastError.message, "string");
      assert.ok(report.lastError.message.length > 0);
      assert.ok(!Number.isNaN(Date.parse(report.lastError.at)));
      assert.deepEqual(report.members, {
        IPv4: { group: GROUP_V4, count: 0 },
        IPv6: { group: GROUP_V6, count: 0 },
      });
      assert.deepEqual(report.agent, { running: false, pid: null });
      assert.equal(report.mode, "hook");
      await emu.setFaults({ down: false });
      assert.equal((await runCli(["sync", "--configfile", config])).code, 0);
      const later = JSON.parse((await runCli(["status", "--json", "--configfile", config])).stdout);
      assert.equal(later.pending.add, 0);
      assert.equal(later.pending.oldestAgeSeconds, null);
      assert.equal(later.members.IPv4.count, 1);
    } finally {
      await emu.setFaults({ down: false });
      cleanup();
    }
  });
});
