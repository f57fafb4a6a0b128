/** Address checks per IP family, as the firewall applies them to IPHost fields. */
import { isIPv4, isIPv6 } from "node:net";
import type { IpFamily } from "../protocol/index.ts";

export function isAddressOf(family: IpFamily, text: string): boolean {
  return family === "IPv4" ? isIPv4(text) : isIPv6(text);
}

/** A dotted IPv4 mask with contiguous ones, e.g. 255.255.255.0. */
export function isIPv4Mask(text: string): boolean {
  if (!isIPv4(text)) return false;
  const bits = text
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  return /^1*0*$/.test(bits);
}

export function isPrefixLength(text: string, max: number): boolean {
  if (!/^\d{1,3}$/.test(text)) return false;
  const n = Number(text);
  return n >= 0 && n <= max;
}

/** An IPv6 mask written as an address with contiguous ones, e.g. ffff:ffff:ffff:ffff::. */
export function isIPv6Mask(text: string): boolean {
  if (!isIPv6(text)) return false;
  return /^1*0*$/.test(ipv6Bits(text));
}

function ipv6Bits(text: string): string {
  const [head = "", tail = ""] = text.includes("::") ? text.split("::") : [text, ""];
  const h = head === "" ? [] : head.split(":");
  const t = (tail === "" ? [] : tail.split(":")).flatMap(embeddedIPv4);
  const missing = 8 - h.length - t.length;
  const groups = [...h.flatMap(embeddedIPv4), ...Array<string>(Math.max(missing, 0)).fill("0"), ...t];
  return groups.map((g) => Number.parseInt(g, 16).toString(2).padStart(16, "0")).join("");
}

/** Numeric comparison key so IPRange start ≤ end can be checked. */
export function addressKey(family: IpFamily, text: string): bigint {
  if (family === "IPv4") return text.split(".").reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
  return BigInt(`0b${ipv6Bits(text)}`);
}

/** `::ffff:1.2.3.4` ends in an IPv4 address worth two 16-bit groups. */
function embeddedIPv4(group: string): string[] {
  if (!group.includes(".")) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
