/** Loads, checks and resolves the configuration file; reports every problem at once. */
import { dirname } from "node:path";
import { ConfigError } from "../errors/index.ts";
import { type FleetConfig, resolveFleet } from "./fleet.ts";
import { checkKeys } from "./issues.ts";
import { resolvePassword } from "./password.ts";
import { CONFIG_CANDIDATES, CONFIG_ENV_VAR, resolveConfigPath } from "./paths.ts";
import { permissionProblem } from "./permissions.ts";
import { readConfigFile } from "./read-file.ts";
import { type ConfigFileData, DEFAULTS } from "./schema.ts";
import { resolveTls } from "./tls.ts";
import type { Config, LoadConfigOptions, LoadedConfig } from "./types.ts";
import { normaliseUrl } from "./url.ts";

/**
 * Reads the configuration (path: see `resolveConfigPath`) and returns it resolved: password read
 * and registered as a secret, TLS mode chosen, defaults filled in. Throws `ConfigError` whose
 * `problems` hold one line per problem, each naming the file and key and saying what to do.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const candidates = options.candidates ?? CONFIG_CANDIDATES;
  const path = resolveConfigPath(options.path, { env, candidates });
  const searched = options.path !== undefined || env[CONFIG_ENV_VAR] ? [] : candidates;
  const file = await readConfigFile(path, searched);
  const { values, problems } = checkKeys(path, file.data);
  const present = Object.keys(file.data);
  const warnings: string[] = [];
  // A file others can read leaks the credentials: refused unless explicitly accepted.
  const checkPermissions = values.allow_world_readable !== true;
  if (checkPermissions) {
    const problem = permissionProblem(path, file.mode, "the configuration file (it holds credentials)");
    if (problem !== undefined) problems.push(problem);
  }

  const missing = (key: string, example: string) => {
    if (!present.includes(key)) problems.push(`${path}: key "${key}" is missing (${example})`);
  };
  missing("url", 'the firewall\'s console, e.g. "url": "https://192.168.1.1:4444"');
  missing("user", 'the firewall API user, e.g. "user": "apiuser"');

  const allowInsecureHttp = values.allow_insecure_http === true;
  let url: string | undefined;
  let insecureHttp = false;
  if (values.url !== undefined) {
    const result = normaliseUrl(values.url, allowInsecureHttp);
    if ("problem" in result) problems.push(`${path}: key "url": ${result.problem}`);
    else ({ url, insecureHttp } = result);
    if (insecureHttp) {
      warnings.push(`${path}: the URL uses http://: the password crosses the network in clear text`);
    }
  }

  const configDir = dirname(path);
  const password = await resolvePassword(values, present, { file: path, configDir, env, checkPermissions });
  problems.push(...password.problems);
  warnings.push(...password.warnings);
  const tls = await resolveTls(values, { file: path, configDir, insecureHttp });
  problems.push(...tls.problems);
  warnings.push(...tls.warnings);

  let fleet: FleetConfig | undefined;
  if (values.fleet !== undefined) {
    const resolved = await resolveFleet(values.fleet, { file: path, configDir, env, checkPermissions });
    problems.push(...resolved.problems);
    fleet = resolved.fleet;
  }
  const groups = groupNames(values, path, problems);
  const layout = values.layout ?? DEFAULTS.layout;

  if (problems.length > 0 || url === undefined || password.password === undefined || tls.tls === undefined) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    throw new ConfigError(`invalid configuration ${path}: ${count}`, problems, {
      hint: "fix the keys listed; see docs/configuration.md",
    });
  }
  const config: Config = {
    url,
    username: values.user ?? "",
    password: password.password.value,
    passwordSource: password.password.source,
    tls: tls.tls,
    allowInsecureHttp,
    prefix: values.iphost_prefix ?? DEFAULTS.iphost_prefix,
    groups,
    connectTimeoutMs: values.connect_timeout_ms ?? DEFAULTS.connect_timeout_ms,
    requestTimeoutMs: values.request_timeout_ms ?? DEFAULTS.request_timeout_ms,
    maxEntitiesPerRequest: values.max_entities_per_request ?? DEFAULTS.max_entities_per_request,
    deliveryBudgetMs: values.delivery_budget_ms ?? DEFAULTS.delivery_budget_ms,
    shardSize: values.iplist_shard_size ?? DEFAULTS.iplist_shard_size,
    stateDir: values.state_dir ?? DEFAULTS.state_dir,
    layout,
    allowWorldReadable: values.allow_world_readable === true,
    ...(values.log_level === undefined ? {} : { logLevel: values.log_level }),
    ...(fleet === undefined ? {} : { fleet }),
  };
  return { config, path, warnings };
}

function groupNames(values: ConfigFileData, path: string, problems: string[]): Config["groups"] {
  const IPv4 = values.iphostgroup_name ?? DEFAULTS.iphostgroup_name;
  const IPv6 = values.iphostgroup_name_v6 ?? `${IPv4}_v6`;
  if (values.iphostgroup_name_v6 === undefined && IPv6.length > 60) {
    problems.push(
      `${path}: key "iphostgroup_name": too long to derive the IPv6 group name (set "iphostgroup_name_v6")`,
    );
  }
  if (IPv4 === IPv6) {
    problems.push(
      `${path}: keys "iphostgroup_name" and "iphostgroup_name_v6" must differ (a group holds one family)`,
    );
  }
  return { IPv4, IPv6 };
}
