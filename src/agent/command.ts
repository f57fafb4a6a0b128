/**
 * `f2b-sophosxg agent`: runs the agent in the foreground until SIGTERM or SIGINT (systemd's
 * stop), one short log line per push on standard error.
 */
import type { Session } from "../action/session.ts";
import { Agent } from "./agent.ts";

export async function runAgent(session: Session, log: (line: string) => void): Promise<number> {
  const agent = new Agent({
    client: session.firewall(),
    journal: session.journal,
    naming: session.naming,
    batchSize: session.config.maxEntitiesPerRequest,
    log,
  });
  agent.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`agent: ${signal} received, finishing the current round`);
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
