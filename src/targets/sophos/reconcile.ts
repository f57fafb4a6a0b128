/**
 * Makes the firewall equal to the desired state by reading it first, rather than trusting what
 * the journal believes was applied: adds what is missing, puts our hosts that fell out of the
 * group back in, removes our objects that no jail holds (including half-done removals: a host
 * unlinked but not deleted), and brings the layout in line with the config (per-address hosts,
 * or IP list shards for single addresses, see shards.ts). Touches only hosts whose names are
 * exactly the names we give our targets or shards; anything else, even with our prefix, is
 * reported and left alone.
 *
 * Two phases, so that no banned address is ever unblocked, even while migrating between
 * layouts: first everything that adds coverage (hosts upserted, shards written), then, only if
 * all of that reached the firewall, everything that takes coverage away (hosts and emptied
 * shards removed).
 */

import type { IpFamily } from "../../address/index.ts";
import { FAMILIES } from "../../address/index.ts";
import { desiredTargets, familyOfTarget } from "../../journal/index.ts";
import type { IpHost } from "../../protocol/model.ts";
import type { SophosClient } from "../../sophos/index.ts";
import {
  emptyPushResult,
  type PushResult,
  type ReconcileOptions,
  type ReconcilePlan,
  type ReconcileReport,
} from "../target.ts";
import { FirewallMemory } from "./firewall-memory.ts";
import { ensureGroups } from "./groups.ts";
import { banTargetFromHost } from "./ip-host.ts";
import { type Naming, pushChanges, removeHosts, usesShards, writeShards } from "./push.ts";
import {
  layoutShards,
  MAX_SHARD_SIZE,
  parseShardName,
  type Shard,
  sameAddresses,
  shardFromHost,
} from "./shards.ts";

export interface SophosReconcileOptions extends ReconcileOptions {
  client: SophosClient;
  naming: Naming;
  /** What is known of this firewall's answers (the target's); default: learned for this run only. */
  memory?: FirewallMemory;
}

/** What the firewall has of ours, in the families looked at. */
interface Observed {
  hosts: Map<string, { host: IpHost; inGroup: boolean }>;
  shards: Shard[];
  /** Shards outside their group. */
  unlinked: Set<string>;
  unrecognised: string[];
}

interface Work {
  plan: ReconcilePlan;
  desired: Map<string, IpFamily>;
  hostAdds: string[];
  hostRemovals: string[];
  /** Every shard's wanted content; empty = to remove. */
  shardsNext: Shard[];
}

async function observe(options: SophosReconcileOptions, families: ReadonlySet<IpFamily>): Promise<Observed> {
  const { client, naming } = options;
  const groups = await ensureGroups(client, naming.groups, {
    create: !options.dryRun,
    families: [...families],
  });
  const members = new Map<IpFamily, Set<string>>(groups.map((g) => [g.family, new Set(g.hosts)]));
  const observed: Observed = { hosts: new Map(), shards: [], unlinked: new Set(), unrecognised: [] };
  for (const host of await client.getIpHostsByNamePrefix(naming.prefix)) {
    const inGroup = (family: IpFamily) =>
      members.get(family)?.has(host.name) === true || host.hostGroups.includes(naming.groups[family]);
    const shard = shardFromHost(naming.prefix, host);
    const target = shard ? undefined : banTargetFromHost(naming.prefix, host);
    if (shard) {
      if (!families.has(shard.family)) continue;
      observed.shards.push(shard);
      if (!inGroup(shard.family)) observed.unlinked.add(shard.name);
    } else if (target) {
      if (families.has(target.family)) {
        observed.hosts.set(target.canonical, { host, inGroup: inGroup(target.family) });
      }
    } else {
      observed.unrecognised.push(host.name);
    }
  }
  return observed;
}

function linkedShardHolding(observed: Observed, target: string): Shard | undefined {
  return observed.shards.find((s) => !observed.unlinked.has(s.name) && s.addresses.includes(target));
}

function planWork(
  options: SophosReconcileOptions,
  families: ReadonlySet<IpFamily>,
  observed: Observed,
): Work {
  const { naming } = options;
  const now = options.now ?? Date.now;
  const desired = new Map(
    [...desiredTargets(options.journal.load().state, now() / 1000)].filter(([, f]) => families.has(f)),
  );
  const plan: ReconcilePlan = {
    add: [],
    remove: [],
    inPlace: [],
    migrate: [],
    unrecognised: observed.unrecognised,
    shardWrites: [],
    shardRemovals: [],
  };
  const work: Work = { plan, desired, hostAdds: [], hostRemovals: [], shardsNext: [] };
  const wantedInShards = new Map<IpFamily, Set<string>>(FAMILIES.map((f) => [f, new Set<string>()]));
  for (const [target, family] of desired) {
    const inShard = usesShards(naming, target);
    const asHost = observed.hosts.get(target)?.inGroup === true;
    const asShardMember = linkedShardHolding(observed, target) !== undefined;
    if (inShard) wantedInShards.get(family)!.add(target);
    else if (!asHost) work.hostAdds.push(target);
    if (inShard ? asShardMember : asHost) plan.inPlace.push(target);
    else if (asHost || asShardMember) plan.migrate.push(target);
    else plan.add.push(target);
  }
  for (const family of families) {
    const current = observed.shards.filter((s) => s.family === family);
    const next = layoutShards(
      naming.prefix,
      family,
      current,
      wantedInShards.get(family)!,
      naming.shardSize ?? MAX_SHARD_SIZE,
    );
    for (const shard of next) {
      const before = current.find((s) => s.name === shard.name);
      if (shard.addresses.length === 0) {
        if (before) plan.shardRemovals.push(shard.name);
      } else if (
        !before ||
        observed.unlinked.has(shard.name) ||
        !sameAddresses(before.addresses, shard.addresses)
      ) {
        plan.shardWrites.push(shard.name);
      }
    }
    work.shardsNext.push(...next);
  }
  for (const target of observed.hosts.keys()) {
    if (!desired.has(target) || usesShards(naming, target)) work.hostRemovals.push(target);
  }
  const undesired = new Set<string>();
  for (const target of observed.hosts.keys()) if (!desired.has(target)) undesired.add(target);
  for (const shard of observed.shards) for (const a of shard.addresses) if (!desired.has(a)) undesired.add(a);
  plan.remove.push(...undesired);
  return work;
}

export async function planReconcile(options: SophosReconcileOptions): Promise<ReconcilePlan> {
  const families = new Set(options.families ?? FAMILIES);
  return planWork(options, families, await observe(options, families)).plan;
}

export async function reconcile(options: SophosReconcileOptions): Promise<ReconcileReport> {
  const now = options.now ?? Date.now;
  const families = new Set(options.families ?? FAMILIES);
  const observed = await observe(options, families);
  const work = planWork(options, families, observed);
  const { plan } = work;
  const result = emptyPushResult();
  if (options.dryRun) return { plan, result };
  const memory = options.memory ?? new FirewallMemory();
  const touched = [...new Set([...plan.add, ...plan.migrate, ...plan.remove])];
  // As in deliverPending: mark what we are about to change, in case we die before recording it.
  if (touched.length > 0) options.journal.append([{ t: "sending", at: now(), targets: touched }]);
  const removedHosts = new Set<string>();
  let shardsDone = new Set<string>();
  try {
    // Phase 1: coverage.
    await pushChanges(
      options.client,
      options.naming,
      { add: work.hostAdds, remove: [] },
      result,
      new Map(),
      memory,
    );
    const writes = work.shardsNext.filter((s) => plan.shardWrites.includes(s.name));
    const linked = observed.shards.filter((s) => !observed.unlinked.has(s.name));
    shardsDone = await writeShards(options.client, options.naming, linked, writes, new Set(), result, memory);
    // Phase 2: removals, only once every addition reached the firewall.
    if (result.failures.length === 0) {
      const targets = work.hostRemovals;
      const outcomes = await removeHosts(
        options.client,
        targets.map((t) => observed.hosts.get(t)!.host),
        memory,
      );
      outcomes.forEach((o, i) => {
        if (o.ok) removedHosts.add(targets[i]!);
        else result.failures.push({ target: targets[i]!, text: o.text });
      });
      const emptied = work.shardsNext.filter((s) => plan.shardRemovals.includes(s.name));
      for (const name of await writeShards(
        options.client,
        options.naming,
        observed.shards,
        emptied,
        new Set(),
        result,
        memory,
      )) {
        shardsDone.add(name);
      }
    }
  } finally {
    const after = firewallAfter(observed, work, result, removedHosts, shardsDone);
    // Hosts of the old layout that still stand (phase 2 failed or never ran) are invisible to
    // the journal once their address is in a shard: keep those addresses unsure, so that the
    // next delivery reads the firewall again and finishes the job (an unban would otherwise
    // leave the host, and the address blocked).
    const leftovers = work.hostRemovals.filter((t) => work.desired.has(t) && !removedHosts.has(t));
    record(options, families, after, now, leftovers);
    result.present = [...plan.add, ...plan.migrate].filter((t) => after.present.has(t));
    result.absent = plan.remove.filter((t) => !after.present.has(t));
  }
  return { plan, result };
}

interface After {
  /** Targets of ours on the firewall (in a group or not) after this run. */
  present: Set<string>;
  /** Each shard's content after this run (null = gone). */
  shards: Map<string, string[] | null>;
}

function firewallAfter(
  observed: Observed,
  work: Work,
  result: PushResult,
  removedHosts: ReadonlySet<string>,
  shardsDone: ReadonlySet<string>,
): After {
  // A desired target counts as present only where it blocks: a host in its group, or an address
  // in a shard in its group. One outside (put back failed) stays pending, so that delivery puts
  // it back; an undesired one counts wherever it is, so that delivery still removes it.
  const present = new Set<string>();
  for (const [target, { inGroup }] of observed.hosts) {
    if (!removedHosts.has(target) && (inGroup || !work.desired.has(target))) present.add(target);
  }
  for (const target of result.present) present.add(target);
  const shards = new Map<string, string[] | null>();
  const blocking = new Set<string>();
  for (const shard of observed.shards) {
    shards.set(shard.name, [...shard.addresses]);
    if (!observed.unlinked.has(shard.name)) blocking.add(shard.name);
  }
  for (const shard of work.shardsNext) {
    if (shardsDone.has(shard.name)) {
      shards.set(shard.name, shard.addresses.length > 0 ? [...shard.addresses] : null);
      blocking.add(shard.name);
    }
  }
  for (const [name, addresses] of shards) {
    for (const a of addresses ?? []) if (blocking.has(name) || !work.desired.has(a)) present.add(a);
  }
  return { present, shards };
}

/**
 * Records the firewall as read, corrected by what this run changed: everything we believed (or
 * were unsure about) in these families that is not there now is absent, and every shard's
 * content is recorded as it now stands.
 */
function record(
  options: SophosReconcileOptions,
  families: ReadonlySet<IpFamily>,
  after: After,
  now: () => number,
  unsure: string[],
) {
  const { applied, uncertain, shards: believed } = options.journal.load().state;
  const shards: Record<string, string[] | null> = Object.fromEntries(after.shards);
  for (const name of believed.keys()) {
    const parsed = parseShardName(options.naming.prefix, name);
    if (!(name in shards) && (!parsed || families.has(parsed.family))) shards[name] = null;
  }
  const candidates = new Set([...applied.keys(), ...uncertain]);
  const absent = [...candidates].filter((t) => families.has(familyOfTarget(t)) && !after.present.has(t));
  options.journal.append([
    { t: "applied", at: now(), present: [...after.present], absent, shards },
    ...(unsure.length > 0 ? [{ t: "sending" as const, at: now(), targets: unsure }] : []),
  ]);
}
