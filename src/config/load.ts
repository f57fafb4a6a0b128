/** Loads, checks and resolves the configuration file; reports every problem at once. */
import { checkKeys } from "./issues.ts";
import { resolveConfig } from "./resolve.ts";
import type { LoadConfigOptions, LoadedConfig } from "./types.ts";

/**
 * Reads the configuration (path: see `resolveConfigPath`) and returns it resolved: password read
 * and registered as a secret, TLS mode chosen, defaults filled in. Throws `ConfigError` whose
 * `problems` hold one line per problem, each naming the file and key and saying what to do.
 */
export function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  return resolveConfig(checkKeys, options);
}
