/**
 * The metrics, all under one prefix, defined once with prom-client. Counters and histograms
 * count events as they happen; gauges are refilled from a snapshot of the agent at each scrape,
 * so they can never drift from the journal.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AgentSnapshot, MetricsSink } from "../types.ts";

export const PREFIX = "f2b_sophosxg_";

/** From a fast emulator (ms) to a real firewall's slow write (5–8 s) and beyond. */
const REQUEST_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];
/** From a hook-less instant push to a wave held back by the agent's max delay and a slow firewall. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 900];

export class AgentMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  private readonly journaledTotal = new Counter({
    name: `${PREFIX}changes_journaled_total`,
    help: "Bans, unbans and flushes read from the journal since the agent started, by source",
    labelNames: ["source", "action", "family"],
    registers: this.r,
  });
  private readonly deliveredTotal = new Counter({
    name: `${PREFIX}changes_delivered_total`,
    help: "Targets the firewall confirmed added or removed",
    labelNames: ["firewall", "family", "layout", "action"],
    registers: this.r,
  });
  private readonly refusedTotal = new Counter({
    name: `${PREFIX}changes_refused_total`,
    help: "Changes the firewall refused (they stay pending and are retried)",
    labelNames: ["firewall"],
    registers: this.r,
  });
  private readonly requestsTotal = new Counter({
    name: `${PREFIX}api_requests_total`,
    help: "XML API requests sent, by operation, entity type and outcome",
    labelNames: ["firewall", "operation", "entity", "outcome"],
    registers: this.r,
  });
  private readonly requestSeconds = new Histogram({
    name: `${PREFIX}api_request_duration_seconds`,
    help: "Time from sending an XML API request to its parsed answer (or failure)",
    labelNames: ["firewall", "operation", "outcome"],
    buckets: REQUEST_BUCKETS,
    registers: this.r,
  });
  private readonly entityWritesTotal = new Counter({
    name: `${PREFIX}entity_writes_total`,
    help: "Entities carried by Set and Remove requests (the firewall's real cost)",
    labelNames: ["firewall", "operation", "entity"],
    registers: this.r,
  });
  private readonly latencySeconds = new Histogram({
    name: `${PREFIX}journal_to_firewall_seconds`,
    help: "Time from a change's journal record to the firewall confirming it",
    labelNames: ["firewall", "action"],
    buckets: LATENCY_BUCKETS,
    registers: this.r,
  });

  private readonly activeBans = this.gauge("active_bans", "Targets believed on the firewall", [
    "firewall",
    "family",
    "layout",
  ]);
  private readonly desiredBans = this.gauge("desired_bans", "Targets some source holds now", [
    "source",
    "family",
  ]);
  private readonly pending = this.gauge("pending_changes", "Changes journaled and not yet on the firewall", [
    "firewall",
    "action",
  ]);
  private readonly oldestPending = this.gauge(
    "oldest_pending_age_seconds",
    "Age of the oldest pending change (0 when nothing is pending)",
    ["firewall"],
  );
  private readonly shardAddresses = this.gauge(
    "shard_addresses",
    "Addresses in each IP list shard (iplist layout; at most 1000)",
    ["firewall", "family", "shard"],
  );
  private readonly circuitOpen = this.gauge(
    "circuit_open",
    "1 while the circuit breaker is open (the firewall failed too often in a row)",
    ["firewall"],
  );
  private readonly failures = this.gauge("consecutive_failures", "Failed attempts in a row (backoff)", [
    "firewall",
  ]);
  private readonly lastDelivery = this.gauge(
    "last_delivery_timestamp_seconds",
    "When a push last succeeded (epoch seconds; absent before the first)",
    ["firewall"],
  );
  private readonly lastReconcile = this.gauge(
    "last_reconcile_timestamp_seconds",
    "When a reconciliation last succeeded (epoch seconds; absent before the first)",
    ["firewall"],
  );
  private readonly healthy = this.gauge(
    "healthy",
    "1 when the firewall is not behind (what /healthz checks), 0 otherwise",
    ["firewall"],
  );
  private readonly loopRunning = this.gauge("agent_loop_running", "1 while the agent's loop runs", []);
  private readonly info = this.gauge("build_info", "Always 1; the version as a label", ["version"]);

  constructor(version: string) {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.info.set({ version }, 1);
  }

  private gauge(name: string, help: string, labelNames: string[]): Gauge {
    return new Gauge({ name: `${PREFIX}${name}`, help, labelNames, registers: this.r });
  }

  apiRequest(event: Parameters<MetricsSink["apiRequest"]>[0]): void {
    const { firewall, operation, entity, outcome } = event;
    this.requestsTotal.inc({ firewall, operation, entity, outcome });
    this.requestSeconds.observe({ firewall, operation, outcome }, event.durationSeconds);
    if (event.entityWrites > 0)
      this.entityWritesTotal.inc({ firewall, operation, entity }, event.entityWrites);
  }

  delivered(event: Parameters<MetricsSink["delivered"]>[0]): void {
    const { firewall, family, layout, action } = event;
    this.deliveredTotal.inc({ firewall, family, layout, action });
    if (event.latencySeconds !== undefined) {
      this.latencySeconds.observe({ firewall, action }, Math.max(0, event.latencySeconds));
    }
  }

  journaled(event: Parameters<MetricsSink["journaled"]>[0]): void {
    this.journaledTotal.inc({ ...event });
  }

  refused(firewall: string, count: number): void {
    if (count > 0) this.refusedTotal.inc({ firewall }, count);
  }

  /** Refills every gauge from the agent's present state. */
  update(snapshot: AgentSnapshot): void {
    for (const g of [
      this.activeBans,
      this.desiredBans,
      this.pending,
      this.oldestPending,
      this.shardAddresses,
      this.circuitOpen,
      this.failures,
      this.lastDelivery,
      this.lastReconcile,
      this.healthy,
    ]) {
      g.reset();
    }
    this.loopRunning.set(snapshot.loopRunning ? 1 : 0);
    for (const d of snapshot.desired) this.desiredBans.set({ source: d.source, family: d.family }, d.count);
    for (const fw of snapshot.firewalls) {
      const firewall = fw.firewall;
      // A counter with labels has no series until counted: show the zero, so a query finds it.
      this.refusedTotal.inc({ firewall }, 0);
      for (const family of ["IPv4", "IPv6"] as const) {
        for (const layout of ["hosts", "iplist"] as const) {
          const count = fw.active.find((a) => a.family === family && a.layout === layout)?.count ?? 0;
          this.activeBans.set({ firewall, family, layout }, count);
        }
      }
      this.pending.set({ firewall, action: "add" }, fw.pendingAdd);
      this.pending.set({ firewall, action: "remove" }, fw.pendingRemove);
      this.oldestPending.set({ firewall }, fw.oldestPendingAgeSeconds ?? 0);
      for (const s of fw.shards)
        this.shardAddresses.set({ firewall, family: s.family, shard: s.shard }, s.addresses);
      this.circuitOpen.set({ firewall }, fw.circuitOpen ? 1 : 0);
      this.failures.set({ firewall }, fw.consecutiveFailures);
      if (fw.lastDeliveryAt !== undefined) this.lastDelivery.set({ firewall }, fw.lastDeliveryAt / 1000);
      if (fw.lastReconcileAt !== undefined) this.lastReconcile.set({ firewall }, fw.lastReconcileAt / 1000);
      this.healthy.set({ firewall }, fw.behind === undefined && snapshot.loopRunning ? 1 : 0);
    }
  }
}
