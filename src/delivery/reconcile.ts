/**
 * Makes the firewall equal to the desired state by reading it first, rather than trusting what
 * the journal believes was applied: adds what is missing, puts our hosts that fell out of the
 * group back in, removes our objects that no jail holds (including half-done removals: a host
 * unlinked but not deleted). Touches only hosts whose names carry our prefix and parse as one
 * of our ban targets; anything else, even with our prefix, is reported and left alone.
 */
import { banTargetFromHost } from "../fail2ban/index.ts";
import { desiredTargets, familyOfTarget, type Journal } from "../journal/index.ts";
import type { IpFamily } from "../protocol/model.ts";
import type { SophosClient } from "../sophos/index.ts";
import { ensureGroups, FAMILIES } from "./groups.ts";
import { emptyPushResult, type Naming, type PushResult, pushChanges } from "./push.ts";

export interface ReconcilePlan {
  add: string[];
  remove: string[];
  /** Our hosts that are on the firewall and in their group, as they should be. */
  inPlace: string[];
  /** Hosts with our prefix that we cannot read as a ban target; never touched. */
  unrecognised: string[];
}

export interface ReconcileOptions {
  client: SophosClient;
  journal: Journal;
  naming: Naming;
  families?: readonly IpFamily[];
  /** Plan only: read the firewall, change nothing. */
  dryRun?: boolean;
  now?: () => number;
}

export interface ReconcileReport {
  plan: ReconcilePlan;
  result: PushResult;
}

export async function planReconcile(options: ReconcileOptions): Promise<ReconcilePlan> {
  const families = new Set(options.families ?? FAMILIES);
  const now = options.now ?? Date.now;
  const { client, naming } = options;
  const groups = await ensureGroups(client, naming.groups, {
    create: !options.dryRun,
    families: [...families],
  });
  const members = new Map<IpFamily, Set<string>>();
  for (const check of groups) {
    const group = check.state === "missing" ? undefined : await client.getIpHostGroup(check.name);
    members.set(check.family, new Set(group?.hosts ?? []));
  }
  const desired = desiredTargets(options.journal.load().state, now() / 1000);
  const plan: ReconcilePlan = { add: [], remove: [], inPlace: [], unrecognised: [] };
  const onFirewall = new Set<string>();
  for (const host of await client.getIpHostsByNamePrefix(naming.prefix)) {
    const target = banTargetFromHost(naming.prefix, host);
    if (!target) {
      plan.unrecognised.push(host.name);
      continue;
    }
    if (!families.has(target.family)) continue;
    const groupName = naming.groups[target.family];
    const inGroup =
      members.get(target.family)?.has(host.name) === true || host.hostGroups.includes(groupName);
    if (!desired.has(target.canonical)) plan.remove.push(target.canonical);
    else if (inGroup) plan.inPlace.push(target.canonical);
    else plan.add.push(target.canonical);
    onFirewall.add(target.canonical);
  }
  for (const [target, family] of desired) {
    if (families.has(family) && !onFirewall.has(target)) plan.add.push(target);
  }
  return plan;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const now = options.now ?? Date.now;
  const plan = await planReconcile(options);
  const result = emptyPushResult();
  if (options.dryRun) return { plan, result };
  const families = new Set(options.families ?? FAMILIES);
  const touched = [...plan.add, ...plan.remove];
  // As in deliverPending: mark what we are about to change, in case we die before recording it.
  if (touched.length > 0) options.journal.append([{ t: "sending", at: now(), targets: touched }]);
  try {
    await pushChanges(options.client, options.naming, { add: plan.add, remove: plan.remove }, result);
  } finally {
    // Record the firewall as read, corrected by what this run changed. Everything we believed
    // (or were unsure about) in these families that is not there now is recorded as absent.
    const removed = new Set(result.absent);
    const stillThere = plan.remove.filter((t) => !removed.has(t));
    const present = [...plan.inPlace, ...result.present, ...stillThere];
    const presentSet = new Set(present);
    const { applied, uncertain } = options.journal.load().state;
    const candidates = new Set([...applied.keys(), ...uncertain]);
    const absent = [...candidates].filter((t) => families.has(familyOfTarget(t)) && !presentSet.has(t));
    options.journal.append([{ t: "applied", at: now(), present, absent }]);
  }
  return { plan, result };
}
