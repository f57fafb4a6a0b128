/** Our IP host objects on the firewall: what we write for a target, and recognising ours when read back. */
import {
  ADDRESS_BITS,
  type BanTarget,
  ipv4MaskToPrefix,
  parseAddress,
  prefixToIPv4Mask,
  targetOf,
} from "../../address/index.ts";
import type { IpHost } from "../../protocol/index.ts";
import { objectNameFor, prefixProblem } from "./names.ts";

/**
 * The IP host to write for `target`: `IP` for one address, `Network` for a CIDR network with
 * `ipAddress` = the network address and `subnet` = the dotted mask (IPv4, `255.255.255.0`) or
 * the prefix length as a decimal string (IPv6, `48`; reference §10.7 leaves this open, so the
 * write puts it in the form the firewall is known to take: ipv6-subnet.ts).
 */
export function ipHostFor(prefix: string, target: BanTarget, groupName: string): IpHost {
  const host: IpHost = {
    name: objectNameFor(prefix, target),
    ipFamily: target.family,
    hostType: target.kind === "ip" ? "IP" : "Network",
    ipAddress: target.address,
    description: `f2b-sophosxg ban ${target.canonical}`,
    hostGroups: [groupName],
  };
  if (target.kind === "network") {
    host.subnet =
      target.family === "IPv4" ? prefixToIPv4Mask(target.prefixLength) : String(target.prefixLength);
  }
  return host;
}

/**
 * The target an IP host read from the firewall stands for, when it is one of ours: its name
 * starts with `prefix`, its address fields parse (`IP`, or `Network` with a dotted mask, an IPv6
 * mask or a prefix length), and its name is exactly `objectNameFor(prefix, target)`, so objects
 * of another prefix that merely start with ours (`f2b_` vs `f2b_1`) are not taken. IPv4 objects
 * the original program made (`f2b_192.0.2.1`, type IP) qualify. Policy limits are not applied,
 * so a refused address that was banned earlier can still be cleaned up.
 */
export function banTargetFromHost(prefix: string, host: IpHost): BanTarget | undefined {
  if (prefixProblem(prefix) !== undefined || !host.name.startsWith(prefix)) return undefined;
  if (host.ipAddress === undefined) return undefined;
  const family = host.ipFamily ?? "IPv4";
  const value = parseAddress(family, host.ipAddress);
  if (value === undefined) return undefined;
  const bits = ADDRESS_BITS[family];
  let prefixLength: number | undefined;
  if (host.hostType === "IP") prefixLength = bits;
  else if (host.hostType === "Network") prefixLength = subnetPrefixLength(family, host.subnet);
  if (prefixLength === undefined) return undefined;
  const target = targetOf(family, value, prefixLength);
  if (target.family !== family) return undefined;
  if ((host.hostType === "IP") !== (target.kind === "ip")) return undefined;
  return objectNameFor(prefix, target) === host.name ? target : undefined;
}

/** The prefix length a `Subnet` stands for: a length (`64`), a dotted IPv4 mask or an IPv6 mask; undefined if none. */
export function subnetPrefixLength(family: "IPv4" | "IPv6", subnet: string | undefined): number | undefined {
  if (subnet === undefined) return undefined;
  const text = subnet.trim();
  const max = ADDRESS_BITS[family];
  if (/^\d{1,3}$/.test(text)) return Number(text) <= max ? Number(text) : undefined;
  if (family === "IPv4") return ipv4MaskToPrefix(text);
  const mask = parseAddress("IPv6", text);
  if (mask === undefined) return undefined;
  const bitsText = mask.toString(2).padStart(128, "0");
  return /^1*0*$/.test(bitsText) ? (bitsText.indexOf("0") === -1 ? 128 : bitsText.indexOf("0")) : undefined;
}
