/**
 * Maps the entity elements of a SophosResponse to typed objects (Get) or per-entity outcomes
 * (Set, Remove). Parsers do not depend on child order: it differs across firmware (reference §4).
 */
import { type IpFamily, isIpFamily } from "../address/index.ts";
import {
  type HostType,
  type IpHost,
  type IpHostGroup,
  isNode,
  isNoRecordsText,
  listOf,
  StatusText,
  textOf,
  type XmlNode,
  type XmlValue,
} from "../protocol/index.ts";
import { Hints, ResponseFormatError, SophosApiError, TransactionFailError } from "./errors.ts";
import { meaningOf } from "./status-table.ts";
import type { EntityOutcome, SophosResponse, SophosStatus } from "./types.ts";

const HOST_TYPES: readonly string[] = ["IP", "Network", "IPRange", "IPList", "System Host"];

function str(node: XmlNode, tag: string): string | undefined {
  const value = textOf(node[tag]);
  return value === undefined ? undefined : value.trim();
}

function children(container: XmlValue | undefined, tag: string): string[] {
  // An empty container (<HostList/>) parses as "", a filled one as a node.
  return listOf(container)
    .flatMap((c) => (isNode(c) ? listOf(c[tag]) : []))
    .map((v) => (textOf(v) ?? "").trim())
    .filter((v) => v !== "");
}

function shapeError(url: string, what: string): ResponseFormatError {
  return new ResponseFormatError(`the answer from ${url} has an unexpected shape: ${what}`, {
    url,
    reason: "shape",
    hint: "this firmware answers differently than expected; report it with the firmware version",
  });
}

function family(node: XmlNode, url: string, entity: string): IpFamily {
  const value = str(node, "IPFamily") ?? "IPv4"; // the documented default
  if (!isIpFamily(value)) throw shapeError(url, `${entity} has IPFamily ${JSON.stringify(value)}`);
  return value as IpFamily;
}

export function ipHostFromNode(node: XmlNode, url: string): IpHost {
  const name = str(node, "Name");
  if (name === undefined || name === "") throw shapeError(url, "an IPHost without a Name");
  const hostType = str(node, "HostType") ?? "";
  if (!HOST_TYPES.includes(hostType))
    throw shapeError(url, `IPHost ${name} has HostType ${JSON.stringify(hostType)}`);
  const host: IpHost = {
    name,
    ipFamily: family(node, url, `IPHost ${name}`),
    hostType: hostType as HostType,
    hostGroups: children(node.HostGroupList, "HostGroup"),
  };
  const optional = {
    description: str(node, "Description"),
    ipAddress: str(node, "IPAddress"),
    subnet: str(node, "Subnet"),
    startIpAddress: str(node, "StartIPAddress"),
    endIpAddress: str(node, "EndIPAddress"),
  };
  for (const [key, value] of Object.entries(optional)) {
    // Empty elements (2000.2 always sends <Description/>) mean "not set".
    if (value !== undefined && value !== "") host[key as keyof typeof optional] = value;
  }
  const list = str(node, "ListOfIPAddresses");
  if (list !== undefined && list !== "") {
    host.listOfIpAddresses = list
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "");
  }
  return host;
}

export function ipHostGroupFromNode(node: XmlNode, url: string): IpHostGroup {
  const name = str(node, "Name");
  if (name === undefined || name === "") throw shapeError(url, "an IPHostGroup without a Name");
  const group: IpHostGroup = {
    name,
    ipFamily: family(node, url, `IPHostGroup ${name}`),
    hosts: children(node.HostList, "Host"),
  };
  const description = str(node, "Description");
  if (description !== undefined && description !== "") group.description = description;
  return group;
}

export function statusError(status: SophosStatus, entity: string, url: string, what: string): SophosApiError {
  const said = `${status.code ?? ""} ${status.text}`.trim();
  const options = { url, entity, code: status.code, firewallText: status.text };
  // Code-less `Transaction fail` answers unsupported entities or filter keys; it is not "empty" (JANWEIS).
  if (status.code === undefined && status.text === StatusText.transactionFail) {
    return new TransactionFailError(`${what} on ${url} failed: ${said}`, {
      ...options,
      hint: Hints.transactionFail,
    });
  }
  return new SophosApiError(`${what} on ${url} failed: ${said}`, options);
}

/**
 * The objects of a Get. A code-less "No. of records Zero." / "Number of records Zero." means none;
 * any other status throws (a Get never answers a non-success code for "not found").
 */
export function getResults(response: SophosResponse, entity: string, url: string): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const result of response.entities) {
    if (result.entity !== entity) continue;
    const status = result.statuses[0];
    if (status === undefined) {
      nodes.push(result.node);
      continue;
    }
    if (status.code === undefined && isNoRecordsText(status.text)) continue;
    throw statusError(status, entity, url, `reading ${entity} objects`);
  }
  return nodes;
}

/**
 * One outcome per name, in order. The statuses of every `entity` element are taken in document
 * order: a multi-entity Set answers one element each, a bulk Remove one element with one
 * `<Status>` per name (JANWEIS). When the count differs from the names the answer cannot be
 * attributed: every name gets ok=false (the write may or may not have applied; check with a Get).
 */
export function writeOutcomes(
  response: SophosResponse,
  entity: string,
  names: string[],
  url: string,
  what: string,
): EntityOutcome[] {
  const statuses = response.entities.filter((r) => r.entity === entity).flatMap((r) => r.statuses);
  return names.map((name, i) => {
    const status = statuses.length === names.length ? statuses[i] : undefined;
    if (status === undefined) {
      const text = `the firewall answered ${statuses.length} statuses for ${names.length} ${entity} objects`;
      return {
        name,
        ok: false,
        kind: "refused",
        text,
        error: new SophosApiError(`${what} ${name} on ${url}: ${text}`, { url, entity, firewallText: "" }),
      };
    }
    const { kind } = meaningOf(status.code);
    const ok = kind === "ok";
    const outcome: EntityOutcome = { name, ok, kind, text: status.text };
    if (status.code !== undefined) outcome.code = status.code;
    if (!ok) outcome.error = statusError(status, entity, url, `${what} ${name}`);
    return outcome;
  });
}
