/**
 * The hook's check of the keys, without valibot (which costs the per-ban start a few ms): a
 * plain test per key that accepts a value only when the full check (schema.ts) surely accepts
 * it too, and gives the same value back. Anything else (an unknown key, a key added to the
 * schema but not here, a doubtful value) answers `undefined`: the caller then runs the full
 * check, which says what is wrong. test/config/quick-check.test.ts holds the two side by side.
 */
import { hasAnyControlCharacter } from "../address/text.ts";
import { firewallNameProblem } from "../protocol/names.ts";
import { prefixProblem } from "../targets/sophos/names.ts";
import type { KeyCheck } from "./key-check.ts";

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

const TESTS: Record<string, Test> = {
  url: text,
  verifySslCertificate: flag,
  user: plainText,
  pass: (v) => typeof v === "string",
  pass_file: plainText,
  pass_env: (v) => text(v) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v as string),
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
