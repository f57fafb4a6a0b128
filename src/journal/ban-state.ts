/**
 * The state derived from the journal: which jails hold which addresses until when (the desired
 * state), and which of our objects the firewall is believed to have (the applied state).
 * Pure data and pure functions; the journal file lives in journal.ts.
 */
import type { IpFamily } from "../address/index.ts";
import type { JournalRecord } from "./records.ts";

export interface Hold {
  /** Epoch seconds; null = permanent. */
  expiresAt: number | null;
}

export interface TargetHolds {
  family: IpFamily;
  jails: Map<string, Hold>;
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
        entry = { family: record.family, jails: new Map() };
        state.holds.set(record.target, entry);
      }
      entry.jails.set(record.jail, { expiresAt: record.expiresAt });
      return;
    }
    case "unban": {
      const entry = state.holds.get(record.target);
      entry?.jails.delete(record.jail);
      if (entry && entry.jails.size === 0) state.holds.delete(record.target);
      return;
    }
    case "flush":
      for (const [target, entry] of state.holds) {
        if (record.family !== undefined && entry.family !== record.family) continue;
        if (record.jail === undefined) entry.jails.clear();
        else entry.jails.delete(record.jail);
        if (entry.jails.size === 0) state.holds.delete(target);
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

/** Our canonical targets are dotted IPv4 or colon IPv6, optionally with /len. */
export function familyOfTarget(target: string): IpFamily {
  return target.includes(":") ? "IPv6" : "IPv4";
}

function holdIsLive(hold: Hold, now: number): boolean {
  return hold.expiresAt === null || hold.expiresAt > now;
}

/** Targets that some jail still holds at `now` (epoch seconds). */
export function desiredTargets(state: BanState, now: number): Map<string, IpFamily> {
  const desired = new Map<string, IpFamily>();
  for (const [target, entry] of state.holds) {
    for (const hold of entry.jails.values()) {
      if (holdIsLive(hold, now)) {
        desired.set(target, entry.family);
        break;
      }
    }
  }
  return desired;
}

/** Drops holds that have expired (used when compacting: an expired hold never matters again). */
export function dropExpired(state: BanState, now: number): void {
  for (const [target, entry] of state.holds) {
    for (const [jail, hold] of entry.jails) if (!holdIsLive(hold, now)) entry.jails.delete(jail);
    if (entry.jails.size === 0) state.holds.delete(target);
  }
}

/** The earliest future expiry, so an agent knows when to wake up. */
export function nextExpiry(state: BanState, now: number): number | undefined {
  let next: number | undefined;
  for (const entry of state.holds.values()) {
    for (const hold of entry.jails.values()) {
      if (hold.expiresAt !== null && hold.expiresAt > now && (next === undefined || hold.expiresAt < next)) {
        next = hold.expiresAt;
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
 * What is pending for a state: the desired targets the firewall is not known to have, and the
 * targets it has or may have that nobody desires. Uncertain targets count on both sides.
 */
export function pendingFor(state: BanState, now: number): PendingChanges {
  const desired = desiredTargets(state, now);
  const add = new Map<string, IpFamily>();
  const remove = new Map<string, IpFamily>();
  for (const [target, family] of desired) {
    if (!state.applied.has(target) || state.uncertain.has(target)) add.set(target, family);
  }
  for (const [target, family] of state.applied) if (!desired.has(target)) remove.set(target, family);
  for (const target of state.uncertain) {
    if (!desired.has(target)) remove.set(target, familyOfTarget(target));
  }
  return { add, remove };
}

interface StateJson {
  version: 1;
  holds: Record<string, { family: IpFamily; jails: Record<string, number | null> }>;
  applied: Record<string, IpFamily>;
  uncertain?: string[];
  shards?: Record<string, string[]>;
}

export function stateToJson(state: BanState): StateJson {
  const holds: StateJson["holds"] = {};
  for (const [target, entry] of state.holds) {
    const jails: Record<string, number | null> = {};
    for (const [jail, hold] of entry.jails) jails[jail] = hold.expiresAt;
    holds[target] = { family: entry.family, jails };
  }
  return {
    version: 1,
    holds,
    applied: Object.fromEntries(state.applied),
    uncertain: [...state.uncertain],
    shards: Object.fromEntries(state.shards),
  };
}

export function stateFromJson(value: unknown): BanState {
  const json = value as Partial<StateJson>;
  if (json?.version !== 1 || typeof json.holds !== "object" || typeof json.applied !== "object") {
    throw new Error("state snapshot has an unknown format");
  }
  const state = emptyState();
  for (const [target, entry] of Object.entries(json.holds ?? {})) {
    const jails = new Map<string, Hold>();
    for (const [jail, expiresAt] of Object.entries(entry.jails)) jails.set(jail, { expiresAt });
    state.holds.set(target, { family: entry.family, jails });
  }
  for (const [target, family] of Object.entries(json.applied ?? {})) state.applied.set(target, family);
  for (const target of Array.isArray(json.uncertain) ? json.uncertain : []) state.uncertain.add(target);
  for (const [name, addresses] of Object.entries(json.shards ?? {})) state.shards.set(name, [...addresses]);
  return state;
}
