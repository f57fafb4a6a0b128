export { loadConfig } from "./load.ts";
export {
  CONFIG_CANDIDATES,
  CONFIG_ENV_VAR,
  DEFAULT_CONFIG_PATH,
  LEGACY_CONFIG_PATHS,
  type ResolveConfigPathOptions,
  resolveConfigPath,
} from "./paths.ts";
export { CONFIG_KEYS, type ConfigKey, configFileSchema, DEFAULTS } from "./schema.ts";
export type * from "./types.ts";
