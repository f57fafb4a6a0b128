/**
 * Removes every object under the probe prefix (and nothing else): hosts are taken out of their
 * groups, removed, then the probe's groups are removed. Names are checked with startsWith on our
 * side, since `like` is a substring match (and an unsupported filter returns everything).
 */
import { escapeXmlText } from "../protocol/index.ts";
import type { SophosClient } from "../sophos/index.ts";

export interface CleanupResult {
  removed: number;
  left: string[];
}

async function probeGroups(client: SophosClient, probePrefix: string): Promise<string[]> {
  const groups = await client.getIpHostGroups({ key: "Name", criteria: "like", value: probePrefix });
  return groups.map((g) => g.name).filter((name) => name.startsWith(probePrefix));
}

async function removeGroups(client: SophosClient, names: string[]): Promise<void> {
  if (names.length === 0) return;
  // Names only: a Remove of an IPHostGroup carrying a HostList is dangerous on a real XGS (§4.3).
  const inner = names.map((n) => `<Name>${escapeXmlText(n, "Name")}</Name>`).join("");
  await client.sendRaw(`<Remove><IPHostGroup>${inner}</IPHostGroup></Remove>`);
}

export async function removeProbeObjects(client: SophosClient, probePrefix: string): Promise<CleanupResult> {
  let removed = 0;
  const hosts = await client.getIpHostsByNamePrefix(probePrefix);
  const linked = hosts.filter((h) => h.hostGroups.length > 0);
  if (linked.length > 0) await client.unlinkIpHosts(linked);
  if (hosts.length > 0) {
    const outcomes = await client.removeIpHosts(hosts.map((h) => h.name));
    removed += outcomes.filter((o) => o.ok).length;
  }
  const groups = await probeGroups(client, probePrefix);
  await removeGroups(client, groups);
  // A host the firewall still refused to remove (a group we could not unlink) goes now.
  const again = await client.getIpHostsByNamePrefix(probePrefix);
  if (again.length > 0) await client.removeIpHosts(again.map((h) => h.name));
  const leftHosts = (await client.getIpHostsByNamePrefix(probePrefix)).map((h) => h.name);
  const leftGroups = await probeGroups(client, probePrefix);
  removed += groups.length - leftGroups.length;
  return { removed, left: [...leftHosts, ...leftGroups].sort() };
}
