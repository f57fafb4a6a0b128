import { F2bError } from "../errors/base.ts";

/** Our own storage failed (state directory missing or unwritable, disk full, corrupt snapshot). */
export class JournalError extends F2bError {
  override name = "JournalError";
}

export function storageHint(error: unknown, dir: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return `create the state directory or fix "state_dir" in the config (mkdir -p ${dir} && chmod 700 ${dir})`;
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return `make ${dir} writable by the user Fail2ban runs as (root), or point "state_dir" elsewhere`;
    case "ENOSPC":
    case "EDQUOT":
      return `free disk space on the filesystem of ${dir}`;
    default:
      return `check ${dir} (${code ?? "unknown error"})`;
  }
}
