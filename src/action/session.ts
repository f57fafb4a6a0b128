/**
 * Everything one command needs, built once from the config: the journal, the names we use on
 * the firewall, and the client (created only when a command really talks to the firewall).
 */
import type { Config } from "../config/index.ts";
import type { Naming } from "../delivery/index.ts";
import { Journal } from "../journal/index.ts";
import { SophosClient, type Transport } from "../sophos/index.ts";
import { DryRunTransport } from "./dry-run-transport.ts";

export interface SessionOptions {
  config: Config;
  /** Print requests instead of sending them (and write nothing locally). */
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
  readonly naming: Naming;
  readonly deadline: number;
  readonly dryRun: boolean;
  private client: SophosClient | undefined;
  private readonly transport: Transport | undefined;

  constructor(options: SessionOptions) {
    this.config = options.config;
    this.journal = new Journal(options.config.stateDir);
    this.naming = {
      prefix: options.config.prefix,
      groups: options.config.groups,
      layout: options.config.layout,
      shardSize: options.config.shardSize,
    };
    this.deadline = (options.startedAt ?? Date.now()) + options.budgetMs;
    this.dryRun = options.dryRun !== undefined;
    this.transport = options.dryRun ? new DryRunTransport(options.dryRun) : options.transport;
  }

  get deliveryLockPath(): string {
    return `${this.journal.dir}/delivery.lock`;
  }

  /** The client, created on first use with timeouts that fit inside the time budget. */
  firewall(): SophosClient {
    if (!this.client) {
      const c = this.config;
      const remaining = Math.max(1000, this.deadline - Date.now());
      this.client = new SophosClient({
        url: c.url,
        username: c.username,
        password: c.password,
        tls: c.tls.mode === "ca" ? { mode: "ca", ca: c.tls.ca } : c.tls,
        connectTimeoutMs: Math.min(c.connectTimeoutMs, remaining),
        requestTimeoutMs: Math.min(c.requestTimeoutMs, remaining),
        maxEntitiesPerRequest: c.maxEntitiesPerRequest,
        allowInsecureHttp: c.allowInsecureHttp,
        ...(this.transport ? { transport: this.transport } : {}),
      });
    }
    return this.client;
  }

  close(): void {
    this.client?.close();
  }
}
