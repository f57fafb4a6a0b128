/**
 * Files that hold credentials (the config file, `pass_file`) must not be readable by other users:
 * such a file is refused unless `"allow_world_readable": true` says the exposure is intended.
 */

/** Mode bits as `0644`. */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/** A problem line when `mode` gives group or others any access, else undefined. */
export function permissionProblem(path: string, mode: number, what: string): string | undefined {
  if ((mode & 0o077) === 0) return undefined;
  return `${path}: ${what} is accessible by group or others (mode ${octalMode(mode)}): refused; run: chmod 600 ${path} (or set "allow_world_readable": true to accept it)`;
}
