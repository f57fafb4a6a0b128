/**
 * `f2b-sophosxg list [--json]`: what is on the firewall under our prefix and in our groups, with
 * the jails that hold each address and until when (from the local state), and the drift between
 * the two. Reads only: it changes nothing on the firewall and nothing locally.
 */
import type { ActionOutcome } from "../action/outcome.ts";
import type { Session } from "../action/session.ts";
import { banTargetFromHost } from "../fail2ban/index.ts";
import { desiredTargets } from "../journal/index.ts";
import type { IpFamily, IpHost } from "../protocol/model.ts";

export interface ListedJail {
  jail: string;
  /** ISO time; null = permanent. */
  expiresAt: string | null;
  expired: boolean;
}

export interface ListedObject {
  address: string;
  family: IpFamily;
  name: string;
  /** Our group of its family when it is a member, else null. */
  group: string | null;
  jails: ListedJail[];
  desired: boolean;
}

export interface ListReport {
  groups: Record<IpFamily, { name: string; present: boolean; members: number }>;
  objects: ListedObject[];
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

const FAMILIES: readonly IpFamily[] = ["IPv4", "IPv6"];

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
    drift: { notDesired: [], missing: [], outsideGroup: [] },
    unrecognised: [],
    foreignMembers: [],
  };
  const seen = new Set<string>();
  const ourNames = new Set<string>();
  for (const host of hosts) {
    const target = banTargetFromHost(prefix, host);
    if (!target) {
      report.unrecognised.push(host.name);
      continue;
    }
    ourNames.add(host.name);
    const groupName = names[target.family];
    const inGroup =
      members.get(target.family)?.has(host.name) === true || host.hostGroups.includes(groupName);
    const holds = state.holds.get(target.canonical);
    const jails = [...(holds?.jails ?? new Map())].map(([jail, hold]) => ({
      jail,
      expiresAt: hold.expiresAt === null ? null : new Date(hold.expiresAt * 1000).toISOString(),
      expired: hold.expiresAt !== null && hold.expiresAt * 1000 <= now,
    }));
    jails.sort((a, b) => a.jail.localeCompare(b.jail));
    const isDesired = desired.has(target.canonical);
    report.objects.push({
      address: target.canonical,
      family: target.family,
      name: host.name,
      group: inGroup ? groupName : null,
      jails,
      desired: isDesired,
    });
    seen.add(target.canonical);
    if (!isDesired) report.drift.notDesired.push(target.canonical);
    if (!inGroup) report.drift.outsideGroup.push(target.canonical);
  }
  for (const target of desired.keys()) if (!seen.has(target)) report.drift.missing.push(target);
  for (const family of FAMILIES) {
    for (const member of members.get(family) ?? [])
      if (!ourNames.has(member)) report.foreignMembers.push(member);
  }
  report.objects.sort((a, b) => a.name.localeCompare(b.name));
  for (const list of [report.drift.notDesired, report.drift.missing, report.drift.outsideGroup]) list.sort();
  return report;
}

function jailText(jails: ListedJail[]): string {
  if (jails.length === 0) return "no jail";
  return jails
    .map(
      (j) =>
        `${j.jail} ${j.expiresAt === null ? "permanent" : `${j.expired ? "expired" : "until"} ${j.expiresAt}`}`,
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
