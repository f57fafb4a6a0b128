/**
 * The names of our IP host objects on the firewall.
 *
 * - IPv4: `<prefix><address>` (`f2b_192.0.2.1`), the original program's form, so the objects it
 *   made are adopted; a network adds `/<len>` (`f2b_198.51.100.0/24`; `/` is allowed in names).
 * - IPv6: `<prefix><address with ":" → "_">` (`f2b_2001_db8__1`, `f2b_2001_db8__/48`): `:` is
 *   avoided in names (reference §5).
 * - IPv6 when that would exceed 50 characters: `<prefix>v6_<32 hex digits>[/<len>]`, the full
 *   address in hex. `v` is not a hex digit, so this form never equals a readable one.
 *
 * Every name is ≤ 50 characters (`OUR_NAME_MAX`), has no `,` or `:`, and never starts with `#`.
 */
import { type BanTarget, hasAnyControlCharacter, targetValue } from "../../address/index.ts";
import { UsageError } from "../../errors/index.ts";
import { firewallNameProblem, OUR_NAME_MAX } from "../../protocol/names.ts";

/** Length of the longest name suffix any target can need: `v6_` + 32 hex + `/128`… is 39 (`/127`). */
const LONGEST_SUFFIX = "v6_".length + 32 + "/127".length;

/** The longest `iphost_prefix` for which every possible target still gets a name ≤ 50 characters. */
export const maxPrefixLength: number = OUR_NAME_MAX - LONGEST_SUFFIX;

/** Why `prefix` cannot be used as the object name prefix, or undefined when it can. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return "must not be empty";
  if (prefix.length > maxPrefixLength) {
    return `is ${prefix.length} characters; at most ${maxPrefixLength} keep every object name within ${OUR_NAME_MAX}`;
  }
  if (hasAnyControlCharacter(prefix)) return "contains a control character";
  if (prefix.includes(",")) return "must not contain a comma";
  if (prefix.includes(":")) return 'must not contain ":"';
  if (prefix.startsWith("#")) return 'must not start with "#"';
  return undefined;
}

/** The IP host name for `target` under `prefix` (see the module comment for the scheme). */
export function objectNameFor(prefix: string, target: BanTarget): string {
  const problem = prefixProblem(prefix);
  if (problem !== undefined) {
    throw new UsageError(`the object name prefix ${JSON.stringify(prefix)} ${problem}`, {
      hint: 'fix "iphost_prefix" in the configuration',
    });
  }
  const suffix = target.kind === "network" ? `/${target.prefixLength}` : "";
  let name = `${prefix}${target.address.replaceAll(":", "_")}${suffix}`;
  if (target.family === "IPv6" && name.length > OUR_NAME_MAX) {
    name = `${prefix}v6_${targetValue(target).toString(16).padStart(32, "0")}${suffix}`;
  }
  const nameProblem = firewallNameProblem(name);
  if (nameProblem !== undefined || name.length > OUR_NAME_MAX) {
    // Unreachable for a valid prefix; guards the invariant above.
    throw new UsageError(`cannot name the object for ${target.canonical}: ${nameProblem ?? "too long"}`);
  }
  return name;
}
