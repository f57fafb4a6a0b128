/**
 * The optional `fleet` section's schema (docs/fleet.md); fleet.ts resolves it (kept apart so
 * that resolving never loads valibot).
 */
import * as v from "valibot";
import { FLEET_NAME } from "./fleet-name.ts";

/** A fleet's and a member's name go into Redis keys and into hold sources: keep them plain. */
const name = (what: string) =>
  v.pipe(
    v.string("must be a string"),
    v.regex(FLEET_NAME, `must be 1-64 letters, digits, '.', '_' or '-' (the ${what})`),
  );

export const fleetSchema = v.strictObject(
  {
    redis_url: v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty")),
    redis_pass_file: v.optional(v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty"))),
    redis_pass_env: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as F2B_REDIS_PASS"),
      ),
    ),
    redis_tls_ca_file: v.optional(v.pipe(v.string("must be a string"), v.nonEmpty("must not be empty"))),
    name: name("fleet's name"),
    member: v.optional(name("member's name")),
    lease_ms: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(1000, "must be at least 1000"),
        v.maxValue(600_000, "must be at most 600000"),
      ),
    ),
  },
  (issue) => `has an unknown key ${issue.expected ?? ""}`.trim(),
);

export type FleetFileData = v.InferOutput<typeof fleetSchema>;
