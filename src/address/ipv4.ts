/** IPv4 text ⇄ number, and dotted masks. Addresses are bigints so both families share the network math. */
import { isIPv4 } from "./ip-syntax.ts";

/** The value of a dotted IPv4 address (node:net rules: four decimal octets, no leading zeros). */
export function parseIPv4(text: string): bigint | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join(".");
}

/** The prefix length of a contiguous dotted mask (`255.255.255.0` → 24), or undefined. */
export function ipv4MaskToPrefix(mask: string): number | undefined {
  const value = parseIPv4(mask);
  if (value === undefined) return undefined;
  const bits = value.toString(2).padStart(32, "0");
  return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? 32 : bits.indexOf("0")) : undefined;
}

export function prefixToIPv4Mask(prefixLength: number): string {
  return formatIPv4(networkMask(32, prefixLength));
}

/** The mask with `prefixLength` leading ones in a `bits`-wide address. */
export function networkMask(bits: number, prefixLength: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefixLength)) << BigInt(bits - prefixLength);
}
