/**
 * What `fleet status` (and `doctor` for a fleet member) says about the fleet: whether Redis
 * answers and accepts our credentials, whether it persists what it acknowledged, who holds the
 * pusher's lease, and every member with its holds and when it last reported.
 */
import type { FleetConfig } from "../config/index.ts";
import { hashOf } from "./forwarder.ts";
import { fleetKeys } from "./keys.ts";
import { leaseHolder } from "./lease.ts";
import type { FleetRedis, Reply } from "./redis.ts";
import { parseMembers } from "./union.ts";

export interface FleetStatus {
  ok: boolean;
  lines: string[];
}

function field(info: string, name: string): string | undefined {
  return info.match(new RegExp(`^${name}:(.*)$`, "m"))?.[1]?.trim();
}

function configValue(reply: Reply): string | undefined {
  return Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : undefined;
}

export async function fleetStatus(
  fleet: FleetConfig,
  redis: FleetRedis,
  now = Date.now(),
): Promise<FleetStatus> {
  const keys = fleetKeys(fleet.name);
  const lines: string[] = [];
  try {
    await redis.command(["PING"]);
  } catch (error) {
    return {
      ok: false,
      lines: [`fleet ${fleet.name}: Redis at ${fleet.redisUrl} FAILED: ${(error as Error).message}`],
    };
  }
  lines.push(
    `fleet ${fleet.name}: Redis at ${fleet.redisUrl} answers${fleet.redisUser ? ` (ACL user ${fleet.redisUser})` : ""}; this host is member ${fleet.member}`,
  );
  let ok = true;
  const info = String(await redis.command(["INFO", "persistence"]));
  let aof = field(info, "aof_enabled") === "1";
  try {
    aof = configValue(await redis.command(["CONFIG", "GET", "appendonly"])) === "yes" || aof;
  } catch {
    // CONFIG may be forbidden to our ACL user; INFO persistence said enough.
  }
  if (aof) lines.push("  persistence: appendonly yes (an acknowledged write survives a restart)");
  else {
    ok = false;
    lines.push(
      "  persistence: appendonly no: a Redis restart loses what it held since its last snapshot; members re-forward their own holds, but set appendonly yes",
    );
  }
  const lease = leaseHolder(await redis.command(["GET", keys.lease]));
  const ttl = Number(await redis.command(["PTTL", keys.lease]));
  lines.push(
    lease
      ? `  pusher: ${lease.member} (fencing token ${lease.token}, lease ${ttl} ms left)`
      : "  pusher: none (no member holds the lease: is any member's agent running?)",
  );
  const members = parseMembers(hashOf(await redis.command(["HGETALL", keys.members])));
  for (const m of members.sort((a, b) => a.member.localeCompare(b.member))) {
    const count = Number(await redis.command(["HLEN", keys.holds(m.member)]));
    const ago = Math.max(0, Math.round((now - m.seenAt) / 1000));
    lines.push(
      `  member ${m.member}: ${count} hold(s), last report ${ago} s ago${m.member === fleet.member ? " (this host)" : ""}`,
    );
  }
  if (members.length === 0) lines.push("  no member has reported yet");
  return { ok, lines };
}
