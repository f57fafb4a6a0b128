/**
 * The Sophos Firewall objects this project reads and writes, as plain data.
 * Shared by the client (which sends and parses them) and the emulator (which stores them).
 * Field names follow the XML element names of the API, in camelCase.
 */

import type { IpFamily } from "../address/family.ts";

export type { IpFamily };

/** `System Host` is read-only: the firewall's built-in hosts such as `##ALL_RW` or `#Port1`. */
export type HostType = "IP" | "Network" | "IPRange" | "IPList" | "System Host";

export interface IpHost {
  name: string;
  ipFamily: IpFamily;
  hostType: HostType;
  description?: string;
  /** For `IP` and `Network`. */
  ipAddress?: string;
  /** For `Network`: a dotted mask for IPv4, a prefix length for IPv6. */
  subnet?: string;
  /** For `IPRange`. */
  startIpAddress?: string;
  endIpAddress?: string;
  /** For `IPList`: the addresses (comma-separated on the wire). */
  listOfIpAddresses?: string[];
  /** Names of the IP host groups this host is a member of. */
  hostGroups: string[];
}

export interface IpHostGroup {
  name: string;
  ipFamily: IpFamily;
  description?: string;
  /** Names of the member IP hosts, in the order they were written. */
  hosts: string[];
}

/** The entity types this project speaks about (the API has many more). */
export type EntityType = "IPHost" | "IPHostGroup";

export type FilterCriteria = "=" | "!=" | "like";

/** A Get filter. The firewall evaluates only the first key of the first filter. */
export interface GetFilter {
  key: string;
  criteria: FilterCriteria;
  value: string;
}

/**
 * `add` creates (502 if the name exists), `update` replaces the whole object,
 * `upsert` sends no `operation` attribute: the firewall adds, then updates.
 */
export type SetOperation = "add" | "update" | "upsert";
