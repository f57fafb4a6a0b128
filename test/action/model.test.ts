/**
 * Property: random sequences of the six actions (start, stop, check, flush with and without
 * --jail/--family, ban, unban) over IPv4, IPv6 and CIDR addresses from small pools (so that the
 * same address is banned by several jails, banned twice, unbanned when not banned, spelled in
 * different ways) against an emulator seeded with foreign hosts and groups. After EVERY step:
 *
 * - each family's group holds exactly the banned set of the model, and the hosts we own are
 *   exactly those members (nothing left behind, nothing duplicated);
 * - no object outside our groups and the hosts we could have made changed (deep equality);
 * - every action reports success (check: success exactly when both groups exist).
 *
 * The same property runs in both layouts (see docs/layouts.md). In `iplist` (with shards of 3
 * addresses and a larger pool, so that shards fill, empty out, and are created and removed
 * often) the invariants read: the banned set equals the union of the shards' addresses
 * (placeholders excluded) plus one host per network (and per placeholder address); every shard
 * of ours is a member of its family's group, and the group holds nothing else of ours; no shard
 * is empty or over the size; no per-address host of ours is left.
 *
 * Model: per-jail holds; an address is banned while any jail holds it; `flush --jail J --family F`
 * releases J's holds of F; `flush` without --jail releases the holds of all jails of that family
 * (or both families without --family).
 *
 * The actions run in-process through the library (a fresh `Session` per step, as a process per
 * Fail2ban hook would build), each run with a fresh state directory and a reset emulator.
 * Reproduce a failure with the seed fast-check prints: F2B_MODEL_SEED=<seed> npm test -- action/model
 * (optionally F2B_MODEL_PATH=<path> to replay only the shrunk case; F2B_MODEL_LAYOUT=hosts or
 * iplist runs one layout only). F2B_MODEL_RUNS changes the number of runs (default 25).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import {
  type ActionOutcome,
  ban,
  check,
  flush,
  Session,
  start,
  stop,
  unban,
} from "../../src/action/index.ts";
import type { IpFamily } from "../../src/address/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import type { Config } from "../../src/config/types.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { isShardable, parseShardName, SHARD_PLACEHOLDER } from "../../src/targets/sophos/index.ts";
import { GROUP_V4, GROUP_V6, PREFIX, startFirewall, tempDir, writeConfig } from "../support/harness.ts";
import { configFrom, familyOf, foreignSeed, group, nameOf, untouchable } from "./support.ts";

/** Fixed so that a failure reproduces; override with F2B_MODEL_SEED. */
const SEED = Number(process.env.F2B_MODEL_SEED ?? 20_261_121);
const RUNS = Number(process.env.F2B_MODEL_RUNS ?? 25);
const IPLIST_RUNS = Number(process.env.F2B_MODEL_RUNS ?? 50);
const MAX_STEPS = 25;
/** iplist: longer sequences, so that several shards fill up before they empty out again. */
const IPLIST_MAX_STEPS = 45;
const BUDGET_MS = 10_000;

/** Several spellings of the same targets on purpose: mapped IPv4, IPv6 case, host bits in a CIDR. */
const POOL = [
  "192.0.2.10",
  "::ffff:192.0.2.10",
  "192.0.2.11",
  "198.51.100.0/24",
  "198.51.100.77/24",
  "2001:db8::10",
  "2001:DB8:0:0::10",
  "2001:db8:aa::/48",
  "2001:db8:1234:5678:9abc:def0:1234:5678",
] as const;
/**
 * iplist: more single addresses, so that shards of SHARD_SIZE fill up and new ones get created,
 * and the placeholders themselves (banned, they must get a host of their own).
 */
const IPLIST_POOL = [
  ...POOL,
  "192.0.2.12",
  "192.0.2.13",
  "192.0.2.14",
  "192.0.2.15",
  "192.0.2.16",
  "192.0.2.17",
  "192.0.2.18",
  "2001:db8::11",
  "2001:db8::12",
  "2001:db8::13",
  "2001:db8::14",
  SHARD_PLACEHOLDER.IPv4,
  SHARD_PLACEHOLDER.IPv6,
] as const;
const SHARD_SIZE = 3;
const JAILS = ["sshd", "nginx", "postfix"] as const;
const FAMILY_ARGS = { inet4: "IPv4", inet6: "IPv6" } as const satisfies Record<string, IpFamily>;

type Step =
  | { kind: "ban" | "unban"; ip: string; jail: string }
  | { kind: "flush"; jail?: string; family?: IpFamily }
  | { kind: "start" | "stop" | "check" };

const stepArb = (pool: readonly string[]): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("ban" as const),
        ip: fc.constantFrom(...pool),
        jail: fc.constantFrom(...JAILS),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("unban" as const),
        ip: fc.constantFrom(...pool),
        jail: fc.constantFrom(...JAILS),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          kind: fc.constant("flush" as const),
          jail: fc.constantFrom(...JAILS),
          family: fc.constantFrom(...Object.values(FAMILY_ARGS)),
        },
        { requiredKeys: ["kind"] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constantFrom("start" as const, "stop" as const, "check" as const) }),
    },
  );

/** The model: jail → held canonical targets. */
class Model {
  readonly holds = new Map<string, Set<string>>(JAILS.map((j) => [j, new Set<string>()]));

  apply(step: Step): void {
    if (step.kind === "ban") this.holds.get(step.jail)!.add(parseBanTarget(step.ip).canonical);
    else if (step.kind === "unban") this.holds.get(step.jail)!.delete(parseBanTarget(step.ip).canonical);
    else if (step.kind === "flush") {
      for (const [jail, held] of this.holds) {
        if (step.jail !== undefined && jail !== step.jail) continue;
        for (const target of [...held]) {
          if (step.family === undefined || familyOf(target) === step.family) held.delete(target);
        }
      }
    }
  }

  /** Canonical targets some jail holds. */
  targets(): Set<string> {
    const all = new Set<string>();
    for (const held of this.holds.values()) for (const t of held) all.add(t);
    return all;
  }

  /** Object names per family of everything some jail holds. */
  banned(): Record<IpFamily, string[]> {
    const all = this.targets();
    const out: Record<IpFamily, string[]> = { IPv4: [], IPv6: [] };
    for (const t of all) out[familyOf(t)].push(nameOf(t));
    out.IPv4.sort();
    out.IPv6.sort();
    return out;
  }
}

async function runStep(session: Session, step: Step): Promise<ActionOutcome> {
  switch (step.kind) {
    case "ban":
      return ban(session, { target: parseBanTarget(step.ip), jail: step.jail });
    case "unban":
      return unban(session, { target: parseBanTarget(step.ip), jail: step.jail });
    case "flush":
      return flush(session, {
        ...(step.jail !== undefined ? { jail: step.jail } : {}),
        ...(step.family !== undefined ? { family: step.family } : {}),
      });
    case "start":
      return start(session);
    case "check":
      return check(session);
    case "stop":
      return stop();
  }
}

function describe(step: Step): string {
  if (step.kind === "ban" || step.kind === "unban") return `${step.kind} ${step.ip} (${step.jail})`;
  if (step.kind === "flush") return `flush jail=${step.jail ?? "*"} family=${step.family ?? "*"}`;
  return step.kind;
}

type Layout = "hosts" | "iplist";

let emu: RunningEmulator;
const bases = {} as Record<Layout, Config>;
const dirs = tempDir("f2b-model");
const ourNames = new Set(IPLIST_POOL.map(nameOf));
/** Ours: a host named for one of the pool's targets, or one of our shards. */
const isOurs = (name: string) => ourNames.has(name) || parseShardName(PREFIX, name) !== undefined;

before(async () => {
  // test/action/model-profiles.test.ts reruns this property under stricter emulator switches.
  emu = await startFirewall(process.env.F2B_MODEL_EMULATOR ? JSON.parse(process.env.F2B_MODEL_EMULATOR) : {});
  bases.hosts = await configFrom(writeConfig(join(dirs.dir, "hosts"), emu));
  bases.iplist = await configFrom(
    writeConfig(join(dirs.dir, "iplist"), emu, { layout: "iplist", iplist_shard_size: SHARD_SIZE }),
  );
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});

/** hosts layout: each family's group holds exactly one host per banned target, and nothing else of ours exists. */
function assertHostsLayout(model: Model, where: string): void {
  const expected = model.banned();
  const members = {
    IPv4: [...(group(emu, GROUP_V4)?.hosts ?? [])].sort(),
    IPv6: [...(group(emu, GROUP_V6)?.hosts ?? [])].sort(),
  };
  assert.deepEqual(members, expected, `group members ${where}`);
  const hosts = emu
    .snapshot()
    .hosts.filter((h) => ourNames.has(h.name))
    .map((h) => h.name)
    .sort();
  assert.deepEqual(hosts, [...expected.IPv4, ...expected.IPv6].sort(), `our hosts ${where}`);
  for (const name of hosts) {
    const h = emu.snapshot().hosts.find((x) => x.name === name)!;
    assert.equal(h.hostType, name.includes("/") ? "Network" : "IP", `${name} ${where}`);
  }
}

/**
 * iplist layout: the banned set is exactly the shards' addresses (placeholders excluded) plus
 * the hosts (networks, placeholder addresses); each family's group holds exactly our shards
 * and those hosts; no shard is empty, over the size, or holds an address twice.
 */
function assertIplistLayout(model: Model, where: string): void {
  const snapshot = emu.snapshot();
  const banned = model.targets();
  const shardAddresses: string[] = [];
  const hostTargets: string[] = [];
  const expectedMembers: Record<IpFamily, string[]> = { IPv4: [], IPv6: [] };
  for (const h of snapshot.hosts.filter((x) => isOurs(x.name))) {
    const shard = parseShardName(PREFIX, h.name);
    if (shard) {
      assert.equal(h.hostType, "IPList", `${h.name} ${where}`);
      assert.equal(h.ipFamily, shard.family, `${h.name} ${where}`);
      const list = (h.listOfIpAddresses ?? []).filter((a) => a !== SHARD_PLACEHOLDER[shard.family]);
      assert.ok(list.length > 0, `shard ${h.name} is empty (placeholder only) ${where}`);
      assert.ok(list.length <= SHARD_SIZE, `shard ${h.name} holds ${list.length} ${where}`);
      assert.equal(list.length, (h.listOfIpAddresses ?? []).length, `placeholder left in ${h.name} ${where}`);
      for (const a of list) assert.equal(familyOf(a), shard.family, `${a} in ${h.name} ${where}`);
      shardAddresses.push(...list);
      expectedMembers[shard.family].push(h.name);
    } else {
      const target = [...banned].find((t) => nameOf(t) === h.name);
      assert.ok(target !== undefined, `host ${h.name} left behind ${where}`);
      assert.equal(isShardable(target), false, `${target} has a host instead of a shard place ${where}`);
      assert.equal(h.hostType, target.includes("/") ? "Network" : "IP", `${h.name} ${where}`);
      hostTargets.push(target);
      expectedMembers[familyOf(target)].push(h.name);
    }
  }
  assert.equal(shardAddresses.length, new Set(shardAddresses).size, `an address in two shards ${where}`);
  assert.deepEqual(
    [...shardAddresses, ...hostTargets].sort(),
    [...banned].sort(),
    `banned set vs shards + hosts ${where}`,
  );
  const members = {
    IPv4: [...(group(emu, GROUP_V4)?.hosts ?? [])].sort(),
    IPv6: [...(group(emu, GROUP_V6)?.hosts ?? [])].sort(),
  };
  assert.deepEqual(
    members,
    { IPv4: expectedMembers.IPv4.sort(), IPv6: expectedMembers.IPv6.sort() },
    `group members ${where}`,
  );
}

const LAYOUTS: readonly Layout[] =
  process.env.F2B_MODEL_LAYOUT === "hosts" || process.env.F2B_MODEL_LAYOUT === "iplist"
    ? [process.env.F2B_MODEL_LAYOUT]
    : ["hosts", "iplist"];

for (const layout of LAYOUTS) {
  test(`model (${layout} layout): after every step the groups hold exactly the banned set, foreign objects unchanged`, async () => {
    let run = 0;
    let shardsSeen = 0;
    const started = Date.now();
    const pool = layout === "hosts" ? POOL : IPLIST_POOL;
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb(pool), {
          minLength: 1,
          maxLength: layout === "hosts" ? MAX_STEPS : IPLIST_MAX_STEPS,
          // fast-check otherwise keeps arrays to about ten elements.
          ...(layout === "iplist" ? { size: "max" as const } : {}),
        }),
        async (steps) => {
          run++;
          await emu.reset();
          await emu.seedForeign(10);
          await emu.seed(foreignSeed());
          const config: Config = { ...bases[layout], stateDir: join(dirs.dir, `${layout}-run-${run}`) };
          const foreignBefore = untouchable(emu, isOurs);
          const model = new Model();
          const trail: string[] = [];
          for (const step of steps) {
            trail.push(describe(step));
            const where = `after: ${trail.join(" → ")}`;
            const session = new Session({ config, budgetMs: BUDGET_MS });
            let outcome: ActionOutcome;
            try {
              if (step.kind !== "check") session.journal.ensureDirectory();
              outcome = await runStep(session, step);
            } finally {
              session.close();
            }
            model.apply(step);

            const groupsExist = group(emu, GROUP_V4) !== undefined && group(emu, GROUP_V6) !== undefined;
            if (step.kind === "check" && !groupsExist) {
              assert.equal(outcome.exitCode, 1, where);
              assert.match(outcome.lines.join("\n"), /missing/, where);
            } else {
              assert.equal(outcome.exitCode, 0, `${where}: ${outcome.lines.join(" | ")}`);
            }
            // Deliveries report their errors in the line rather than the exit code: there must be none.
            assert.doesNotMatch(outcome.lines.join("\n"), /pending|failed|refused/, where);

            if (layout === "hosts") assertHostsLayout(model, where);
            else assertIplistLayout(model, where);
            shardsSeen = Math.max(
              shardsSeen,
              emu.snapshot().hosts.filter((h) => parseShardName(PREFIX, h.name) !== undefined).length,
            );
            assert.deepEqual(untouchable(emu, isOurs), foreignBefore, `foreign objects ${where}`);
          }
        },
      ),
      {
        numRuns: layout === "hosts" ? RUNS : IPLIST_RUNS,
        seed: SEED,
        ...(process.env.F2B_MODEL_PATH ? { path: process.env.F2B_MODEL_PATH } : {}),
      },
    );
    process.stderr.write(
      `# model (${layout}): ${run} runs, ${emu.counters.requests} requests in the last run, at most ${shardsSeen} shards at once\n`,
    );
    if (layout === "iplist" && !process.env.F2B_MODEL_PATH) {
      // The pool and shard size are chosen so that shards fill up and several exist at once.
      assert.ok(shardsSeen >= 3, `at most ${shardsSeen} shards at once: the property did not fill shards`);
    }
    // Keep the property fast enough for `npm test` on 2 cores.
    assert.ok(Date.now() - started < 120_000, `the property took ${Date.now() - started} ms`);
  });
}
