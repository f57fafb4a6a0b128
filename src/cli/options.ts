/**
 * Every option of the command line, once: its type, its placeholder and its line in `--help`
 * and the manual. Every command accepts every option (as it always has) except a `scoped` one,
 * which only the commands that list it accept, and they require it.
 */

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The value's placeholder in the help (`--ip IP`). */
  value?: string;
  help: string;
  /** Listed under "Options" in `--help` (false: shown only in its command's synopsis). */
  listed?: false;
  /** Accepted only by the commands that list it, which then require it. */
  scoped?: true;
}

export const OPTIONS = {
  ip: { type: "string", value: "IP", help: "address or network, as Fail2ban passes <ip>", scoped: true },
  configfile: {
    type: "string",
    value: "PATH",
    help: "config file (default /etc/f2b-sophosxg/config.json)",
  },
  jail: { type: "string", value: "NAME", help: 'the Fail2ban jail (<name>); default "default"' },
  family: { type: "string", value: "inet4|inet6", help: "the address family (<family>)" },
  time: { type: "string", value: "EPOCH", help: "time of the ban (<time>); default now" },
  bantime: { type: "string", value: "SECONDS", help: "ban duration (<bantime>); -1 = until unbanned" },
  restored: {
    type: "string",
    value: "0|1",
    help: "whether Fail2ban restored the ban at start (<restored>)",
  },
  "dry-run": {
    type: "boolean",
    help: "print the requests that would be sent (password masked); send nothing",
  },
  json: { type: "boolean", help: "machine-readable output (status, list)" },
  "from-fail2ban": {
    type: "boolean",
    help: "take the desired state from fail2ban-client's list of banned addresses (sync)",
    listed: false,
  },
  root: { type: "string", value: "DIR", help: "install below DIR instead of / (packaging, tests)" },
  firewall: {
    type: "string",
    value: "NAME",
    help: "status, list, sync, check, start, doctor: only this one of the configured firewalls",
  },
  "remove-ours": {
    type: "boolean",
    help: "remove every object of ours from --firewall NAME (retiring it; --dry-run first) (sync)",
    listed: false,
  },
  member: {
    type: "string",
    value: "NAME",
    help: "fleet leave: release another member's holds (a host that is gone; needs --yes)",
    listed: false,
  },
  yes: {
    type: "boolean",
    help: "confirm a change that acts for another host (fleet leave --member)",
    listed: false,
  },
  help: { type: "boolean", short: "h", help: "this help" },
  version: { type: "boolean", short: "V", help: "the version" },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

/** `--ip IP`, `-h, --help`. */
export function optionLabel(name: OptionName): string {
  const spec: OptionSpec = OPTIONS[name];
  const long = spec.value === undefined ? `--${name}` : `--${name} ${spec.value}`;
  return spec.short === undefined ? long : `-${spec.short}, ${long}`;
}
