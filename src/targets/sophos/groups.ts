/**
 * The IP host groups we keep on the firewall, one per address family. Fail2ban's `start`
 * creates what is missing; delivery calls this again when a write says a group is gone.
 */

import { FAMILIES, type IpFamily } from "../../address/index.ts";
import { F2bError } from "../../errors/base.ts";
import type { IpHostGroup } from "../../protocol/model.ts";
import type { SophosClient } from "../../sophos/index.ts";
import type { GroupCheck } from "../target.ts";

export type GroupNames = Record<IpFamily, string>;

export class GroupSetupError extends F2bError {
  override name = "GroupSetupError";
}

function wrongFamily(group: IpHostGroup, family: IpFamily): GroupSetupError {
  return new GroupSetupError(
    `IP host group "${group.name}" exists on the firewall as ${group.ipFamily}, but it is configured for ${family} bans`,
    {
      hint: `rename the group on the firewall, or set "${family === "IPv4" ? "iphostgroup_name" : "iphostgroup_name_v6"}" to another name`,
    },
  );
}

/** Reads each family's group; with `create`, adds the missing ones. Never changes an existing group. */
export async function ensureGroups(
  client: SophosClient,
  groups: GroupNames,
  options: { create: boolean; families?: readonly IpFamily[] },
): Promise<GroupCheck[]> {
  const checks: GroupCheck[] = [];
  // Read every group before creating any: a wrong-family group stops `start` with nothing changed.
  const found: { family: IpFamily; name: string; existing: IpHostGroup | undefined }[] = [];
  for (const family of options.families ?? FAMILIES) {
    const name = groups[family];
    const existing = await client.getIpHostGroup(name);
    if (existing && existing.ipFamily !== family) throw wrongFamily(existing, family);
    found.push({ family, name, existing });
  }
  for (const { family, name, existing } of found) {
    if (existing) {
      checks.push({ family, name, state: "present", members: existing.hosts.length, hosts: existing.hosts });
      continue;
    }
    if (!options.create) {
      checks.push({ family, name, state: "missing", members: 0, hosts: [] });
      continue;
    }
    const [outcome] = await client.setIpHostGroups(
      [
        {
          name,
          ipFamily: family,
          description: "Hosts banned by Fail2ban (managed by f2b-sophosxg)",
          hosts: [],
        },
      ],
      "add",
    );
    if (outcome && !outcome.ok) {
      throw new GroupSetupError(`cannot create IP host group "${name}" (${family}): ${outcome.text}`, {
        hint: "check that the API user's profile has Objects and Network read-write",
        cause: outcome.error,
      });
    }
    checks.push({ family, name, state: "created", members: 0, hosts: [] });
  }
  return checks;
}
