/**
 * The state derived from the journal: which sources hold which addresses, for which reason
 * (a Fail2ban jail, a CrowdSec decision…), until when (the desired state), and which of our
 * objects the firewall is believed to have (the applied state).
 * Pure data and pure functions; the journal file lives in journal.ts.
 */
import { familyOfTarget, type IpFamily } from "../address/index.ts";
import { DEFAULT_SOURCE, type JournalRecord } from "./records.ts";

export interface Hold {
  /** Epoch seconds; null = permanent. */
  expiresAt: number | null;
}

/** Reason → hold, for one source. */
export type SourceHolds = Map<string, Hold>;

export interface TargetHolds {
  family: IpFamily;
  /** Source → its reasons. An address is desired while any live hold of any source remains. */
  bySource: Map<string, SourceHolds>;
}

/** The holds of `source` (Fail2ban's jails by default) on one address; empty when it has none. */
export function holdsOf(entry: TargetHolds | undefined, source: string = DEFAULT_SOURCE): SourceHolds {
  return entry?.bySource.get(source) ?? new Map();
}

/** Deletes `reason` (or every reason) of `source`; forgets the address when nothing holds it. */
function release(state: BanState, target: string, source: string, reason: string | undefined): void {
  const entry = state.holds.get(target);
  const reasons = entry?.bySource.get(source);
  if (!entry || !reasons) return;
  if (reason === undefined) reasons.clear();
  else reasons.delete(reason);
  if (reasons.size === 0) entry.bySource.delete(source);
  if (entry.bySource.size === 0) state.holds.delete(target);
}

export interface BanState {
  holds: Map<string, TargetHolds>;
  /** Targets believed to be on the firewall, with their family. */
  applied: Map<string, IpFamily>;
  /**
   * Targets a delivery started to change and never reported on (it died or lost its answer):
   * the firewall may or may not have them, so they are pushed again whichever way is desired.
   */
  uncertain: Set<string>;
  /** `iplist` layout: the believed content of each IP list shard on the firewall, by name. */
  shards: Map<string, string[]>;
}

export function emptyState(): BanState {
  return { holds: new Map(), applied: new Map(), uncertain: new Set(), shards: new Map() };
}

export function applyRecord(state: BanState, record: JournalRecord): void {
  switch (record.t) {
    case "ban": {
      let entry = state.holds.get(record.target);
      if (!entry) {
        entry = { family: record.family, bySource: new Map() };
        state.holds.set(record.target, entry);
      }
      const source = record.source ?? DEFAULT_SOURCE;
      let reasons = entry.bySource.get(source);
      if (!reasons) {
        reasons = new Map();
        entry.bySource.set(source, reasons);
      }
      reasons.set(record.jail, { expiresAt: record.expiresAt });
      return;
    }
    case "unban":
      release(state, record.target, record.source ?? DEFAULT_SOURCE, record.jail);
      return;
    case "flush":
      for (const [target, entry] of state.holds) {
        if (record.family !== undefined && entry.family !== record.family) continue;
        release(state, target, record.source ?? DEFAULT_SOURCE, record.jail);
      }
      return;
    case "applied":
      for (const target of record.present) {
        state.applied.set(target, familyOfTarget(target));
        state.uncertain.delete(target);
      }
      for (const target of record.absent) {
        state.applied.delete(target);
        state.uncertain.delete(target);
      }
      for (const [name, addresses] of Object.entries(record.shards ?? {})) {
        if (addresses === null) state.shards.delete(name);
        else state.shards.set(name, [...addresses]);
      }
      return;
    case "sending":
      for (const target of record.targets) state.uncertain.add(target);
      return;
  }
}

export { familyOfTarget };

function holdIsLive(hold: Hold, now: number): boolean {
  return hold.expiresAt === null || hold.expiresAt > now;
}

/**
 * Whether some source still holds the address at `now`. Plain loops, not a generator: the agent
 * runs this over every held address several times per round, and with 100,000 of them a
 * generator's per-address cost was a good part of a delta's latency.
 */
function entryIsLive(entry: TargetHolds, now: number): boolean {
  for (const reasons of entry.bySource.values()) {
    for (const hold of reasons.values()) if (holdIsLive(hold, now)) return true;
  }
  return false;
}

/** Targets that some source still holds at `now` (epoch seconds). */
export function desiredTargets(state: BanState, now: number): Map<string, IpFamily> {
  const desired = new Map<string, IpFamily>();
  for (const [target, entry] of state.holds) if (entryIsLive(entry, now)) desired.set(target, entry.family);
  return desired;
}

/** Drops holds that have expired (used when compacting: an expired hold never matters again). */
export function dropExpired(state: BanState, now: number): void {
  for (const [target, entry] of state.holds) {
    for (const [source, reasons] of entry.bySource) {
      for (const [reason, hold] of reasons)
        if (!holdIsLive(hold, now)) release(state, target, source, reason);
    }
  }
}

/** The earliest future expiry, so an agent knows when to wake up. */
export function nextExpiry(state: BanState, now: number): number | undefined {
  let next: number | undefined;
  for (const entry of state.holds.values()) {
    for (const reasons of entry.bySource.values()) {
      for (const { expiresAt } of reasons.values()) {
        if (expiresAt !== null && expiresAt > now && (next === undefined || expiresAt < next))
          next = expiresAt;
      }
    }
  }
  return next;
}

export interface PendingChanges {
  add: Map<string, IpFamily>;
  remove: Map<string, IpFamily>;
}

/** What the firewall lacks (`add`) and what it has too much (`remove`), compared with `observed`. */
export function pendingChanges(
  desired: Map<string, IpFamily>,
  observed: Map<string, IpFamily>,
): PendingChanges {
  const add = new Map<string, IpFamily>();
  const remove = new Map<string, IpFamily>();
  for (const [target, family] of desired) if (!observed.has(target)) add.set(target, family);
  for (const [target, family] of observed) if (!desired.has(target)) remove.set(target, family);
  return { add, remove };
}

/**
 * One pass over the holds: `onAdd` gets each desired target the firewall is not known to have
 * (or may have lost: uncertain). Returns whether every applied target is desired, which is the
 * usual case and spares the caller a pass over the applied side: with 100,000 addresses held,
 * each pass is 100,000 lookups, and a delta round used to make several.
 */
function scanHolds(state: BanState, now: number, onAdd: (target: string, family: IpFamily) => void): boolean {
  const anyUncertain = state.uncertain.size > 0;
  let appliedAndDesired = 0;
  for (const [target, entry] of state.holds) {
    if (!entryIsLive(entry, now)) continue;
    const applied = state.applied.has(target);
    if (applied) appliedAndDesired++;
    if (!applied || (anyUncertain && state.uncertain.has(target))) onAdd(target, entry.family);
  }
  return appliedAndDesired === state.applied.size;
}

/**
 * What is pending for a state: the desired targets the firewall is not known to have, and the
 * targets it has or may have that nobody desires. Uncertain targets count on both sides.
 * Desire is looked up per address rather than collected into a map first: with 100,000 holds
 * and nearly nothing pending, that map was the round's biggest allocation, made for nothing.
 */
export function pendingFor(state: BanState, now: number): PendingChanges {
  const add = new Map<string, IpFamily>();
  const remove = new Map<string, IpFamily>();
  const allAppliedDesired = scanHolds(state, now, (target, family) => add.set(target, family));
  if (!allAppliedDesired) {
    for (const [target, family] of state.applied)
      if (!isDesired(state, target, now)) remove.set(target, family);
  }
  for (const target of state.uncertain) {
    if (!isDesired(state, target, now)) remove.set(target, familyOfTarget(target));
  }
  return { add, remove };
}

/** Whether some source still holds `target` at `now`. */
function isDesired(state: BanState, target: string, now: number): boolean {
  const entry = state.holds.get(target);
  return entry !== undefined && entryIsLive(entry, now);
}

/**
 * The sizes of `pendingFor(state, now)` without building its maps: the agent asks this on every
 * wake-up, and with 100,000 holds the maps would be garbage made several times a second.
 */
export function pendingCounts(state: BanState, now: number): { add: number; remove: number } {
  let add = 0;
  let remove = 0;
  const allAppliedDesired = scanHolds(state, now, () => add++);
  if (!allAppliedDesired) {
    for (const target of state.applied.keys()) if (!isDesired(state, target, now)) remove++;
  }
  for (const target of state.uncertain) {
    if (!state.applied.has(target) && !isDesired(state, target, now)) remove++;
  }
  return { add, remove };
}

/** Version 1 (0.1) had only Fail2ban's jails per address; version 2 keys them by source. */
interface StateJson {
  version: 2;
  holds: Record<string, { family: IpFamily; by: Record<string, Record<string, number | null>> }>;
  applied: Record<string, IpFamily>;
  uncertain?: string[];
  shards?: Record<string, string[]>;
}

export function stateToJson(state: BanState): StateJson {
  const holds: StateJson["holds"] = {};
  for (const [target, entry] of state.holds) {
    const by: Record<string, Record<string, number | null>> = {};
    for (const [source, reasons] of entry.bySource) {
      by[source] = Object.fromEntries([...reasons].map(([reason, hold]) => [reason, hold.expiresAt]));
    }
    holds[target] = { family: entry.family, by };
  }
  return {
    version: 2,
    holds,
    applied: Object.fromEntries(state.applied),
    uncertain: [...state.uncertain],
    shards: Object.fromEntries(state.shards),
  };
}

type StoredHolds = { family: IpFamily; by?: Record<string, Record<string, number | null>> } & {
  /** Version 1: Fail2ban's jails. */
  jails?: Record<string, number | null>;
};

export function stateFromJson(value: unknown): BanState {
  const json = value as {
    version?: number;
    holds?: Record<string, StoredHolds>;
    applied?: unknown;
  } & Partial<Omit<StateJson, "version" | "holds">>;
  if (
    (json?.version !== 1 && json?.version !== 2) ||
    typeof json.holds !== "object" ||
    typeof json.applied !== "object"
  ) {
    throw new Error("state snapshot has an unknown format");
  }
  const state = emptyState();
  for (const [target, entry] of Object.entries(json.holds ?? {})) {
    const by = json.version === 1 ? { [DEFAULT_SOURCE]: entry.jails ?? {} } : (entry.by ?? {});
    const bySource = new Map<string, SourceHolds>();
    for (const [source, reasons] of Object.entries(by)) {
      const held: SourceHolds = new Map();
      for (const [reason, expiresAt] of Object.entries(reasons)) held.set(reason, { expiresAt });
      if (held.size > 0) bySource.set(source, held);
    }
    if (bySource.size > 0) state.holds.set(target, { family: entry.family, bySource });
  }
  for (const [target, family] of Object.entries(json.applied ?? {})) state.applied.set(target, family);
  for (const target of Array.isArray(json.uncertain) ? json.uncertain : []) state.uncertain.add(target);
  for (const [name, addresses] of Object.entries(json.shards ?? {})) state.shards.set(name, [...addresses]);
  return state;
}
