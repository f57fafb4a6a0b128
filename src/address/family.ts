/**
 * The two address families, defined once for the whole project: the journal, the sources, the
 * targets and the Sophos wire format all speak of `IPv4` and `IPv6` with these names.
 */

export type IpFamily = "IPv4" | "IPv6";

export const FAMILIES: readonly IpFamily[] = ["IPv4", "IPv6"];

/** Canonical targets are dotted IPv4 or colon IPv6, optionally with `/len`. */
export function familyOfTarget(target: string): IpFamily {
  return target.includes(":") ? "IPv6" : "IPv4";
}

export function isIpFamily(value: unknown): value is IpFamily {
  return value === "IPv4" || value === "IPv6";
}
