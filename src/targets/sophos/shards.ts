/**
 * The `iplist` layout: instead of one IP host per banned address, each family's group holds a
 * few IP hosts of type IPList ("shards") named `<prefix>list_v4_<n>` / `<prefix>list_v6_<n>`,
 * each with up to `shardSize` (≤ 1,000) addresses. 10,000 bans are ten objects, and a wave of
 * changes costs one entity write per shard touched, whatever the firewall charges per entity.
 *
 * A shard is never empty on the firewall (it refuses an empty IPList): a shard that empties out
 * is unlinked from the group with its last content (see retiringShardHost), and then removed.
 * Where an IP list must exist with nothing to list, it holds a placeholder address from the
 * documentation ranges, never a routable one; the placeholder is never counted as banned.
 */

import type { IpFamily } from "../../address/index.ts";
import { parseTargetSyntax } from "../../address/index.ts";
import type { IpHost } from "../../protocol/model.ts";

export type Layout = "hosts" | "iplist";

/** RFC 5737 TEST-NET-1 and RFC 3849 documentation prefix: not routable on the Internet. */
export const SHARD_PLACEHOLDER: Readonly<Record<IpFamily, string>> = {
  IPv4: "192.0.2.0",
  IPv6: "2001:db8::",
};

export const MAX_SHARD_SIZE = 1000;

export interface Shard {
  name: string;
  family: IpFamily;
  n: number;
  addresses: string[];
}

const FAMILY_TAG: Readonly<Record<IpFamily, string>> = { IPv4: "v4", IPv6: "v6" };

export function shardName(prefix: string, family: IpFamily, n: number): string {
  return `${prefix}list_${FAMILY_TAG[family]}_${n}`;
}

/** The family and number of one of our shard names, or undefined. */
export function parseShardName(prefix: string, name: string): { family: IpFamily; n: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^list_(v4|v6)_([1-9][0-9]{0,5})$/.exec(name.slice(prefix.length));
  if (!m) return undefined;
  return { family: m[1] === "v4" ? "IPv4" : "IPv6", n: Number(m[2]) };
}

function canonicalAddress(text: string, family: IpFamily): string | undefined {
  try {
    const target = parseTargetSyntax(text);
    return target.kind === "ip" && target.family === family ? target.canonical : undefined;
  } catch {
    return undefined;
  }
}

/** An IPList host of ours read from the firewall, as a shard (placeholder dropped); else undefined. */
export function shardFromHost(prefix: string, host: IpHost): Shard | undefined {
  const parsed = parseShardName(prefix, host.name);
  if (!parsed || host.hostType !== "IPList" || host.ipFamily !== parsed.family) return undefined;
  // The firewall may spell an address differently than we wrote it (an expanded or upper-case
  // IPv6 address): compare in canonical form, and drop what is not one address of this family.
  const addresses: string[] = [];
  for (const text of host.listOfIpAddresses ?? []) {
    const address = canonicalAddress(text, parsed.family);
    if (address !== undefined && address !== SHARD_PLACEHOLDER[parsed.family]) addresses.push(address);
  }
  return { name: host.name, family: parsed.family, n: parsed.n, addresses };
}

/** The IP host that carries `shard`: in its group while it has addresses, otherwise the placeholder alone. */
export function shardHost(shard: Shard, groupName: string): IpHost {
  const empty = shard.addresses.length === 0;
  return {
    name: shard.name,
    ipFamily: shard.family,
    hostType: "IPList",
    description: `f2b-sophosxg: addresses banned by Fail2ban (shard ${shard.n})`,
    listOfIpAddresses: empty ? [SHARD_PLACEHOLDER[shard.family]] : shard.addresses,
    hostGroups: empty ? [] : [groupName],
  };
}

/**
 * The IP host that takes an emptied shard out of its group before its Remove: its last content
 * (`lastAddresses`, what the firewall holds under that name) in no group, or the placeholder
 * when that content is unknown or empty. Never the placeholder for all of them: two shards
 * emptied at once would both become the same list, and a firewall that refuses a second object
 * with the same details (503, reference §10.14) would refuse the second unlink, and then its
 * Remove (still a member). Rewriting a list it already holds under that name cannot collide.
 */
export function retiringShardHost(shard: Shard, lastAddresses: readonly string[] | undefined): IpHost {
  const known = lastAddresses !== undefined && lastAddresses.length > 0;
  return {
    ...shardHost(shard, ""),
    listOfIpAddresses: known ? [...lastAddresses] : [SHARD_PLACEHOLDER[shard.family]],
    hostGroups: [],
  };
}

/**
 * The next shard contents for one family: every address of `wanted` in exactly one shard.
 * Addresses stay where they are (so a change rewrites as few shards as possible); duplicates
 * and unwanted addresses are dropped; new addresses fill the lowest-numbered shard with room,
 * then new shards with the lowest free numbers. Shards that end up empty are returned empty.
 */
export function layoutShards(
  prefix: string,
  family: IpFamily,
  current: readonly Shard[],
  wanted: ReadonlySet<string>,
  size: number,
): Shard[] {
  return placeShards(
    prefix,
    family,
    current,
    (a) => wanted.has(a),
    () => wanted,
    size,
  );
}

/**
 * What `layoutShards` returns for `wanted` = the addresses of `current` + `add` − `remove`,
 * without building that set: a delivery round moves 100 addresses among 100,000, and the set
 * (with the pass over it for addresses still to place) was most of the round's own work.
 */
export function layoutShardsAfter(
  prefix: string,
  family: IpFamily,
  current: readonly Shard[],
  changes: { add: readonly string[]; remove: readonly string[] },
  size: number,
): Shard[] {
  const removed = new Set(changes.remove);
  const kept = (a: string) => !removed.has(a);
  return placeShards(
    prefix,
    family,
    current,
    removed.size === 0 ? () => true : kept,
    // In the order of `wanted`: current's addresses, then the additions. Current's are all
    // placed already unless a shard overflowed (its size was lowered).
    (overflowed) => [...(overflowed ? current.flatMap((s) => s.addresses) : []), ...changes.add].filter(kept),
    size,
  );
}

/**
 * Keeps each wanted address of `current` where it is (first occurrence, up to `size` a shard),
 * then places the rest of `order` (`overflowed`: some current address did not fit where it was).
 */
function placeShards(
  prefix: string,
  family: IpFamily,
  current: readonly Shard[],
  isWanted: (address: string) => boolean,
  order: (overflowed: boolean) => Iterable<string>,
  size: number,
): Shard[] {
  const seen = new Set<string>();
  let overflowed = false;
  const next: Shard[] = [...current]
    .filter((s) => s.family === family)
    .sort((a, b) => a.n - b.n)
    .map((s) => {
      const addresses: string[] = [];
      for (const a of s.addresses) {
        if (!isWanted(a) || seen.has(a)) continue;
        if (addresses.length < size) {
          addresses.push(a);
          seen.add(a);
        } else overflowed = true;
      }
      return { ...s, addresses };
    });
  const used = new Set(next.map((s) => s.n));
  for (const address of order(overflowed)) {
    if (seen.has(address)) continue;
    let shard = next.find((s) => s.addresses.length < size);
    if (!shard) {
      let n = 1;
      while (used.has(n)) n++;
      used.add(n);
      shard = { name: shardName(prefix, family, n), family, n, addresses: [] };
      next.push(shard);
      next.sort((a, b) => a.n - b.n);
    }
    shard.addresses.push(address);
    seen.add(address);
  }
  return next;
}

export function sameAddresses(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  // The usual case, a shard left as it was (layoutShards keeps the order): no set needed.
  if (a.every((x, i) => x === b[i])) return true;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/** Shards believed by the journal (name → addresses), as Shard objects of one prefix. */
export function believedShards(prefix: string, shards: ReadonlyMap<string, string[]>): Shard[] {
  const out: Shard[] = [];
  for (const [name, addresses] of shards) {
    const parsed = parseShardName(prefix, name);
    if (parsed) out.push({ name, ...parsed, addresses: [...addresses] });
  }
  return out;
}

/**
 * A single address (not a network): what the iplist layout puts into shards. The placeholders
 * are the exception: they are dropped whenever a shard is read back, so a ban of one of them in
 * a shard would never be seen as done (rewritten forever, reported missing); it gets a host.
 */
export function isShardable(target: string): boolean {
  return !target.includes("/") && target !== SHARD_PLACEHOLDER.IPv4 && target !== SHARD_PLACEHOLDER.IPv6;
}
