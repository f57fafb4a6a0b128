/**
 * Reads the address Fail2ban passes as `<ip>` (or that an admin types): IPv4, IPv6 in any case
 * or compression, IPv4-mapped IPv6, CIDR for both families (an IPv4 dotted mask also works).
 * Host bits in a CIDR are cleared (`198.51.100.7/24` → `198.51.100.0/24`), as Fail2ban does.
 */
import { UsageError } from "../errors/index.ts";
import type { IpFamily } from "./family.ts";
import { ipv4MaskToPrefix, parseIPv4 } from "./ipv4.ts";
import { parseIPv6 } from "./ipv6.ts";
import { policyProblem } from "./policy.ts";
import { ADDRESS_BITS, type BanTarget, targetOf } from "./target.ts";
import { hasAnyControlCharacter } from "./text.ts";

const EXPECTED =
  "expected an IPv4 or IPv6 address or CIDR network, e.g. 192.0.2.1, 2001:db8::1, 198.51.100.0/24";
const QUOTE_HINT = 'pass the address as Fail2ban\'s "<ip>" tag, inside double quotes in the action file';
/** What Fail2ban will not paste into a command line (reference §2.3), plus whitespace and `!`. */
const SHELL_METACHARACTERS = /[\\#&;`|*?~^()[\]{}$'"!\s]/;

/**
 * Parses and checks a ban target. Throws `UsageError` (message: what was wrong and what is
 * expected; hint: what to do) for anything that is not a single address or network, and for
 * targets refused by policy (see `policy.ts`: /0, too wide, loopback, multicast, …).
 */
export function parseBanTarget(text: string): BanTarget {
  const target = parseTargetSyntax(text);
  const problem = policyProblem(target);
  if (problem !== undefined) {
    throw new UsageError(`refusing to ban ${target.canonical}: ${problem.reason}`, { hint: problem.hint });
  }
  return target;
}

/** Parses the text form only, without the policy checks (see `parseBanTarget`). */
export function parseTargetSyntax(text: string): BanTarget {
  const value = typeof text === "string" ? text.trim() : "";
  if (value === "") fail("no address given", "pass the banned address, e.g. --ip 192.0.2.1");
  if (value.includes("<") || value.includes(">")) {
    fail(
      `${show(value)} is an unresolved Fail2ban tag, not an address`,
      `check the action file: ${QUOTE_HINT}`,
    );
  }
  // Checked on the untrimmed text: a trailing newline is not something Fail2ban ever passes.
  if (typeof text === "string" && hasAnyControlCharacter(text)) {
    fail(`${show(value)} contains a control character`, QUOTE_HINT);
  }
  if (value.startsWith("["))
    fail(`${show(value)} is written in brackets`, "give the bare address: 2001:db8::1");
  if (value.includes("%")) {
    fail(
      `${show(value)} carries a zone id (%…)`,
      "zone ids are local to one host; give the address without %zone",
    );
  }
  if (SHELL_METACHARACTERS.test(value))
    fail(`${show(value)} contains a space or shell metacharacter`, QUOTE_HINT);
  const parts = value.split("/");
  if (parts.length > 2)
    fail(`${show(value)} has more than one "/"`, "write a network as address/prefix-length");
  const [addressText = "", prefixText] = parts;
  const family = familyOf(addressText);
  const prefixLength = prefixText === undefined ? ADDRESS_BITS[family] : prefixOf(family, prefixText, value);
  const address = family === "IPv4" ? parseIPv4(addressText) : parseIPv6(addressText);
  return targetOf(family, address ?? 0n, prefixLength);
}

function familyOf(text: string): IpFamily {
  if (parseIPv4(text) !== undefined) return "IPv4";
  if (parseIPv6(text) !== undefined) return "IPv6";
  if (/^\d+(\.\d+){3}:\d+$/.test(text))
    fail(`${show(text)} carries a port`, "give the address without :port");
  if (/^[\d.]+$/.test(text)) {
    fail(
      `${show(text)} is not a valid IPv4 address (four numbers 0-255, no leading zeros)`,
      "check the filter's <HOST> match",
    );
  }
  if (!text.includes(":") && /[a-z]/i.test(text)) {
    fail(
      `${show(text)} looks like a host name; only addresses are accepted`,
      "Fail2ban passes addresses as <ip>; check the jail's usedns setting",
    );
  }
  return fail(
    `${show(text)} is not an address: ${EXPECTED}`,
    "check the filter's <HOST> match and the action file",
  );
}

function prefixOf(family: IpFamily, text: string, whole: string): number {
  const max = ADDRESS_BITS[family];
  if (family === "IPv4" && text.includes(".")) {
    const fromMask = ipv4MaskToPrefix(text);
    if (fromMask === undefined)
      fail(`${show(whole)}: ${show(text)} is not a contiguous netmask`, "write /24 style");
    return fromMask;
  }
  if (!/^(0|[1-9]\d{0,2})$/.test(text)) {
    fail(`${show(whole)}: the prefix length must be a number from 0 to ${max}`, "write e.g. 198.51.100.0/24");
  }
  const length = Number(text);
  if (length > max)
    fail(
      `${show(whole)}: prefix length /${length} is out of range for ${family} (0-${max})`,
      "fix the prefix length",
    );
  return length;
}

/** The input, quoted and cut short, so an error line stays one short line. */
function show(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function fail(problem: string, hint: string): never {
  throw new UsageError(`invalid address to ban: ${problem}`, { hint });
}
