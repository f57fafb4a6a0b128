/**
 * The firewall's rules for object names (reference §4.1, §5): at most 60 characters, no comma,
 * not starting with `#`. The project itself keeps the names it makes at 50 or fewer
 * (one public client enforces 50 for reasons unknown) and without `:` (not shown to be accepted).
 */

export const FIREWALL_NAME_MAX = 60;
export const OUR_NAME_MAX = 50;

/** Why `name` is not a valid object name on the firewall, or undefined when it is. */
export function firewallNameProblem(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name.length > FIREWALL_NAME_MAX) return `the name is longer than ${FIREWALL_NAME_MAX} characters`;
  if (name.includes(",")) return "the name contains a comma";
  if (name.startsWith("#")) return "the name starts with #";
  return undefined;
}
