/**
 * DONE-WHEN 2 in the `iplist` layout: like sigkill.test.ts, a process doing a few bans, unbans
 * and flushes is SIGKILLed at a random point, over and over on one state directory, against a
 * firewall with write latency. Shards hold 3 addresses, so nearly every change rewrites, creates
 * or removes a shard, and kills land in shard writes (counted: a `sending` record with no
 * `applied` after it). After every kill the journal loads; then the next command (an ordinary
 * CLI process; every other trial `sync`) leaves the firewall equal to the desired state, which
 * is an independent replay of the journal:
 * - every desired single address is listed in exactly one shard of ours, and that shard is in
 *   its family's group;
 * - every desired network is a Network host of its own in its group, never in a shard;
 * - no shard is empty (placeholder only), none lists an undesired address or a network, none is
 *   outside its group;
 * - no other object of ours exists, and our groups hold exactly our shards and network hosts;
 * - the journal's belief about each shard equals the shard on the firewall.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { IpFamily } from "../../src/address/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { Journal } from "../../src/journal/index.ts";
import { parseShardName, SHARD_PLACEHOLDER } from "../../src/targets/sophos/index.ts";
import {
  GROUP_V4,
  GROUP_V6,
  PREFIX,
  runCli,
  startFirewall,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { nameOf, type Op, prng, replayHolds, runWorker } from "./helpers.ts";

const POOL = [
  "192.0.2.10",
  "192.0.2.11",
  "192.0.2.12",
  "192.0.2.13",
  "192.0.2.14",
  "192.0.2.15",
  "192.0.2.16",
  "198.51.100.0/24",
  "2001:db8::10",
  "2001:db8::11",
  "2001:db8::12",
  "2001:db8::13",
  "2001:db8:1::/48",
];
const JAILS = ["sshd", "postfix"];
const ENV = { F2B_SOPHOSXG_COMPACT_AFTER: "100000000" };
const TRIALS = 50;
const SHARD_SIZE = 3;
const GROUPS: Record<IpFamily, string> = { IPv4: GROUP_V4, IPv6: GROUP_V6 };

interface ShardOnFirewall {
  family: IpFamily;
  /** Addresses as listed, placeholder included. */
  raw: string[];
  inGroup: boolean;
}

/** Our objects on the firewall, read from the emulator (no code of the delivery involved). */
function shardLayoutView(emu: RunningEmulator) {
  const snapshot = emu.snapshot();
  const members = new Map(snapshot.groups.map((g) => [g.name, g.hosts]));
  const shards = new Map<string, ShardOnFirewall>();
  const others = new Map<string, { hostType: string; inGroup: boolean; groups: string[] }>();
  for (const host of snapshot.hosts) {
    if (!host.name.startsWith(PREFIX)) continue;
    const inGroup = (members.get(GROUPS[host.ipFamily]) ?? []).includes(host.name);
    const shard = parseShardName(PREFIX, host.name);
    if (shard && host.hostType === "IPList") {
      shards.set(host.name, { family: shard.family, raw: host.listOfIpAddresses ?? [], inGroup });
    } else {
      others.set(host.name, { hostType: host.hostType, inGroup, groups: host.hostGroups });
    }
  }
  return {
    shards,
    others,
    members: {
      IPv4: [...(members.get(GROUP_V4) ?? [])].sort(),
      IPv6: [...(members.get(GROUP_V6) ?? [])].sort(),
    },
  };
}

/** Fails (with `label`) unless the firewall holds exactly `desired` in the iplist layout. */
function assertFirewallIsDesired(emu: RunningEmulator, desired: Set<string>, label: string): void {
  const view = shardLayoutView(emu);
  const where = new Map<string, string[]>(); // address -> shards listing it
  for (const [name, shard] of view.shards) {
    const addresses = shard.raw.filter((a) => a !== SHARD_PLACEHOLDER[shard.family]);
    assert.ok(addresses.length > 0, `${label}: shard ${name} is empty (${JSON.stringify(shard.raw)})`);
    assert.ok(addresses.length <= SHARD_SIZE, `${label}: shard ${name} lists ${addresses.length} addresses`);
    assert.ok(shard.inGroup, `${label}: shard ${name} is not in ${GROUPS[shard.family]}`);
    for (const text of addresses) {
      const target = parseBanTarget(text);
      assert.equal(target.kind, "ip", `${label}: shard ${name} lists a network ${text}`);
      assert.equal(target.family, shard.family, `${label}: shard ${name} lists ${text}`);
      assert.ok(desired.has(target.canonical), `${label}: shard ${name} lists undesired ${text}`);
      where.set(target.canonical, [...(where.get(target.canonical) ?? []), name]);
    }
  }
  const expectedOthers: string[] = [];
  const expectedMembers: Record<IpFamily, string[]> = {
    IPv4: [...view.shards].filter(([, s]) => s.family === "IPv4").map(([name]) => name),
    IPv6: [...view.shards].filter(([, s]) => s.family === "IPv6").map(([name]) => name),
  };
  for (const target of desired) {
    const parsed = parseBanTarget(target);
    if (parsed.kind === "ip") {
      assert.equal(where.get(target)?.length, 1, `${label}: ${target} is in shards ${where.get(target)}`);
    } else {
      const host = view.others.get(nameOf(target));
      assert.ok(host, `${label}: no host for network ${target}`);
      assert.equal(host.hostType, "Network", `${label}: type of ${nameOf(target)}`);
      assert.ok(host.inGroup, `${label}: ${nameOf(target)} is not in its group`);
      assert.deepEqual(host.groups, [GROUPS[parsed.family]], `${label}: groups of ${nameOf(target)}`);
      expectedOthers.push(nameOf(target));
      expectedMembers[parsed.family].push(nameOf(target));
    }
  }
  assert.deepEqual(
    [...view.others.keys()].sort(),
    expectedOthers.sort(),
    `${label}: objects of ours that are neither shards nor desired networks (orphans)`,
  );
  for (const family of ["IPv4", "IPv6"] as const) {
    assert.deepEqual(
      view.members[family],
      expectedMembers[family].sort(),
      `${label}: members of ${GROUPS[family]} are exactly our shards and networks`,
    );
  }
}

describe("SIGKILL at random points, iplist layout", { timeout: 120_000 }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startFirewall({ latency: { writeMs: 25, readMs: 3, entityMs: 1, timeScale: 1 } });
  });
  after(async () => {
    await emu.close();
  });

  it(`${TRIALS} kills with shards of ${SHARD_SIZE}: journal loads, the next command or sync repairs the shards`, async (t) => {
    const { dir, cleanup } = tempDir("f2b-kill-iplist");
    const stateDir = `${dir}/state`;
    const random = prng(23);
    let killed = 0;
    let midWrite = 0;
    try {
      const config = writeConfig(dir, emu, { layout: "iplist", iplist_shard_size: SHARD_SIZE });
      for (let trial = 0; trial < TRIALS; trial++) {
        const ops: Op[] = Array.from({ length: 6 }, () => {
          const roll = random();
          const ip = POOL[Math.floor(random() * POOL.length)]!;
          const jail = JAILS[Math.floor(random() * JAILS.length)]!;
          if (roll < 0.6) return { op: "ban", ip, jail, bantime: -1 };
          if (roll < 0.92) return { op: "unban", ip, jail };
          return { op: "flush", jail, ...(random() < 0.5 ? { family: "IPv4" as const } : {}) };
        });
        // A worker needs ~100-150 ms to load before its first action: kill from then on, at a
        // random time; every other trial instead at the moment its n-th write reaches the
        // firewall (inside the write's latency), which a loaded machine cannot shift.
        const killAfterMs = 80 + Math.floor(random() * 400);
        const writes = () => emu.counters.operations.Set + emu.counters.operations.Remove;
        const killAtWrite = writes() + 1 + Math.floor(random() * 3);
        const run = await runWorker(
          config,
          ops,
          trial % 2 === 0 ? { env: ENV, killAfterMs } : { env: ENV, killWhen: () => writes() >= killAtWrite },
        );
        if (run.signal === "SIGKILL") killed++;

        const loaded = new Journal(stateDir).load();
        assert.equal(loaded.unreadable, 0, `trial ${trial}: no torn record`);
        // A `sending` with no `applied` after it: the kill landed inside a write.
        if (loaded.state.uncertain.size > 0) midWrite++;

        // The next command: every third trial `sync`; otherwise the reverse of the action the
        // kill interrupted (unban what it was banning, ban what it was unbanning), the case
        // where a shard write that landed unrecorded matters; after a flush, an unrelated unban.
        const inFlight = run.signal === "SIGKILL" ? ops[run.results.length] : undefined;
        const viaSync = trial % 3 === 2;
        const args = viaSync
          ? ["sync"]
          : inFlight?.op === "ban"
            ? ["unban", "--ip", inFlight.ip!, "--jail", inFlight.jail!]
            : inFlight?.op === "unban"
              ? ["ban", "--ip", inFlight.ip!, "--jail", inFlight.jail!, "--bantime", "-1"]
              : ["unban", "--ip", "203.0.113.254", "--jail", "sshd"];
        const next = await runCli([...args, "--configfile", config], { env: ENV });
        assert.equal(next.code, 0, `trial ${trial}: ${next.stdout}${next.stderr}`);
        assert.ok(next.durationMs < 5000, `trial ${trial}: the dead process's locks were taken over quickly`);

        const when = trial % 2 === 0 ? `at ${killAfterMs} ms` : `at write ${killAtWrite}`;
        const label = `trial ${trial} (kill ${when}, then ${args.join(" ")})`;
        const desired = replayHolds(stateDir);
        assertFirewallIsDesired(emu, desired, label);
        const believed = new Journal(stateDir).load().state;
        const onFirewall = shardLayoutView(emu).shards;
        assert.deepEqual(
          Object.fromEntries([...believed.shards].map(([n, a]) => [n, [...a].sort()]).sort()),
          Object.fromEntries(
            [...onFirewall]
              .map(([n, s]) => [n, s.raw.filter((a) => a !== SHARD_PLACEHOLDER[s.family]).sort()] as const)
              .sort(),
          ),
          `${label}: the journal's shards equal the firewall's`,
        );
        assert.equal(believed.uncertain.size, 0, `${label}: nothing left uncertain`);
      }
      const plan = await runCli(["sync", "--dry-run", "--configfile", config]);
      assert.match(plan.stdout, /to add: 0 .*to remove: 0 /);
      t.diagnostic(`${TRIALS} trials: ${killed} killed, ${midWrite} with a write in flight at the kill`);
      assert.ok(
        midWrite >= 3,
        `only ${midWrite} kills landed inside a write: the test no longer exercises them`,
      );
    } finally {
      cleanup();
    }
  });
});
