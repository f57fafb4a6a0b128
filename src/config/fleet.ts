/**
 * The optional `fleet` section: this host is one member of a fleet that shares one Redis and
 * one set of groups on the firewall (docs/fleet.md). The Redis password comes from a 0600 file
 * or an environment variable, never from the URL, and is registered as a secret at once.
 */
import { hostname } from "node:os";
import * as v from "valibot";
import { hasAnyControlCharacter } from "../address/index.ts";
import { registerSecret } from "../errors/index.ts";
import { permissionProblem } from "./permissions.ts";
import { readSmallFile } from "./secret-file.ts";

/** A fleet's and a member's name go into Redis keys and into hold sources: keep them plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const name = (what: string) =>
  v.pipe(
    v.string("must be a string"),
    v.regex(NAME, `must be 1-64 letters, digits, '.', '_' or '-' (the ${what})`),
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

export interface FleetConfig {
  /** `redis://` or `rediss://` (TLS), host, port, optional database; never a password. */
  redisUrl: string;
  /** The ACL user named in the URL (`redis://user@host`), if any. */
  redisUser?: string;
  /** Already registered with `registerSecret`. */
  redisPassword?: string;
  /** PEM of the CA that signed the Redis server's certificate (`rediss://` with a private CA). */
  redisCa?: string;
  name: string;
  member: string;
  /** The pusher's lease: a member that stops renewing it is replaced after this long. */
  leaseMs: number;
}

export const DEFAULT_LEASE_MS = 15_000;

export interface FleetResult {
  fleet?: FleetConfig;
  problems: string[];
}

function defaultMember(): string {
  const host = hostname().split(".")[0] ?? "";
  return NAME.test(host) ? host : "member";
}

export async function resolveFleet(
  data: unknown,
  context: { file: string; configDir: string; env: NodeJS.ProcessEnv; checkPermissions: boolean },
): Promise<FleetResult> {
  const at = (key: string) => `${context.file}: key "fleet.${key}"`;
  const parsed = v.safeParse(fleetSchema, data);
  if (!parsed.success) {
    return {
      problems: parsed.issues.map((issue) => {
        const key = issue.path?.map((p) => String(p.key)).join(".");
        return key ? `${at(key)}: ${issue.message}` : `${context.file}: key "fleet": ${issue.message}`;
      }),
    };
  }
  const values = parsed.output;
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(values.redis_url);
  } catch {
    problems.push(
      `${at("redis_url")}: is not a URL (e.g. "redis://127.0.0.1:6379" or "rediss://user@redis.example:6380")`,
    );
  }
  if (url) {
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
      problems.push(`${at("redis_url")}: must start with redis:// or rediss:// (TLS)`);
    }
    if (url.password !== "") {
      // Registered first, so that no later message can show it.
      registerSecret(decodeURIComponent(url.password));
      problems.push(
        `${at("redis_url")}: holds a password: remove it from the URL and use "redis_pass_file" or "redis_pass_env"`,
      );
    }
    if (url.hostname === "") problems.push(`${at("redis_url")}: names no host`);
  }
  if (values.redis_pass_file !== undefined && values.redis_pass_env !== undefined) {
    problems.push(
      `${context.file}: keys "fleet.redis_pass_file" and "fleet.redis_pass_env" each give the password: keep one`,
    );
  }
  let password: string | undefined;
  if (values.redis_pass_env !== undefined) {
    password = context.env[values.redis_pass_env];
    if (password === undefined) {
      problems.push(`${at("redis_pass_env")}: environment variable ${values.redis_pass_env} is not set`);
    }
  } else if (values.redis_pass_file !== undefined) {
    const read = await readSmallFile(values.redis_pass_file, context.configDir);
    if ("problem" in read) problems.push(`${at("redis_pass_file")}: ${read.problem} (one line, chmod 600)`);
    else {
      password = read.text.replace(/\r?\n$/, "");
      registerSecret(password);
      const refused = context.checkPermissions
        ? permissionProblem(read.path, read.mode, "the Redis password file")
        : undefined;
      if (refused !== undefined) problems.push(`${at("redis_pass_file")}: ${refused}`);
    }
  }
  if (password !== undefined) {
    registerSecret(password);
    if (password === "" || hasAnyControlCharacter(password)) {
      problems.push(`${context.file}: the Redis password is empty or holds a control character`);
    }
  }
  let ca: string | undefined;
  if (values.redis_tls_ca_file !== undefined) {
    const read = await readSmallFile(values.redis_tls_ca_file, context.configDir);
    if ("problem" in read) problems.push(`${at("redis_tls_ca_file")}: ${read.problem}`);
    else ca = read.text;
    if (url && url.protocol !== "rediss:") {
      problems.push(`${at("redis_tls_ca_file")}: only used with a rediss:// URL`);
    }
  }
  if (problems.length > 0 || !url) return { problems };
  const user = decodeURIComponent(url.username);
  const clean = new URL(url.href);
  clean.username = "";
  const fleet: FleetConfig = {
    redisUrl: clean.href,
    ...(user === "" ? {} : { redisUser: user }),
    ...(password === undefined ? {} : { redisPassword: password }),
    ...(ca === undefined ? {} : { redisCa: ca }),
    name: values.name,
    member: values.member ?? defaultMember(),
    leaseMs: values.lease_ms ?? DEFAULT_LEASE_MS,
  };
  return { fleet, problems: [] };
}
