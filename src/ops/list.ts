/**
 * `f2b-sophosxg list [--json]`: what is on the firewall under our prefix and in our groups, with
 * the jails that hold each address and until when (from the local state), and the drift between
 * the two. In the `iplist` layout each address of an IP list shard is listed with the shard that
 * holds it (placeholders left out), and each shard once with its size and group. Reads only: it
 * changes nothing on the firewall and nothing locally.
 */
import type { ActionOutcome } from "../action/outcome.ts";
import type { Session } from "../action/session.ts";
import { FAMILIES, type IpFamily } from "../address/index.ts";
import { DEFAULT_SOURCE, desiredTargets, type SourceHolds } from "../journal/index.ts";
import type { IpHost } from "../protocol/model.ts";
import { banTargetFromHost, type Shard, shardFromHost } from "../targets/sophos/index.ts";

/** One hold on a listed address: a source and its reason (for Fail2ban, the jail). */
export interface ListedJail {
  source: string;
  jail: string;
  /** ISO time; null = permanent. */
  expiresAt: string | null;
  expired: boolean;
}

export interface ListedObject {
  address: string;
  family: IpFamily;
  /** The object that carries it: its own IP host, or the IP list shard that lists it. */
  name: string;
  /** Our group of its family when that object is a member, else null. */
  group: string | null;
  jails: ListedJail[];
  desired: boolean;
  /** `iplist` layout: the shard that lists it (then `name` is the shard); null for its own host. */
  shard: string | null;
}

export interface ListedShard {
  name: string;
  family: IpFamily;
  /** Our group of its family when the shard is a member, else null. */
  group: string | null;
  /** Addresses listed (the placeholder not counted). */
  addresses: number;
}

export interface ListReport {
  groups: Record<IpFamily, { name: string; present: boolean; members: number }>;
  objects: ListedObject[];
  /** `iplist` layout: our IP list shards, by name. */
  shards: ListedShard[];
  drift: {
    /** On the firewall (ours), but no jail holds it: delivery or reconcile will remove it. */
    notDesired: string[];
    /** Held by a jail, but not on the firewall: pending, or lost. */
    missing: string[];
    /** Ours, but not a member of its group: it blocks nothing. */
    outsideGroup: string[];
  };
  /** Hosts with our prefix that do not follow our naming: never touched. */
  unrecognised: string[];
  /** Members of our groups that are not ours (added by hand). */
  foreignMembers: string[];
}

export async function listReport(session: Session, now = Date.now()): Promise<ListReport> {
  const client = session.firewall();
  const { prefix, groups: names } = session.naming;
  const groups = {} as ListReport["groups"];
  const members = new Map<IpFamily, Set<string>>();
  for (const family of FAMILIES) {
    const group = await client.getIpHostGroup(names[family]);
    groups[family] = { name: names[family], present: group !== undefined, members: group?.hosts.length ?? 0 };
    members.set(family, new Set(group?.hosts ?? []));
  }
  const hosts: IpHost[] = await client.getIpHostsByNamePrefix(prefix);
  const state = session.journal.load().state;
  const desired = desiredTargets(state, now / 1000);
  const report: ListReport = {
    groups,
    objects: [],
    shards: [],
    drift: { notDesired: [], missing: [], outsideGroup: [] },
    unrecognised: [],
    foreignMembers: [],
  };
  const seen = new Set<string>();
  const ourNames = new Set<string>();
  const jailsOf = (target: string): ListedJail[] => {
    const holds = state.holds.get(target);
    const jails = [...(holds?.bySource ?? new Map<string, SourceHolds>())].flatMap(([source, reasons]) =>
      [...reasons].map(([jail, hold]) => ({
        source,
        jail,
        expiresAt: hold.expiresAt === null ? null : new Date(hold.expiresAt * 1000).toISOString(),
        expired: hold.expiresAt !== null && hold.expiresAt * 1000 <= now,
      })),
    );
    return jails.sort((a, b) => a.source.localeCompare(b.source) || a.jail.localeCompare(b.jail));
  };
  const inGroupOf = (family: IpFamily, host: IpHost) =>
    members.get(family)?.has(host.name) === true || host.hostGroups.includes(names[family]);
  const addObject = (
    address: string,
    family: IpFamily,
    name: string,
    inGroup: boolean,
    shard: Shard | undefined,
  ) => {
    const isDesired = desired.has(address);
    report.objects.push({
      address,
      family,
      name,
      group: inGroup ? names[family] : null,
      jails: jailsOf(address),
      desired: isDesired,
      shard: shard ? shard.name : null,
    });
    if (!isDesired && !seen.has(address)) report.drift.notDesired.push(address);
    seen.add(address);
  };
  const outside = new Set<string>();
  const blocking = new Set<string>();
  for (const host of hosts) {
    const shard = shardFromHost(prefix, host);
    if (shard) {
      ourNames.add(host.name);
      const inGroup = inGroupOf(shard.family, host);
      report.shards.push({
        name: shard.name,
        family: shard.family,
        group: inGroup ? names[shard.family] : null,
        addresses: shard.addresses.length,
      });
      for (const address of shard.addresses) {
        addObject(address, shard.family, shard.name, inGroup, shard);
        (inGroup ? blocking : outside).add(address);
      }
      continue;
    }
    const target = banTargetFromHost(prefix, host);
    if (!target) {
      report.unrecognised.push(host.name);
      continue;
    }
    ourNames.add(host.name);
    const inGroup = inGroupOf(target.family, host);
    addObject(target.canonical, target.family, host.name, inGroup, undefined);
    (inGroup ? blocking : outside).add(target.canonical);
  }
  // Outside the group means: no object of ours that lists it is in the group (it blocks nothing).
  for (const address of outside) if (!blocking.has(address)) report.drift.outsideGroup.push(address);
  for (const target of desired.keys()) if (!seen.has(target)) report.drift.missing.push(target);
  for (const family of FAMILIES) {
    for (const member of members.get(family) ?? [])
      if (!ourNames.has(member)) report.foreignMembers.push(member);
  }
  report.objects.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
  report.shards.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  for (const list of [report.drift.notDesired, report.drift.missing, report.drift.outsideGroup]) list.sort();
  return report;
}

function jailText(jails: ListedJail[]): string {
  if (jails.length === 0) return "no jail";
  return jails
    .map(
      (j) =>
        `${j.source === DEFAULT_SOURCE ? "" : `${j.source} `}${j.jail} ${j.expiresAt === null ? "permanent" : `${j.expired ? "expired" : "until"} ${j.expiresAt}`}`,
    )
    .join(", ");
}

export async function list(session: Session, options: { json: boolean }): Promise<ActionOutcome> {
  const report = await listReport(session);
  if (options.json) return { exitCode: 0, lines: [JSON.stringify(report)] };
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const g = report.groups[family];
    lines.push(
      `group ${g.name} (${family}): ${g.present ? `${g.members} member(s)` : "missing on the firewall"}`,
    );
  }
  for (const shard of report.shards) {
    lines.push(
      `shard ${shard.name} (${shard.family}): ${shard.addresses} address(es), ${shard.group ?? "in no group of ours"}`,
    );
  }
  for (const o of report.objects) {
    lines.push(`${o.address}  ${o.name}  ${o.group ?? "(in no group of ours)"}  ${jailText(o.jails)}`);
  }
  if (report.objects.length === 0) lines.push("no IP hosts of ours on the firewall");
  const { notDesired, missing, outsideGroup } = report.drift;
  const driftLine = (label: string, items: string[]) => {
    if (items.length > 0) lines.push(`drift: ${label} (${items.length}): ${items.join(", ")}`);
  };
  driftLine("on the firewall but held by no jail", notDesired);
  driftLine("held by a jail but missing on the firewall", missing);
  driftLine("ours but outside the group", outsideGroup);
  if (notDesired.length + missing.length + outsideGroup.length === 0) lines.push("drift: none");
  else lines.push("to correct the drift: f2b-sophosxg sync");
  if (report.unrecognised.length > 0)
    lines.push(`not ours despite the prefix (left alone): ${report.unrecognised.join(", ")}`);
  if (report.foreignMembers.length > 0)
    lines.push(`other members of our groups (left alone): ${report.foreignMembers.join(", ")}`);
  return { exitCode: 0, lines };
}
