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
  /**
   * `firewalls`: several named firewalls (src/config/firewalls.ts); absent in the single-firewall
   * form. The connection keys above are then the first firewall's.
   */
  firewalls?: NamedFirewall[];
  /** The agent's metrics endpoint (`metrics_listen`); absent = off. */
  metrics?: { host: string; port: number; staleAfterMs: number };
  /** The CrowdSec source (the `crowdsec` section), when configured. */
  crowdsec?: CrowdsecConfig;
  /** Set when this host is a member of a fleet (docs/fleet.md). */
  fleet?: FleetConfig;
}

/** The resolved `crowdsec` section (see src/config/crowdsec.ts and docs/crowdsec.md). */
export interface CrowdsecConfig {
  /** Base URL of the Local API, e.g. `http://127.0.0.1:8080` (no trailing slash). */
  lapiUrl: string;
  /** The bouncer key; already registered with `registerSecret`; sent only in `X-Api-Key`. */
  apiKey: string;
  apiKeyFile: string;
  pollIntervalMs: number;
  /** Empty = every origin. */
  origins: string[];
  scenariosContaining: string[];
  scenariosNotContaining: string[];
  minDurationMs: number;
  maxDecisions: number;
  onlyBanType: boolean;
  requestTimeoutMs: number;
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

/** What says how to reach one firewall and what to write there (per entry of `firewalls`). */
export type Connection = Pick<
  Config,
  | "url"
  | "username"
  | "password"
  | "passwordSource"
  | "tls"
  | "allowInsecureHttp"
  | "prefix"
  | "groups"
  | "layout"
  | "shardSize"
>;

/** One entry of `firewalls`, resolved. */
export interface NamedFirewall {
  name: string;
  connection: Connection;
  /** `/healthz`: how late this firewall may be. */
  staleAfterMs: number;
}
