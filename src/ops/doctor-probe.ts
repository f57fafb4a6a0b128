/**
 * doctor's write probes: IP hosts of our own prefix, in no group, with documentation addresses,
 * created with `add` (never an upsert: an object of that name that is not our probe stays as it
 * is) and deleted at once.
 */
import type { IpHost } from "../protocol/model.ts";
import type { EntityOutcome, SophosClient } from "../sophos/index.ts";

/** What tells our probe apart from someone else's object of that name. */
export const PROBE_DESCRIPTION = "f2b-sophosxg doctor write probe (deleted at once)";

/**
 * Adds `probe` with `add`; a probe left behind by an interrupted doctor run (same name and our
 * description) is removed and added again. "foreign": an object of that name is not ours.
 */
export async function addProbe(
  client: SophosClient,
  probe: IpHost,
  add: (host: IpHost) => Promise<EntityOutcome | undefined>,
): Promise<EntityOutcome | undefined | "foreign"> {
  let added = await add(probe);
  if (added !== undefined && added.code === 502) {
    const [existing] = await client.getIpHosts({ key: "Name", criteria: "=", value: probe.name });
    if (existing?.description !== PROBE_DESCRIPTION) return "foreign";
    await client.removeIpHosts([probe.name]);
    added = await add(probe);
  }
  return added;
}
