/**
 * The emulator's objects. Group membership is ONE relation (reference §4.3): it lives in each
 * group's ordered member list, and a host's HostGroupList is derived from it, so a change made
 * from either side is visible from both.
 */
import type { IpFamily, IpHost, IpHostGroup } from "../protocol/index.ts";

/** A host as stored: everything but its groups, which come from the groups' member lists. */
export type StoredHost = Omit<IpHost, "hostGroups">;

export interface StoredGroup {
  name: string;
  ipFamily: IpFamily;
  description: string;
  hosts: string[];
  /** Set by the "mimic" answer to `<Remove><IPHostGroup>` with a HostList: later updates fail. */
  broken?: boolean;
}

export interface StoreSnapshot {
  hosts: IpHost[];
  groups: IpHostGroup[];
}

/** The built-in hosts of a real firewall, in the order of sample 01. */
const SYSTEM_HOSTS: Array<[string, IpFamily]> = [
  ["##ALL_RW", "IPv4"],
  ["##ALL_IPSEC_RW", "IPv4"],
  ["##ALL_SSLVPN_RW", "IPv4"],
  ["##ALL_RW6", "IPv6"],
  ["##ALL_SSLVPN_RW6", "IPv6"],
  ["##ALL_IPSEC_RW6", "IPv6"],
  ["#Port1", "IPv4"],
  ["#Port2", "IPv4"],
];

export class Store {
  readonly hosts = new Map<string, StoredHost>();
  readonly groups = new Map<string, StoredGroup>();

  constructor() {
    this.clear();
  }

  /** Back to a factory-fresh firewall: only the system hosts. */
  clear(): void {
    this.hosts.clear();
    this.groups.clear();
    for (const [name, ipFamily] of SYSTEM_HOSTS)
      this.hosts.set(name, { name, ipFamily, hostType: "System Host" });
  }

  isSystemHost(name: string): boolean {
    return this.hosts.get(name)?.hostType === "System Host";
  }

  /** Group names per host, in group order; built once per answer so large Gets stay linear. */
  membershipIndex(): Map<string, string[]> {
    const index = new Map<string, string[]>();
    for (const group of this.groups.values()) {
      for (const host of group.hosts) {
        const list = index.get(host);
        if (list) list.push(group.name);
        else index.set(host, [group.name]);
      }
    }
    return index;
  }

  groupsOf(host: string): string[] {
    return [...this.groups.values()].filter((g) => g.hosts.includes(host)).map((g) => g.name);
  }

  /** Makes `host` a member of exactly `groupNames` (existing positions kept, new ones appended). */
  setHostMembership(host: string, groupNames: string[]): void {
    const wanted = new Set(groupNames);
    for (const group of this.groups.values()) {
      const member = group.hosts.includes(host);
      if (member && !wanted.has(group.name)) group.hosts = group.hosts.filter((h) => h !== host);
      if (!member && wanted.has(group.name)) group.hosts.push(host);
    }
  }

  removeHost(name: string): void {
    this.setHostMembership(name, []);
    this.hosts.delete(name);
  }

  toIpHost(host: StoredHost, index?: Map<string, string[]>): IpHost {
    const hostGroups =
      host.hostType === "System Host" ? [] : (index?.get(host.name) ?? this.groupsOf(host.name));
    return { ...host, hostGroups: [...hostGroups] };
  }

  toIpHostGroup(group: StoredGroup): IpHostGroup {
    return {
      name: group.name,
      ipFamily: group.ipFamily,
      description: group.description,
      hosts: [...group.hosts],
    };
  }

  snapshot(): StoreSnapshot {
    const index = this.membershipIndex();
    return {
      hosts: [...this.hosts.values()].map((h) => this.toIpHost(h, index)),
      groups: [...this.groups.values()].map((g) => this.toIpHostGroup(g)),
    };
  }

  /** User objects only (system hosts are always present), for persistence. */
  userObjects(): StoreSnapshot {
    const all = this.snapshot();
    return { hosts: all.hosts.filter((h) => h.hostType !== "System Host"), groups: all.groups };
  }

  /**
   * Puts objects in without the API's checks (seeding, loading a state file). Groups come
   * first so hosts can join them; members that name no host are dropped.
   */
  load(objects: StoreSnapshot): void {
    for (const g of objects.groups) {
      const existing = this.groups.get(g.name);
      this.groups.set(g.name, {
        name: g.name,
        ipFamily: g.ipFamily,
        description: g.description ?? "",
        hosts: existing ? existing.hosts : [],
      });
    }
    for (const h of objects.hosts) {
      if (this.isSystemHost(h.name)) continue;
      const { hostGroups: _ignored, ...stored } = h;
      this.hosts.set(h.name, stored);
    }
    // Members in the groups' own order first, then what only the hosts' side says.
    for (const g of objects.groups) this.addMembers(g.name, g.hosts);
    for (const h of objects.hosts) for (const g of h.hostGroups) this.addMembers(g, [h.name]);
  }

  private addMembers(groupName: string, members: string[]): void {
    const group = this.groups.get(groupName);
    if (group === undefined) return;
    for (const member of members) {
      if (this.hosts.has(member) && !this.isSystemHost(member) && !group.hosts.includes(member)) {
        group.hosts.push(member);
      }
    }
  }
}
