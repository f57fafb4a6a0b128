/**
 * The Sophos Firewall as a delivery target: addresses become IP hosts (the `hosts` layout) or
 * entries of IP list shards (`iplist`), members of one IP host group per family; removals are
 * unlink, then Remove. The client is created on first use, so a target costs nothing until it
 * talks to the firewall.
 */
import type { IpFamily } from "../../address/index.ts";
import type { BanState } from "../../journal/index.ts";
import type { SophosClient } from "../../sophos/index.ts";
import type {
  GroupCheck,
  PushPlan,
  PushResult,
  ReconcileOptions,
  ReconcileReport,
  Target,
} from "../target.ts";
import { FirewallMemory } from "./firewall-memory.ts";
import { ensureGroups } from "./groups.ts";
import { type Naming, pushChanges, usesShards } from "./push.ts";
import { reconcile } from "./reconcile.ts";
import { isShardable } from "./shards.ts";

export interface SophosTargetOptions {
  /** The client, or how to make it when first needed. */
  client: SophosClient | (() => SophosClient);
  naming: Naming;
  kind?: string;
  /** What is known of this firewall's answers; default: learned for this process only. */
  memory?: FirewallMemory;
}

export class SophosTarget implements Target {
  readonly kind: string;
  readonly naming: Naming;
  /** What deliveries learned of this firewall's answers (the IPv6 network form), remembered in its state. */
  readonly memory: FirewallMemory;
  private made: SophosClient | undefined;
  private readonly make: () => SophosClient;

  constructor(options: SophosTargetOptions) {
    this.kind = options.kind ?? "sophos";
    this.naming = options.naming;
    this.memory = options.memory ?? new FirewallMemory();
    const given = options.client;
    this.make = typeof given === "function" ? given : () => given;
  }

  /** The client (for operations that inspect the firewall itself: list, doctor). */
  get client(): SophosClient {
    this.made ??= this.make();
    return this.made;
  }

  bulk(target: string): boolean {
    return usesShards(this.naming, target);
  }

  needsReconcile(state: BanState): string | undefined {
    if (layoutDiffers(state, this.naming)) return `migration to the ${this.naming.layout ?? "hosts"} layout`;
    if (shardsUnsure(state, this.naming)) return "re-reading the IP list shards";
    return undefined;
  }

  ensureGroups(options: { create: boolean; families?: readonly IpFamily[] }): Promise<GroupCheck[]> {
    return ensureGroups(this.client, this.naming.groups, options);
  }

  push(plan: PushPlan, result: PushResult, believed: ReadonlyMap<string, string[]>): Promise<void> {
    return pushChanges(this.client, this.naming, plan, result, believed, this.memory);
  }

  reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    return reconcile({ ...options, client: this.client, naming: this.naming, memory: this.memory });
  }

  close(): void {
    this.made?.close();
  }
}

/**
 * `iplist` layout: some single address may or may not be in some shard (a round died or lost
 * its answer). A shard write is a whole-object replace and the journal cannot tell which shard
 * such an address may have reached, so the firewall is read instead.
 */
export function shardsUnsure(state: BanState, naming: Naming): boolean {
  return [...state.uncertain].some((t) => usesShards(naming, t));
}

/** The configured layout differs from what the journal believes is on the firewall. */
export function layoutDiffers(state: BanState, naming: Naming): boolean {
  if (naming.layout === "iplist") {
    // Asked before every delivery: with 100,000 addresses, no copies of them (spread, flat).
    const inShards = new Set<string>();
    for (const addresses of state.shards.values()) for (const a of addresses) inShards.add(a);
    for (const t of state.applied.keys()) if (isShardable(t) && !inShards.has(t)) return true;
    return false;
  }
  return state.shards.size > 0;
}
