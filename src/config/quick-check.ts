/**
 * The hook's check of the keys, without valibot (which costs the per-ban start a few ms): a
 * plain test per key that accepts a value only when the full check (schema.ts) surely accepts
 * it too, and gives the same value back. Anything else (an unknown key, a key added to the
 * schema but not here, a doubtful value) answers `undefined`: the caller then runs the full
 * check, which says what is wrong. test/config/quick-check.test.ts holds the two side by side.
 *
 * The sections (`fleet`, `crowdsec`) are known too: a fleet member's or a CrowdSec box's hooks
 * are as busy as any, and without them every such hook would load the full CLI. A `firewalls`
 * list passes as a list: resolving it checks each entry with this same check.
 */
import { hasAnyControlCharacter } from "../address/text.ts";
import { firewallNameProblem } from "../protocol/names.ts";
import { parseGoDuration } from "../sources/crowdsec/go-duration.ts";
import { prefixProblem } from "../targets/sophos/names.ts";
import { FLEET_NAME } from "./fleet-name.ts";
import type { KeyCheck } from "./key-check.ts";
import { parseListen } from "./listen.ts";

type Test = (value: unknown) => boolean;

const text: Test = (v) => typeof v === "string" && v !== "";
const plainText: Test = (v) => text(v) && !hasAnyControlCharacter(v as string);
const flag: Test = (v) => typeof v === "boolean";
const integer =
  (min: number, max: number): Test =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const groupName: Test = (v) => plainText(v) && firewallNameProblem(v as string) === undefined;
const oneOf =
  (...choices: string[]): Test =>
  (v) =>
    typeof v === "string" && choices.includes(v);
const envName: Test = (v) => text(v) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v as string);
const duration =
  (minMs: number, maxMs: number): Test =>
  (v) => {
    const ms = typeof v === "string" ? parseGoDuration(v) : undefined;
    return ms !== undefined && ms >= minMs && ms <= maxMs;
  };
const words: Test = (v) =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((w) => typeof w === "string" && w !== "" && !w.includes(",") && !hasAnyControlCharacter(w));

/** An object with only the keys of `tests`, each plainly valid, and every `required` one. */
const section =
  (tests: Record<string, Test>, required: readonly string[]): Test =>
  (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const data = v as Record<string, unknown>;
    return (
      required.every((key) => Object.hasOwn(data, key)) &&
      Object.keys(data).every((key) => Object.hasOwn(tests, key) && tests[key]!(data[key]))
    );
  };

const SECOND = 1000;

/** As fleet-schema.ts. */
const fleet = section(
  {
    redis_url: text,
    redis_pass_file: text,
    redis_pass_env: envName,
    redis_tls_ca_file: text,
    name: (v) => typeof v === "string" && FLEET_NAME.test(v),
    member: (v) => typeof v === "string" && FLEET_NAME.test(v),
    lease_ms: integer(1000, 600_000),
  },
  ["redis_url", "name"],
);

/** As crowdsec-schema.ts. */
const crowdsec = section(
  {
    lapi_url: (v) => typeof v === "string" && /^https?:\/\/[^\s/?#@]+\/?$/i.test(v),
    api_key_file: plainText,
    poll_interval: duration(SECOND, 3600 * SECOND),
    origins: words,
    scenarios_containing: words,
    scenarios_not_containing: words,
    min_duration: duration(0, 365 * 86_400 * SECOND),
    max_decisions: integer(1, 1_000_000),
    only_ban_type: flag,
    request_timeout_ms: integer(1000, 600_000),
  },
  ["lapi_url", "api_key_file"],
);

const TESTS: Record<string, Test> = {
  url: text,
  verifySslCertificate: flag,
  user: plainText,
  pass: (v) => typeof v === "string",
  pass_file: plainText,
  pass_env: envName,
  iphost_prefix: (v) => typeof v === "string" && prefixProblem(v) === undefined,
  iphostgroup_name: groupName,
  iphostgroup_name_v6: groupName,
  tls_ca_file: plainText,
  tls_pin_sha256: (v) =>
    typeof v === "string" && /^([0-9a-fA-F]{64}|[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31})$/.test(v),
  tls_insecure: flag,
  allow_insecure_http: flag,
  connect_timeout_ms: integer(100, 600_000),
  request_timeout_ms: integer(1000, 600_000),
  max_entities_per_request: integer(1, 1000),
  delivery_budget_ms: integer(1000, 40_000),
  iplist_shard_size: integer(1, 1000),
  state_dir: (v) => plainText(v) && (v as string).startsWith("/"),
  layout: oneOf("hosts", "iplist"),
  allow_world_readable: flag,
  log_level: oneOf("error", "warn", "info", "debug"),
  health_stale_after_s: integer(1, 7 * 86_400),
  metrics_listen: (v) => (typeof v === "string" || typeof v === "number") && !("problem" in parseListen(v)),
  // Each entry is checked when the list is resolved (firewalls.ts), with this same check.
  firewalls: (v) => Array.isArray(v) && v.length >= 1 && v.length <= 32,
  fleet,
  crowdsec,
};

/** The keys this check knows (a subset of the schema's; the test keeps it so). */
export const QUICK_KEYS: readonly string[] = Object.keys(TESTS);

/** The values when every key is known here and plainly valid; undefined when in any doubt. */
export function quickCheckKeys(data: Record<string, unknown>): KeyCheck | undefined {
  for (const key of Object.keys(data)) {
    const test = Object.hasOwn(TESTS, key) ? TESTS[key] : undefined;
    if (test === undefined || !test(data[key])) return undefined;
  }
  return { values: { ...data }, problems: [] };
}
