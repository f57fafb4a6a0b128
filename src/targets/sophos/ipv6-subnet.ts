/**
 * Which form an IPv6 network's `Subnet` takes is not known (reference §10.7): a prefix length
 * (`64`) or a mask (`ffff:ffff:ffff:ffff::`); a firmware may take only one of them. Every write
 * of IP hosts goes through `setIpHostsInKnownForm`: an IPv6 network is written in the form this
 * firewall last accepted (the prefix length until one is known), and when it is refused as
 * invalid, once more in the other form. Whatever form the firewall accepts is remembered
 * (firewall-memory.ts), so later writes, in this process or the next, cost one request; a
 * firewall that stops taking the remembered form (a firmware upgrade) is learned again by the
 * same fallback.
 */
import type { IpHost, SetOperation } from "../../protocol/model.ts";
import type { EntityOutcome, SophosClient } from "../../sophos/index.ts";
import type { FirewallMemory, Ipv6SubnetForm } from "./firewall-memory.ts";
import { subnetPrefixLength } from "./ip-host.ts";

export const DEFAULT_IPV6_SUBNET_FORM: Ipv6SubnetForm = "prefix";

/** `48` → `ffff:ffff:ffff::` (the expanded-mask form, groups of 16 bits). */
export function ipv6Mask(prefixLength: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefixLength - g * 16));
    groups.push(((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  // Trailing zero groups compressed, as an address is written (ffff:ffff:ffff::).
  return groups.join(":").replace(/(^|:)0(:0)+$/, "::");
}

/** The `Subnet` text of a prefix length in `form`. */
export function ipv6SubnetIn(form: Ipv6SubnetForm, prefixLength: number): string {
  return form === "mask" ? ipv6Mask(prefixLength) : String(prefixLength);
}

function ipv6NetworkPrefix(host: IpHost): number | undefined {
  if (host.ipFamily !== "IPv6" || host.hostType !== "Network") return undefined;
  return subnetPrefixLength("IPv6", host.subnet);
}

/** `host` with an IPv6 network's `Subnet` in `form`; any other host as it is. */
export function inSubnetForm(host: IpHost, form: Ipv6SubnetForm): IpHost {
  const prefixLength = ipv6NetworkPrefix(host);
  return prefixLength === undefined ? host : { ...host, subnet: ipv6SubnetIn(form, prefixLength) };
}

function otherForm(form: Ipv6SubnetForm): Ipv6SubnetForm {
  return form === "prefix" ? "mask" : "prefix";
}

/**
 * `client.setIpHosts(hosts, op)` with IPv6 networks in the form this firewall takes (see the
 * file comment): one request when the form is known and still right, two when it is not.
 * Only an accepted write teaches a form: a refusal in both (a missing group, an update of a
 * missing host) changes nothing that is remembered.
 */
export async function setIpHostsInKnownForm(
  client: SophosClient,
  hosts: IpHost[],
  op: SetOperation,
  memory: FirewallMemory,
): Promise<EntityOutcome[]> {
  if (hosts.length === 0) return [];
  const form = memory.ipv6Subnet()?.form ?? DEFAULT_IPV6_SUBNET_FORM;
  const outcomes = await client.setIpHosts(
    hosts.map((h) => inSubnetForm(h, form)),
    op,
  );
  const networks = hosts.flatMap((h, i) => (ipv6NetworkPrefix(h) === undefined ? [] : [i]));
  if (networks.length === 0) return outcomes;
  const refused = networks.filter((i) => outcomes[i]!.kind === "invalid");
  const merged = [...outcomes];
  let tookOther = false;
  if (refused.length > 0) {
    const retried = await client.setIpHosts(
      refused.map((i) => inSubnetForm(hosts[i]!, otherForm(form))),
      op,
    );
    refused.forEach((index, k) => {
      merged[index] = retried[k]!;
      if (retried[k]!.ok) tookOther = true;
    });
  }
  if (tookOther) memory.rememberIpv6Subnet(otherForm(form));
  else if (networks.some((i) => outcomes[i]!.ok)) memory.rememberIpv6Subnet(form);
  return merged;
}
