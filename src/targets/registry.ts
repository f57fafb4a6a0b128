/**
 * Every kind of target, by name: the one place a new target is registered. A session asks for
 * `sophos` (or `dry-run` under --dry-run); tests run the delivery core against each.
 */
import type { Config } from "../config/types.ts";
import type { RequestEvent, Transport } from "../sophos/index.ts";
import { FileTarget } from "./file-target.ts";
import { clientFor, namingFor } from "./sophos/connect.ts";
import { DryRunTransport } from "./sophos/dry-run.ts";
import type { FirewallMemory } from "./sophos/firewall-memory.ts";
import { SophosTarget } from "./sophos/target.ts";
import type { Target } from "./target.ts";

export interface TargetContext {
  config: Config;
  /** Epoch ms by which the command must be done (client timeouts are cut to fit). */
  deadline: number;
  /** Replaces the HTTPS transport (tests, other runtimes). */
  transport?: Transport;
  /** Where a dry run prints what it would send. */
  print?: (text: string) => void;
  /** Told about every API request (the agent's metrics). */
  onRequest?: (event: RequestEvent) => void;
  /**
   * What is known of this firewall's answers, remembered in its delivery directory (a Session
   * makes it; firewall-memory.ts). Absent: learned for this process only.
   */
  memory?: FirewallMemory;
}

export const TARGETS = {
  sophos: (c: TargetContext): SophosTarget =>
    new SophosTarget({
      naming: namingFor(c.config),
      ...(c.memory ? { memory: c.memory } : {}),
      client: () =>
        clientFor(c.config, {
          deadline: c.deadline,
          ...(c.transport ? { transport: c.transport } : {}),
          ...(c.onRequest ? { onRequest: c.onRequest } : {}),
        }),
    }),
  /** Sophos, with every request printed (password masked) and answered as an obliging, empty firewall would. */
  "dry-run": (c: TargetContext): SophosTarget =>
    new SophosTarget({
      kind: "sophos (dry run)",
      naming: namingFor(c.config),
      ...(c.memory ? { memory: c.memory } : {}),
      client: () =>
        clientFor(c.config, { deadline: c.deadline, transport: new DryRunTransport(c.print ?? (() => {})) }),
    }),
  /** The desired state as a text file, one address per line (see docs/architecture.md). */
  file: (c: TargetContext): FileTarget => new FileTarget(`${c.config.stateDir}/desired.txt`),
} satisfies Record<string, (context: TargetContext) => Target>;

export type TargetKind = keyof typeof TARGETS;

export function createTarget<K extends TargetKind>(
  kind: K,
  context: TargetContext,
): ReturnType<(typeof TARGETS)[K]> {
  return TARGETS[kind](context) as ReturnType<(typeof TARGETS)[K]>;
}
