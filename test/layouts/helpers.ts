/**
 * Shared helpers for the iplist layout tests: in-process sessions against the emulator, bulk
 * ban records, and what "blocked" means on the firewall (a host of ours in its family's group,
 * or a shard of ours in its family's group that lists the address).
 */
import { join } from "node:path";
import { Session } from "../../src/action/index.ts";
import type { IpFamily } from "../../src/address/index.ts";
import { parseBanTarget } from "../../src/address/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { Config } from "../../src/config/types.ts";
import type { RunningEmulator, StoreSnapshot } from "../../src/emulator/index.ts";
import type { JournalRecord } from "../../src/journal/index.ts";
import { banTargetFromHost, parseShardName, SHARD_PLACEHOLDER } from "../../src/targets/sophos/index.ts";
import { GROUP_V4, GROUP_V6, PREFIX, writeConfig } from "../support/harness.ts";

export const GROUPS: Record<IpFamily, string> = { IPv4: GROUP_V4, IPv6: GROUP_V6 };

export async function layoutConfig(
  dir: string,
  emu: RunningEmulator,
  overrides: Record<string, unknown>,
): Promise<Config> {
  return (await loadConfig({ path: writeConfig(dir, emu, overrides) })).config;
}

/** A session on `config` with `layout` (and shard size) swapped in, sharing its state directory. */
export function sessionFor(config: Config, over: Partial<Config> = {}, budgetMs = 60_000): Session {
  const session = new Session({ config: { ...config, ...over }, budgetMs });
  session.journal.ensureDirectory();
  return session;
}

export function v4(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export function v6(i: number): string {
  return `2001:db8:f2b::${(i + 1).toString(16)}`;
}

/** Ban records for `targets` (canonical) in one jail, permanent. */
export function banRecords(targets: string[], jail = "sshd"): JournalRecord[] {
  const at = Date.now();
  return targets.map((t) => {
    const parsed = parseBanTarget(t);
    return { t: "ban", at, jail, target: parsed.canonical, family: parsed.family, expiresAt: null };
  });
}

export interface Coverage {
  /** Canonical targets blocked: covered by an object of ours that is a member of its family's group. */
  blocked: Set<string>;
  /** Our shards (name → addresses without placeholder) and our per-target hosts, in a group or not. */
  shards: Map<string, { family: IpFamily; addresses: string[]; inGroup: boolean; raw: string[] }>;
  hosts: Map<string, { target: string; inGroup: boolean }>;
}

export function coverage(snapshot: StoreSnapshot, prefix = PREFIX): Coverage {
  const members = new Map<string, Set<string>>(snapshot.groups.map((g) => [g.name, new Set(g.hosts)]));
  const inGroup = (family: IpFamily, name: string) => members.get(GROUPS[family])?.has(name) === true;
  const out: Coverage = { blocked: new Set(), shards: new Map(), hosts: new Map() };
  for (const h of snapshot.hosts) {
    if (!h.name.startsWith(prefix)) continue;
    const shard = parseShardName(prefix, h.name);
    if (shard && h.hostType === "IPList") {
      const raw = h.listOfIpAddresses ?? [];
      const addresses = raw.filter((a) => a !== SHARD_PLACEHOLDER[shard.family]);
      const linked = inGroup(shard.family, h.name);
      out.shards.set(h.name, { family: shard.family, addresses, inGroup: linked, raw });
      if (linked) for (const a of addresses) out.blocked.add(a);
      continue;
    }
    const target = banTargetFromHost(prefix, h);
    if (target) {
      const linked = inGroup(target.family, h.name);
      out.hosts.set(h.name, { target: target.canonical, inGroup: linked });
      if (linked) out.blocked.add(target.canonical);
    }
  }
  return out;
}

export function stateDirOf(dir: string): string {
  return join(dir, "state");
}
