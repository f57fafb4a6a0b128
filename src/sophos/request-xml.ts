/**
 * Builds request documents from typed operations. Every text value goes through escapeXmlText:
 * an unescaped `<` in a password makes the firewall answer 529 (sophos-firewall-sdk #101) and a
 * crafted name could inject elements. Control characters are refused here, before any I/O.
 */
import {
  ControlCharacterError,
  escapeXmlText,
  type GetFilter,
  type IpHost,
  type IpHostGroup,
  type SetOperation,
} from "../protocol/index.ts";
import { InvalidRequestValueError } from "./errors.ts";

export interface Credentials {
  username: string;
  password: string;
}

/** Escapes `value` as element text; a control character becomes InvalidRequestValueError naming `field`. */
export function text(value: string, field: string): string {
  try {
    return escapeXmlText(value, field);
  } catch (error) {
    if (error instanceof ControlCharacterError) {
      throw new InvalidRequestValueError(
        `${field} contains a control character; nothing was sent to the firewall`,
        field,
        { hint: "remove control characters (tabs, newlines, NUL…) from the value" },
      );
    }
    throw error;
  }
}

function element(tag: string, value: string, field: string): string {
  return `<${tag}>${text(value, field)}</${tag}>`;
}

/** The complete request: `<Request><Login>…</Login>operations</Request>`. */
export function requestXml(credentials: Credentials, operationsXml: string): string {
  // APIVersion is omitted on purpose: the firewall then uses its own current schema (JANWEIS, LIVE).
  return (
    "<Request><Login>" +
    element("Username", credentials.username, "Username") +
    element("Password", credentials.password, "Password") +
    `</Login>${operationsXml}</Request>`
  );
}

export function filterXml(filter: GetFilter): string {
  return (
    `<Filter><key name="${text(filter.key, "Filter key")}" criteria="${text(filter.criteria, "Filter criteria")}">` +
    `${text(filter.value, "Filter value")}</key></Filter>`
  );
}

export function getXml(entity: "IPHost" | "IPHostGroup", filter?: GetFilter): string {
  return filter === undefined
    ? `<Get><${entity}/></Get>`
    : `<Get><${entity}>${filterXml(filter)}</${entity}></Get>`;
}

/** `upsert` sends no attribute: the firewall then adds, or updates when the name exists (API Document v16). */
export function setOpen(op: SetOperation): string {
  if (op === "upsert") return "<Set>";
  if (op === "add" || op === "update") return `<Set operation="${op}">`;
  throw new InvalidRequestValueError(`unknown Set operation ${JSON.stringify(op)}`, "operation");
}

/**
 * One IPHost with ALL its fields: an update replaces the whole object and anything omitted is
 * reset (JANWEIS, LIVE). An empty `hostGroups` omits `HostGroupList`, which removes the host from
 * every group (JANWEIS measured the omission; F2B-ECITE unban relies on it).
 */
export function ipHostXml(host: IpHost, index: number): string {
  const at = `IPHost[${index}]`;
  let xml =
    "<IPHost>" +
    element("Name", host.name, `${at}.Name`) +
    element("IPFamily", host.ipFamily, `${at}.IPFamily`);
  if (host.description !== undefined && host.description !== "") {
    xml += element("Description", host.description, `${at}.Description`);
  }
  xml += element("HostType", host.hostType, `${at}.HostType`);
  xml += addressXml(host, at);
  if (host.hostGroups.length > 0) {
    xml += "<HostGroupList>";
    host.hostGroups.forEach((group, i) => {
      xml += element("HostGroup", group, `${at}.HostGroupList[${i}]`);
    });
    xml += "</HostGroupList>";
  }
  return `${xml}</IPHost>`;
}

function required(value: string | undefined, field: string): string {
  if (value === undefined || value === "") {
    throw new InvalidRequestValueError(`${field} is required for this host type; nothing was sent`, field);
  }
  return value;
}

function addressXml(host: IpHost, at: string): string {
  switch (host.hostType) {
    case "IP":
      return element("IPAddress", required(host.ipAddress, `${at}.IPAddress`), `${at}.IPAddress`);
    case "Network":
      return (
        element("IPAddress", required(host.ipAddress, `${at}.IPAddress`), `${at}.IPAddress`) +
        element("Subnet", required(host.subnet, `${at}.Subnet`), `${at}.Subnet`)
      );
    case "IPRange":
      return (
        element(
          "StartIPAddress",
          required(host.startIpAddress, `${at}.StartIPAddress`),
          `${at}.StartIPAddress`,
        ) + element("EndIPAddress", required(host.endIpAddress, `${at}.EndIPAddress`), `${at}.EndIPAddress`)
      );
    case "IPList": {
      const list = host.listOfIpAddresses ?? [];
      if (list.length === 0 || list.some((a) => a === "" || a.includes(","))) {
        throw new InvalidRequestValueError(
          `${at}.ListOfIPAddresses needs at least one address and no commas inside an address; nothing was sent`,
          `${at}.ListOfIPAddresses`,
        );
      }
      return element("ListOfIPAddresses", list.join(","), `${at}.ListOfIPAddresses`);
    }
    default:
      throw new InvalidRequestValueError(
        `${at}.HostType ${JSON.stringify(host.hostType)} cannot be written (System Host is read-only)`,
        `${at}.HostType`,
      );
  }
}

/** One IPHostGroup with all its fields (update replaces HostList wholesale; there is no append). */
export function ipHostGroupXml(group: IpHostGroup, index: number): string {
  const at = `IPHostGroup[${index}]`;
  let xml =
    "<IPHostGroup>" +
    element("Name", group.name, `${at}.Name`) +
    element("IPFamily", group.ipFamily, `${at}.IPFamily`);
  if (group.description !== undefined && group.description !== "") {
    xml += element("Description", group.description, `${at}.Description`);
  }
  if (group.hosts.length > 0) {
    xml += "<HostList>";
    group.hosts.forEach((host, i) => {
      xml += element("Host", host, `${at}.HostList[${i}]`);
    });
    xml += "</HostList>";
  }
  return `${xml}</IPHostGroup>`;
}

export function setIpHostsXml(hosts: IpHost[], op: SetOperation, offset = 0): string {
  return `${setOpen(op)}${hosts.map((h, i) => ipHostXml(h, offset + i)).join("")}</Set>`;
}

export function setIpHostGroupsXml(groups: IpHostGroup[], op: SetOperation, offset = 0): string {
  return `${setOpen(op)}${groups.map((g, i) => ipHostGroupXml(g, offset + i)).join("")}</Set>`;
}

/** Several names in one entity element; the firewall answers one `<Status>` per name (JANWEIS). */
export function removeXml(entity: "IPHost" | "IPHostGroup", names: string[], offset = 0): string {
  const inner = names.map((n, i) => element("Name", n, `${entity}[${offset + i}].Name`)).join("");
  return `<Remove><${entity}>${inner}</${entity}></Remove>`;
}
