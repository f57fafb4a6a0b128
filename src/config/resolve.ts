/**
 * Loads, checks and resolves the configuration file; reports every problem at once. How each key's
 * value is checked is a parameter: the full check (valibot, issues.ts) or the hook's quick one
 * (quick-check.ts), which only ever accepts what the full check accepts.
 */
import { dirname } from "node:path";
import { ConfigError } from "../errors/index.ts";
import { type Connection, resolveConnection } from "./connection.ts";
import { resolveCrowdsec } from "./crowdsec.ts";
import { DEFAULTS } from "./defaults.ts";
import { resolveFirewalls } from "./firewalls.ts";
import { type FleetConfig, resolveFleet } from "./fleet.ts";
import type { KeyCheck } from "./key-check.ts";
import { parseListen } from "./listen.ts";
import { CONFIG_CANDIDATES, CONFIG_ENV_VAR, resolveConfigPath } from "./paths.ts";
import { permissionProblem } from "./permissions.ts";
import { readConfigFile } from "./read-file.ts";
import type { ConfigFileData } from "./schema.ts";
import type { Config, LoadConfigOptions, LoadedConfig, NamedFirewall } from "./types.ts";

/**
 * Reads the configuration (path: see `resolveConfigPath`) and returns it resolved: password read
 * and registered as a secret, TLS mode chosen, defaults filled in. Throws `ConfigError` whose
 * `problems` hold one line per problem, each naming the file and key and saying what to do.
 */
export async function resolveConfig(
  checkKeys: (file: string, data: Record<string, unknown>) => KeyCheck,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
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

  const configDir = dirname(path);
  const context = { configDir, env, checkPermissions };
  let connection: Connection | undefined;
  let firewalls: NamedFirewall[] | undefined;
  if (values.firewalls === undefined) {
    const single = await resolveConnection(values, present, { where: path, ...context });
    problems.push(...single.problems);
    warnings.push(...single.warnings);
    connection = single.connection;
  } else {
    if (present.includes("url")) {
      problems.push(
        `${path}: key "url": with "firewalls", each firewall names its own "url": move it into the list`,
      );
    }
    const listed = await resolveFirewalls(path, values.firewalls, file.data, context, checkKeys);
    problems.push(...listed.problems);
    warnings.push(...listed.warnings);
    firewalls = listed.firewalls;
    connection = firewalls[0]?.connection;
  }
  const layout = values.layout ?? DEFAULTS.layout;
  const crowdsec = values.crowdsec
    ? await resolveCrowdsec(values.crowdsec, { file: path, configDir, checkPermissions, layout })
    : undefined;
  problems.push(...(crowdsec?.problems ?? []));
  warnings.push(...(crowdsec?.warnings ?? []));
  let fleet: FleetConfig | undefined;
  if (values.fleet !== undefined) {
    const resolved = await resolveFleet(values.fleet, { file: path, configDir, env, checkPermissions });
    problems.push(...resolved.problems);
    fleet = resolved.fleet;
    // The fleet's pusher writes one firewall (one lease, one pusher journal): with a list it
    // would write only the first and leave the others without the fleet's bans.
    if (values.firewalls !== undefined) {
      problems.push(
        `${path}: keys "fleet" and "firewalls" together: a fleet writes one firewall (run one fleet per firewall, each with its own config, "name" and state_dir; docs/fleet.md)`,
      );
    }
  }

  if (problems.length > 0 || connection === undefined) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    throw new ConfigError(`invalid configuration ${path}: ${count}`, problems, {
      hint: "fix the keys listed; see docs/configuration.md",
    });
  }
  const config: Config = {
    ...connection,
    connectTimeoutMs: values.connect_timeout_ms ?? DEFAULTS.connect_timeout_ms,
    requestTimeoutMs: values.request_timeout_ms ?? DEFAULTS.request_timeout_ms,
    maxEntitiesPerRequest: values.max_entities_per_request ?? DEFAULTS.max_entities_per_request,
    deliveryBudgetMs: values.delivery_budget_ms ?? DEFAULTS.delivery_budget_ms,
    stateDir: values.state_dir ?? DEFAULTS.state_dir,
    allowWorldReadable: values.allow_world_readable === true,
    ...(values.log_level === undefined ? {} : { logLevel: values.log_level }),
    ...(firewalls === undefined ? {} : { firewalls }),
    ...metricsOf(values),
    ...(crowdsec?.crowdsec ? { crowdsec: crowdsec.crowdsec } : {}),
    ...(fleet === undefined ? {} : { fleet }),
  };
  return { config, path, warnings };
}

function metricsOf(values: ConfigFileData): Pick<Config, "metrics"> {
  if (values.metrics_listen === undefined) return {};
  const listen = parseListen(values.metrics_listen);
  if ("problem" in listen) return {};
  const staleAfterMs = (values.health_stale_after_s ?? DEFAULTS.health_stale_after_s) * 1000;
  return { metrics: { host: listen.host, port: listen.port, staleAfterMs } };
}
