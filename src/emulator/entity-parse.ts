/**
 * Turns IPHost / IPHostGroup request elements into objects, with the checks the firewall
 * answers 501 (`Configuration parameters validation failed.`) for.
 */
import { firewallNameProblem, type IpFamily, type IpHost, type IpHostGroup } from "../protocol/index.ts";
import { addressKey, isAddressOf, isIPv4Mask, isIPv6Mask, isPrefixLength } from "./address.ts";
import type { BehaviourSwitches } from "./options.ts";
import { child, childrenNamed, childText, type XmlElement } from "./xml-tree.ts";

/** `enumerated`: the problem is a value outside an enumeration (HostType, IPFamily), which some firmware answers 500. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string; enumerated?: boolean };

export const IPLIST_MAX = 1000;
export const DESCRIPTION_MAX = 255;

function fail<T>(problem: string, enumerated = false): Parsed<T> {
  return enumerated ? { ok: false, problem, enumerated } : { ok: false, problem };
}

/** The Name of an entity element, whatever else is wrong with it (for answers and logs). */
export function entityName(el: XmlElement): string {
  return childText(el, "Name") ?? "";
}

function parseFamily(el: XmlElement): IpFamily | undefined {
  const text = childText(el, "IPFamily");
  if (text === undefined || text === "") return "IPv4";
  return text === "IPv4" || text === "IPv6" ? text : undefined;
}

function memberNames(el: XmlElement, listTag: string, itemTag: string): Parsed<string[]> {
  const list = child(el, listTag);
  const names = list === undefined ? [] : childrenNamed(list, itemTag).map((c) => c.text);
  for (const name of names) {
    const problem = firewallNameProblem(name);
    if (problem !== undefined) return fail(`${itemTag} "${name}": ${problem}`);
  }
  return { ok: true, value: [...new Set(names)] };
}

/** What every entity has: a valid name, a family and a description within bounds. */
function parseCommon(el: XmlElement): Parsed<{ name: string; ipFamily: IpFamily; description: string }> {
  const name = entityName(el);
  const nameProblem = firewallNameProblem(name);
  if (nameProblem !== undefined) return fail(`Name: ${nameProblem}`);
  const ipFamily = parseFamily(el);
  if (ipFamily === undefined) return fail("IPFamily must be IPv4 or IPv6", true);
  const description = childText(el, "Description") ?? "";
  if (description.length > DESCRIPTION_MAX) return fail(`Description is longer than ${DESCRIPTION_MAX}`);
  return { ok: true, value: { name, ipFamily, description } };
}

export function parseIpHost(el: XmlElement, behaviour: BehaviourSwitches): Parsed<IpHost> {
  const common = parseCommon(el);
  if (!common.ok) return common;
  const { ipFamily } = common.value;
  const groups = memberNames(el, "HostGroupList", "HostGroup");
  if (!groups.ok) return groups;
  const base = { ...common.value, hostGroups: groups.value };
  const hostType = childText(el, "HostType");
  const addr = (tag: string): string | undefined => {
    const text = childText(el, tag);
    return text !== undefined && isAddressOf(ipFamily, text) ? text : undefined;
  };
  switch (hostType) {
    case "IP": {
      const ipAddress = addr("IPAddress");
      if (ipAddress === undefined) return fail(`IPAddress is not a valid ${ipFamily} address`);
      return { ok: true, value: { ...base, hostType, ipAddress } };
    }
    case "Network": {
      const ipAddress = addr("IPAddress");
      if (ipAddress === undefined) return fail(`IPAddress is not a valid ${ipFamily} address`);
      const subnet = childText(el, "Subnet") ?? "";
      if (!subnetValid(ipFamily, subnet, behaviour))
        return fail(`Subnet "${subnet}" is not valid for ${ipFamily}`);
      return { ok: true, value: { ...base, hostType, ipAddress, subnet } };
    }
    case "IPRange": {
      const startIpAddress = addr("StartIPAddress");
      const endIpAddress = addr("EndIPAddress");
      if (startIpAddress === undefined || endIpAddress === undefined) {
        return fail(`StartIPAddress and EndIPAddress must be valid ${ipFamily} addresses`);
      }
      if (addressKey(ipFamily, startIpAddress) > addressKey(ipFamily, endIpAddress)) {
        return fail("StartIPAddress is after EndIPAddress");
      }
      return { ok: true, value: { ...base, hostType, startIpAddress, endIpAddress } };
    }
    case "IPList": {
      const raw = childText(el, "ListOfIPAddresses") ?? "";
      const list = raw
        .split(",")
        .map((a) => a.trim())
        .filter((a) => a !== "");
      if (list.length === 0) return fail("ListOfIPAddresses is empty");
      if (list.length > behaviour.ipListMax)
        return fail(`ListOfIPAddresses has more than ${behaviour.ipListMax} addresses`);
      const bad = list.find((a) => !isAddressOf(ipFamily, a));
      if (bad !== undefined) return fail(`ListOfIPAddresses: "${bad}" is not a valid ${ipFamily} address`);
      return { ok: true, value: { ...base, hostType, listOfIpAddresses: list } };
    }
    default:
      return fail(
        `HostType "${hostType ?? ""}" is not one of IP, Network, IPRange, IPList`,
        hostType !== undefined,
      );
  }
}

function subnetValid(family: IpFamily, subnet: string, behaviour: BehaviourSwitches): boolean {
  if (family === "IPv4") return isIPv4Mask(subnet);
  const prefix = isPrefixLength(subnet, 128);
  const mask = isIPv6Mask(subnet);
  if (behaviour.ipv6Subnet === "prefix") return prefix;
  if (behaviour.ipv6Subnet === "mask") return mask;
  return prefix || mask;
}

export function parseIpHostGroup(el: XmlElement): Parsed<IpHostGroup> {
  const common = parseCommon(el);
  if (!common.ok) return common;
  const hosts = memberNames(el, "HostList", "Host");
  if (!hosts.ok) return hosts;
  return { ok: true, value: { ...common.value, hosts: hosts.value } };
}
