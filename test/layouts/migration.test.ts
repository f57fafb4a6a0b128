/**
 * Switching layouts never unblocks a banned address. 2,000 bans (IPv4 and IPv6 single
 * addresses, and networks) are delivered in the hosts layout; then `sync` migrates to iplist and
 * back to hosts, with a slow firewall (per-request and per-entity write latency), while a timer
 * samples the emulator's objects. At EVERY sample every banned address is blocked: covered by
 * an object of ours that is a member of its family's group (a per-address host in the group, or
 * a shard in the group that lists it). Several samples fall in the middle of each migration
 * (both layouts' objects on the firewall at once).
 *
 * Also: the next delivery (not only `sync`) migrates when the layout was changed in the config;
 * and a migration whose removals fail leaves the old objects known as unsure, so that an unban
 * afterwards still unblocks the address (the old host does not keep it blocked).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sync } from "../../src/action/sync.ts";
import type { Config } from "../../src/config/types.ts";
import { deliverPending } from "../../src/delivery/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { pendingFor } from "../../src/journal/index.ts";
import { ensureGroups } from "../../src/targets/sophos/index.ts";
import { startFirewall, tempDir } from "../support/harness.ts";
import { banRecords, coverage, layoutConfig, sessionFor, v4, v6 } from "./helpers.ts";

let emu: RunningEmulator;
const dirs = tempDir("f2b-migrate");

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

const TARGETS = [
  ...Array.from({ length: 1700 }, (_, i) => v4(i)),
  ...Array.from({ length: 280 }, (_, i) => v6(i)),
  ...Array.from({ length: 10 }, (_, i) => `172.16.${i}.0/24`),
  ...Array.from({ length: 10 }, (_, i) => `2001:db8:${(0xa00 + i).toString(16)}::/48`),
];

async function deliverAll(config: Config, over: Partial<Config> = {}) {
  const session = sessionFor(config, over);
  try {
    return await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: config.maxEntitiesPerRequest,
      deadline: Date.now() + 60_000,
    });
  } finally {
    session.close();
  }
}

/** Runs `work` while a timer checks the firewall every few ms; returns the samples taken mid-way. */
async function sampled(banned: readonly string[], work: () => Promise<void>) {
  const samples: { shards: number; hosts: number }[] = [];
  const failures: string[] = [];
  const check = () => {
    const seen = coverage(emu.snapshot());
    const unblocked = banned.filter((t) => !seen.blocked.has(t));
    if (unblocked.length > 0)
      failures.push(`${unblocked.length} unblocked, e.g. ${unblocked.slice(0, 3).join(" ")}`);
    samples.push({ shards: seen.shards.size, hosts: seen.hosts.size });
  };
  const timer = setInterval(check, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  check();
  assert.deepEqual(failures.slice(0, 3), [], "a banned address was unblocked during the migration");
  return samples;
}

test("hosts → iplist → hosts with 2,000 bans: every banned address blocked at every sample", async () => {
  const config = await layoutConfig(dirs.dir, emu, { layout: "hosts", iplist_shard_size: 1000 });
  const setup = sessionFor(config);
  await ensureGroups(setup.firewall(), setup.naming.groups, { create: true });
  setup.journal.append(banRecords(TARGETS));
  setup.close();
  const first = await deliverAll(config);
  assert.equal(first.error, undefined, first.error?.toLine());
  assert.equal(coverage(emu.snapshot()).hosts.size, 2000);

  // A slow firewall: 25 ms per write request plus 0.3 ms per entity written.
  emu.setLatency({ writeMs: 25, entityMs: 0.3, readMs: 5, timeScale: 1 });
  try {
    for (const layout of ["iplist", "hosts"] as const) {
      const session = sessionFor(config, { layout });
      let lines: string[] = [];
      const samples = await sampled(TARGETS, async () => {
        lines = (await sync(session, { fromFail2ban: false, dryRun: false, print: () => {} })).lines;
      });
      session.close();
      assert.doesNotMatch(lines.join("\n"), /failed/, lines.join("\n"));
      const mixed = samples.filter((s) => s.shards > 0 && s.hosts > 20);
      process.stderr.write(`# to ${layout}: ${samples.length} samples, ${mixed.length} with both layouts\n`);
      assert.ok(mixed.length >= 3, `only ${mixed.length} samples in the middle of the migration`);
      const seen = coverage(emu.snapshot());
      if (layout === "iplist") {
        // 1,700 IPv4 → 2 shards, 280 IPv6 → 1 shard; the 20 networks stay hosts.
        assert.deepEqual([...seen.shards.keys()].sort(), ["f2b_list_v4_1", "f2b_list_v4_2", "f2b_list_v6_1"]);
        assert.equal(seen.hosts.size, 20);
        for (const h of seen.hosts.values()) assert.ok(h.target.includes("/"));
      } else {
        assert.equal(seen.shards.size, 0);
        assert.equal(seen.hosts.size, 2000);
      }
      assert.equal(seen.blocked.size, 2000);
      // The journal agrees: nothing pending, and no migration left for the next delivery.
      const state = sessionFor(config, { layout }).journal.load().state;
      const pending = pendingFor(state, Date.now() / 1000);
      assert.equal(pending.add.size + pending.remove.size, 0);
      assert.equal(state.uncertain.size, 0);
      assert.equal(state.shards.size, layout === "iplist" ? 3 : 0);
    }
  } finally {
    emu.setLatency({ writeMs: 0, entityMs: 0, readMs: 0, timeScale: 1 });
  }
});

test("after the config changes layout, the next delivery migrates (and an unban in the new layout unblocks)", async () => {
  await emu.reset();
  const config = await layoutConfig(`${dirs.dir}/next`, emu, { layout: "hosts", iplist_shard_size: 3 });
  const targets = Array.from({ length: 8 }, (_, i) => v4(500 + i));
  const setup = sessionFor(config);
  await ensureGroups(setup.firewall(), setup.naming.groups, { create: true });
  setup.journal.append(banRecords(targets));
  setup.close();
  assert.equal((await deliverAll(config)).error, undefined);
  assert.equal(coverage(emu.snapshot()).hosts.size, 8);

  // The config now says iplist; a hook's delivery (an unban) migrates first, then unbans.
  const unbanSession = sessionFor(config, { layout: "iplist" });
  unbanSession.journal.append([{ t: "unban", at: Date.now(), jail: "sshd", target: targets[0]! }]);
  unbanSession.close();
  const report = await deliverAll(config, { layout: "iplist" });
  assert.equal(report.error, undefined, report.error?.toLine());
  const seen = coverage(emu.snapshot());
  assert.equal(seen.hosts.size, 0);
  assert.deepEqual([...seen.shards.keys()].sort(), ["f2b_list_v4_1", "f2b_list_v4_2", "f2b_list_v4_3"]);
  assert.deepEqual([...seen.blocked].sort(), targets.slice(1).sort());
});

test("a migration whose removals fail: the old hosts stay known, and an unban still unblocks", async () => {
  await emu.reset();
  const config = await layoutConfig(`${dirs.dir}/leftover`, emu, {
    layout: "hosts",
    iplist_shard_size: 1000,
  });
  const targets = Array.from({ length: 6 }, (_, i) => v4(900 + i));
  const setup = sessionFor(config);
  await ensureGroups(setup.firewall(), setup.naming.groups, { create: true });
  setup.journal.append(banRecords(targets));
  setup.close();
  assert.equal((await deliverAll(config)).error, undefined);

  // Phase 1 (the shard write) succeeds; as soon as the shard is there, the firewall refuses
  // everything, so phase 2 (unlink and remove the old hosts) fails.
  emu.setLatency({ writeMs: 30, timeScale: 1 });
  const watcher = setInterval(() => {
    if (coverage(emu.snapshot()).shards.size > 0) {
      clearInterval(watcher);
      void emu.setFaults({ statusCode: 500, count: 1000 });
    }
  }, 1);
  const migrating = await deliverAll(config, { layout: "iplist" });
  clearInterval(watcher);
  emu.setLatency({ writeMs: 0, timeScale: 1 });
  await emu.setFaults({ statusCode: null, count: 0 });
  assert.ok(migrating.error, "the migration should have failed half-way");
  let seen = coverage(emu.snapshot());
  assert.equal(seen.shards.size, 1, "phase 1 did not run");
  assert.equal(seen.hosts.size, 6, "phase 2 was not refused");
  for (const t of targets) assert.ok(seen.blocked.has(t));

  // Unban one: the next delivery must take it out of the shard AND remove its old host.
  const s = sessionFor(config, { layout: "iplist" });
  s.journal.append([{ t: "unban", at: Date.now(), jail: "sshd", target: targets[0]! }]);
  s.close();
  const report = await deliverAll(config, { layout: "iplist" });
  assert.equal(report.error, undefined, report.error?.toLine());
  seen = coverage(emu.snapshot());
  assert.equal(seen.blocked.has(targets[0]!), false, `${targets[0]} is still blocked`);
  assert.equal(seen.hosts.size, 0, "old hosts left behind");
  assert.deepEqual([...seen.blocked].sort(), targets.slice(1).sort());
});
