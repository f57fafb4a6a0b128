/**
 * Helpers for the action tests: the actions run in-process through the library (one `Session`
 * per step, as one process per Fail2ban hook would build), or through the built CLI (harness).
 */

import type { IpFamily } from "../../src/address/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { Config } from "../../src/config/types.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import type { IpHost, IpHostGroup } from "../../src/protocol/index.ts";
import { objectNameFor } from "../../src/targets/sophos/index.ts";
import { GROUP_V4, GROUP_V6, PREFIX } from "../support/harness.ts";

export async function configFrom(path: string): Promise<Config> {
  return (await loadConfig({ path })).config;
}

/** What the emulator's counters moved by between two readings. */
export interface CounterDelta {
  requests: number;
  Get: number;
  Set: number;
  Remove: number;
  entityReads: number;
  entityWrites: number;
}

export function counterMark(emu: RunningEmulator): () => CounterDelta {
  const before = structuredClone(emu.counters);
  return () => {
    const now = emu.counters;
    return {
      requests: now.requests - before.requests,
      Get: now.operations.Get - before.operations.Get,
      Set: now.operations.Set - before.operations.Set,
      Remove: now.operations.Remove - before.operations.Remove,
      entityReads: now.entityReads - before.entityReads,
      entityWrites: now.entityWrites - before.entityWrites,
    };
  };
}

/** The object name the firewall should hold for `text` (an address as Fail2ban passes it). */
export function nameOf(text: string): string {
  return objectNameFor(PREFIX, parseBanTarget(text));
}

export function familyOf(text: string): IpFamily {
  return parseBanTarget(text).family;
}

export function group(emu: RunningEmulator, name: string): IpHostGroup | undefined {
  return emu.snapshot().groups.find((g) => g.name === name);
}

export function host(emu: RunningEmulator, name: string): IpHost | undefined {
  return emu.snapshot().hosts.find((h) => h.name === name);
}

export const OUR_GROUPS = [GROUP_V4, GROUP_V6];

/**
 * Foreign objects an admin made by hand: IPv4 and IPv6 hosts, a network, groups that hold some
 * of them, a host whose name merely contains our prefix, and one that starts with our prefix but
 * is not one of ours (its name does not match its address): none of them may ever change.
 */
export function foreignSeed(): { hosts: IpHost[]; groups: IpHostGroup[] } {
  const hosts: IpHost[] = [
    {
      name: "web_v6",
      ipFamily: "IPv6",
      hostType: "IP",
      ipAddress: "2001:db8::1",
      hostGroups: [],
    },
    {
      name: "office_net",
      ipFamily: "IPv4",
      hostType: "Network",
      ipAddress: "203.0.113.0",
      subnet: "255.255.255.0",
      hostGroups: [],
    },
    { name: "old_f2b_192.0.2.1", ipFamily: "IPv4", hostType: "IP", ipAddress: "192.0.2.1", hostGroups: [] },
    {
      name: `${PREFIX}manual_entry`,
      ipFamily: "IPv4",
      hostType: "IP",
      ipAddress: "192.0.2.2",
      hostGroups: [],
    },
  ];
  const groups: IpHostGroup[] = [
    { name: "admin_v6", ipFamily: "IPv6", hosts: ["web_v6"] },
    { name: "admin_mixed", ipFamily: "IPv4", hosts: ["office_net", "old_f2b_192.0.2.1"] },
  ];
  return { hosts, groups };
}

/** Every object that is neither in our groups nor a host we could have made (recognised by name). */
export function untouchable(emu: RunningEmulator, ours: (name: string) => boolean) {
  const snapshot = emu.snapshot();
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    hosts: snapshot.hosts.filter((h) => !ours(h.name)).sort(byName),
    groups: snapshot.groups.filter((g) => !OUR_GROUPS.includes(g.name)).sort(byName),
  };
}

/** Runs `args` and asserts exit 0, showing the output when it is not. */
export async function succeeds(
  run: (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  args: string[],
): Promise<void> {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
}
