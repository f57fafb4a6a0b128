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
import { agentLockPath, type HeldLock, runningAgentPid, tryLock } from "../journal/index.ts";
import { Agent, AgentAlreadyRunningError, type AgentTiming } from "./agent.ts";
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
  const config = session.config;
  const firewalls = [session, ...session.siblings()];
  const several = session.severalFirewalls;
  if (several && firewalls.length !== (config.firewalls?.length ?? 1)) {
    throw new UsageError("the agent delivers to every configured firewall: leave out --firewall", {
      hint: "hooks leave delivery to a running agent, so it must serve every firewall",
    });
  }
  const metrics = config.metrics
    ? await (await import("../metrics/agent-metrics.ts")).startAgentMetrics({
        listen: config.metrics,
        firewalls: firewalls.map((s) => ({ name: s.firewallName, config: s.config, journal: s.journal })),
        deadline: session.deadline,
      })
    : undefined;
  if (metrics) log(`metrics: serving ${metrics.url}/metrics and ${metrics.url}/healthz`);
  // With several firewalls, one loop each (one down never waits for another) under one
  // agent.lock: hooks see one agent and leave delivery to it.
  let lock: HeldLock | undefined;
  if (several) {
    lock = tryLock(agentLockPath(session.journal.dir));
    if (!lock) {
      await metrics?.close();
      throw new AgentAlreadyRunningError(
        `another agent (pid ${runningAgentPid(session.journal.dir)}) runs for ${session.journal.dir}`,
        { hint: "stop it first, or run only one agent per state directory" },
      );
    }
  }
  const agents = firewalls.map(
    (s) =>
      new Agent({
        target: metrics?.targets.get(s.firewallName) ?? s.target,
        journal: s.journal,
        batchSize: s.config.maxEntitiesPerRequest,
        log: several ? (line) => log(`firewall ${s.firewallName}: ${line}`) : log,
        backoff: tuning.backoff,
        agentLockHeld: several,
        ...tuning.timing,
      }),
  );
  try {
    for (const agent of agents) agent.start();
  } catch (error) {
    lock?.release();
    await Promise.all(agents.map((a) => a.stop()));
    await metrics?.close();
    throw error;
  }
  for (const [i, agent] of agents.entries())
    metrics?.attach(firewalls[i]!.firewallName, () => agent.health());
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
  // As a single agent does: let hooks deliver themselves at once while the rounds finish.
  lock?.release();
  await Promise.all(agents.map((a) => a.stop()));
  await metrics?.close();
  for (const target of metrics?.targets.values() ?? []) target.close();
  return 0;
}
