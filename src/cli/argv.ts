/**
 * Reads argv and checks every value: accepts the original's form (`ban --ip X --configfile F`)
 * and what our action file passes; refuses anything Fail2ban left unresolved (`<ip>`), shell
 * metacharacters and control characters before any other work is done. Knows no command (the
 * table does, args.ts), so that the hook's fast path reads argv exactly as the full CLI does.
 */
import { parseArgs } from "node:util";
import { type BanTarget, parseBanTarget } from "../address/index.ts";
import { FLEET_NAME } from "../config/fleet-name.ts";
import { UsageError } from "../errors/base.ts";
import { familyOfFail2ban } from "../fail2ban/index.ts";
import type { CommandLine } from "./command.ts";
import { OPTION_NAMES, OPTIONS, type OptionName, type OptionSpec } from "./options.ts";

/** The options as node:util's parseArgs takes them, from the option table. */
const PARSE_OPTIONS = Object.fromEntries(
  OPTION_NAMES.map((name) => {
    const spec: OptionSpec = OPTIONS[name];
    return [name, spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short }];
  }),
) as { [K in OptionName]: { type: (typeof OPTIONS)[K]["type"]; short?: string } };

const UNSAFE = /[<>`$;|&\\'"(){}[\]*?~^#\r\n]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function jailName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === "" || value.length > 100 || UNSAFE.test(value) || CONTROL.test(value)) {
    throw new UsageError(`--jail ${JSON.stringify(value)} is not a jail name`, {
      hint: value.includes("<")
        ? 'Fail2ban left the tag unresolved: pass --jail "<name>" from the action file'
        : "use the jail's name as Fail2ban passes <name>",
    });
  }
  return value;
}

function number(option: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed))) {
    throw new UsageError(`--${option} ${JSON.stringify(value)} is not a ${integer ? "whole " : ""}number`, {
      hint: value.includes("<")
        ? `Fail2ban left the tag unresolved; check the action file`
        : `pass --${option} as Fail2ban's <${option}>`,
    });
  }
  return parsed;
}

/**
 * Informational only (the journal makes a restored ban cheap either way), so an odd value, such
 * as a `<restored>` tag an older Fail2ban leaves unresolved, must not make us drop the ban.
 */
function restoredFlag(value: string | undefined): boolean {
  return value === "1";
}

/**
 * Fail2ban passes `--bantime "-1"` for a permanent ban; parseArgs would read `-1` as an option
 * and refuse the command, and Fail2ban would then drop the ban. Glue such values to their option.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    const takesValue = name !== undefined && (OPTIONS as Record<string, OptionSpec>)[name]?.type === "string";
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export type ArgvValues = ReturnType<typeof readArgv>["values"];

export function readArgv(argv: string[]) {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof PARSE_OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      options: PARSE_OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "invalid arguments", {
      hint: "see f2b-sophosxg --help",
    });
  }
  return parsed;
}

/**
 * Checks the values for command `name` in a fixed order (the first problem is the one reported).
 * `takesIp`: the command takes the scoped --ip (then required); `ipCommands` names those that do.
 */
export function commandLine(
  values: ArgvValues,
  name: string,
  takesIp: boolean,
  ipCommands: string,
): CommandLine {
  let target: BanTarget | undefined;
  if (takesIp) {
    if (values.ip === undefined)
      throw new UsageError(`${name} needs --ip`, { hint: `f2b-sophosxg ${name} --ip 192.0.2.1` });
    // Checked before parsing: the parser trims, and a newline or other control character in
    // what Fail2ban passed means the action file is broken, not that the address is fine.
    if (CONTROL.test(values.ip)) {
      throw new UsageError(`--ip ${JSON.stringify(values.ip)} contains a control character`, {
        hint: 'pass the address as Fail2ban\'s "<ip>" tag, inside double quotes in the action file',
      });
    }
    target = parseBanTarget(values.ip);
  } else if (values.ip !== undefined) {
    throw new UsageError(`--ip is only for ${ipCommands}, not ${name}`);
  }
  const family = values.family === undefined ? undefined : familyOfFail2ban(values.family);
  if (target && family && target.family !== family) {
    throw new UsageError(`--ip ${target.canonical} is ${target.family}, but --family says ${values.family}`);
  }
  if (
    values.configfile !== undefined &&
    (values.configfile.includes("<") || CONTROL.test(values.configfile))
  ) {
    throw new UsageError(`--configfile ${JSON.stringify(values.configfile)} is not a path`, {
      hint: "Fail2ban left the tag unresolved: set configfile in the action's [Init] or the jail",
    });
  }
  const line: CommandLine = {
    configFile: values.configfile,
    target,
    jail: jailName(values.jail),
    family,
    time: number("time", values.time, false),
    bantime: number("bantime", values.bantime, false),
    restored: restoredFlag(values.restored),
    dryRun: values["dry-run"] === true,
    json: values.json === true,
    fromFail2ban: values["from-fail2ban"] === true,
    root: values.root,
    firewall: firewallName(values.firewall),
    removeOurs: onlyFor(name, "sync", "--remove-ours", values["remove-ours"] === true),
    member: memberName(name, values.member),
    yes: onlyFor(name, "fleet", "--yes", values.yes === true),
    subcommand: undefined,
  };
  return line;
}

function firewallName(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(value)) {
    throw new UsageError(`--firewall ${JSON.stringify(value.slice(0, 40))} is not a firewall name`, {
      hint: 'use a "name" from the config\'s "firewalls" list (or "default")',
    });
  }
  return value;
}

/** An option of one command only: given to another, it is a usage error, not ignored. */
function onlyFor<T>(command: string, owner: "sync" | "fleet", option: string, given: T): T {
  if (given && command !== owner) {
    throw new UsageError(
      `${option} is only for ${owner === "fleet" ? "fleet leave" : owner}, not ${command}`,
    );
  }
  return given;
}

function memberName(command: string, value: string | undefined): string | undefined {
  onlyFor(command, "fleet", "--member", value !== undefined);
  if (value !== undefined && !FLEET_NAME.test(value)) {
    throw new UsageError(`--member ${JSON.stringify(value.slice(0, 70))} is not a member's name`, {
      hint: "use a name that fleet status lists under members",
    });
  }
  return value;
}
