/** Fail2ban's `<family>` tag. */

import type { IpFamily } from "../address/index.ts";
import { UsageError } from "../errors/index.ts";

/** Maps Fail2ban's `inet4` / `inet6` to `IPv4` / `IPv6`; anything else (e.g. an unresolved `<family>`) is a `UsageError`. */
export function familyOfFail2ban(family: string): IpFamily {
  const value = typeof family === "string" ? family.trim() : "";
  if (value === "inet4") return "IPv4";
  if (value === "inet6") return "IPv6";
  const shown = JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  const problem = value.includes("<") ? `${shown} is an unresolved Fail2ban tag` : `${shown} is not a family`;
  throw new UsageError(`invalid address family: ${problem}; expected inet4 or inet6`, {
    hint: 'pass Fail2ban\'s "<family>" tag, inside double quotes in the action file',
  });
}
