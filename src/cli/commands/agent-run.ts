/**
 * `f2b-sophosxg agent` (and `bouncer`, the same with a CrowdSec source required): runs the agent in the foreground until SIGTERM or SIGINT (systemd's
 * stop), one short log line per push on standard error. Tuning: src/agent/tuning.ts.
 */
import type { Session } from "../../action/session.ts";
import { Agent } from "../../agent/agent.ts";
import { agentTuningFromEnv } from "../../agent/tuning.ts";
import { UsageError } from "../../errors/base.ts";

export interface RunAgentOptions {
  /** `f2b-sophosxg bouncer`: the agent for CrowdSec alone; refuses a config without a `crowdsec` section. */
  bouncer?: boolean;
}

export async function runAgent(
  session: Session,
  log: (line: string) => void,
  options: RunAgentOptions = {},
): Promise<number> {
  const crowdsec = session.config.crowdsec;
  if (options.bouncer && crowdsec === undefined) {
    throw new UsageError('bouncer needs a "crowdsec" section in the configuration', {
      hint: 'add "crowdsec": {"lapi_url": …, "api_key_file": …}; see docs/crowdsec.md',
    });
  }
  const tuning = agentTuningFromEnv();
  const agent = new Agent({
    target: session.target,
    journal: session.journal,
    batchSize: session.config.maxEntitiesPerRequest,
    log,
    backoff: tuning.backoff,
    ...tuning.timing,
  });
  agent.start();
  // Loaded only when configured: an agent for Fail2ban alone never reads the CrowdSec code.
  const source = crowdsec
    ? new (await import("../../sources/crowdsec/source.ts")).CrowdsecSource({
        config: crowdsec,
        journal: session.journal,
        log,
      })
    : undefined;
  source?.start();
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
  // The source first: nothing is journaled after the agent's last round.
  await source?.stop();
  await agent.stop();
  return 0;
}
