/**
 * The fleet's commands, bundled apart (dist/fleet.mjs, with the Redis client) and loaded only
 * by the agent and `fleet …`: a hook never loads them.
 *   agent            the member agent (forward, lease, push)
 *   fleet status     Redis, persistence, pusher, members
 *   fleet leave      release this member's holds (its agent stopped), or a gone member's (leave.ts)
 */
import { join } from "node:path";
import type { ActionOutcome } from "../action/outcome.ts";
import { done, failed } from "../action/outcome.ts";
import type { Session } from "../action/session.ts";
import { untilStopSignal } from "../agent/stop-signal.ts";
import type { AgentTuning } from "../agent/tuning.ts";
import type { FleetConfig } from "../config/index.ts";
import { registerSecret, UsageError } from "../errors/base.ts";
import { type LeaveRequest, leaveFleet } from "./leave.ts";
import { MemberAgent, PUSHER_DIR } from "./member-agent.ts";
import { connectFleetRedis } from "./redis.ts";
import { fleetStatus } from "./status.ts";

/** This bundle has its own copy of the secret registry: register what the CLI's copy knows. */
function fleetOf(session: Session): FleetConfig {
  const fleet = session.config.fleet;
  if (!fleet)
    throw new UsageError("this host is not a fleet member", {
      hint: 'add a "fleet" section to the config (docs/fleet.md)',
    });
  registerSecret(session.config.password);
  if (fleet.redisPassword !== undefined) registerSecret(fleet.redisPassword);
  return fleet;
}

/** A source of holds run beside the member agent (the CrowdSec source), built by the CLI's bundle. */
export interface MemberSource {
  start(): void;
  stop(): Promise<void>;
}

export async function runFleetAgent(
  session: Session,
  log: (line: string) => void,
  tuning: AgentTuning,
  source?: MemberSource,
): Promise<number> {
  const fleet = fleetOf(session);
  const redis = await connectFleetRedis(fleet);
  const agent = new MemberAgent({
    fleet,
    redis,
    journal: session.journal,
    target: session.target,
    agent: { batchSize: session.config.maxEntitiesPerRequest, backoff: tuning.backoff, ...tuning.timing },
    log,
  });
  try {
    agent.start();
  } catch (error) {
    // Another agent runs here, or the state directory cannot be watched: nothing was started.
    await redis.close();
    throw error;
  }
  // After the member agent took agent.lock (a second agent on this state directory never
  // journals), into the member's own journal: the forwarder sends it with the hooks' holds.
  source?.start();
  await untilStopSignal(log, "fleet");
  // The source first: the member agent's last forward then carries everything it journaled.
  await source?.stop();
  await agent.stop();
  await redis.close();
  return 0;
}

/** For doctor: each fleet line with whether it is fine. */
export async function fleetDoctor(fleet: FleetConfig): Promise<{ lines: { ok: boolean; text: string }[] }> {
  if (fleet.redisPassword !== undefined) registerSecret(fleet.redisPassword);
  const redis = await connectFleetRedis(fleet);
  try {
    const status = await fleetStatus(fleet, redis);
    return {
      lines: status.lines.map((text) => ({
        ok: !/FAILED|appendonly no|pusher: none/.test(text),
        text: text.trim(),
      })),
    };
  } finally {
    await redis.close();
  }
}

/** `status` and `list` of a fleet member look at the pusher's journal (the fleet's union as last mirrored here). */
export function pusherStateDir(stateDir: string): string {
  return join(stateDir, PUSHER_DIR);
}

/**
 * `status` and `list` on a fleet member: the member's own journal never records what is on the
 * firewall (only the pusher's does), so they read the pusher's journal on this host, and status
 * adds the fleet's lines. On a member that has never been the pusher that journal is empty.
 */
export async function fleetView(
  session: Session,
  what: "status" | "list",
  json: boolean,
): Promise<ActionOutcome> {
  const fleet = fleetOf(session);
  const { Session: SessionClass } = await import("../action/session.ts");
  const pusher = new SessionClass({
    config: { ...session.config, stateDir: pusherStateDir(session.config.stateDir) },
    budgetMs: session.deadline - Date.now(),
  });
  try {
    // A member that has never been the pusher has no pusher journal yet: an empty view, not an error.
    pusher.journal.ensureDirectory();
    if (what === "list") return await (await import("../ops/list.ts")).list(pusher, { json });
    // The CrowdSec source journals into the member's own journal: its line comes from there.
    const local = await (await import("../action/status.ts")).status(pusher, { json, crowdsecFrom: session });
    if (json) return local;
    const redis = await connectFleetRedis(fleet);
    try {
      const status = await fleetStatus(fleet, redis);
      // The pusher journal's own agent line says nothing here: a member's hooks never deliver.
      const mode = `mode: fleet member ${fleet.member}: hooks only journal; the fleet's pusher writes`;
      const lines = [
        ...local.lines.map((line) => (line.startsWith("mode: ") ? mode : line)),
        ...status.lines,
      ];
      return status.ok ? done(...lines) : failed(...lines);
    } finally {
      await redis.close();
    }
  } finally {
    pusher.close();
  }
}

export async function fleetCommand(
  session: Session,
  subcommand: string | undefined,
  leave: LeaveRequest = {},
): Promise<ActionOutcome> {
  const fleet = fleetOf(session);
  if (subcommand !== "status" && subcommand !== "leave") {
    throw new UsageError(`fleet needs "status" or "leave", not ${JSON.stringify(subcommand ?? "")}`, {
      hint: "f2b-sophosxg fleet status | f2b-sophosxg fleet leave",
    });
  }
  const redis = await connectFleetRedis(fleet);
  try {
    if (subcommand === "status") {
      const status = await fleetStatus(fleet, redis);
      return status.ok ? done(...status.lines) : failed(...status.lines);
    }
    return await leaveFleet(fleet, redis, session.journal.dir, leave);
  } finally {
    await redis.close();
  }
}
