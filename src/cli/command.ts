/**
 * What a command declares (src/cli/commands/*.ts) and what it gets when it runs. Parsing,
 * `--help`, the manual and dispatch are all derived from these declarations (see table.ts).
 */
import type { BanTarget, IpFamily } from "../address/index.ts";
import type { OptionName } from "./options.ts";
import type { Output } from "./output.ts";

/** The command line once checked; each command's `parse` picks what it uses. */
export interface CommandLine {
  configFile: string | undefined;
  /** Present exactly when the command lists the scoped `ip` option (it is then required). */
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
  root: string | undefined;
  /** `--firewall NAME`: one of the configured firewalls (all, or the first, when absent). */
  firewall: string | undefined;
  /** `sync --remove-ours`: remove every object of ours from the firewall (retiring it). */
  removeOurs: boolean;
  /** `fleet leave --member NAME`: another member of the fleet (this one when absent). */
  member: string | undefined;
  /** `--yes`: the user confirms a change made for another host. */
  yes: boolean;
  /** The word after the command's name, for a command that declares `subcommands` (`fleet status`). */
  subcommand: string | undefined;
}

export interface CliContext {
  /** Capped for Fail2ban's hooks (its pipe), unbounded for commands people run. */
  output: Output;
  /** `f2b-sophosxg ban`: the start of every error line. */
  prefix: string;
}

interface Described<Name extends string> {
  name: Name;
  /** Fail2ban runs it (action.d/sophosxg.conf): capped output, the delivery time budget. */
  hook: boolean;
  /** What follows the name in `--help` (`--ip IP`, `[--json]`). */
  synopsis?: string;
  /** Its line in `--help`. */
  help: string;
  /** The words it takes after its name (`fleet status|leave`); none when absent. */
  subcommands?: readonly string[];
  /** The options it uses (for the manual; every command accepts the unscoped ones). */
  options: readonly OptionName[];
}

export interface ParsedArgvCommand<Name extends string = string, Args = unknown> extends Described<Name> {
  argv?: undefined;
  parse(line: CommandLine): Args;
  // Method syntax on purpose: a table of commands with different Args is then one array type.
  run(args: Args, context: CliContext): Promise<number>;
}

/** A command that reads its own arguments (the emulator has its own options and help). */
export interface OwnArgvCommand<Name extends string = string> extends Described<Name> {
  argv: "own";
  runWithArgv(argv: string[]): Promise<number>;
}

export type Command = ParsedArgvCommand | OwnArgvCommand;

export function defineCommand<const Name extends string, Args>(
  command: ParsedArgvCommand<Name, Args>,
): ParsedArgvCommand<Name, Args> {
  return command;
}
