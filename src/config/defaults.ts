/** What a key that the file leaves out means. Apart from schema.ts, so the hook reads it without valibot. */
export const DEFAULTS = {
  iphost_prefix: "f2b_",
  iphostgroup_name: "fail2ban",
  connect_timeout_ms: 5000,
  request_timeout_ms: 20_000,
  max_entities_per_request: 100,
  delivery_budget_ms: 20_000,
  iplist_shard_size: 1000,
  state_dir: "/var/lib/f2b-sophosxg",
  layout: "hosts",
  /** Twenty times the agent's longest debounce (15 s): a firewall this late is in trouble. */
  health_stale_after_s: 300,
} as const;
