/**
 * `f2b-sophosxg agent`: runs the agent in the foreground until SIGTERM or SIGINT (systemd's
 * stop), one short log line per push on standard error. Tuning: src/agent/tuning.ts.
 */
import type { Session } from "../../action/session.ts";
import { Agent } from "../../agent/agent.ts";
import { agentTuningFromEnv } from "../../agent/tuning.ts";

export async function runAgent(session: Session, log: (line: string) => void): Promise<number> {
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
