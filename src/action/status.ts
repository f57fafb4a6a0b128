/**
 * `status`: what is pending and since when, the last delivery and the last error, and what the
 * groups hold according to the local state. Reads only local files: it works while the
 * firewall is down, which is when people need it.
 */

import { FAMILIES, type IpFamily } from "../address/index.ts";
import { lockOwner, pendingFor, readStatus } from "../journal/index.ts";
import { type CrowdsecStatus, readCrowdsecStatus } from "../sources/crowdsec/status-file.ts";
import { believedShards } from "../targets/sophos/index.ts";
import { type ActionOutcome, done } from "./outcome.ts";
import type { Session } from "./session.ts";

export interface StatusReport {
  stateDir: string;
  pending: { add: number; remove: number; oldestAgeSeconds: number | null };
  lastSuccessAt: string | null;
  lastError: { at: string; message: string } | null;
  /** Banned targets believed on the firewall per family (addresses in shards included, placeholders never). */
  members: Record<IpFamily, { group: string; count: number }>;
  layout: "hosts" | "iplist";
  /** `iplist` layout: the believed IP list shards per family, with the addresses each lists. */
  shards: Record<IpFamily, { name: string; addresses: number }[]>;
  holds: number;
  journalRecords: number;
  unreadableRecords: number;
  agent: { running: boolean; pid: number | null };
  mode: "agent" | "hook";
  /** The CrowdSec source, when configured or once it ran: what it last did and its live holds per origin. */
  crowdsec: (CrowdsecStatus & { holdsByOrigin: Record<string, number> }) | null;
}

function crowdsecReport(
  session: Session,
  state: ReturnType<Session["journal"]["load"]>["state"],
  now: number,
) {
  const last = readCrowdsecStatus(session.journal.dir);
  if (!last && !session.config.crowdsec) return null;
  const holdsByOrigin: Record<string, number> = {};
  for (const entry of state.holds.values()) {
    for (const [origin, hold] of entry.bySource.get("crowdsec") ?? []) {
      if (hold.expiresAt === null || hold.expiresAt > now / 1000)
        holdsByOrigin[origin] = (holdsByOrigin[origin] ?? 0) + 1;
    }
  }
  const fallback: CrowdsecStatus = {
    lapiUrl: session.config.crowdsec?.lapiUrl ?? "",
    decisions: 0,
    heldAddresses: 0,
    leftOut: 0,
    maxDecisions: session.config.crowdsec?.maxDecisions ?? 0,
    ignored: {},
    ignoredNames: {},
    malformed: 0,
  };
  return { ...(last ?? fallback), holdsByOrigin };
}

function crowdsecLines(c: NonNullable<StatusReport["crowdsec"]>): string[] {
  const origins = Object.entries(c.holdsByOrigin)
    .map(([origin, n]) => `${origin} ${n}`)
    .join(", ");
  const ignored = Object.entries(c.ignoredNames)
    .map(([name, n]) => `${name} ${n}`)
    .concat(
      ["filtered", "short", "refused"].flatMap((k) =>
        c.ignored[k as "short"] ? [`${k} ${c.ignored[k as "short"]}`] : [],
      ),
    )
    .join(", ");
  return [
    `crowdsec: ${c.lapiUrl}, last pull ${c.lastPullAt ? new Date(c.lastPullAt).toISOString() : "never"}; holds: ${origins || "none"}` +
      (c.leftOut > 0 ? `; ${c.leftOut} address(es) left out by max_decisions ${c.maxDecisions}` : "") +
      (ignored ? `; ignored: ${ignored}` : ""),
    ...(c.lastError
      ? [`crowdsec last error: ${new Date(c.lastError.at).toISOString()} ${c.lastError.message}`]
      : []),
  ];
}

function iso(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

/**
 * `crowdsecFrom`: where the CrowdSec source runs, when that is not `session` (a fleet member's
 * status shows the pusher's journal, while its source journals into the member's own).
 */
export function statusReport(session: Session, now = Date.now(), crowdsecFrom?: Session): StatusReport {
  const loaded = session.journal.load();
  const changes = pendingFor(loaded.state, now / 1000);
  const facts = readStatus(session.journal.deliveryDir);
  const count = (family: IpFamily) => [...loaded.state.applied.values()].filter((f) => f === family).length;
  const agentPid = lockOwner(session.journal.agentLockPath) ?? null;
  const pendingTotal = changes.add.size + changes.remove.size;
  const shards: StatusReport["shards"] = { IPv4: [], IPv6: [] };
  for (const shard of believedShards(session.naming.prefix, loaded.state.shards)) {
    shards[shard.family].push({ name: shard.name, addresses: shard.addresses.length });
  }
  for (const list of Object.values(shards))
    list.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  return {
    stateDir: session.journal.dir,
    pending: {
      add: changes.add.size,
      remove: changes.remove.size,
      oldestAgeSeconds:
        pendingTotal > 0 && facts.pendingSince !== undefined
          ? Math.round((now - facts.pendingSince) / 1000)
          : null,
    },
    lastSuccessAt: iso(facts.lastSuccessAt),
    lastError: facts.lastError
      ? { at: new Date(facts.lastError.at).toISOString(), message: facts.lastError.message }
      : null,
    members: {
      IPv4: { group: session.naming.groups.IPv4, count: count("IPv4") },
      IPv6: { group: session.naming.groups.IPv6, count: count("IPv6") },
    },
    layout: session.naming.layout ?? "hosts",
    shards,
    holds: loaded.state.holds.size,
    journalRecords: loaded.records,
    unreadableRecords: loaded.unreadable,
    agent: { running: agentPid !== null, pid: agentPid },
    mode: agentPid !== null ? "agent" : "hook",
    crowdsec: crowdsecFrom
      ? crowdsecReport(crowdsecFrom, crowdsecFrom.journal.load().state, now)
      : crowdsecReport(session, loaded.state, now),
  };
}

export async function status(
  session: Session,
  options: { json: boolean; crowdsecFrom?: Session },
): Promise<ActionOutcome> {
  const report = statusReport(session, Date.now(), options.crowdsecFrom);
  if (options.json) return done(JSON.stringify(report));
  const pending = report.pending;
  return done(
    `pending: ${pending.add} to add, ${pending.remove} to remove` +
      (pending.oldestAgeSeconds !== null ? ` (oldest ${pending.oldestAgeSeconds} s)` : ""),
    `last successful delivery: ${report.lastSuccessAt ?? "never"}`,
    `last error: ${report.lastError ? `${report.lastError.at} ${report.lastError.message}` : "none"}`,
    `groups: ${report.members.IPv4.group} ${report.members.IPv4.count} banned, ${report.members.IPv6.group} ${report.members.IPv6.count} banned (${report.layout} layout)`,
    ...FAMILIES.filter((f) => report.shards[f].length > 0).map(
      (f) =>
        `shards ${f}: ${report.shards[f].length} (${report.shards[f].map((s) => `${s.name} ${s.addresses}`).join(", ")})`,
    ),
    ...(report.crowdsec ? crowdsecLines(report.crowdsec) : []),
    `mode: ${report.mode === "agent" ? `agent running (pid ${report.agent.pid})` : "no agent: each hook delivers itself"}`,
    `state: ${report.stateDir}, ${report.holds} banned target(s), ${report.journalRecords} journal record(s)` +
      (report.unreadableRecords > 0 ? `, ${report.unreadableRecords} unreadable` : ""),
  );
}
