/**
 * Get filtering as measured on real firewalls (reference §2): only the first `<key>` of the
 * first `<Filter>` counts; `like` is a case-sensitive substring match; a key the entity does
 * not have is ignored (everything comes back).
 */
import type { IpHost, IpHostGroup } from "../protocol/index.ts";
import { child, type XmlElement } from "./xml-tree.ts";

export type FilterResult<T> = { ok: true; items: T[] } | { ok: false };

function hostField(host: IpHost, key: string): string | undefined {
  switch (key) {
    case "Name":
      return host.name;
    case "IPFamily":
      return host.ipFamily;
    case "HostType":
      return host.hostType;
    case "Description":
      return host.description ?? "";
    case "IPAddress":
      return host.ipAddress ?? "";
    default:
      return undefined;
  }
}

function groupField(group: IpHostGroup, key: string): string | undefined {
  switch (key) {
    case "Name":
      return group.name;
    case "IPFamily":
      return group.ipFamily;
    case "Description":
      return group.description ?? "";
    default:
      return undefined;
  }
}

const HOST_KEYS = new Set(["Name", "IPFamily", "HostType", "Description", "IPAddress"]);
const GROUP_KEYS = new Set(["Name", "IPFamily", "Description"]);

function applyFilter<T>(
  el: XmlElement,
  items: T[],
  keys: Set<string>,
  field: (item: T, key: string) => string | undefined,
): FilterResult<T> {
  const filter = child(el, "Filter");
  const key = filter === undefined ? undefined : child(filter, "key");
  if (key === undefined) return { ok: true, items };
  const name = key.attrs.name ?? "";
  if (!keys.has(name)) return { ok: true, items };
  const criteria = key.attrs.criteria ?? "=";
  const value = key.text;
  const test = matcher(criteria, value);
  // Assumption: an unknown criteria is one of the "unsupported" shapes answered with Transaction fail.
  if (test === undefined) return { ok: false };
  return { ok: true, items: items.filter((item) => test(field(item, name) ?? "")) };
}

function matcher(criteria: string, value: string): ((field: string) => boolean) | undefined {
  if (criteria === "=") return (f) => f === value;
  if (criteria === "!=") return (f) => f !== value;
  if (criteria === "like") return (f) => f.includes(value);
  return undefined;
}

export function filterHosts(el: XmlElement, hosts: IpHost[]): FilterResult<IpHost> {
  return applyFilter(el, hosts, HOST_KEYS, hostField);
}

export function filterGroups(el: XmlElement, groups: IpHostGroup[]): FilterResult<IpHostGroup> {
  return applyFilter(el, groups, GROUP_KEYS, groupField);
}
