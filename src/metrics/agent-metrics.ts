/**
 * Metrics for the agent, when `metrics_listen` is set: a target whose client reports every API
 * request and which reports every confirmed change, a journal tail, and the endpoint itself
 * (loaded from its own bundle). Nothing here runs in a hook.
 */
import packageJson from "../../package.json" with { type: "json" };
import type { AgentHealth } from "../agent/agent.ts";
import type { Config } from "../config/index.ts";
import { F2bError } from "../errors/base.ts";
import type { Journal } from "../journal/index.ts";
import type { RequestEvent } from "../sophos/index.ts";
import { createTarget } from "../targets/registry.ts";
import type { Target } from "../targets/target.ts";
import { JournalTail } from "./journal-tail.ts";
import { MeteredTarget } from "./metered-target.ts";
import { agentSnapshot } from "./snapshot.ts";
import type { RunningExporter } from "./types.ts";

/** Today's only firewall; several firewalls give each its name (docs/firewalls.md). */
export const DEFAULT_FIREWALL = "default";

export interface AgentMetricsSetup {
  target: Target;
  /** Where the endpoint listens, for the agent's log. */
  url: string;
  /** The agent whose loop the snapshot reads; before this, the loop counts as not running. */
  attach(health: () => AgentHealth): void;
  close(): Promise<void>;
}

/** `TransportError` → `transport`, `AuthenticationError` → `authentication`: a short, bounded label. */
export function outcomeOf(error: { name: string } | undefined): string {
  if (error === undefined) return "ok";
  const base = error.name.replace(/Error$/, "") || "error";
  return base.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

export async function startAgentMetrics(options: {
  config: Config & { metrics: NonNullable<Config["metrics"]> };
  journal: Journal;
  deadline: number;
}): Promise<AgentMetricsSetup> {
  const { config, journal } = options;
  const firewall = DEFAULT_FIREWALL;
  let exporter: RunningExporter | undefined;
  let health: () => AgentHealth = () => ({
    loopRunning: false,
    consecutiveFailures: 0,
    circuitOpen: false,
    lastDeliveryAt: undefined,
    lastReconcileAt: undefined,
  });
  const onRequest = (event: RequestEvent) =>
    exporter?.sink.apiRequest({
      firewall,
      operation: event.kind,
      entity: event.entityType ?? "none",
      outcome: outcomeOf(event.error),
      entityWrites: event.kind === "set" || event.kind === "remove" ? event.entityCount : 0,
      durationSeconds: event.durationMs / 1000,
    });
  const tail = new JournalTail(journal.journalPath, (event) => exporter?.sink.journaled(event));
  const inner = createTarget("sophos", { config, deadline: options.deadline, onRequest });
  const target = new MeteredTarget(inner, firewall, tail, () => exporter?.sink);
  const startedAt = Date.now();
  const { startExporter } = await import("./exporter/index.ts");
  try {
    exporter = await startExporter({
      host: config.metrics.host,
      port: config.metrics.port,
      version: packageJson.version,
      snapshot: () =>
        agentSnapshot({
          firewall,
          journal,
          tail,
          target,
          prefix: config.prefix,
          health: () => health(),
          staleAfterMs: config.metrics.staleAfterMs,
          startedAt,
        }),
    });
  } catch (error) {
    target.close();
    throw new F2bError(
      `cannot serve metrics on ${config.metrics.host}:${config.metrics.port}: ${(error as Error).message}`,
      {
        hint: 'another process uses that port, or the address is not this machine\'s: change "metrics_listen"',
      },
    );
  }
  const running = exporter;
  return {
    target,
    url: running.url,
    attach: (read) => {
      health = read;
    },
    close: () => running.close(),
  };
}
