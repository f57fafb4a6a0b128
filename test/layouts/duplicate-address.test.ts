/**
 * iplist layout against a firewall that refuses a second IP host with the same value under
 * another name (the emulator's `rejectDuplicateAddress`; reference §10.14): emptying several
 * shards at once must not write two shards with the same list. Before the fix, every emptied
 * shard was unlinked with the same placeholder list, so the second unlink was refused (503), its
 * Remove then refused (510, still a member), and the flush reported a failure.
 *
 * The first test is the model property's counterexample, step by step.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { ban, flush } from "../../src/action/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import type { Config } from "../../src/config/types.ts";
import { deliverPending } from "../../src/delivery/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { startFirewall, tempDir } from "../support/harness.ts";
import { banRecords, coverage, layoutConfig, sessionFor, v4, v6 } from "./helpers.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-shard-duplicates");
let run = 0;
let config: Config;

before(async () => {
  emu = await startFirewall({ behaviour: { rejectDuplicateAddress: true } });
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});
beforeEach(async () => {
  await emu.reset();
  config = await layoutConfig(`${dirs.dir}/${++run}`, emu, { layout: "iplist", iplist_shard_size: 3 });
});

function shardsOnFirewall(): string[] {
  return [...coverage(emu.snapshot()).shards.keys()].sort();
}

async function step(
  action: (s: ReturnType<typeof sessionFor>) => Promise<{ exitCode: number; lines: string[] }>,
) {
  const session = sessionFor(config, {}, 10_000);
  try {
    const outcome = await action(session);
    assert.equal(outcome.exitCode, 0, outcome.lines.join(" | "));
    assert.doesNotMatch(outcome.lines.join("\n"), /pending|failed|refused/);
    return outcome;
  } finally {
    session.close();
  }
}

async function deliver() {
  const session = sessionFor(config);
  try {
    return await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: config.maxEntitiesPerRequest,
      deadline: Date.now() + 10_000,
    });
  } finally {
    session.close();
  }
}

test("ban .18, .11, .17, .10, flush, ban .10: the flush empties both shards without a refusal", async () => {
  for (const ip of ["192.0.2.18", "192.0.2.11", "192.0.2.17", "192.0.2.10"]) {
    await step((s) => ban(s, { target: parseBanTarget(ip), jail: "sshd" }));
  }
  assert.deepEqual(shardsOnFirewall(), ["f2b_list_v4_1", "f2b_list_v4_2"]);
  await step((s) => flush(s, {}));
  assert.deepEqual(shardsOnFirewall(), [], "both emptied shards are removed");
  await step((s) => ban(s, { target: parseBanTarget("192.0.2.10"), jail: "sshd" }));
  assert.deepEqual([...coverage(emu.snapshot()).blocked], ["192.0.2.10"]);
});

test("one delivery that empties several shards of each family removes them all", async () => {
  const s = sessionFor(config);
  await s.target.ensureGroups({ create: true });
  const targets = [v4(1), v4(2), v4(3), v4(4), v4(5), v4(6), v4(7), v6(1), v6(2), v6(3), v6(4)];
  s.journal.append(banRecords(targets));
  s.close();
  assert.equal((await deliver()).error, undefined);
  assert.equal(shardsOnFirewall().length, 5);

  const u = sessionFor(config);
  u.journal.append(targets.map((target) => ({ t: "unban" as const, at: Date.now(), jail: "sshd", target })));
  u.close();
  const report = await deliver();
  assert.equal(report.error, undefined, report.error?.message);
  assert.equal(report.pending, 0);
  assert.deepEqual(shardsOnFirewall(), []);
});

test("a placeholder-only shard left unlinked by an older version and a shard emptied now both go", async () => {
  await step((s) => ban(s, { target: parseBanTarget("192.0.2.18"), jail: "sshd" }));
  // What an interrupted removal of an older version left: unlinked, placeholder only.
  await emu.seed({
    hosts: [
      {
        name: "f2b_list_v4_7",
        ipFamily: "IPv4",
        hostType: "IPList",
        listOfIpAddresses: ["192.0.2.0"],
        hostGroups: [],
      },
    ],
  });
  await step((s) => flush(s, {}));
  assert.deepEqual(shardsOnFirewall(), []);
});
