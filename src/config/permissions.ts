/** The credentials file must not be readable by other users. */

/** A warning line when `mode` gives group or others any access, else undefined. */
export function permissionWarning(path: string, mode: number, what: string): string | undefined {
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, "0");
  return `${path}: ${what} is accessible by group or others (mode ${octal}); run: chmod 600 ${path} (or set "allow_world_readable": true)`;
}
