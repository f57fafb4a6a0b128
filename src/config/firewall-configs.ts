/**
 * One configuration per firewall, for the parts that deliver: the `firewalls` entries over the
 * shared keys, or the single firewall as `default`. Types only from the config, so a hook (or
 * the library's declarations) never pulls in the schema.
 */
import type { Config } from "./types.ts";

export const DEFAULT_FIREWALL_NAME = "default";

/** One configuration per firewall: the list's entries, or the single firewall as `default`. */
export function firewallConfigs(config: Config): { name: string; config: Config }[] {
  if (config.firewalls === undefined) return [{ name: DEFAULT_FIREWALL_NAME, config }];
  return config.firewalls.map((fw) => ({
    name: fw.name,
    config: {
      ...config,
      ...fw.connection,
      ...(config.metrics ? { metrics: { ...config.metrics, staleAfterMs: fw.staleAfterMs } } : {}),
    },
  }));
}
