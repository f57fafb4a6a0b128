/**
 * `list`, `status` and the emulator's page understand shards: which address is in which shard,
 * each shard's size and group, placeholders never shown as banned, drift still found.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { statusReport } from "../../src/action/status.ts";
import { deliverPending } from "../../src/delivery/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { renderPage } from "../../src/emulator/page.ts";
import { listReport } from "../../src/ops/list.ts";
import { startFirewall, tempDir } from "../support/harness.ts";
import { banRecords, GROUPS, layoutConfig, sessionFor, v4 } from "./helpers.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-views");

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

test("list, status and the page show the shards and the address each one holds", async () => {
  const config = await layoutConfig(dirs.dir, emu, { layout: "iplist", iplist_shard_size: 2 });
  const session = sessionFor(config);
  try {
    await session.target.ensureGroups({ create: true });
    session.journal.append(banRecords([v4(1), v4(2), v4(3), "2001:db8::7", "198.51.100.0/24"]));
    const report = await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: 100,
      deadline: Date.now() + 10_000,
    });
    assert.equal(report.error, undefined);
    // Drift: an emptied shard left unlinked with its placeholder, and a shard outside the group.
    await emu.seed({
      hosts: [
        {
          name: "f2b_list_v4_9",
          ipFamily: "IPv4",
          hostType: "IPList",
          listOfIpAddresses: ["192.0.2.0"],
          hostGroups: [],
        },
        {
          name: "f2b_list_v4_8",
          ipFamily: "IPv4",
          hostType: "IPList",
          listOfIpAddresses: [v4(50)],
          hostGroups: [],
        },
      ],
    });

    const list = await listReport(session);
    const by = new Map(list.objects.map((o) => [o.address, o]));
    assert.equal(by.get(v4(1))?.shard, "f2b_list_v4_1");
    assert.equal(by.get(v4(2))?.shard, "f2b_list_v4_1");
    assert.equal(by.get(v4(3))?.shard, "f2b_list_v4_2");
    assert.equal(by.get(v4(3))?.group, GROUPS.IPv4);
    assert.deepEqual(
      by.get(v4(3))?.jails.map((j) => j.jail),
      ["sshd"],
    );
    assert.equal(by.get("2001:db8::7")?.name, "f2b_list_v6_1");
    assert.equal(by.get("198.51.100.0/24")?.shard, null);
    assert.equal(by.has("192.0.2.0"), false, "the placeholder is not an address of ours");
    assert.deepEqual(
      list.shards.map((s) => [s.name, s.addresses, s.group]),
      [
        ["f2b_list_v4_1", 2, GROUPS.IPv4],
        ["f2b_list_v4_2", 1, GROUPS.IPv4],
        ["f2b_list_v4_8", 1, null],
        ["f2b_list_v4_9", 0, null],
        ["f2b_list_v6_1", 1, GROUPS.IPv6],
      ],
    );
    assert.deepEqual(list.unrecognised, []);
    assert.deepEqual(list.foreignMembers, []);
    assert.deepEqual(list.drift, { notDesired: [v4(50)], missing: [], outsideGroup: [v4(50)] });

    const status = statusReport(session);
    assert.equal(status.layout, "iplist");
    assert.equal(status.members.IPv4.count, 4);
    assert.equal(status.members.IPv6.count, 1);
    assert.deepEqual(status.shards.IPv4, [
      { name: "f2b_list_v4_1", addresses: 2 },
      { name: "f2b_list_v4_2", addresses: 1 },
    ]);

    const page = renderPage(emu.snapshot(), emu.counters, emu.faults());
    assert.match(page, /IP lists \(which address is in which list\)/);
    assert.match(
      page,
      new RegExp(`<code>f2b_list_v4_1</code> — IPv4, in fail2ban: \\(2 addresses\\) ${v4(1)}, ${v4(2)}`),
    );
    assert.match(
      page,
      /<code>f2b_list_v4_9<\/code> — IPv4, in no group: \(1 address\) 192\.0\.2\.0 \(placeholder\)/,
    );
  } finally {
    session.close();
  }
});
