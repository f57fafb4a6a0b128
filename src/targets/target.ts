/**
 * The seam between the delivery core and a firewall. The core (src/delivery/) decides what is
 * pending, in which rounds, within which budget, and records what reached the firewall; a
 * target knows how its firewall stores addresses and how to write them there. Sophos (hosts
 * and iplist layouts) is one target, its dry run another; docs/architecture.md shows how to add
 * one.
 *
 * Targets speak in canonical addresses (`192.0.2.1`, `2001:db8::/48`, see src/address/), never
 * in object names.
 */
import type { IpFamily } from "../address/index.ts";
import type { BanState, Journal } from "../journal/index.ts";

/** One round's changes, as canonical addresses. */
export interface PushPlan {
  add: string[];
  remove: string[];
}

/** What a push achieved; filled as it goes, so a push that throws half-way still tells what landed. */
export interface PushResult {
  present: string[];
  absent: string[];
  failures: { target: string; text: string }[];
  /**
   * Containers written with their whole new content, or removed (null): for targets that keep
   * many addresses in one object (Sophos IP list shards). The journal keeps what each holds.
   */
  shards: Record<string, string[] | null>;
}

export function emptyPushResult(): PushResult {
  return { present: [], absent: [], failures: [], shards: {} };
}

/** What a reconcile found and did. */
export interface ReconcilePlan {
  /** Desired targets nothing of ours covers now. */
  add: string[];
  /** Targets of ours on the firewall that no source holds. */
  remove: string[];
  /** Desired targets covered as they should be. */
  inPlace: string[];
  /** Desired targets covered by the wrong kind of object (a layout change in progress). */
  migrate: string[];
  /** Objects that look like ours but are not exactly ours; never touched. */
  unrecognised: string[];
  /** Containers written and removed. */
  shardWrites: string[];
  shardRemovals: string[];
}

export interface ReconcileOptions {
  journal: Journal;
  families?: readonly IpFamily[];
  /** Plan only: read the firewall, change nothing. */
  dryRun?: boolean;
  now?: () => number;
}

export interface ReconcileReport {
  plan: ReconcilePlan;
  result: PushResult;
}

export interface GroupCheck {
  family: IpFamily;
  name: string;
  state: "present" | "created" | "missing";
  members: number;
  /** The member names as read (empty for a created or missing group). */
  hosts: string[];
}

export interface Target {
  /** For logs and status: `sophos`, `sophos (dry run)`, `file`… */
  readonly kind: string;
  /**
   * True for a change that costs one write per container whatever the number of changes (an
   * address in an IP list shard): the core takes all of those in one round instead of slicing.
   */
  bulk(target: string): boolean;
  /**
   * Why the ordinary rounds cannot trust the journal's belief and a reconcile must come first
   * (a layout change, or an unsure address in a container); undefined when they can.
   */
  needsReconcile(state: BanState): string | undefined;
  /** Makes sure the groups the firewall's rules use exist (creating them when `create`). */
  ensureGroups(options: { create: boolean; families?: readonly IpFamily[] }): Promise<GroupCheck[]>;
  /** Writes one round. `believed`: the journal's view of each container's content. */
  push(plan: PushPlan, result: PushResult, believed: ReadonlyMap<string, string[]>): Promise<void>;
  /** Reads the firewall, makes it equal to the desired state, records the outcome in the journal. */
  reconcile(options: ReconcileOptions): Promise<ReconcileReport>;
  close(): void;
}
