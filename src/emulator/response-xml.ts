/**
 * The answer documents, shaped like the real samples (shared/reference/sophos-samples):
 * declaration, `<Response APIVersion IPS_CAT_VER IS_WIFI6>`, lowercase `<status>` in Login,
 * `transactionid` on every entity element (the request's, when echoed; `""` otherwise), children
 * in the firewall's order.
 */
import { escapeXmlText, type IpHost, type IpHostGroup, StatusText } from "../protocol/index.ts";
import type { EntityStatus } from "./entity-status.ts";

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 cannot carry these at all
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function esc(value: string): string {
  return escapeXmlText(value.replace(CONTROL, ""), "value");
}

function element(tag: string, value: string | undefined, indent: string): string {
  return value === undefined || value === ""
    ? `${indent}<${tag}/>`
    : `${indent}<${tag}>${esc(value)}</${tag}>`;
}

/** A whole answer; `apiVersion` undefined gives the bare `<Response>` of the 529 answer. */
export function responseDocument(apiVersion: string | undefined, blocks: string[]): string {
  const open =
    apiVersion === undefined
      ? "<Response>"
      : `<Response APIVersion="${esc(apiVersion)}" IPS_CAT_VER="1" IS_WIFI6="0">`;
  return [DECLARATION, open, ...blocks, "</Response>", ""].join("\n");
}

export function topLevelStatus(code: number, text: string): string {
  return `  <Status code="${code}">${esc(text)}</Status>`;
}

export function loginBlock(success: boolean): string {
  const text = success ? StatusText.authSuccess : StatusText.authFailure;
  return `  <Login>\n    <status>${text}</status>\n  </Login>`;
}

function tidAttr(transactionId: string): string {
  return `transactionid="${escapeXmlText(transactionId.replace(CONTROL, ""), "transactionid")}"`;
}

export function entityStatuses(tag: string, statuses: EntityStatus[], transactionId = ""): string {
  const lines = statuses.map((s) => `    <Status code="${s.code}">${esc(s.text)}</Status>`);
  return [`  <${tag} ${tidAttr(transactionId)}>`, ...lines, `  </${tag}>`].join("\n");
}

/** Code-less status: zero records, Transaction fail. */
export function codelessStatus(tag: string, text: string, transactionId = ""): string {
  return `  <${tag} ${tidAttr(transactionId)}>\n    <Status>${esc(text)}</Status>\n  </${tag}>`;
}

export function hostXml(host: IpHost, transactionId = ""): string {
  const i = "    ";
  const lines = [
    `  <IPHost ${tidAttr(transactionId)}>`,
    element("Name", host.name, i),
    element("IPFamily", host.ipFamily, i),
  ];
  if (host.hostType === "System Host") {
    lines.push(element("HostType", host.hostType, i), "  </IPHost>");
    return lines.join("\n");
  }
  lines.push(element("Description", host.description, i), element("HostType", host.hostType, i));
  if (host.hostGroups.length > 0) {
    lines.push(`${i}<HostGroupList>`);
    for (const g of host.hostGroups) lines.push(element("HostGroup", g, `${i}  `));
    lines.push(`${i}</HostGroupList>`);
  }
  if (host.ipAddress !== undefined) lines.push(element("IPAddress", host.ipAddress, i));
  if (host.subnet !== undefined) lines.push(element("Subnet", host.subnet, i));
  if (host.startIpAddress !== undefined) lines.push(element("StartIPAddress", host.startIpAddress, i));
  if (host.endIpAddress !== undefined) lines.push(element("EndIPAddress", host.endIpAddress, i));
  if (host.listOfIpAddresses !== undefined) {
    lines.push(element("ListOfIPAddresses", host.listOfIpAddresses.join(","), i));
  }
  lines.push("  </IPHost>");
  return lines.join("\n");
}

export function groupXml(group: IpHostGroup, transactionId = ""): string {
  const i = "    ";
  const lines = [`  <IPHostGroup ${tidAttr(transactionId)}>`, element("Name", group.name, i)];
  lines.push(element("Description", group.description, i));
  if (group.hosts.length > 0) {
    lines.push(`${i}<HostList>`);
    for (const h of group.hosts) lines.push(element("Host", h, `${i}  `));
    lines.push(`${i}</HostList>`);
  }
  lines.push(element("IPFamily", group.ipFamily, i), "  </IPHostGroup>");
  return lines.join("\n");
}
