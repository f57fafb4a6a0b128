/** Where the configuration file is looked for. */
import { statSync } from "node:fs";
import { resolve } from "node:path";

export const DEFAULT_CONFIG_PATH = "/etc/f2b-sophosxg/config.json";
/** The original program installed its file here; its README names both spellings. */
export const LEGACY_CONFIG_PATHS: readonly string[] = [
  "/usr/local/etc/f2bsophosxg/config.json",
  "/usr/local/etc/f2b-sophosxg/config.json",
];
export const CONFIG_CANDIDATES: readonly string[] = [DEFAULT_CONFIG_PATH, ...LEGACY_CONFIG_PATHS];
export const CONFIG_ENV_VAR = "F2B_SOPHOSXG_CONFIG";

export interface ResolveConfigPathOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default `CONFIG_CANDIDATES`. */
  candidates?: readonly string[];
}

/**
 * The configuration file to read: `explicit` (`--configfile`) when given; else the
 * `F2B_SOPHOSXG_CONFIG` environment variable; else the first of the candidates that exists
 * (`/etc/f2b-sophosxg/config.json`, then the original program's paths); else the first candidate,
 * so that the "not found" error names the default. Relative paths resolve against the working directory.
 */
export function resolveConfigPath(explicit?: string, options: ResolveConfigPathOptions = {}): string {
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const fromEnv = (options.env ?? process.env)[CONFIG_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  const candidates = options.candidates ?? CONFIG_CANDIDATES;
  const found = candidates.find(isFile);
  return resolve(found ?? candidates[0] ?? DEFAULT_CONFIG_PATH);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
