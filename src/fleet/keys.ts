/**
 * The fleet's keys in Redis, all under `f2b:<fleet>:` (several fleets can share one Redis):
 *
 *   holds:<member>  hash   "<target> <source> <reason>" → {"f":family,"e":expiresAt|null}
 *   members         hash   member → {"seenAt":ms,"until":latest expiry (s) | null = permanent | 0 = none}
 *   version         string INCR'd after every change of any member's holds (the pusher polls it)
 *   lease           string "<member>:<token>", SET NX PX: who may write to the firewall
 *   fence           string INCR: the next fencing token
 *   fence:high      string the highest token that has passed the gate (see lease.ts)
 *   left            hash   member → when it left or expired (ms): only then are the holds of a
 *                          member missing from `members` released (a Redis that came back empty
 *                          has lost `members` too, and must not unban everything)
 */
export interface FleetKeys {
  holds(member: string): string;
  members: string;
  version: string;
  lease: string;
  fence: string;
  fenceHigh: string;
  left: string;
}

export function fleetKeys(fleet: string): FleetKeys {
  const base = `f2b:${fleet}:`;
  return {
    holds: (member) => `${base}holds:${member}`,
    members: `${base}members`,
    version: `${base}version`,
    lease: `${base}lease`,
    fence: `${base}fence`,
    fenceHigh: `${base}fence:high`,
    left: `${base}left`,
  };
}

/** A hold's field: a space never occurs in a canonical address, a source or a jail name. */
export function holdField(target: string, source: string, reason: string): string {
  return `${target} ${source} ${reason}`;
}

export function parseHoldField(
  field: string,
): { target: string; source: string; reason: string } | undefined {
  const [target, source, ...rest] = field.split(" ");
  if (!target || !source || rest.length === 0) return undefined;
  return { target, source, reason: rest.join(" ") };
}
