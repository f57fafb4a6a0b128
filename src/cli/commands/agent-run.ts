/**
 * `f2b-sophosxg agent` (and `bouncer`, the same with a CrowdSec source required): runs the agent
 * in the foreground until SIGTERM or SIGINT (systemd's stop), one short log line per push on
 * standard error; with several firewalls, one loop each under one agent lock; metrics when
 * configured. Tuning: src/agent/tuning.ts.
 */
import type { Session } from "../../action/session.ts";
import { Agent, AgentAlreadyRunningError } from "../../agent/agent.ts";
import { untilStopSignal } from "../../agent/stop-signal.ts";
import { agentTuningFromEnv } from "../../agent/tuning.ts";
import { UsageError } from "../../errors/base.ts";
import { agentLockPath, type HeldLock, runningAgentPid, tryLock } from "../../journal/index.ts";

export interface RunAgentOptions {
  /** `f2b-sophosxg bouncer`: the agent for CrowdSec alone; refuses a config without a `crowdsec` section. */
  bouncer?: boolean;
}

export async function runAgent(
  session: Session,
  log: (line: string) => void,
  options: RunAgentOptions = {},
): Promise<number> {
  const config = session.config;
  const crowdsec = config.crowdsec;
  if (options.bouncer && crowdsec === undefined) {
    throw new UsageError('bouncer needs a "crowdsec" section in the configuration', {
      hint: 'add "crowdsec": {"lapi_url": …, "api_key_file": …}; see docs/crowdsec.md',
    });
  }
  const tuning = agentTuningFromEnv();
  // A fleet member runs the member agent (src/fleet/), bundled apart with its Redis client. Its
  // CrowdSec source writes into the member's journal, as on one host; the forwarder sends those
  // holds to Redis with the hooks' ones.
  if (config.fleet) {
    const source = await crowdsecSource(session, log);
    return (await import("../../fleet/command.ts")).runFleetAgent(session, log, tuning, source);
  }
  const firewalls = [session, ...session.siblings()];
  const several = session.severalFirewalls;
  if (several && firewalls.length !== (config.firewalls?.length ?? 1)) {
    throw new UsageError("the agent delivers to every configured firewall: leave out --firewall", {
      hint: "hooks leave delivery to a running agent, so it must serve every firewall",
    });
  }
  const metrics = config.metrics
    ? await (await import("../../metrics/agent-metrics.ts")).startAgentMetrics({
        listen: config.metrics,
        firewalls: firewalls.map((s) => ({
          name: s.firewallName,
          config: s.config,
          journal: s.journal,
          memory: s.target.memory,
        })),
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
  // It writes holds into the shared journal, which every firewall's loop delivers at once: a
  // pull is journaled in one append, so no quiet window is waited for.
  const source = await crowdsecSource(session, log, () => {
    for (const agent of agents) agent.pushSoon();
  });
  source?.start();
  await untilStopSignal(log, "agent");
  // The source first: nothing is journaled after the agents' last rounds.
  await source?.stop();
  // As a single agent does: let hooks deliver themselves at once while the rounds finish.
  lock?.release();
  await Promise.all(agents.map((a) => a.stop()));
  await metrics?.close();
  for (const target of metrics?.targets.values() ?? []) target.close();
  return 0;
}

/** The CrowdSec source when configured (not started). Loaded only then: an agent for Fail2ban alone never reads its code. */
async function crowdsecSource(session: Session, log: (line: string) => void, onJournaled?: () => void) {
  const config = session.config.crowdsec;
  if (config === undefined) return undefined;
  const { CrowdsecSource } = await import("../../sources/crowdsec/source.ts");
  return new CrowdsecSource({
    config,
    journal: session.journal,
    log,
    ...(onJournaled ? { onJournaled } : {}),
  });
}
