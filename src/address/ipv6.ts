/**
 * IPv6 text ⇄ 128-bit value. The text form matches what Fail2ban prints (Python's
 * `socket.inet_ntop`, i.e. glibc): lower case, the longest run of two or more zero groups
 * compressed (the first on a tie), a single zero group written as `0`, and the last 32 bits in
 * dotted form when the first 96 bits are `::` (IPv4-compatible, e.g. `::1.2.3.4`) or `::ffff:0:0/96`
 * (IPv4-mapped). This is RFC 5952 plus glibc's mixed-notation rule.
 */
import { isIPv6 } from "./ip-syntax.ts";
import { formatIPv4, parseIPv4 } from "./ipv4.ts";

/** The value of an IPv6 address in any valid spelling; undefined when invalid or carrying a zone id. */
export function parseIPv6(text: string): bigint | undefined {
  if (text.includes("%") || !isIPv6(text)) return undefined;
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":").flatMap(groupsOf);
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":").flatMap(groupsOf);
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...tailGroups];
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** A group is 16 bits of hex; an embedded dotted IPv4 address at the end stands for two. */
function groupsOf(part: string): number[] {
  if (!part.includes(".")) return [Number.parseInt(part, 16)];
  const v4 = parseIPv4(part);
  if (v4 === undefined) return [Number.NaN];
  return [Number(v4 >> 16n), Number(v4 & 0xffffn)];
}

export function formatIPv6(value: bigint): string {
  const words = [7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n].map((i) => Number((value >> (i * 16n)) & 0xffffn));
  const best = longestZeroRun(words);
  const hex = (from: number, to: number) =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(":");
  if (best.start === 0 && (best.length === 6 || (best.length === 5 && words[5] === 0xffff))) {
    const lead = best.length === 6 ? "::" : "::ffff:";
    return lead + formatIPv4(value & 0xffffffffn);
  }
  if (best.length < 2) return hex(0, 8);
  return `${hex(0, best.start)}::${hex(best.start + best.length, 8)}`;
}

function longestZeroRun(words: number[]): { start: number; length: number } {
  let best = { start: -1, length: 0 };
  let start = -1;
  for (let i = 0; i <= words.length; i++) {
    if (i < words.length && words[i] === 0) {
      if (start === -1) start = i;
    } else if (start !== -1) {
      if (i - start > best.length) best = { start, length: i - start };
      start = -1;
    }
  }
  return best;
}
