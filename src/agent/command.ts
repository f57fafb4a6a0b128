/**
 * `f2b-sophosxg agent`: runs the agent in the foreground until SIGTERM or SIGINT (systemd's
 * stop), one short log line per push on standard error.
 *
 * Tuning comes from the environment (the config file's schema belongs to the whole tool; these
 * are knobs for the agent alone, documented in docs/agent.md):
 *   F2B_SOPHOSXG_AGENT_QUIET_MS, F2B_SOPHOSXG_AGENT_MAX_DELAY_MS, F2B_SOPHOSXG_AGENT_RECONCILE_MS,
 *   F2B_SOPHOSXG_AGENT_BACKOFF_BASE_MS, F2B_SOPHOSXG_AGENT_BACKOFF_MAX_MS,
 *   F2B_SOPHOSXG_AGENT_BREAKER_THRESHOLD, F2B_SOPHOSXG_AGENT_BREAKER_COOLDOWN_MS
 */
import type { Session } from "../action/session.ts";
import { UsageError } from "../errors/base.ts";
import { Agent, type AgentTiming } from "./agent.ts";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";

type Env = Record<string, string | undefined>;

function envNumber(env: Env, name: string, min: number, max: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name}=${JSON.stringify(text)} is not a whole number from ${min} to ${max}`, {
      hint: `unset ${name} to use the default`,
    });
  }
  return value;
}

export interface AgentTuning {
  timing: Partial<AgentTiming>;
  backoff: BackoffOptions;
}

const DAY_MS = 86_400_000;

/** Reads the agent's tuning from the environment; throws UsageError on a bad value. */
export function agentTuningFromEnv(env: Env = process.env): AgentTuning {
  const timing: Partial<AgentTiming> = {};
  const quiet = envNumber(env, "F2B_SOPHOSXG_AGENT_QUIET_MS", 0, 60_000);
  const maxDelay = envNumber(env, "F2B_SOPHOSXG_AGENT_MAX_DELAY_MS", 0, 600_000);
  const reconcile = envNumber(env, "F2B_SOPHOSXG_AGENT_RECONCILE_MS", 1000, 7 * DAY_MS);
  if (quiet !== undefined) timing.quietMs = quiet;
  if (maxDelay !== undefined) timing.maxDelayMs = maxDelay;
  if (reconcile !== undefined) timing.reconcileEveryMs = reconcile;
  const backoff: BackoffOptions = {
    baseMs: envNumber(env, "F2B_SOPHOSXG_AGENT_BACKOFF_BASE_MS", 1, 600_000) ?? DEFAULT_BACKOFF.baseMs,
    maxMs: envNumber(env, "F2B_SOPHOSXG_AGENT_BACKOFF_MAX_MS", 1, DAY_MS) ?? DEFAULT_BACKOFF.maxMs,
    breakerThreshold:
      envNumber(env, "F2B_SOPHOSXG_AGENT_BREAKER_THRESHOLD", 1, 1000) ?? DEFAULT_BACKOFF.breakerThreshold,
    breakerCooldownMs:
      envNumber(env, "F2B_SOPHOSXG_AGENT_BREAKER_COOLDOWN_MS", 1, DAY_MS) ??
      DEFAULT_BACKOFF.breakerCooldownMs,
  };
  return { timing, backoff };
}

export async function runAgent(session: Session, log: (line: string) => void): Promise<number> {
  const tuning = agentTuningFromEnv();
  // Fleet hook point: a fleet member runs the member agent (src/fleet/), bundled apart with its Redis client.
  if (session.config.fleet) return (await import("../fleet/command.ts")).runFleetAgent(session, log, tuning);
  const agent = new Agent({
    target: session.target,
    journal: session.journal,
    batchSize: session.config.maxEntitiesPerRequest,
    log,
    backoff: tuning.backoff,
    ...tuning.timing,
  });
  agent.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`agent: ${signal} received, finishing the current round`);
      // A second signal takes the default action (exit at once): nothing is lost either way.
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve();
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  await agent.stop();
  return 0;
}
