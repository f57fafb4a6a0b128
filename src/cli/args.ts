/**
 * Turns argv into a typed command. Accepts the original's form (`ban --ip X --configfile F`)
 * and what our action file passes; refuses anything Fail2ban left unresolved (`<ip>`), shell
 * metacharacters and control characters before any other work is done.
 */
import { parseArgs } from "node:util";
import type { IpFamily } from "../address/index.ts";
import { type BanTarget, parseBanTarget } from "../address/index.ts";
import { UsageError } from "../errors/base.ts";
import { familyOfFail2ban } from "../fail2ban/index.ts";

export const ACTIONS = ["start", "stop", "check", "flush", "ban", "unban"] as const;
export const OPERATIONS = ["sync", "status", "agent", "list", "doctor", "install", "fleet"] as const;
export type CommandName = (typeof ACTIONS)[number] | (typeof OPERATIONS)[number];

/** The commands Fail2ban runs: short output, and a time budget below the action's timeout. */
export function isHookCommand(name: CommandName): boolean {
  return (ACTIONS as readonly string[]).includes(name);
}

export interface ParsedCommand {
  name: CommandName;
  configFile: string | undefined;
  target: BanTarget | undefined;
  /** Absent when not given: ban and unban then use "default"; flush then releases every jail. */
  jail: string | undefined;
  family: IpFamily | undefined;
  time: number | undefined;
  bantime: number | undefined;
  restored: boolean;
  dryRun: boolean;
  json: boolean;
  fromFail2ban: boolean;
  /** `install --root DIR`: where to install (default /). */
  root: string | undefined;
  /** `fleet status` / `fleet leave`. */
  subcommand: string | undefined;
}

const OPTIONS = {
  ip: { type: "string" },
  configfile: { type: "string" },
  jail: { type: "string" },
  family: { type: "string" },
  time: { type: "string" },
  bantime: { type: "string" },
  restored: { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  "from-fail2ban": { type: "boolean" },
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

export type EarlyExit = { kind: "help" } | { kind: "version" };

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
    const takesValue =
      name !== undefined && (OPTIONS as Record<string, { type: string }>)[name]?.type === "string";
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parseCommand(argv: string[]): ParsedCommand | EarlyExit {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "invalid arguments", {
      hint: "see f2b-sophosxg --help",
    });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError("no command given", { hint: "see f2b-sophosxg --help" });
  if (!(ACTIONS as readonly string[]).includes(name) && !(OPERATIONS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`, {
      hint: `use one of ${[...ACTIONS, ...OPERATIONS, "emulator"].join(", ")}`,
    });
  }
  const subcommand = name === "fleet" ? extra.shift() : undefined;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const command = name as CommandName;

  let target: BanTarget | undefined;
  if (command === "ban" || command === "unban") {
    if (values.ip === undefined)
      throw new UsageError(`${command} needs --ip`, { hint: `f2b-sophosxg ${command} --ip 192.0.2.1` });
    // Checked before parsing: the parser trims, and a newline or other control character in
    // what Fail2ban passed means the action file is broken, not that the address is fine.
    if (CONTROL.test(values.ip)) {
      throw new UsageError(`--ip ${JSON.stringify(values.ip)} contains a control character`, {
        hint: 'pass the address as Fail2ban\'s "<ip>" tag, inside double quotes in the action file',
      });
    }
    target = parseBanTarget(values.ip);
  } else if (values.ip !== undefined) {
    throw new UsageError(`--ip is only for ban and unban, not ${command}`);
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
  return {
    name: command,
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
    subcommand,
  };
}
