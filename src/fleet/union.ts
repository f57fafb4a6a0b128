/**
 * The fleet's desired state: the union of every member's holds in Redis, mirrored into the
 * pusher's own journal (`<state_dir>/fleet-pusher/`) as holds of source `fleet:<member>` with
 * reason `<source>:<reason>` (e.g. `fleet:web1` / `fail2ban:sshd`). The pusher's journal then
 * feeds the ordinary delivery core: batching, expiry, reconcile, the applied state, all as for
 * one host. Members whose every hold has expired and who stopped reporting are dropped here.
 */
import type { IpFamily } from "../address/index.ts";
import type { Journal, JournalRecord } from "../journal/index.ts";
import { hashOf } from "./forwarder.ts";
import type { FleetKeys } from "./keys.ts";
import { parseHoldField, parseHoldValue } from "./member-holds.ts";
import type { FleetRedis } from "./redis.ts";

export const FLEET_SOURCE_PREFIX = "fleet:";

interface UnionHold {
  target: string;
  family: IpFamily;
  source: string;
  reason: string;
  expiresAt: number | null;
}

export interface MemberInfo {
  member: string;
  seenAt: number;
  /** Latest expiry of its holds (s); null = a permanent hold; 0 = none. */
  until: number | null;
}

export function parseMembers(reply: Map<string, string>): MemberInfo[] {
  const members: MemberInfo[] = [];
  for (const [member, text] of reply) {
    try {
      const value = JSON.parse(text) as { seenAt?: unknown; until?: unknown };
      members.push({
        member,
        seenAt: typeof value.seenAt === "number" ? value.seenAt : 0,
        until: value.until === null ? null : typeof value.until === "number" ? value.until : 0,
      });
    } catch {
      members.push({ member, seenAt: 0, until: 0 });
    }
  }
  return members;
}

/** Deletes a member's hash and entry unless it reported again since `seen` (a compare in one script). */
const FORGET = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
redis.call('HDEL', KEYS[1], ARGV[1]); redis.call('DEL', KEYS[2]); redis.call('INCR', KEYS[3]);
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3]); return 1 end
return 0`;

/**
 * Releases a member's holds and marks it as left, unless it reported again since its entry read
 * `seen` (one atomic script: a member whose agent came back keeps everything).
 */
export async function forgetMember(
  redis: FleetRedis,
  keys: FleetKeys,
  member: string,
  seen: string,
  nowMs: number,
): Promise<boolean> {
  const forgot = await redis.command([
    "EVAL",
    FORGET,
    "4",
    keys.members,
    keys.holds(member),
    keys.version,
    keys.left,
    member,
    seen,
    String(nowMs),
  ]);
  return Number(forgot) === 1;
}

/** Tombstones older than this are dropped (a pusher journal older than that is not trusted anyway). */
const TOMBSTONE_MS = 30 * 86_400_000;

export interface Union {
  holds: Map<string, UnionHold>;
  /** Members with an entry in `members`: their missing holds are released. */
  present: Set<string>;
  /** Members that left or expired: their holds are released too. */
  left: Set<string>;
}

export async function readUnion(
  redis: FleetRedis,
  keys: FleetKeys,
  nowMs: number,
  log: (line: string) => void,
): Promise<Union> {
  const rawMembers = hashOf(await redis.command(["HGETALL", keys.members]));
  const union = new Map<string, UnionHold>();
  const present = new Set<string>();
  const left = new Set<string>();
  for (const [member, at] of hashOf(await redis.command(["HGETALL", keys.left]))) {
    if (Number(at) + TOMBSTONE_MS < nowMs) await redis.command(["HDEL", keys.left, member]);
    else left.add(member);
  }
  for (const info of parseMembers(rawMembers)) {
    // Silent past its last hold's expiry: nothing of it can matter any more.
    if (info.until !== null && info.until * 1000 < nowMs && info.seenAt + 60_000 < nowMs) {
      const forgot = await forgetMember(redis, keys, info.member, rawMembers.get(info.member) ?? "", nowMs);
      if (forgot) log(`fleet: member ${info.member} expired (silent, every hold over)`);
      left.add(info.member);
      continue;
    }
    present.add(info.member);
    const holds = hashOf(await redis.command(["HGETALL", keys.holds(info.member)]));
    for (const [field, text] of holds) {
      const parsed = parseHoldField(field);
      const value = parseHoldValue(text);
      if (!parsed || !value) continue;
      if (value.e !== null && value.e * 1000 <= nowMs) continue;
      const source = `${FLEET_SOURCE_PREFIX}${info.member}`;
      const reason = `${parsed.source}:${parsed.reason}`;
      union.set(`${parsed.target} ${source} ${reason}`, {
        target: parsed.target,
        family: value.f,
        source,
        reason,
        expiresAt: value.e,
      });
    }
  }
  return { holds: union, present, left };
}

/** Appends what makes the pusher's journal hold exactly the union; returns the number of records. */
export function mirrorUnion(journal: Journal, fleet: Union, nowMs: number): number {
  const { state } = journal.load();
  const union = fleet.holds;
  const released = (source: string) => {
    const member = source.slice(FLEET_SOURCE_PREFIX.length);
    return fleet.present.has(member) || fleet.left.has(member);
  };
  const records: JournalRecord[] = [];
  for (const [target, entry] of state.holds) {
    for (const [source, reasons] of entry.bySource) {
      for (const [reason, hold] of reasons) {
        const key = `${target} ${source} ${reason}`;
        const wanted = union.get(key);
        if (!wanted) {
          // A member that is neither reporting nor gone (Redis came back empty) keeps its holds.
          if (released(source)) records.push({ t: "unban", at: nowMs, source, jail: reason, target });
        }
        // Same expiry: nothing to write; another expiry is written again below.
        else if (wanted.expiresAt === hold.expiresAt) union.delete(key);
      }
    }
  }
  for (const hold of union.values()) {
    records.push({
      t: "ban",
      at: nowMs,
      source: hold.source,
      jail: hold.reason,
      target: hold.target,
      family: hold.family,
      expiresAt: hold.expiresAt,
    });
  }
  journal.append(records);
  return records.length;
}
