/**
 * Pushes a set of changes to the firewall in as few requests as the batch bound allows:
 * additions are one upsert of many IP hosts that name their group (membership set from the host
 * side, so a ban is one entity write); removals are one unlink (update without groups) and one
 * bulk Remove, because the firewall refuses to delete a host that is still in a group. In the
 * `iplist` layout single addresses go into shards instead (shards.ts): one write per shard
 * touched.
 */
import { FAMILIES, familyOfTarget, parseBanTarget } from "../../address/index.ts";
import type { IpHost } from "../../protocol/model.ts";
import type { EntityOutcome, SophosClient } from "../../sophos/index.ts";
import type { PushResult } from "../target.ts";
import type { FirewallMemory } from "./firewall-memory.ts";
import { ensureGroups, type GroupNames } from "./groups.ts";
import { ipHostFor } from "./ip-host.ts";
import { setIpHostsInKnownForm } from "./ipv6-subnet.ts";
import {
  believedShards,
  isShardable,
  type Layout,
  layoutShardsAfter,
  MAX_SHARD_SIZE,
  retiringShardHost,
  type Shard,
  sameAddresses,
  shardHost,
} from "./shards.ts";

export interface Naming {
  prefix: string;
  groups: GroupNames;
  /** Default `hosts`. */
  layout?: Layout;
  /** `iplist` layout: addresses per shard. Default 1,000. */
  shardSize?: number;
}

export function usesShards(naming: Naming, target: string): boolean {
  return naming.layout === "iplist" && isShardable(target);
}

function hostFor(naming: Naming, target: string): IpHost {
  const parsed = parseBanTarget(target);
  return ipHostFor(naming.prefix, parsed, naming.groups[parsed.family]);
}

/**
 * Upserts hosts (IPv6 networks in the form this firewall takes, ipv6-subnet.ts); when some fail
 * (usually a group deleted behind our back), recreates the groups and retries those once.
 */
export async function upsertHosts(
  client: SophosClient,
  naming: Naming,
  hosts: IpHost[],
  memory: FirewallMemory,
): Promise<EntityOutcome[]> {
  if (hosts.length === 0) return [];
  const outcomes = await setIpHostsInKnownForm(client, hosts, "upsert", memory);
  const failed = indexesOfFailures(outcomes);
  if (failed.length === 0) return outcomes;
  await ensureGroups(client, naming.groups, { create: true });
  const retried = await setIpHostsInKnownForm(
    client,
    failed.map((i) => hosts[i]!),
    "upsert",
    memory,
  );
  const merged = [...outcomes];
  failed.forEach((index, k) => {
    merged[index] = retried[k]!;
  });
  return merged;
}

/** Unlinks, then removes hosts; an outcome is ok when the host is gone (removed now, or already). */
export async function removeHosts(
  client: SophosClient,
  hosts: IpHost[],
  memory: FirewallMemory,
): Promise<EntityOutcome[]> {
  if (hosts.length === 0) return [];
  // An unlink of a host that is already gone fails; the Remove below tells what really matters.
  // The unlink is a whole-object update: an IPv6 network in a form the firewall refuses would
  // stay in its group, and its Remove be refused.
  await setIpHostsInKnownForm(
    client,
    hosts.map((h) => ({ ...h, hostGroups: [] })),
    "update",
    memory,
  );
  const outcomes = await client.removeIpHosts(hosts.map((h) => h.name));
  // For a removal, "not there" is done.
  return outcomes.map((o) => (o.kind === "gone" ? { ...o, ok: true } : o));
}

async function addTargets(
  client: SophosClient,
  naming: Naming,
  targets: string[],
  result: PushResult,
  memory: FirewallMemory,
) {
  const outcomes = await upsertHosts(
    client,
    naming,
    targets.map((t) => hostFor(naming, t)),
    memory,
  );
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) result.present.push(targets[i]!);
    else result.failures.push({ target: targets[i]!, text: describe(outcome) });
  });
}

async function removeTargets(
  client: SophosClient,
  naming: Naming,
  targets: string[],
  result: PushResult,
  memory: FirewallMemory,
) {
  const outcomes = await removeHosts(
    client,
    targets.map((t) => hostFor(naming, t)),
    memory,
  );
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) result.absent.push(targets[i]!);
    else result.failures.push({ target: targets[i]!, text: describe(outcome) });
  });
}

/**
 * Writes the shards in `next` that differ from `before` or hold one of `touched` (a target
 * whose state is unsure must be written again), then removes the shards that emptied out.
 * A shard that gives up an address still wanted elsewhere (it moves: the shard size was
 * lowered, or it was listed twice) is written only after every other write succeeded, so the
 * address is never out of all shards in between. Returns the names of the shards whose new
 * content is on the firewall.
 */
export async function writeShards(
  client: SophosClient,
  naming: Naming,
  before: readonly Shard[],
  next: readonly Shard[],
  touched: ReadonlySet<string>,
  result: PushResult,
  memory: FirewallMemory,
): Promise<Set<string>> {
  const old = new Map(before.map((s) => [s.name, s.addresses]));
  const changed = next.filter((s) => {
    const previous = old.get(s.name);
    if (s.addresses.length === 0) return previous !== undefined;
    return (
      previous === undefined ||
      !sameAddresses(previous, s.addresses) ||
      s.addresses.some((a) => touched.has(a)) ||
      previous.some((a) => touched.has(a))
    );
  });
  const done = new Set(next.filter((s) => !changed.includes(s)).map((s) => s.name));
  // Every address placed anywhere: built only when some shard gives an address up (a delta of
  // new bans never does, and with 100,000 placed this set was most of such a round's work).
  let placed: Set<string> | undefined;
  const givesUpPlaced = (s: Shard) => {
    const keeps = new Set(s.addresses);
    const givenUp = (old.get(s.name) ?? []).filter((a) => !keeps.has(a));
    if (givenUp.length === 0) return false;
    placed ??= new Set(next.flatMap((shard) => shard.addresses));
    return givenUp.some((a) => placed!.has(a));
  };
  const failuresBefore = result.failures.length;
  const writes = changed.filter((s) => s.addresses.length > 0);
  await writeContents(
    client,
    naming,
    writes.filter((s) => !givesUpPlaced(s)),
    done,
    result,
    memory,
  );
  const safe = result.failures.length === failuresBefore;
  if (safe) await writeContents(client, naming, writes.filter(givesUpPlaced), done, result, memory);
  const empties = changed.filter((s) => s.addresses.length === 0 && (safe || !givesUpPlaced(s)));
  const removed = await removeHosts(
    client,
    empties.map((s) => retiringShardHost(s, old.get(s.name))),
    memory,
  );
  removed.forEach((outcome, i) => {
    const shard = empties[i]!;
    if (outcome.ok) {
      done.add(shard.name);
      result.shards[shard.name] = null;
    } else {
      result.failures.push({ target: shard.name, text: describe(outcome) });
    }
  });
  return done;
}

async function writeContents(
  client: SophosClient,
  naming: Naming,
  writes: readonly Shard[],
  done: Set<string>,
  result: PushResult,
  memory: FirewallMemory,
): Promise<void> {
  if (writes.length === 0) return;
  const written = await upsertHosts(
    client,
    naming,
    writes.map((s) => shardHost(s, naming.groups[s.family])),
    memory,
  );
  written.forEach((outcome, i) => {
    const shard = writes[i]!;
    if (outcome.ok) {
      done.add(shard.name);
      result.shards[shard.name] = [...shard.addresses];
    } else {
      result.failures.push({ target: shard.name, text: describe(outcome) });
    }
  });
}

async function shardTargets(
  client: SophosClient,
  naming: Naming,
  changes: { add: string[]; remove: string[] },
  believed: ReadonlyMap<string, string[]>,
  result: PushResult,
  memory: FirewallMemory,
) {
  for (const family of FAMILIES) {
    const inFamily = (t: string) => familyOfTarget(t) === family;
    const add = changes.add.filter(inFamily);
    const remove = changes.remove.filter(inFamily);
    if (add.length + remove.length === 0) continue;
    const before = believedShards(naming.prefix, believed).filter((s) => s.family === family);
    const size = naming.shardSize ?? MAX_SHARD_SIZE;
    const next = layoutShardsAfter(naming.prefix, family, before, { add, remove }, size);
    const touched = new Set([...add, ...remove]);
    const done = await writeShards(client, naming, before, next, touched, result, memory);
    settle(add, next, done, result.present, result);
    settle(remove, before, done, result.absent, result, true);
  }
}

/**
 * Moves each target to `into` when the shard that holds it (or held it) reached the firewall.
 * Indexed by address first: a blocklist start-up settles 100,000 targets over 100 shards, and a
 * search per target made that quadratic (seconds of a blocked event loop).
 */
function settle(
  targets: string[],
  shards: readonly Shard[],
  done: ReadonlySet<string>,
  into: string[],
  result: PushResult,
  absentWhenNowhere = false,
) {
  // Only the targets' shards are indexed: a delta settles 100 targets among 100,000 addresses.
  const wanted = new Set(targets);
  const shardOf = new Map<string, Shard>();
  for (const shard of shards)
    for (const address of shard.addresses) if (wanted.has(address)) shardOf.set(address, shard);
  const failed = new Set(result.failures.map((f) => f.target));
  for (const target of targets) {
    const shard = shardOf.get(target);
    if (shard === undefined) {
      if (absentWhenNowhere) into.push(target);
      else result.failures.push({ target, text: "no shard took it" });
    } else if (done.has(shard.name)) {
      into.push(target);
    } else if (!failed.has(shard.name)) {
      result.failures.push({ target, text: `shard ${shard.name} was not written` });
    }
  }
}

function indexesOfFailures(outcomes: EntityOutcome[]): number[] {
  return outcomes.flatMap((o, i) => (o.ok ? [] : [i]));
}

function describe(outcome: EntityOutcome): string {
  return outcome.code === undefined ? outcome.text : `${outcome.code} ${outcome.text}`;
}

/**
 * Fills `result` as it goes, so that when a request throws half-way (the firewall went away),
 * the caller still records what did reach the firewall. `believed` (the journal's belief about
 * the shards, iplist layout only) is the content each shard is rewritten from; `memory` is what
 * is known of this firewall's answers (firewall-memory.ts).
 */
export async function pushChanges(
  client: SophosClient,
  naming: Naming,
  changes: { add: string[]; remove: string[] },
  result: PushResult,
  believed: ReadonlyMap<string, string[]>,
  memory: FirewallMemory,
): Promise<void> {
  const perObject = (t: string) => !usesShards(naming, t);
  // A removal that no believed shard holds can only be a host: one the original program made,
  // or one of a layout change that has not finished. Remove it as a host ("gone" counts as done).
  // Indexed only when there are removals: a round of new bans needs no index of 100,000 addresses.
  let inBelievedShard: Set<string> | undefined;
  const removeAsHost = (t: string) => {
    if (perObject(t)) return true;
    inBelievedShard ??= new Set([...believed.values()].flat());
    return !inBelievedShard.has(t);
  };
  await addTargets(client, naming, changes.add.filter(perObject), result, memory);
  await removeTargets(client, naming, changes.remove.filter(removeAsHost), result, memory);
  const shardAdd = changes.add.filter((t) => !perObject(t));
  const shardRemove = changes.remove.filter((t) => !removeAsHost(t));
  if (shardAdd.length + shardRemove.length > 0) {
    await shardTargets(client, naming, { add: shardAdd, remove: shardRemove }, believed, result, memory);
  }
}
