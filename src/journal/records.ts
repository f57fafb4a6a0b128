/**
 * What the journal holds: one JSON object per line. Every record is idempotent (it sets or
 * deletes keys), so replaying a record twice, as after a crash in the middle of a compaction,
 * gives the same state.
 */
import { type IpFamily, isIpFamily } from "../address/index.ts";

/**
 * Who holds an address: a source (`fail2ban`, and later `crowdsec`, a fleet member…) and its
 * reason within that source (a jail's name for Fail2ban). Records written before sources
 * existed have no `source`: they are Fail2ban's. The reason keeps the field name `jail` on disk,
 * so journals written by 0.1 read back unchanged.
 */
export const DEFAULT_SOURCE = "fail2ban";

/** `source`'s `jail` (its reason) holds `target` until `expiresAt` (epoch seconds; null = permanent). */
export interface BanRecord {
  t: "ban";
  at: number;
  /** Absent = `fail2ban`. */
  source?: string;
  jail: string;
  target: string;
  family: IpFamily;
  expiresAt: number | null;
}

export interface UnbanRecord {
  t: "unban";
  at: number;
  /** Absent = `fail2ban`. */
  source?: string;
  jail: string;
  target: string;
}

/** Releases the holds of one source's reason (or all its reasons) of one family (or both). */
export interface FlushRecord {
  t: "flush";
  at: number;
  /** Absent = `fail2ban`: a Fail2ban flush never touches another source's holds. */
  source?: string;
  jail?: string;
  family?: IpFamily;
}

/**
 * The firewall now has (`present`) or no longer has (`absent`) these targets of ours. In the
 * `iplist` layout, `shards` gives the whole new content of each IP list shard written (null for
 * a shard that was removed); a shard write replaces the object, so the content is exact.
 */
export interface AppliedRecord {
  t: "applied";
  at: number;
  present: string[];
  absent: string[];
  shards?: Record<string, string[] | null>;
}

/**
 * Written before a delivery round touches the firewall: until an `applied` record settles them,
 * these targets may or may not be on the firewall (the process may die between the firewall's
 * answer and the `applied` record). Delivery then pushes them again in whichever direction the
 * desired state asks for; both directions are idempotent on the firewall.
 */
export interface SendingRecord {
  t: "sending";
  at: number;
  targets: string[];
}

export type JournalRecord = BanRecord | UnbanRecord | FlushRecord | AppliedRecord | SendingRecord;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

function isShardMap(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => v === null || isStringArray(v))
  );
}

/** Checks a parsed line; returns undefined for anything that is not a record we wrote. */
export function asJournalRecord(value: unknown): JournalRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.at !== "number") return undefined;
  switch (r.t) {
    case "ban":
      return optionalString(r.source) &&
        typeof r.jail === "string" &&
        typeof r.target === "string" &&
        isIpFamily(r.family) &&
        (r.expiresAt === null || typeof r.expiresAt === "number")
        ? (r as unknown as BanRecord)
        : undefined;
    case "unban":
      return optionalString(r.source) && typeof r.jail === "string" && typeof r.target === "string"
        ? (r as unknown as UnbanRecord)
        : undefined;
    case "flush":
      return optionalString(r.source) &&
        (r.jail === undefined || typeof r.jail === "string") &&
        (r.family === undefined || isIpFamily(r.family))
        ? (r as unknown as FlushRecord)
        : undefined;
    case "applied":
      return isStringArray(r.present) &&
        isStringArray(r.absent) &&
        (r.shards === undefined || isShardMap(r.shards))
        ? (r as unknown as AppliedRecord)
        : undefined;
    case "sending":
      return isStringArray(r.targets) ? (r as unknown as SendingRecord) : undefined;
    default:
      return undefined;
  }
}
