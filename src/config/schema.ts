/**
 * The keys of the JSON configuration file and the check of each value (valibot). The original
 * program's keys (`url`, `verifySslCertificate`, `user`, `pass`, `iphost_prefix`,
 * `iphostgroup_name`) keep their spelling; new keys use its snake_case.
 */
import * as v from "valibot";
import { hasAnyControlCharacter } from "../address/index.ts";
import { firewallNameProblem } from "../protocol/index.ts";
import { prefixProblem } from "../targets/sophos/names.ts";
import { crowdsecSchema } from "./crowdsec-schema.ts";
import { fleetSchema } from "./fleet-schema.ts";
import { parseListen } from "./listen.ts";

const text = () => v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty"));
const plainText = () =>
  v.pipe(
    text(),
    v.check((s) => !hasAnyControlCharacter(s), "must not contain control characters"),
  );
const flag = () => v.boolean("must be true or false");
const integer = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be a whole number"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
const groupName = () =>
  v.pipe(
    plainText(),
    v.check(
      (s) => firewallNameProblem(s) === undefined,
      (issue) => `is not a valid firewall object name: ${firewallNameProblem(String(issue.input))}`,
    ),
  );

/** One schema per key; the file as a whole is `configFileSchema`. */
export const keySchemas = {
  url: text(),
  verifySslCertificate: flag(),
  user: plainText(),
  // Checked (without ever quoting it) in password.ts.
  pass: v.string("must be a string"),
  pass_file: plainText(),
  pass_env: v.pipe(
    text(),
    v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as F2B_PASS"),
  ),
  iphost_prefix: v.pipe(
    v.string("must be a string"),
    v.check(
      (s) => prefixProblem(s) === undefined,
      (issue) => `${prefixProblem(String(issue.input))}`,
    ),
  ),
  iphostgroup_name: groupName(),
  iphostgroup_name_v6: groupName(),
  tls_ca_file: plainText(),
  tls_pin_sha256: v.pipe(
    v.string("must be a string"),
    v.regex(
      /^([0-9a-fA-F]{64}|[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31})$/,
      "must be a SHA-256 fingerprint: 64 hex digits, colons between byte pairs optional",
    ),
  ),
  tls_insecure: flag(),
  allow_insecure_http: flag(),
  connect_timeout_ms: integer(100, 600_000),
  request_timeout_ms: integer(1000, 600_000),
  max_entities_per_request: integer(1, 1000),
  // At most 40 s: the action's timeout is 60 s and a hook also starts, waits for locks and closes.
  delivery_budget_ms: integer(1000, 40_000),
  iplist_shard_size: integer(1, 1000),
  state_dir: v.pipe(
    plainText(),
    v.check((s) => s.startsWith("/"), "must be an absolute path (e.g. /var/lib/f2b-sophosxg)"),
  ),
  layout: v.picklist(["hosts", "iplist"], 'must be "hosts" or "iplist"'),
  allow_world_readable: flag(),
  log_level: v.picklist(["error", "warn", "info", "debug"], 'must be "error", "warn", "info" or "debug"'),
  crowdsec: crowdsecSchema,
  // The agent's metrics (docs/metrics.md): off unless set.
  metrics_listen: v.pipe(
    v.union([v.string(), v.number()], 'must be a string such as "127.0.0.1:9617", or a port'),
    v.check(
      (s) => !("problem" in parseListen(s)),
      (issue) => {
        const parsed = parseListen(issue.input as string | number);
        return "problem" in parsed ? parsed.problem : "is not valid";
      },
    ),
  ),
  health_stale_after_s: integer(1, 7 * 86_400),
  // Several firewalls (docs/firewalls.md); each entry is checked in firewalls.ts.
  firewalls: v.pipe(
    v.array(v.unknown(), 'must be a list of firewalls, e.g. [{"name": "site-a", "url": "https://…"}]'),
    v.minLength(1, "must name at least one firewall (or leave the key out)"),
    v.maxLength(32, "must name at most 32 firewalls"),
  ),
  // A problem inside it is reported as e.g. "fleet.redis_url" (issues.ts).
  fleet: fleetSchema,
} as const;

export type ConfigKey = keyof typeof keySchemas;
export const CONFIG_KEYS = Object.keys(keySchemas) as ConfigKey[];

/** What the file may hold: every key optional here; required keys are checked in load.ts. */
export const configFileSchema = v.strictObject(
  Object.fromEntries(CONFIG_KEYS.map((key) => [key, v.optional(keySchemas[key])])) as {
    [K in ConfigKey]: v.OptionalSchema<(typeof keySchemas)[K], undefined>;
  },
);

export type ConfigFileData = { [K in ConfigKey]?: v.InferOutput<(typeof keySchemas)[K]> };

export { DEFAULTS } from "./defaults.ts";
