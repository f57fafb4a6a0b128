/**
 * Who may use the API (534 otherwise). `--allow-ip` entries are addresses, CIDRs or ranges
 * (`a-b`); SFOS 22 keeps its allowed sources as IP host objects (addresses, networks, ranges,
 * up to 64, migrated ones named `apiconfig_…`), which `allowedCallerHosts` names.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { IpFamily, IpHost } from "../protocol/index.ts";

/** The address fields of an IP host (its memberships do not matter here). */
type AddressHost = Omit<IpHost, "hostGroups">;

import { addressKey, isIPv4Mask, isIPv6Mask } from "./address.ts";

interface Span {
  family: IpFamily;
  low: bigint;
  high: bigint;
}

function familyOf(text: string): IpFamily | undefined {
  if (isIPv4(text)) return "IPv4";
  if (isIPv6(text)) return "IPv6";
  return undefined;
}

function bitsOf(family: IpFamily): number {
  return family === "IPv4" ? 32 : 128;
}

function network(family: IpFamily, address: string, prefix: number): Span {
  const bits = BigInt(bitsOf(family));
  const hostBits = bits - BigInt(prefix);
  const size = 1n << hostBits;
  const low = (addressKey(family, address) >> hostBits) << hostBits;
  return { family, low, high: low + size - 1n };
}

function maskLength(family: IpFamily, mask: string): number | undefined {
  if (/^\d{1,3}$/.test(mask)) {
    const n = Number(mask);
    return n <= bitsOf(family) ? n : undefined;
  }
  if (family === "IPv4" ? !isIPv4Mask(mask) : !isIPv6Mask(mask)) return undefined;
  return addressKey(family, mask).toString(2).replace(/0+$/, "").length;
}

/** An `--allow-ip` entry as a span of addresses, or undefined when it is none of the three forms. */
export function parseCallerSpan(entry: string): Span | undefined {
  const text = entry.trim();
  const dash = text.indexOf("-");
  if (dash > 0) {
    const start = text.slice(0, dash).trim();
    const end = text.slice(dash + 1).trim();
    const family = familyOf(start);
    if (family === undefined || familyOf(end) !== family) return undefined;
    const low = addressKey(family, start);
    const high = addressKey(family, end);
    return low <= high ? { family, low, high } : undefined;
  }
  const slash = text.indexOf("/");
  if (slash > 0) {
    const address = text.slice(0, slash);
    const family = familyOf(address);
    if (family === undefined) return undefined;
    const prefix = maskLength(family, text.slice(slash + 1));
    return prefix === undefined ? undefined : network(family, address, prefix);
  }
  const family = familyOf(text);
  if (family === undefined) return undefined;
  const key = addressKey(family, text);
  return { family, low: key, high: key };
}

/** The spans an IP host object allows (IP, Network, IPRange, IPList). */
function hostSpans(host: AddressHost): Span[] {
  const family = host.ipFamily;
  switch (host.hostType) {
    case "IP":
      return host.ipAddress === undefined ? [] : [parseCallerSpan(host.ipAddress)].filter(isSpan);
    case "Network": {
      if (host.ipAddress === undefined || host.subnet === undefined) return [];
      const prefix = maskLength(family, host.subnet);
      return prefix === undefined ? [] : [network(family, host.ipAddress, prefix)];
    }
    case "IPRange":
      return [parseCallerSpan(`${host.startIpAddress}-${host.endIpAddress}`)].filter(isSpan);
    case "IPList":
      return (host.listOfIpAddresses ?? []).map(parseCallerSpan).filter(isSpan);
    default:
      return [];
  }
}

function isSpan(span: Span | undefined): span is Span {
  return span !== undefined;
}

export interface CallerPolicy {
  entries: string[] | undefined;
  hostNames: string[] | undefined;
}

/** Whether `caller` may use the API; everyone when the policy names nothing. */
export function callerAllowed(
  policy: CallerPolicy,
  caller: string,
  hostByName: (name: string) => AddressHost | undefined,
): boolean {
  if (policy.entries === undefined && policy.hostNames === undefined) return true;
  const family = familyOf(caller);
  if (family === undefined) return false;
  const key = addressKey(family, caller);
  const spans = [
    ...(policy.entries ?? []).map(parseCallerSpan).filter(isSpan),
    ...(policy.hostNames ?? []).flatMap((name) => {
      const host = hostByName(name);
      return host === undefined ? [] : hostSpans(host);
    }),
  ];
  return spans.some((s) => s.family === family && s.low <= key && key <= s.high);
}
