/** A plain HTML view of the groups and their members, for people who would rather look than read JSON. */

import type { IpHost } from "../protocol/index.ts";
import type { Counters } from "./counters.ts";
import type { Faults } from "./options.ts";
import type { StoreSnapshot } from "./store.ts";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

function address(host: IpHost): string {
  switch (host.hostType) {
    case "IP":
      return host.ipAddress ?? "";
    case "Network":
      return `${host.ipAddress ?? ""}/${host.subnet ?? ""}`;
    case "IPRange":
      return `${host.startIpAddress ?? ""} – ${host.endIpAddress ?? ""}`;
    case "IPList": {
      const list = host.listOfIpAddresses ?? [];
      return `(${list.length} address${list.length === 1 ? "" : "es"}) ${list.map(listEntry).join(", ")}`;
    }
    default:
      return "";
  }
}

/**
 * The addresses f2b-sophosxg parks in an IP list shard that is being emptied and removed
 * (documentation ranges, never routable); the emulator imports nothing of the client's, hence
 * the copy.
 */
const SHARD_PLACEHOLDERS = new Set(["192.0.2.0", "2001:db8::"]);

function listEntry(address: string): string {
  return SHARD_PLACEHOLDERS.has(address) ? `${address} (placeholder)` : address;
}

function hostRow(host: IpHost | undefined, name: string): string {
  if (host === undefined) return `<li>${escapeHtml(name)} <em>(missing)</em></li>`;
  const detail = `${host.ipFamily} ${host.hostType} ${address(host)}`;
  return `<li><code>${escapeHtml(host.name)}</code> — ${escapeHtml(detail)}</li>`;
}

export function renderPage(snapshot: StoreSnapshot, counters: Counters, faults: Faults): string {
  const byName = new Map(snapshot.hosts.map((h) => [h.name, h]));
  const groups = snapshot.groups.map((g) => {
    const members = g.hosts.map((m) => hostRow(byName.get(m), m)).join("\n");
    const title = `${escapeHtml(g.name)} <small>(${escapeHtml(g.ipFamily)}, ${g.hosts.length} members)</small>`;
    const description = g.description ? `<p>${escapeHtml(g.description)}</p>` : "";
    return `<section><h3>${title}</h3>${description}<ul>${members || "<li><em>empty</em></li>"}</ul></section>`;
  });
  const lists = snapshot.hosts.filter((h) => h.hostType === "IPList");
  const listRows = lists.map((h) => {
    const groupsText = h.hostGroups.length > 0 ? `in ${h.hostGroups.join(", ")}` : "in no group";
    return `<li><code>${escapeHtml(h.name)}</code> — ${escapeHtml(`${h.ipFamily}, ${groupsText}: ${address(h)}`)}</li>`;
  });
  const loose = snapshot.hosts.filter((h) => h.hostType !== "System Host" && h.hostGroups.length === 0);
  const system = snapshot.hosts.filter((h) => h.hostType === "System Host").map((h) => escapeHtml(h.name));
  const activeFaults = Object.entries(faults)
    .filter(([, v]) => v !== false && v !== null && v !== 0 && v !== "auto")
    .map(([k, v]) => `${k}=${String(v)}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>f2b-sophosxg emulator</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>f2b-sophosxg emulator</h1>
<p>${snapshot.groups.length} IP host groups, ${snapshot.hosts.length - system.length} IP hosts.
Requests: ${counters.requests}, entity reads: ${counters.entityReads}, entity writes: ${counters.entityWrites}.
Faults: ${escapeHtml(activeFaults.join(", ") || "none")}.</p>
<h2>IP host groups</h2>
${groups.join("\n") || "<p><em>none</em></p>"}
<h2>IP lists (which address is in which list)</h2>
<ul>${listRows.join("\n") || "<li><em>none</em></li>"}</ul>
<h2>IP hosts in no group</h2>
<ul>${loose.map((h) => hostRow(h, h.name)).join("\n") || "<li><em>none</em></li>"}</ul>
<h2>System hosts</h2>
<p>${system.join(", ")}</p>
</body></html>
`;
}
