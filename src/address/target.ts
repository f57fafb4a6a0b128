/** What Fail2ban asks us to block: one address or one network, in canonical form. */
import type { IpFamily } from "./family.ts";
import { formatIPv4, networkMask, parseIPv4 } from "./ipv4.ts";
import { formatIPv6, parseIPv6 } from "./ipv6.ts";

export interface BanTarget {
  /** `ip` for a single address (a /32 or /128 is one), `network` for a shorter CIDR prefix. */
  kind: "ip" | "network";
  family: IpFamily;
  /** Canonical: dotted IPv4, or compressed lower-case IPv6 as Fail2ban prints it. For a network, its first address. */
  address: string;
  /** 32 or 128 for a single address. */
  prefixLength: number;
  /** `address`, or `address/prefixLength` for a network: the form Fail2ban passes as `<ip>`. */
  canonical: string;
}

export const ADDRESS_BITS: Readonly<Record<IpFamily, number>> = { IPv4: 32, IPv6: 128 };

const IPV4_MAPPED = 0xffffn;

/**
 * The canonical target for `value/prefixLength`: host bits cleared, IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`, prefix ≥ 96) turned into IPv4 as Fail2ban does.
 */
export function targetOf(family: IpFamily, value: bigint, prefixLength: number): BanTarget {
  if (family === "IPv6" && prefixLength >= 96 && value >> 32n === IPV4_MAPPED) {
    return targetOf("IPv4", value & 0xffffffffn, prefixLength - 96);
  }
  const bits = ADDRESS_BITS[family];
  const network = value & networkMask(bits, prefixLength);
  const address = formatAddress(family, network);
  const kind = prefixLength === bits ? "ip" : "network";
  return {
    kind,
    family,
    address,
    prefixLength,
    canonical: kind === "ip" ? address : `${address}/${prefixLength}`,
  };
}

export function formatAddress(family: IpFamily, value: bigint): string {
  return family === "IPv4" ? formatIPv4(value) : formatIPv6(value);
}

export function parseAddress(family: IpFamily, text: string): bigint | undefined {
  return family === "IPv4" ? parseIPv4(text) : parseIPv6(text);
}

/** The numeric value of the target's (network) address. */
export function targetValue(target: BanTarget): bigint {
  const value = parseAddress(target.family, target.address);
  if (value === undefined) throw new TypeError(`not a canonical ${target.family} address: ${target.address}`);
  return value;
}
