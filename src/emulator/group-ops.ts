/** Set and Remove of IPHostGroup objects (reference §3.2, §4.2, §4.3). */
import { type SetOperation, StatusCode } from "../protocol/index.ts";
import { parseIpHostGroup } from "./entity-parse.ts";
import { APPLIED, type EntityStatus, status } from "./entity-status.ts";
import type { BehaviourSwitches } from "./options.ts";
import type { Store } from "./store.ts";
import { child, type XmlElement } from "./xml-tree.ts";

export function setIpHostGroup(
  store: Store,
  el: XmlElement,
  op: SetOperation,
  behaviour: BehaviourSwitches,
): EntityStatus {
  const parsed = parseIpHostGroup(el);
  if (!parsed.ok) return status(parsed.enumerated ? behaviour.invalidEnumCode : StatusCode.validationFailed);
  const group = parsed.value;
  const existing = store.groups.get(group.name);
  if (existing === undefined && op === "update" && behaviour.updateMissing !== "add") {
    return status(behaviour.updateMissing);
  }
  const asAdd = existing === undefined;
  const missingHost = group.hosts.some((h) => !store.hosts.has(h));
  // An add naming a missing host is 501 even when the group exists; an update is 500 (F2B-FR).
  if (op === "add" && missingHost) return status(StatusCode.validationFailed);
  if (op === "add" && existing !== undefined) return status(StatusCode.sameNameExists);
  if (missingHost) return status(asAdd ? StatusCode.validationFailed : StatusCode.couldNotPerform);
  if (existing?.broken) return status(StatusCode.couldNotPerform);
  for (const hostName of group.hosts) {
    const host = store.hosts.get(hostName);
    // Assumptions: built-in hosts are not group members here, and families must match (§10.3).
    if (host === undefined || host.hostType === "System Host" || host.ipFamily !== group.ipFamily) {
      return status(StatusCode.couldNotPerform);
    }
  }
  store.groups.set(group.name, {
    name: group.name,
    ipFamily: group.ipFamily,
    description: group.description ?? "",
    hosts: [...group.hosts],
  });
  return APPLIED;
}

export function removeIpHostGroup(
  store: Store,
  el: XmlElement,
  name: string,
  behaviour: BehaviourSwitches,
): EntityStatus {
  const group = store.groups.get(name);
  if (group === undefined) return status(behaviour.removeMissingGroupCode);
  if (child(el, "HostList") !== undefined) {
    if (behaviour.removeGroupWithHostList === "reject") return status(StatusCode.couldNotPerform);
    // What a real XGS did (F2B-FR): the group is emptied and later updates fail.
    group.hosts = [];
    group.broken = true;
    return APPLIED;
  }
  store.groups.delete(name);
  return APPLIED;
}
