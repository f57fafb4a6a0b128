/**
 * Metrics for the agent, when `metrics_listen` is set: per firewall, a target whose client
 * reports every API request and which reports every confirmed change; a journal tail; and the
 * endpoint itself (loaded from its own bundle). Nothing here runs in a hook.
 */
import packageJson from "../../package.json" with { type: "json" };
import type { AgentHealth } from "../agent/agent.ts";
import type { Config } from "../config/types.ts";
import { F2bError } from "../errors/base.ts";
import type { Journal } from "../journal/index.ts";
import type { RequestEvent } from "../sophos/index.ts";
import { createTarget } from "../targets/registry.ts";
import type { FirewallMemory } from "../targets/sophos/firewall-memory.ts";
import type { Target } from "../targets/target.ts";
import { JournalTail } from "./journal-tail.ts";
import { MeteredTarget } from "./metered-target.ts";
import { agentSnapshot, type SnapshotSource } from "./snapshot.ts";
import type { RunningExporter } from "./types.ts";

export interface MeteredFirewall {
  name: string;
  config: Config;
  journal: Journal;
  /** What the agent's own target learned of this firewall (shared, so that both see one memory). */
  memory?: FirewallMemory;
}

export interface AgentMetricsSetup {
  /** Each firewall's target, by name. */
  targets: Map<string, Target>;
  /** Where the endpoint listens, for the agent's log. */
  url: string;
  /** The agent loop whose health a firewall's snapshot reads; before this, it counts as not running. */
  attach(firewall: string, health: () => AgentHealth): void;
  close(): Promise<void>;
}

/** `TransportError` → `transport`, `AuthenticationError` → `authentication`: a short, bounded label. */
export function outcomeOf(error: { name: string } | undefined): string {
  if (error === undefined) return "ok";
  const base = error.name.replace(/Error$/, "") || "error";
  return base.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

const NOT_STARTED: AgentHealth = {
  loopRunning: false,
  consecutiveFailures: 0,
  circuitOpen: false,
  lastDeliveryAt: undefined,
  lastReconcileAt: undefined,
};

export async function startAgentMetrics(options: {
  listen: NonNullable<Config["metrics"]>;
  firewalls: readonly MeteredFirewall[];
  deadline: number;
}): Promise<AgentMetricsSetup> {
  let exporter: RunningExporter | undefined;
  const healths = new Map<string, () => AgentHealth>();
  const targets = new Map<string, Target>();
  const sources: SnapshotSource[] = [];
  const startedAt = Date.now();
  // One tail counts what the hooks journal (the holds are shared); each firewall's own tail
  // only times its pending changes.
  for (const [index, fw] of options.firewalls.entries()) {
    const firewall = fw.name;
    const onRequest = (event: RequestEvent) =>
      exporter?.sink.apiRequest({
        firewall,
        operation: event.kind,
        entity: event.entityType ?? "none",
        outcome: outcomeOf(event.error),
        entityWrites: event.kind === "set" || event.kind === "remove" ? event.entityCount : 0,
        durationSeconds: event.durationMs / 1000,
      });
    const tail = new JournalTail(fw.journal.journalPath, (event) => {
      if (index === 0) exporter?.sink.journaled(event);
    });
    const inner = createTarget("sophos", {
      config: fw.config,
      deadline: options.deadline,
      onRequest,
      ...(fw.memory ? { memory: fw.memory } : {}),
    });
    const target = new MeteredTarget(inner, firewall, tail, () => exporter?.sink);
    targets.set(firewall, target);
    sources.push({
      firewall,
      journal: fw.journal,
      tail,
      target,
      prefix: fw.config.prefix,
      health: () => (healths.get(firewall) ?? (() => NOT_STARTED))(),
      staleAfterMs: fw.config.metrics?.staleAfterMs ?? options.listen.staleAfterMs,
      startedAt,
    });
  }
  const { startExporter } = await import("./exporter/index.ts");
  try {
    exporter = await startExporter({
      host: options.listen.host,
      port: options.listen.port,
      version: packageJson.version,
      snapshot: () => agentSnapshot(sources),
    });
  } catch (error) {
    for (const target of targets.values()) target.close();
    throw new F2bError(
      `cannot serve metrics on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}`,
      {
        hint: 'another process uses that port, or the address is not this machine\'s: change "metrics_listen"',
      },
    );
  }
  const running = exporter;
  return {
    targets,
    url: running.url,
    attach: (firewall, read) => {
      healths.set(firewall, read);
    },
    close: () => running.close(),
  };
}
