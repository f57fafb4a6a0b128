/** Objects an admin would have made by hand, so demos and tests see a firewall that is not empty. */
import type { IpHost, IpHostGroup } from "../protocol/index.ts";
import type { StoreSnapshot } from "./store.ts";

/** `count` foreign IPv4 hosts (`admin_host_N`) and two foreign groups, the first holding half of them. */
export function foreignObjects(count: number): StoreSnapshot {
  const hosts: IpHost[] = [];
  for (let i = 0; i < count; i++) {
    hosts.push({
      name: `admin_host_${i + 1}`,
      ipFamily: "IPv4",
      hostType: "IP",
      description: "seeded foreign host",
      ipAddress: `198.51.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`,
      hostGroups: [],
    });
  }
  const groups: IpHostGroup[] = [
    {
      name: "admin_servers",
      ipFamily: "IPv4",
      description: "seeded foreign group",
      hosts: hosts.filter((_, i) => i % 2 === 0).map((h) => h.name),
    },
    { name: "admin_empty_v6", ipFamily: "IPv6", description: "", hosts: [] },
  ];
  return { hosts, groups };
}

/** Fills in what loosely written JSON (control endpoint, state file) may leave out. */
export function normaliseObjects(objects: Partial<StoreSnapshot>): StoreSnapshot {
  const hosts = Array.isArray(objects.hosts) ? objects.hosts : [];
  const groups = Array.isArray(objects.groups) ? objects.groups : [];
  for (const h of hosts) {
    if (typeof h?.name !== "string" || typeof h.hostType !== "string")
      throw new Error("each host needs a name and a hostType");
  }
  for (const g of groups) if (typeof g?.name !== "string") throw new Error("each group needs a name");
  return {
    hosts: hosts.map((h) => ({
      ...h,
      ipFamily: h.ipFamily ?? "IPv4",
      hostGroups: Array.isArray(h.hostGroups) ? h.hostGroups : [],
    })),
    groups: groups.map((g) => ({
      ...g,
      ipFamily: g.ipFamily ?? "IPv4",
      hosts: Array.isArray(g.hosts) ? g.hosts : [],
    })),
  };
}
