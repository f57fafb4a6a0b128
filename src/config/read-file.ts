/** Reads the configuration file into a plain object, with errors that never quote its content. */
// Synchronous on purpose: two small reads, and node:fs/promises would cost every hook its load.
import { readFileSync, statSync } from "node:fs";
import { ConfigError } from "../errors/index.ts";
import { locateJsonError } from "./json-error.ts";
import { DEFAULT_CONFIG_PATH } from "./paths.ts";

const MAX_BYTES = 1024 * 1024;

export interface ConfigFile {
  data: Record<string, unknown>;
  /** Permission bits of the file. */
  mode: number;
}

export async function readConfigFile(path: string, searched: readonly string[]): Promise<ConfigFile> {
  let mode: number;
  let text: string;
  try {
    const info = statSync(path);
    if (info.isDirectory())
      throw fileError(path, "is a directory, not a file", "point --configfile at the JSON file");
    if (info.size > MAX_BYTES)
      throw fileError(path, "is larger than 1 MiB", "point --configfile at the JSON file");
    mode = info.mode & 0o777;
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw fromFsError(path, error, searched);
  }
  return { data: parseObject(path, text), mode };
}

function parseObject(path: string, original: string): Record<string, unknown> {
  const text = original.replace(/^\uFEFF/, "");
  if (text.trim() === "") throw fileError(path, "is empty", 'write a JSON object such as {"url": …}');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const where = locateJsonError(text);
    const detail =
      where === undefined ? "" : ` at line ${where.line}, column ${where.column}: ${where.reason}`;
    throw fileError(
      path,
      `is not valid JSON${detail}`,
      "fix the syntax (keys and strings in double quotes, no trailing commas)",
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw fileError(path, "must hold one JSON object ({ … })", "see docs/configuration.md for an example");
  }
  return data as Record<string, unknown>;
}

function fromFsError(path: string, error: unknown, searched: readonly string[]): ConfigError {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    const also = searched.filter((p) => p !== path);
    const looked = also.length > 0 ? `; also looked for ${also.join(", ")}` : "";
    return new ConfigError(`configuration file not found: ${path}`, [
      `${path}: not found${looked} (create it, see docs/configuration.md, or pass --configfile <path>; the default is ${DEFAULT_CONFIG_PATH})`,
    ]);
  }
  if (code === "EACCES" || code === "EPERM") {
    return fileError(
      path,
      "cannot be read (permission denied)",
      "run as the user that owns it (root), or fix its owner",
    );
  }
  return fileError(path, `cannot be read (${code ?? "unknown error"})`, "check the path");
}

function fileError(path: string, problem: string, todo: string): ConfigError {
  return new ConfigError(`cannot use the configuration file ${path}`, [`${path}: ${problem} (${todo})`]);
}
