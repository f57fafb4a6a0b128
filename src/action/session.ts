/**
 * Everything one command needs, built once from the config: the journal and the delivery
 * target (its client created only when a command really talks to the firewall).
 */
import { firewallConfigs } from "../config/firewall-configs.ts";
import type { Config } from "../config/types.ts";
import { UsageError } from "../errors/base.ts";
import { type Journal, journalFor } from "../journal/index.ts";
import type { SophosClient, Transport } from "../sophos/index.ts";
import { createTarget } from "../targets/registry.ts";
import { FirewallMemory } from "../targets/sophos/firewall-memory.ts";
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
  /**
   * With several firewalls (`firewalls` in the config): the one this session talks to. Absent:
   * the first, and `siblings()` gives the others (a hook delivers to each).
   */
  firewall?: string;
  /** Told about a problem that changes nothing (what was learned of the firewall cannot be read or written). */
  warn?: (text: string) => void;
}

export class Session {
  readonly config: Config;
  readonly journal: Journal;
  readonly deadline: number;
  readonly dryRun: boolean;
  /** The Sophos firewall (or its dry run) that this session delivers to. */
  readonly target: SophosTarget;
  /** `default` for the single-firewall form. */
  readonly firewallName: string;
  /** True when the config lists several firewalls. */
  readonly severalFirewalls: boolean;
  private readonly options: SessionOptions;
  private others: Session[] | undefined;

  constructor(options: SessionOptions) {
    this.options = options;
    const all = firewallConfigs(options.config);
    const chosen = options.firewall === undefined ? all[0]! : all.find((f) => f.name === options.firewall);
    if (chosen === undefined) {
      throw new UsageError(
        `--firewall ${JSON.stringify(options.firewall)}: no firewall of that name in the config`,
        {
          hint: `the configured firewalls are: ${all.map((f) => f.name).join(", ")}`,
        },
      );
    }
    this.firewallName = chosen.name;
    this.severalFirewalls = options.config.firewalls !== undefined;
    this.config = chosen.config;
    this.journal = journalFor(chosen.config.stateDir, chosen.name);
    this.deadline = (options.startedAt ?? Date.now()) + options.budgetMs;
    this.dryRun = options.dryRun !== undefined;
    const context = {
      config: this.config,
      deadline: this.deadline,
      // A dry run reads what was learned (its requests show the form a real run would send)
      // and writes nothing locally.
      memory: new FirewallMemory({
        dir: this.journal.deliveryDir,
        persist: !this.dryRun,
        ...(options.warn ? { warn: options.warn } : {}),
      }),
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

  /**
   * The other firewalls' sessions, same budget (none when this session was asked for one
   * firewall by name). Created on first use: with the agent alive a hook never needs them.
   */
  siblings(): Session[] {
    if (this.others === undefined) {
      const names =
        this.options.firewall !== undefined || this.options.config.firewalls === undefined
          ? []
          : this.options.config.firewalls.map((f) => f.name).filter((n) => n !== this.firewallName);
      this.others = names.map(
        (firewall) =>
          new Session({ ...this.options, startedAt: this.deadline - this.options.budgetMs, firewall }),
      );
      if (!this.dryRun) for (const other of this.others) other.journal.ensureDirectory();
    }
    return this.others;
  }

  close(): void {
    this.target.close();
    for (const other of this.others ?? []) other.close();
  }
}
