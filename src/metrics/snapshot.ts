/**
 * The agent's present state as plain numbers for the exporter: read from the journal (the
 * desired and believed state, what is pending and since when) and from the agent's loop
 * (failures, circuit, last successes). Also decides what /healthz says: a firewall is behind
 * when a change has waited longer than the allowed staleness, or when it has been failing for
 * longer than that.
 */

import type { AgentHealth } from "../agent/agent.ts";
import type { Journal } from "../journal/index.ts";
import { pendingFor, readStatus } from "../journal/index.ts";
import { believedShards } from "../targets/sophos/index.ts";
import type { Target } from "../targets/target.ts";
import type { JournalTail } from "./journal-tail.ts";
import type { AgentSnapshot, Family, FirewallSnapshot, LayoutLabel } from "./types.ts";

export interface SnapshotSource {
  firewall: string;
  journal: Journal;
  tail: JournalTail;
  target: Target;
  /** IP host prefix, to read the shard names. */
  prefix: string;
  health: () => AgentHealth;
  staleAfterMs: number;
  /** When the agent started (epoch ms): a firewall that never answered is failing since then. */
  startedAt: number;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** Every firewall's snapshot; the desired state is shared, so it is read from the first. */
export function agentSnapshot(sources: readonly SnapshotSource[], now = Date.now()): AgentSnapshot {
  const parts = sources.map((source) => firewallSnapshot(source, now));
  const error = parts.find((p) => p.error !== undefined)?.error;
  return {
    loopRunning: parts.length > 0 && parts.every((p) => p.loopRunning),
    desired: parts[0]?.desired ?? [],
    firewalls: parts.flatMap((p) => p.firewalls),
    error,
  };
}

function firewallSnapshot(source: SnapshotSource, now: number): AgentSnapshot {
  const health = source.health();
  try {
    source.tail.catchUp();
    const { state } = source.journal.load();
    const pending = pendingFor(state, now / 1000);
    const pendingTargets = new Set([...pending.add.keys(), ...pending.remove.keys()]);
    source.tail.keepOnly(pendingTargets);

    const desired = new Map<string, { source: string; family: Family; count: number }>();
    for (const entry of state.holds.values()) {
      for (const [holder, reasons] of entry.bySource) {
        const live = [...reasons.values()].some((h) => h.expiresAt === null || h.expiresAt > now / 1000);
        if (!live) continue;
        const key = `${holder}\u0000${entry.family}`;
        const row = desired.get(key) ?? { source: holder, family: entry.family, count: 0 };
        row.count++;
        desired.set(key, row);
      }
    }
    const active = new Map<string, { family: Family; layout: LayoutLabel; count: number }>();
    for (const [target, family] of state.applied) {
      const layout: LayoutLabel = source.target.bulk(target) ? "iplist" : "hosts";
      const key = `${family}/${layout}`;
      const row = active.get(key) ?? { family, layout, count: 0 };
      row.count++;
      active.set(key, row);
    }

    let oldest: number | undefined;
    if (pendingTargets.size > 0) {
      const fallback = readStatus(source.journal.deliveryDir).pendingSince ?? now;
      for (const target of pending.add.keys()) {
        const at = source.tail.journaledAt(target, "add") ?? fallback;
        oldest = oldest === undefined ? at : Math.min(oldest, at);
      }
      for (const target of pending.remove.keys()) {
        const at = source.tail.journaledAt(target, "remove") ?? fallback;
        oldest = oldest === undefined ? at : Math.min(oldest, at);
      }
    }
    const oldestAgeMs = oldest === undefined ? undefined : Math.max(0, now - oldest);

    const firewall: FirewallSnapshot = {
      firewall: source.firewall,
      active: [...active.values()],
      pendingAdd: pending.add.size,
      pendingRemove: pending.remove.size,
      oldestPendingAgeSeconds: oldestAgeMs === undefined ? undefined : oldestAgeMs / 1000,
      shards: believedShards(source.prefix, state.shards).map((s) => ({
        family: s.family,
        shard: s.name,
        addresses: s.addresses.length,
      })),
      circuitOpen: health.circuitOpen,
      consecutiveFailures: health.consecutiveFailures,
      lastDeliveryAt: health.lastDeliveryAt,
      lastReconcileAt: health.lastReconcileAt,
      behind: behind(health, oldestAgeMs, pendingTargets.size, source, now),
    };
    return {
      loopRunning: health.loopRunning,
      desired: [...desired.values()],
      firewalls: [firewall],
      error: undefined,
    };
  } catch (error) {
    return {
      loopRunning: health.loopRunning,
      desired: [],
      firewalls: [],
      error: `firewall ${source.firewall}: ${String((error as Error)?.message ?? error)}`,
    };
  }
}

function behind(
  health: AgentHealth,
  oldestAgeMs: number | undefined,
  pendingCount: number,
  source: SnapshotSource,
  now: number,
): string | undefined {
  const allowed = source.staleAfterMs;
  const reasons: string[] = [];
  if (oldestAgeMs !== undefined && oldestAgeMs > allowed) {
    reasons.push(
      `${pendingCount} change(s) pending, the oldest for ${seconds(oldestAgeMs)} (more than the ${seconds(allowed)} allowed)`,
    );
  }
  if (health.consecutiveFailures > 0) {
    const lastOk = Math.max(health.lastDeliveryAt ?? 0, health.lastReconcileAt ?? 0, source.startedAt);
    if (now - lastOk > allowed) {
      reasons.push(
        `${health.consecutiveFailures} failure(s) in a row, no success for ${seconds(now - lastOk)}${health.circuitOpen ? ", circuit open" : ""}`,
      );
    }
  }
  return reasons.length === 0 ? undefined : reasons.join("; ");
}
