/**
 * Pushes a set of changes to the firewall in as few requests as the batch bound allows:
 * additions are one upsert of many IP hosts that name their group (membership set from the host
 * side, so a ban is one entity write); removals are one unlink (update without groups) and one
 * bulk Remove, because the firewall refuses to delete a host that is still in a group.
 */
import { ipHostFor, parseBanTarget } from "../fail2ban/index.ts";
import type { IpHost } from "../protocol/model.ts";
import type { EntityOutcome, SophosClient } from "../sophos/index.ts";
import { ensureGroups, type GroupNames } from "./groups.ts";

export interface Naming {
  prefix: string;
  groups: GroupNames;
}

export interface PushResult {
  present: string[];
  absent: string[];
  failures: { target: string; text: string }[];
}

/** Remove of a missing IP host answers 528 (reference §3.2): for us that means "already gone". */
const GONE_CODE = 528;

function hostFor(naming: Naming, target: string): IpHost {
  const parsed = parseBanTarget(target);
  return ipHostFor(naming.prefix, parsed, naming.groups[parsed.family]);
}

async function addTargets(client: SophosClient, naming: Naming, targets: string[], result: PushResult) {
  if (targets.length === 0) return;
  const hosts = targets.map((t) => hostFor(naming, t));
  let outcomes = await client.setIpHosts(hosts, "upsert");
  let failed = indexesOfFailures(outcomes);
  if (failed.length > 0) {
    // The usual cause is a group deleted behind our back: recreate it, then retry the failed ones once.
    await ensureGroups(client, naming.groups, { create: true });
    const retried = await client.setIpHosts(
      failed.map((i) => hosts[i]!),
      "upsert",
    );
    const merged = [...outcomes];
    failed.forEach((index, k) => {
      merged[index] = retried[k]!;
    });
    outcomes = merged;
    failed = indexesOfFailures(outcomes);
  }
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) result.present.push(targets[i]!);
    else result.failures.push({ target: targets[i]!, text: describe(outcome) });
  });
}

async function removeTargets(client: SophosClient, naming: Naming, targets: string[], result: PushResult) {
  if (targets.length === 0) return;
  const hosts = targets.map((t) => ({ ...hostFor(naming, t), hostGroups: [] }));
  // An unlink of a host that is already gone fails; the Remove below tells what really matters.
  await client.unlinkIpHosts(hosts);
  const outcomes = await client.removeIpHosts(hosts.map((h) => h.name));
  outcomes.forEach((outcome, i) => {
    if (outcome.ok || outcome.code === GONE_CODE) result.absent.push(targets[i]!);
    else result.failures.push({ target: targets[i]!, text: describe(outcome) });
  });
}

function indexesOfFailures(outcomes: EntityOutcome[]): number[] {
  return outcomes.flatMap((o, i) => (o.ok ? [] : [i]));
}

function describe(outcome: EntityOutcome): string {
  return outcome.code === undefined ? outcome.text : `${outcome.code} ${outcome.text}`;
}

export function emptyPushResult(): PushResult {
  return { present: [], absent: [], failures: [] };
}

/**
 * Fills `result` as it goes, so that when a request throws half-way (the firewall went away),
 * the caller still records what did reach the firewall.
 */
export async function pushChanges(
  client: SophosClient,
  naming: Naming,
  changes: { add: string[]; remove: string[] },
  result: PushResult,
): Promise<void> {
  await addTargets(client, naming, changes.add, result);
  await removeTargets(client, naming, changes.remove, result);
}
