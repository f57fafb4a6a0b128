/**
 * The optional `crowdsec` section's schema: where the CrowdSec Local API is, the bouncer key's
 * file, and which decisions to enforce (see docs/crowdsec.md). Checked with valibot like every
 * key; crowdsec.ts resolves it (kept apart so that resolving never loads valibot).
 */
import * as v from "valibot";
import { hasAnyControlCharacter } from "../address/index.ts";
import { parseGoDuration } from "../sources/crowdsec/go-duration.ts";

const SECOND = 1000;
const DAY = 86_400 * SECOND;

const goDuration = (minMs: number, maxMs: number, example: string) =>
  v.pipe(
    v.string('must be a duration such as "10s" or "1m30s"'),
    v.check(
      (s) => {
        const ms = parseGoDuration(s);
        return ms !== undefined && ms >= minMs && ms <= maxMs;
      },
      `must be a duration such as "${example}" (Go form: h, m, s, ms) from ${minMs / SECOND} s to ${maxMs / SECOND} s`,
    ),
  );

const words = (what: string) =>
  v.pipe(
    v.array(
      v.pipe(
        v.string(`must list ${what} as strings`),
        v.nonEmpty(`must not list an empty ${what}`),
        v.check(
          (s) => !s.includes(",") && !hasAnyControlCharacter(s),
          `must not hold commas or control characters`,
        ),
      ),
      `must be a list of ${what}, e.g. ["crowdsec", "cscli"]`,
    ),
    v.nonEmpty("must not be an empty list (leave the key out to take all)"),
  );

export const crowdsecSchema = v.strictObject(
  {
    lapi_url: v.pipe(
      v.string("must be a string"),
      v.regex(/^https?:\/\/[^\s/?#@]+\/?$/i, "must be the LAPI's base URL, e.g. http://127.0.0.1:8080"),
    ),
    api_key_file: v.pipe(
      v.string("must be a string"),
      v.nonEmpty("must not be empty"),
      v.check((s) => !hasAnyControlCharacter(s), "must not contain control characters"),
    ),
    poll_interval: v.optional(goDuration(SECOND, 3600 * SECOND, "10s")),
    origins: v.optional(words("origins")),
    scenarios_containing: v.optional(words("scenario parts")),
    scenarios_not_containing: v.optional(words("scenario parts")),
    min_duration: v.optional(goDuration(0, 365 * DAY, "5m")),
    max_decisions: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(1, "must be at least 1"),
        v.maxValue(1_000_000, "must be at most 1000000"),
      ),
    ),
    only_ban_type: v.optional(v.boolean("must be true or false")),
    request_timeout_ms: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(1000),
        v.maxValue(600_000),
      ),
    ),
  },
  'must be an object with "lapi_url" and "api_key_file" (see docs/crowdsec.md)',
);

export type CrowdsecSection = v.InferOutput<typeof crowdsecSchema>;
