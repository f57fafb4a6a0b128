/**
 * DONE-WHEN 1: 20 processes at once, 50 random ban/unban each over 8 addresses and 2 jails.
 * Each process is a worker that runs its 50 actions in a loop through the built library (the
 * calls the CLI makes), so the run is 20 truly concurrent processes contending for the journal
 * and delivery locks without paying 1,000 process starts. A smaller run with real CLI processes
 * checks the same with the shipped binary.
 *
 * The truth is the journal's own record order: the expected set is an independent replay of
 * journal.jsonl. No final `sync` is run before comparing: every command delivers what is
 * pending before it exits (waiting for the delivery lock), so the last one to journal leaves the
 * firewall equal to the journal. `sync --dry-run` afterwards must find nothing to do.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { holdsOf, Journal } from "../../src/journal/index.ts";
import { runCli, startFirewall, tempDir, writeConfig } from "../support/harness.ts";
import { expectedNames, firewallView, inWaves, type Op, prng, replayHolds, runWorker } from "./helpers.ts";

const POOL = [
  "192.0.2.1",
  "192.0.2.2",
  "192.0.2.3",
  "192.0.2.4",
  "198.51.100.7",
  "203.0.113.0/24",
  "2001:db8::1",
  "2001:db8:1::/48",
];
const NO_COMPACTION = { F2B_SOPHOSXG_COMPACT_AFTER: "100000000" };

function randomOps(random: () => number, count: number, jails: string[]): Op[] {
  return Array.from({ length: count }, () => {
    const ip = POOL[Math.floor(random() * POOL.length)]!;
    const jail = jails[Math.floor(random() * jails.length)]!;
    return random() < 0.55
      ? { op: "ban", ip, jail, bantime: random() < 0.5 ? -1 : 3600 }
      : { op: "unban", ip, jail };
  });
}

describe("concurrency", { timeout: 150_000 }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startFirewall();
  });
  after(async () => {
    await emu.close();
  });

  it("20 processes × 50 ban/unban: the firewall equals the replay of the journal's order", async () => {
    await emu.reset();
    const { dir, cleanup } = tempDir("f2b-conc");
    try {
      const config = writeConfig(dir, emu);
      const random = prng(20_50);
      const started = Date.now();
      const runs = await Promise.all(
        Array.from({ length: 20 }, () =>
          runWorker(config, randomOps(random, 50, ["sshd", "recidive"]), { env: NO_COMPACTION }),
        ),
      );
      const elapsed = Date.now() - started;
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.results.length, 50);
        for (const r of run.results) assert.equal(r.exitCode, 0, r.error);
      }
      const desired = replayHolds(`${dir}/state`);
      const view = firewallView(emu);
      assert.deepEqual(view.hosts, expectedNames(desired), "hosts of ours = replay of the journal");
      assert.deepEqual(view.members, expectedNames(desired), "group members = replay of the journal");
      assert.deepEqual(view.orphans, []);
      assert.deepEqual(view.duplicates, []);
      // The journal agrees with itself and nothing is left pending.
      const loaded = new Journal(`${dir}/state`).load();
      assert.equal(loaded.unreadable, 0);
      assert.ok(loaded.records >= 1000);
      const plan = await runCli(["sync", "--dry-run", "--configfile", config]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /to add: 0 .*to remove: 0 /);
      const maxOp = Math.max(...runs.flatMap((r) => r.results.map((x) => x.ms)));
      console.log(
        `# 1000 ops in ${elapsed} ms, slowest op ${maxOp} ms, ${loaded.records} records, ${desired.size} desired`,
      );
    } finally {
      cleanup();
    }
  });

  it("compactions racing with appends lose nothing (each process owns its jail, 8 shared addresses)", async () => {
    await emu.reset();
    const { dir, cleanup } = tempDir("f2b-compact");
    try {
      const config = writeConfig(dir, emu);
      const random = prng(4711);
      const plans = Array.from({ length: 12 }, (_, w) => {
        const jail = `jail${w}`;
        const ops = randomOps(random, 40, [jail]);
        ops.splice(20, 0, { op: "flush", jail, family: "IPv4" });
        return ops;
      });
      // Each jail is touched by one process only, so its final holds follow from its own order.
      const expectedHolds = new Set<string>();
      for (const [w, ops] of plans.entries()) {
        const held = new Set<string>();
        for (const op of ops) {
          if (op.op === "ban") held.add(op.ip!);
          else if (op.op === "unban") held.delete(op.ip!);
          else for (const t of [...held]) if (!t.includes(":")) held.delete(t);
        }
        for (const t of held) expectedHolds.add(`${t}|jail${w}`);
      }
      const runs = await Promise.all(
        plans.map((ops) => runWorker(config, ops, { env: { F2B_SOPHOSXG_COMPACT_AFTER: "30" } })),
      );
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        for (const r of run.results) assert.equal(r.exitCode, 0, r.error);
      }
      const { state, unreadable } = new Journal(`${dir}/state`).load();
      assert.equal(unreadable, 0);
      const holds = new Set<string>();
      for (const [target, entry] of state.holds)
        for (const jail of holdsOf(entry).keys()) holds.add(`${target}|${jail}`);
      assert.deepEqual([...holds].sort(), [...expectedHolds].sort(), "every hold survives the compactions");
      const desired = new Set([...expectedHolds].map((h) => h.split("|")[0]!));
      const view = firewallView(emu);
      assert.deepEqual(view.hosts, expectedNames(desired));
      assert.deepEqual(view.members, expectedNames(desired));
    } finally {
      cleanup();
    }
  });

  it("real CLI processes: 20 at a time, 60 ban/unban in all", async () => {
    await emu.reset();
    const { dir, cleanup } = tempDir("f2b-conc-cli");
    try {
      const config = writeConfig(dir, emu);
      const random = prng(60);
      const ops = randomOps(random, 60, ["sshd", "nginx"]);
      const results = await inWaves(
        ops.map(
          (op) => () =>
            runCli(
              [
                op.op,
                "--ip",
                op.ip!,
                "--jail",
                op.jail!,
                ...(op.bantime !== undefined ? ["--bantime", String(op.bantime)] : []),
                "--configfile",
                config,
              ],
              {
                env: NO_COMPACTION,
              },
            ),
        ),
        20,
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const desired = replayHolds(`${dir}/state`);
      const view = firewallView(emu);
      assert.deepEqual(view.hosts, expectedNames(desired));
      assert.deepEqual(view.members, expectedNames(desired));
    } finally {
      cleanup();
    }
  });
});
