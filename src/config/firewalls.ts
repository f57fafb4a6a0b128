/**
 * `firewalls`: several named firewalls that get the same bans. Each entry takes the keys that
 * say how to reach one firewall and what to write there; what an entry leaves out comes from
 * the file's top level (a shared user, password source or TLS mode), except `url`, which each
 * firewall names itself. The password keys and the TLS keys are inherited as a whole: an entry
 * that sets one of them sets its own password (or TLS mode) entirely.
 *
 * The single-firewall form (today's keys at the top level) is one firewall named `default`.
 */
import { resolveConnection } from "./connection.ts";
import { DEFAULTS } from "./defaults.ts";
import type { KeyCheck } from "./key-check.ts";
import type { NamedFirewall } from "./types.ts";

export type { NamedFirewall };

export const FIREWALL_KEYS = [
  "url",
  "verifySslCertificate",
  "user",
  "pass",
  "pass_file",
  "pass_env",
  "tls_ca_file",
  "tls_pin_sha256",
  "tls_insecure",
  "allow_insecure_http",
  "iphost_prefix",
  "iphostgroup_name",
  "iphostgroup_name_v6",
  "layout",
  "iplist_shard_size",
  "health_stale_after_s",
] as const;

const PASSWORD_KEYS = ["pass", "pass_file", "pass_env"];
const TLS_KEYS = ["verifySslCertificate", "tls_ca_file", "tls_pin_sha256", "tls_insecure"];
/** Used in directory names and metric labels: short, lower case, no path characters. */
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface FirewallsResult {
  firewalls: NamedFirewall[];
  problems: string[];
  warnings: string[];
}

function inherited(top: Record<string, unknown>, entry: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  const entrySets = (keys: string[]) => keys.some((k) => Object.hasOwn(entry, k));
  for (const key of FIREWALL_KEYS) {
    if (key === "url" || !Object.hasOwn(top, key)) continue;
    if (PASSWORD_KEYS.includes(key) && entrySets(PASSWORD_KEYS)) continue;
    if (TLS_KEYS.includes(key) && entrySets(TLS_KEYS)) continue;
    merged[key] = top[key];
  }
  for (const [key, value] of Object.entries(entry)) if (key !== "name") merged[key] = value;
  return merged;
}

export async function resolveFirewalls(
  path: string,
  entries: readonly unknown[],
  top: Record<string, unknown>,
  context: { configDir: string; env: NodeJS.ProcessEnv; checkPermissions: boolean },
  /** The same check of the keys as the file's top level (the full one, or the hook's quick one). */
  checkKeys: (file: string, data: Record<string, unknown>) => KeyCheck,
): Promise<FirewallsResult> {
  const out: FirewallsResult = { firewalls: [], problems: [], warnings: [] };
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const at = `${path}: firewalls[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      out.problems.push(`${at}: must be an object such as {"name": "site-a", "url": "https://…"}`);
      continue;
    }
    const raw = entry as Record<string, unknown>;
    const name = raw.name;
    if (typeof name !== "string" || !NAME.test(name)) {
      out.problems.push(
        `${at}: key "name" must be 1 to 32 lower-case letters, digits, "-" or "_" (e.g. "site-a")`,
      );
      continue;
    }
    const where = `${path}: firewall "${name}"`;
    if (seen.has(name)) out.problems.push(`${where}: the name is used twice (each firewall needs its own)`);
    seen.add(name);
    for (const key of Object.keys(raw)) {
      if (key !== "name" && !(FIREWALL_KEYS as readonly string[]).includes(key)) {
        out.problems.push(
          `${where}: key ${JSON.stringify(key.slice(0, 40))} cannot be set per firewall (keys here: name, ${FIREWALL_KEYS.join(", ")})`,
        );
      }
    }
    const merged = inherited(top, raw);
    const keys = Object.fromEntries(
      Object.entries(merged).filter(([k]) => (FIREWALL_KEYS as readonly string[]).includes(k)),
    );
    const checked = checkKeys(where, keys);
    out.problems.push(...checked.problems);
    const resolved = await resolveConnection(checked.values, Object.keys(keys), { where, ...context });
    out.problems.push(...resolved.problems);
    out.warnings.push(...resolved.warnings);
    if (resolved.connection) {
      const seconds = checked.values.health_stale_after_s ?? DEFAULTS.health_stale_after_s;
      out.firewalls.push({ name, connection: resolved.connection, staleAfterMs: seconds * 1000 });
    }
  }
  return out;
}
