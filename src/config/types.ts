/** The resolved configuration, as the rest of the program uses it. */
import type { IpFamily } from "../address/index.ts";
import type { FleetConfig } from "./fleet.ts";

export type { FleetConfig } from "./fleet.ts";

/** How the firewall's certificate is checked (see `src/sophos/types.ts` `TlsMode`). */
export type TlsConfig =
  | { mode: "system" }
  | { mode: "ca"; ca: string; caFile: string }
  | { mode: "pin"; sha256: string }
  | { mode: "insecure" };

export type Layout = "hosts" | "iplist";
export type LogLevel = "error" | "warn" | "info" | "debug";
export type PasswordSource = "pass" | "pass_file" | "pass_env";

export interface Config {
  /** Base URL of the web admin console, e.g. `https://192.168.1.1:4444` (no `/webconsole/APIController`). */
  url: string;
  username: string;
  /** Already registered with `registerSecret`. */
  password: string;
  /** Which key the password came from (never the password itself). */
  passwordSource: PasswordSource;
  tls: TlsConfig;
  allowInsecureHttp: boolean;
  /** Prefix of our IP host names (`iphost_prefix`). */
  prefix: string;
  /** The IP host group per family (`iphostgroup_name`, `iphostgroup_name_v6`). */
  groups: Record<IpFamily, string>;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxEntitiesPerRequest: number;
  /** How long a hook may spend delivering (ms), safely below the action file's timeout. */
  deliveryBudgetMs: number;
  /** `iplist` layout: addresses per IP list shard (the firewall allows 1,000). */
  shardSize: number;
  stateDir: string;
  layout: Layout;
  allowWorldReadable: boolean;
  logLevel?: LogLevel;
  /** Set when this host is a member of a fleet (docs/fleet.md). */
  fleet?: FleetConfig;
}

export interface LoadedConfig {
  config: Config;
  /** The file the configuration was read from (absolute). */
  path: string;
  /** One line each, for the caller to show (the library never prints). */
  warnings: string[];
}

export interface LoadConfigOptions {
  /** The `--configfile` value; when absent the path is searched (see `resolveConfigPath`). */
  path?: string;
  /** Environment for `F2B_SOPHOSXG_CONFIG` and `pass_env`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Files tried in order when neither `path` nor `F2B_SOPHOSXG_CONFIG` is given; default `CONFIG_CANDIDATES`. */
  candidates?: readonly string[];
}
