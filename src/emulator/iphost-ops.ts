/** Set and Remove of IPHost objects, with the firewall's answers (reference §3.2, §4.1, §4.3). */
import { type IpHost, type SetOperation, StatusCode } from "../protocol/index.ts";
import { parseIpHost } from "./entity-parse.ts";
import { APPLIED, type EntityStatus, status } from "./entity-status.ts";
import type { BehaviourSwitches } from "./options.ts";
import type { Store } from "./store.ts";
import type { XmlElement } from "./xml-tree.ts";
import { childText } from "./xml-tree.ts";

export function setIpHost(
  store: Store,
  el: XmlElement,
  op: SetOperation,
  behaviour: BehaviourSwitches,
): EntityStatus {
  if (store.isSystemHost(childText(el, "Name") ?? "")) return status(StatusCode.defaultNotEditable);
  const parsed = parseIpHost(el, behaviour);
  if (!parsed.ok) return status(parsed.enumerated ? behaviour.invalidEnumCode : StatusCode.validationFailed);
  const host = parsed.value;
  const exists = store.hosts.has(host.name);
  if (op === "add" && exists) return status(StatusCode.sameNameExists);
  if (op === "update" && !exists && behaviour.updateMissing !== "add") return status(behaviour.updateMissing);
  for (const groupName of host.hostGroups) {
    const group = store.groups.get(groupName);
    if (group === undefined) return status(behaviour.missingGroupCode);
    // Assumption (reference §10.3): mixing families is refused like other failed updates.
    if (group.ipFamily !== host.ipFamily) return status(StatusCode.couldNotPerform);
  }
  if (behaviour.rejectDuplicateAddress && hasSameAddress(store, host))
    return status(StatusCode.sameDetailsExist);
  const { hostGroups, ...stored } = host;
  store.hosts.set(host.name, stored);
  // Whole-object replace: a HostGroupList left out means "in no group" (reference §4.3).
  store.setHostMembership(host.name, hostGroups);
  return APPLIED;
}

function hasSameAddress(store: Store, host: IpHost): boolean {
  const key = addressSignature(host);
  for (const other of store.hosts.values()) {
    if (other.name !== host.name && other.hostType !== "System Host" && addressSignature(other) === key)
      return true;
  }
  return false;
}

function addressSignature(host: Omit<IpHost, "hostGroups">): string {
  return [
    host.ipFamily,
    host.hostType,
    host.ipAddress,
    host.subnet,
    host.startIpAddress,
    host.endIpAddress,
    host.listOfIpAddresses?.join(","),
  ].join("|");
}

export function removeIpHost(store: Store, name: string, behaviour: BehaviourSwitches): EntityStatus {
  // A missing host answers like a built-in one (live-measured 528, reference §3.2).
  if (!store.hosts.has(name) || store.isSystemHost(name)) return status(StatusCode.defaultNotEditable);
  if (behaviour.removeMember !== "allow" && store.groupsOf(name).length > 0)
    return status(behaviour.removeMember);
  store.removeHost(name);
  return APPLIED;
}
