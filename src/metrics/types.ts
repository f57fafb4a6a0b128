/**
 * What the agent hands to the metrics exporter: plain data and events, nothing of ours. The
 * exporter (src/metrics/exporter/, with prom-client) is a bundle of its own, loaded only when
 * `metrics_listen` is set, so it must not share module state (the secret registry, classes)
 * with the main bundle: everything it needs travels through these types.
 */

export type Family = "IPv4" | "IPv6";
/** How a target sits on the firewall: an IP host object, or an entry of an IP list shard. */
export type LayoutLabel = "hosts" | "iplist";

/** One finished API request (the client's RequestEvent without the error object). */
export interface ApiRequestEvent {
  firewall: string;
  /** `login`, `get`, `set`, `remove` or `raw`. */
  operation: string;
  /** `IPHost`, `IPHostGroup`, or `none`. */
  entity: string;
  /** `ok`, or the kind of failure (`transport`, `timeout`, `authentication`…). */
  outcome: string;
  /** Entities written by a Set or Remove (0 otherwise). */
  entityWrites: number;
  durationSeconds: number;
}

export interface DeliveredEvent {
  firewall: string;
  family: Family;
  layout: LayoutLabel;
  action: "add" | "remove";
  /** Seconds from the journal record to the firewall's answer; undefined when unknown. */
  latencySeconds: number | undefined;
}

export interface JournaledEvent {
  source: string;
  action: "ban" | "unban" | "flush";
  /** `any` for a flush of both families. */
  family: Family | "any";
}

/** What one firewall looks like right now, read at each scrape. */
export interface FirewallSnapshot {
  firewall: string;
  /** Targets believed on the firewall, by family and layout. */
  active: { family: Family; layout: LayoutLabel; count: number }[];
  pendingAdd: number;
  pendingRemove: number;
  /** Undefined when nothing is pending. */
  oldestPendingAgeSeconds: number | undefined;
  shards: { family: Family; shard: string; addresses: number }[];
  circuitOpen: boolean;
  consecutiveFailures: number;
  /** Epoch ms; undefined when it never happened since the agent started. */
  lastDeliveryAt: number | undefined;
  lastReconcileAt: number | undefined;
  /** Why this firewall counts as behind; undefined when it is healthy. */
  behind: string | undefined;
}

export interface AgentSnapshot {
  loopRunning: boolean;
  /** Desired targets, by the source that holds them (an address held by two sources counts for each). */
  desired: { source: string; family: Family; count: number }[];
  firewalls: FirewallSnapshot[];
  /** Set when the state could not be read (the scrape still answers, and /healthz fails). */
  error: string | undefined;
}

/** The events the exporter counts. */
export interface MetricsSink {
  apiRequest(event: ApiRequestEvent): void;
  delivered(event: DeliveredEvent): void;
  journaled(event: JournaledEvent): void;
  refused(firewall: string, count: number): void;
}

export interface ExporterOptions {
  host: string;
  port: number;
  /** Called at each scrape and each /healthz. */
  snapshot: () => AgentSnapshot;
  version: string;
}

export interface RunningExporter {
  sink: MetricsSink;
  /** `http://host:port`, for the log line. */
  url: string;
  port: number;
  close(): Promise<void>;
}
