/**
 * Everything one command needs, built once from the config: the journal and the delivery
 * target (its client created only when a command really talks to the firewall).
 */
import type { Config } from "../config/types.ts";
import { Journal } from "../journal/index.ts";
import type { SophosClient, Transport } from "../sophos/index.ts";
import { createTarget } from "../targets/registry.ts";
import type { Naming } from "../targets/sophos/push.ts";
import type { SophosTarget } from "../targets/sophos/target.ts";

export interface SessionOptions {
  config: Config;
  /** Print requests instead of sending them (and write nothing locally): the dry-run target. */
  dryRun?: (text: string) => void;
  /** Time budget for talking to the firewall, in ms from `startedAt`. */
  budgetMs: number;
  startedAt?: number;
  /** Replaces the HTTPS transport (tests, other runtimes). */
  transport?: Transport;
}

export class Session {
  readonly config: Config;
  readonly journal: Journal;
  readonly deadline: number;
  readonly dryRun: boolean;
  /** The Sophos firewall (or its dry run) that this session delivers to. */
  readonly target: SophosTarget;

  constructor(options: SessionOptions) {
    this.config = options.config;
    this.journal = new Journal(options.config.stateDir);
    this.deadline = (options.startedAt ?? Date.now()) + options.budgetMs;
    this.dryRun = options.dryRun !== undefined;
    const context = {
      config: options.config,
      deadline: this.deadline,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.dryRun ? { print: options.dryRun } : {}),
    };
    this.target = createTarget(this.dryRun ? "dry-run" : "sophos", context);
  }

  get naming(): Naming {
    return this.target.naming;
  }

  get deliveryLockPath(): string {
    return this.journal.deliveryLockPath;
  }

  /** The Sophos client, for commands that inspect the firewall itself (check, list, doctor). */
  firewall(): SophosClient {
    return this.target.client;
  }

  close(): void {
    this.target.close();
  }
}
