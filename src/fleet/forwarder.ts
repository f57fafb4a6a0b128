/**
 * Forwards this member's holds to its hash in Redis. Idempotent: it writes the difference
 * between the journal and what it last knew to be in Redis, and after any failure (or at start)
 * it reads the hash back first, so a Redis that was away, restarted or lost a write is repaired
 * by the next forward. The local journal stays the truth for the member's own holds.
 *
 * A heartbeat with nothing changed costs Redis two small round trips and this process almost
 * nothing: the holds are rebuilt only when the journal moved or one of them expired (a member
 * with CrowdSec's 50,000 decisions would otherwise rebuild and compare them every second;
 * figures in docs/fleet.md).
 */
import type { Journal } from "../journal/index.ts";
import type { FleetKeys } from "./keys.ts";
import { type MemberHolds, type MemberHoldsView, memberHoldsOf } from "./member-holds.ts";
import type { FleetRedis, Reply } from "./redis.ts";

export interface ForwardReport {
  set: number;
  deleted: number;
  holds: number;
}

/** HGETALL's flat [field, value, …] answer as a map. */
export function hashOf(reply: Reply): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]));
  return map;
}

export class Forwarder {
  /** What Redis holds for us, as far as we know; undefined = read it back before the next diff. */
  private remote: MemberHolds | undefined;
  /** The holds last built, and the journal revision they were built from. */
  private built: { revision: number; view: MemberHoldsView } | undefined;

  constructor(
    private readonly redis: FleetRedis,
    private readonly keys: FleetKeys,
    private readonly member: string,
    private readonly journal: Journal,
  ) {}

  async forward(now = Date.now()): Promise<ForwardReport> {
    const { holds, until } = this.holdsAt(now / 1000);
    const key = this.keys.holds(this.member);
    try {
      // A Redis that restarted without its data (or was flushed) has another count: read the
      // hash back, so this forward writes it whole, in the same transaction as the heartbeat.
      if (this.remote && Number(await this.redis.command(["HLEN", key])) !== this.remote.size) {
        this.remote = undefined;
      }
      this.remote ??= hashOf(await this.redis.command(["HGETALL", key]));
      const set: string[] = [];
      const deleted: string[] = [];
      // The very map confirmed by the last forward: nothing to compare.
      if (this.remote !== holds) {
        for (const [field, value] of holds) if (this.remote.get(field) !== value) set.push(field, value);
        for (const field of this.remote.keys()) if (!holds.has(field)) deleted.push(field);
      }
      const commands: string[][] = [];
      if (set.length > 0) commands.push(["HSET", key, ...set]);
      if (deleted.length > 0) commands.push(["HDEL", key, ...deleted]);
      const seen = JSON.stringify({ seenAt: now, until });
      commands.push(["HSET", this.keys.members, this.member, seen], ["HDEL", this.keys.left, this.member]);
      if (set.length + deleted.length > 0) commands.push(["INCR", this.keys.version]);
      commands.push(["HLEN", key]);
      const replies = await this.redis.transaction(commands);
      this.remote = Number(replies.at(-1)) === holds.size ? holds : undefined;
      return { set: set.length / 2, deleted: deleted.length, holds: holds.size };
    } catch (error) {
      this.remote = undefined;
      throw error;
    }
  }

  /** The journal's live holds: those last built while the journal has not moved and none has expired. */
  private holdsAt(nowSeconds: number): MemberHoldsView {
    const state = this.journal.load().state;
    const revision = this.journal.revision;
    const built = this.built;
    if (built && built.revision === revision && nowSeconds < built.view.nextExpiry) return built.view;
    const view = memberHoldsOf(state, nowSeconds);
    this.built = { revision, view };
    return view;
  }

  /** Forget what Redis is believed to hold (after a reconnect, a Redis restart). */
  resync(): void {
    this.remote = undefined;
  }
}
