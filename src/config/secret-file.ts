/** Reads a small file named by a config key (password file, CA file), with one-line errors. */
// Synchronous on purpose: two small reads, and node:fs/promises would cost every hook its load.
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

const MAX_BYTES = 1024 * 1024;

export type SmallFile = { path: string; text: string; mode: number } | { path: string; problem: string };

/** `name` resolved against the configuration file's directory when relative. */
export async function readSmallFile(name: string, configDir: string): Promise<SmallFile> {
  const path = isAbsolute(name) ? name : resolve(configDir, name);
  try {
    const info = statSync(path);
    if (!info.isFile()) return { path, problem: `${path} is not a regular file` };
    if (info.size > MAX_BYTES) return { path, problem: `${path} is larger than 1 MiB` };
    return { path, text: readFileSync(path, "utf8"), mode: info.mode & 0o777 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === "ENOENT" || code === "ENOTDIR") return { path, problem: `${path} does not exist` };
    if (code === "EACCES" || code === "EPERM")
      return { path, problem: `${path} cannot be read (permission denied)` };
    return { path, problem: `${path} cannot be read (${code ?? "unknown error"})` };
  }
}
