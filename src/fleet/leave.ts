/**
 * `fleet leave`: a member leaves the fleet and the union loses its holds (the pusher then unbans
 * the addresses no other member holds). Two cases:
 *   - this member (run on its host, its agent stopped: a running agent would forward again);
 *   - `--member NAME --yes`: another member, run from any member, for a host that is gone for
 *     good. Refused while that member still reports, and atomic against its coming back.
 */
import type { ActionOutcome } from "../action/outcome.ts";
import { done, failed } from "../action/outcome.ts";
import type { FleetConfig } from "../config/index.ts";
import { UsageError } from "../errors/base.ts";
import { runningAgentPid } from "../journal/index.ts";
import { type FleetKeys, fleetKeys } from "./keys.ts";
import type { FleetRedis } from "./redis.ts";
import { forgetMember, parseMembers } from "./union.ts";

export interface LeaveRequest {
  /** `--member NAME`: another member; this one when absent. */
  member?: string | undefined;
  /** `--yes`: needed to release another member's holds. */
  yes?: boolean;
}

/** A member that reported this recently is alive: its agent would forward its holds again. */
function aliveWindowMs(fleet: FleetConfig): number {
  return Math.max(10_000, 2 * fleet.leaseMs);
}

export async function leaveFleet(
  fleet: FleetConfig,
  redis: FleetRedis,
  stateDir: string,
  request: LeaveRequest,
): Promise<ActionOutcome> {
  const member = request.member ?? fleet.member;
  const keys = fleetKeys(fleet.name);
  if (member === fleet.member) {
    const agent = runningAgentPid(stateDir);
    if (agent !== undefined) {
      return failed(
        `fleet leave: the agent (pid ${agent}) still runs and would forward the holds again: stop it first`,
      );
    }
    return left(fleet, member, await release(redis, keys, member));
  }
  if (!request.yes) {
    throw new UsageError(`fleet leave --member ${member} releases another host's holds: nothing changed`, {
      hint: `add --yes to confirm that ${member} is gone for good (fleet status shows its last report)`,
    });
  }
  const [entry, count] = await Promise.all([
    redis.command(["HGET", keys.members, member]),
    redis.command(["HLEN", keys.holds(member)]),
  ]);
  const holds = Number(count);
  if (entry === null || entry === undefined) {
    if (holds === 0) {
      return failed(
        `fleet leave: fleet ${fleet.name} has no member ${member} (fleet status lists the members): nothing changed`,
      );
    }
    // Its entry is gone (a Redis that lost part of its data) but its holds are not: release them.
    await release(redis, keys, member);
  } else {
    const seen = String(entry);
    const info = parseMembers(new Map([[member, seen]]))[0];
    const silentMs = Date.now() - (info?.seenAt ?? 0);
    if (silentMs < aliveWindowMs(fleet)) {
      return failed(
        `fleet leave: member ${member} reported ${Math.max(0, Math.round(silentMs / 1000))} s ago: its agent runs and would forward its holds again; stop it on that host first (or run fleet leave there): nothing changed`,
      );
    }
    if (!(await forgetMember(redis, keys, member, seen, Date.now()))) {
      return failed(`fleet leave: member ${member} reported again just now: its agent runs; nothing changed`);
    }
  }
  return left(fleet, member, holds);
}

/** Drops a member's holds and entry and marks it as left, in one transaction; returns how many holds it had. */
async function release(redis: FleetRedis, keys: FleetKeys, member: string): Promise<number> {
  const replies = await redis.transaction([
    ["HLEN", keys.holds(member)],
    ["DEL", keys.holds(member)],
    ["HDEL", keys.members, member],
    ["HSET", keys.left, member, String(Date.now())],
    ["INCR", keys.version],
  ]);
  return Number(replies[0]);
}

function left(fleet: FleetConfig, member: string, holds: number): ActionOutcome {
  return done(
    `fleet leave: member ${member} left fleet ${fleet.name}; its ${holds} hold(s) are released (other members' holds stay)`,
  );
}
