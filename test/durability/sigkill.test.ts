/**
 * DONE-WHEN 2: a process doing a few bans/unbans/flushes is SIGKILLed after a random 0–300 ms,
 * 50 times over one state directory, against a firewall with small write latency so that kills
 * land mid-request. After every kill: the journal loads with no unreadable record; then the
 * next ordinary command (a real CLI process) takes over the dead process's locks and leaves the
 * firewall equal to the desired state (an independent replay of the journal), with no orphan.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { Journal } from "../../src/journal/index.ts";
import { runCli, startFirewall, tempDir, writeConfig } from "../support/harness.ts";
import { expectedNames, firewallView, type Op, prng, replayHolds, runWorker } from "./helpers.ts";

const POOL = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "198.51.100.0/24", "2001:db8::10", "2001:db8::11"];
const JAILS = ["sshd", "postfix"];
const ENV = { F2B_SOPHOSXG_COMPACT_AFTER: "100000000" };
const TRIALS = 50;

describe("SIGKILL at random points", { timeout: 150_000 }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startFirewall({ latency: { writeMs: 15, readMs: 3, entityMs: 1, timeScale: 1 } });
  });
  after(async () => {
    await emu.close();
  });

  it(`${TRIALS} kills: journal stays loadable, the next command repairs the firewall`, async () => {
    const { dir, cleanup } = tempDir("f2b-kill");
    const stateDir = `${dir}/state`;
    const random = prng(9);
    let killedMidway = 0;
    try {
      const config = writeConfig(dir, emu);
      for (let trial = 0; trial < TRIALS; trial++) {
        const ops: Op[] = Array.from({ length: 4 }, () => {
          const roll = random();
          const ip = POOL[Math.floor(random() * POOL.length)]!;
          const jail = JAILS[Math.floor(random() * JAILS.length)]!;
          if (roll < 0.6) return { op: "ban", ip, jail, bantime: -1 };
          if (roll < 0.9) return { op: "unban", ip, jail };
          return { op: "flush", jail, ...(random() < 0.5 ? { family: "IPv4" as const } : {}) };
        });
        const killAfterMs = Math.floor(random() * 300);
        const run = await runWorker(config, ops, { env: ENV, killAfterMs });
        if (run.signal === "SIGKILL" && run.results.length > 0) killedMidway++;

        const loaded = new Journal(stateDir).load();
        assert.equal(loaded.unreadable, 0, `trial ${trial}: no torn record`);

        // The next ordinary command: an unban of an address nobody banned still delivers.
        const next = await runCli(
          ["unban", "--ip", "203.0.113.254", "--jail", "sshd", "--configfile", config],
          {
            env: ENV,
          },
        );
        assert.equal(next.code, 0, `trial ${trial}: ${next.stderr}`);
        assert.ok(next.durationMs < 5000, `trial ${trial}: the dead process's locks were taken over quickly`);
        const desired = replayHolds(stateDir);
        const view = firewallView(emu);
        assert.deepEqual(
          view.hosts,
          expectedNames(desired),
          `trial ${trial} (kill at ${killAfterMs} ms): hosts`,
        );
        assert.deepEqual(view.members, expectedNames(desired), `trial ${trial}: members`);
        assert.deepEqual(view.orphans, [], `trial ${trial}: no host of ours outside the group`);
      }
      const plan = await runCli(["sync", "--dry-run", "--configfile", config]);
      assert.match(plan.stdout, /to add: 0 .*to remove: 0 /);
      console.log(`# ${TRIALS} trials, ${killedMidway} killed after finishing at least one action`);
    } finally {
      cleanup();
    }
  });
});
