/**
 * iplist layout under failure:
 * - a shard write the firewall refuses keeps the changes pending (journaled), and a later
 *   delivery completes them;
 * - a shard write that reached the firewall but whose answer was lost (the process died before
 *   recording it) converges: the next delivery reads the firewall instead of trusting the
 *   journal, so an address unbanned meanwhile is not left in a shard the journal never knew;
 * - an unban of an address the journal does not know still removes a per-address host of it (one
 *   the original program made), as in the hosts layout.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { unban } from "../../src/action/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import type { Config } from "../../src/config/types.ts";
import { deliverPending } from "../../src/delivery/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { pendingFor } from "../../src/journal/index.ts";
import { ensureGroups } from "../../src/targets/sophos/index.ts";
import { startFirewall, tempDir } from "../support/harness.ts";
import { banRecords, coverage, GROUPS, layoutConfig, sessionFor, v4 } from "./helpers.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-shard-faults");
let run = 0;
let config: Config;

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});
beforeEach(async () => {
  await emu.reset();
  config = await layoutConfig(`${dirs.dir}/${++run}`, emu, { layout: "iplist", iplist_shard_size: 3 });
  const s = sessionFor(config);
  await ensureGroups(s.firewall(), s.naming.groups, { create: true });
  s.close();
});

async function deliver() {
  const session = sessionFor(config);
  try {
    return await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: config.maxEntitiesPerRequest,
      deadline: Date.now() + 20_000,
    });
  } finally {
    session.close();
  }
}

function journal(records: Parameters<ReturnType<typeof sessionFor>["journal"]["append"]>[0]) {
  const s = sessionFor(config);
  s.journal.append(records);
  s.close();
}

function pending() {
  const s = sessionFor(config);
  const p = pendingFor(s.journal.load().state, Date.now() / 1000);
  s.close();
  return { add: [...p.add.keys()].sort(), remove: [...p.remove.keys()].sort() };
}

test("a refused shard write stays pending, and a later delivery completes it", async () => {
  const first = [v4(1), v4(2), v4(3), v4(4)];
  journal(banRecords(first));
  assert.equal((await deliver()).error, undefined);

  await emu.setFaults({ statusCode: 500, count: 50 });
  journal([...banRecords([v4(5), v4(6)]), { t: "unban", at: Date.now(), jail: "sshd", target: v4(1) }]);
  const refused = await deliver();
  assert.ok(refused.error, "the delivery should report the refusal");
  assert.ok(refused.pending >= 3, `pending: ${refused.pending}`);
  assert.deepEqual(pending(), { add: [v4(5), v4(6)].sort(), remove: [v4(1)] });
  // Nothing changed on the firewall.
  assert.deepEqual([...coverage(emu.snapshot()).blocked].sort(), first.sort());

  await emu.setFaults({ statusCode: null, count: 0 });
  const retried = await deliver();
  assert.equal(retried.error, undefined, retried.error?.toLine());
  assert.deepEqual(pending(), { add: [], remove: [] });
  const seen = coverage(emu.snapshot());
  assert.deepEqual([...seen.blocked].sort(), [v4(2), v4(3), v4(4), v4(5), v4(6)].sort());
  for (const s of seen.shards.values()) {
    assert.ok(s.inGroup && s.addresses.length > 0 && s.addresses.length <= 3);
  }
});

test("a shard created but never recorded (answer lost): an unban meanwhile still unblocks", async () => {
  journal(banRecords([v4(1), v4(2), v4(3)]));
  assert.equal((await deliver()).error, undefined);
  // What a delivery that died after the firewall's answer leaves behind: v4(4) journaled and
  // marked as being sent, its new shard on the firewall, no `applied` record.
  journal([...banRecords([v4(4)]), { t: "sending", at: Date.now(), targets: [v4(4)] }]);
  await emu.seed({
    hosts: [
      {
        name: "f2b_list_v4_2",
        ipFamily: "IPv4",
        hostType: "IPList",
        listOfIpAddresses: [v4(4)],
        hostGroups: [GROUPS.IPv4],
      },
    ],
  });
  journal([{ t: "unban", at: Date.now(), jail: "sshd", target: v4(4) }]);
  const report = await deliver();
  assert.equal(report.error, undefined, report.error?.toLine());
  const seen = coverage(emu.snapshot());
  assert.equal(seen.blocked.has(v4(4)), false, `${v4(4)} still blocked by a shard the journal never knew`);
  assert.equal(seen.shards.has("f2b_list_v4_2"), false, "the emptied shard was not removed");
  assert.deepEqual(pending(), { add: [], remove: [] });
});

test("a shard written but never recorded (answer lost): the next delivery converges", async () => {
  journal(banRecords([v4(1), v4(2)]));
  assert.equal((await deliver()).error, undefined);
  // The write of shard 1 with v4(3) reached the firewall; the process died before recording it.
  journal([...banRecords([v4(3), v4(4)]), { t: "sending", at: Date.now(), targets: [v4(3), v4(4)] }]);
  const before = emu.snapshot().hosts.find((h) => h.name === "f2b_list_v4_1")!;
  await emu.seed({
    hosts: [{ ...before, listOfIpAddresses: [v4(1), v4(2), v4(3)], hostGroups: [GROUPS.IPv4] }],
  });
  const report = await deliver();
  assert.equal(report.error, undefined, report.error?.toLine());
  const seen = coverage(emu.snapshot());
  const all = [...seen.shards.values()].flatMap((s) => s.addresses);
  assert.deepEqual(all.sort(), [v4(1), v4(2), v4(3), v4(4)].sort(), "every address exactly once");
  assert.deepEqual(pending(), { add: [], remove: [] });
});

test("unban of an address the journal does not know removes its per-address host", async () => {
  // Left by the original program (one IP host per address), in our group.
  await emu.seed({
    hosts: [
      {
        name: "f2b_192.0.2.1",
        ipFamily: "IPv4",
        hostType: "IP",
        ipAddress: "192.0.2.1",
        hostGroups: [GROUPS.IPv4],
      },
    ],
  });
  const session = sessionFor(config);
  try {
    const outcome = await unban(session, { target: parseBanTarget("192.0.2.1"), jail: "sshd" });
    assert.equal(outcome.exitCode, 0, outcome.lines.join(" | "));
  } finally {
    session.close();
  }
  assert.equal(coverage(emu.snapshot()).hosts.size, 0, "the original program's host was left");
});
