/**
 * The optional `fleet` section: this host is one member of a fleet that shares one Redis and
 * one set of groups on the firewall (docs/fleet.md). The Redis password comes from a 0600 file
 * or an environment variable, never from the URL, and is registered as a secret at once.
 */
import { hostname } from "node:os";
import { hasAnyControlCharacter } from "../address/index.ts";
import { registerSecret } from "../errors/index.ts";
import { FLEET_NAME } from "./fleet-name.ts";
import type { FleetFileData } from "./fleet-schema.ts";
import { permissionProblem } from "./permissions.ts";
import { readSmallFile } from "./secret-file.ts";

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
  return FLEET_NAME.test(host) ? host : "member";
}

/** The section as the key check passed it (schema: fleet-schema.ts, checked with every key). */
export async function resolveFleet(
  data: FleetFileData,
  context: { file: string; configDir: string; env: NodeJS.ProcessEnv; checkPermissions: boolean },
): Promise<FleetResult> {
  const at = (key: string) => `${context.file}: key "fleet.${key}"`;
  const values = data;
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
