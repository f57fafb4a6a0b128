/**
 * What we refuse to ban even when it is a valid address. A ban lands on the perimeter firewall,
 * where a mistake blocks everybody: so a /0 and very wide networks are refused, and so are
 * addresses that can never be the source of traffic crossing the firewall (unspecified,
 * loopback, link-local, multicast, reserved/broadcast). Private ranges (10/8, fc00::/7, …) are
 * allowed: attackers inside the network are a real case.
 */
import type { IpFamily } from "./family.ts";
import { networkMask } from "./ipv4.ts";
import { ADDRESS_BITS, type BanTarget, parseAddress, targetValue } from "./target.ts";

/** The widest network accepted per family: a shorter prefix is refused. */
export const MIN_PREFIX_LENGTH: Readonly<Record<IpFamily, number>> = { IPv4: 8, IPv6: 16 };

interface RefusedRange {
  family: IpFamily;
  network: string;
  prefixLength: number;
  what: string;
}

/** Ranges a ban may neither be in nor contain. */
export const REFUSED_RANGES: readonly RefusedRange[] = [
  { family: "IPv4", network: "0.0.0.0", prefixLength: 8, what: "the unspecified/this-network range" },
  { family: "IPv4", network: "127.0.0.0", prefixLength: 8, what: "loopback" },
  { family: "IPv4", network: "169.254.0.0", prefixLength: 16, what: "link-local" },
  { family: "IPv4", network: "224.0.0.0", prefixLength: 4, what: "multicast" },
  { family: "IPv4", network: "240.0.0.0", prefixLength: 4, what: "reserved/broadcast" },
  { family: "IPv6", network: "::", prefixLength: 128, what: "the unspecified address" },
  { family: "IPv6", network: "::1", prefixLength: 128, what: "loopback" },
  { family: "IPv6", network: "fe80::", prefixLength: 10, what: "link-local" },
  { family: "IPv6", network: "ff00::", prefixLength: 8, what: "multicast" },
];

export interface PolicyProblem {
  reason: string;
  hint: string;
}

/** Why `target` must not be banned, or undefined when it may. */
export function policyProblem(target: BanTarget): PolicyProblem | undefined {
  const { family, prefixLength } = target;
  const min = MIN_PREFIX_LENGTH[family];
  if (prefixLength === 0) {
    return {
      reason: `a /0 network is every ${family} address`,
      hint: `ban single addresses or networks of /${min} or longer`,
    };
  }
  if (prefixLength < min) {
    return {
      reason: `/${prefixLength} is wider than the widest ${family} network accepted (/${min})`,
      hint: `ban networks of /${min} or longer`,
    };
  }
  const range = REFUSED_RANGES.find((r) => r.family === family && overlaps(target, r));
  if (range !== undefined) {
    return {
      reason: `it is in or contains ${range.what} ${range.network}/${range.prefixLength}, never a source the firewall could block`,
      hint: "add it to ignoreip in the jail, or fix the filter that produced it",
    };
  }
  return undefined;
}

function overlaps(target: BanTarget, range: RefusedRange): boolean {
  const bits = ADDRESS_BITS[target.family];
  const t = targetValue(target);
  const r = parseAddress(range.family, range.network) ?? 0n;
  const shorter = Math.min(target.prefixLength, range.prefixLength);
  const mask = networkMask(bits, shorter);
  return (t & mask) === (r & mask);
}
