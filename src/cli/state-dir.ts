/**
 * `F2B_SOPHOSXG_STATE_DIR` replaces the default state directory (/var/lib/f2b-sophosxg) when the
 * config file has no `state_dir`: the original program's config (its six keys, no state_dir)
 * then works unchanged where /var/lib is not ours to write (a non-root test run, a container,
 * a second instance), without editing the file. A `state_dir` in the file always wins.
 */
import { isAbsolute } from "node:path";
import { DEFAULTS } from "../config/defaults.ts";
import type { Config } from "../config/types.ts";
import { ConfigError } from "../errors/base.ts";

export const STATE_DIR_ENV_VAR = "F2B_SOPHOSXG_STATE_DIR";

export function withStateDirFromEnv(config: Config, env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv = env[STATE_DIR_ENV_VAR];
  if (fromEnv === undefined || fromEnv === "" || config.stateDir !== DEFAULTS.state_dir) return config;
  if (!isAbsolute(fromEnv)) {
    throw new ConfigError(
      `invalid environment: ${STATE_DIR_ENV_VAR}`,
      [
        `${STATE_DIR_ENV_VAR}=${JSON.stringify(fromEnv)}: must be an absolute path (e.g. /var/lib/f2b-sophosxg)`,
      ],
      { hint: `fix or unset ${STATE_DIR_ENV_VAR}` },
    );
  }
  return { ...config, stateDir: fromEnv };
}
