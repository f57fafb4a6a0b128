/**
 * The commands, in the order `--help` and the manual list them (Fail2ban's hooks first).
 * Parsing (args.ts), `--help` (usage.ts), the manual (scripts/man.mjs) and dispatch (main.ts)
 * are derived from this list.
 *
 * To add a command: write src/cli/commands/NAME.ts (`defineCommand({ name, hook, synopsis?,
 * help, options, parse, run })`; load heavy modules inside `run` with `await import()`), then add
 * it to COMMANDS below. A new option goes into options.ts and CommandLine (command.ts).
 */
import type { Command, ParsedArgvCommand } from "./command.ts";
import { agentCommand } from "./commands/agent.ts";
import { banCommand } from "./commands/ban.ts";
import { bouncerCommand } from "./commands/bouncer.ts";
import { checkCommand } from "./commands/check.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { emulatorCommand } from "./commands/emulator.ts";
import { fleetCommand } from "./commands/fleet.ts";
import { flushCommand } from "./commands/flush.ts";
import { installCommand } from "./commands/install.ts";
import { listCommand } from "./commands/list.ts";
import { probeCommand } from "./commands/probe.ts";
import { startCommand } from "./commands/start.ts";
import { statusCommand } from "./commands/status.ts";
import { stopCommand } from "./commands/stop.ts";
import { syncCommand } from "./commands/sync.ts";
import { unbanCommand } from "./commands/unban.ts";

export const COMMANDS = [
  startCommand,
  stopCommand,
  checkCommand,
  banCommand,
  unbanCommand,
  flushCommand,
  syncCommand,
  statusCommand,
  agentCommand,
  bouncerCommand,
  fleetCommand,
  listCommand,
  doctorCommand,
  installCommand,
  emulatorCommand,
  probeCommand,
] as const satisfies readonly Command[];

type Entry = (typeof COMMANDS)[number];

export type CommandName = Entry["name"];

/** One member per command that parses argv, tagged by name, with that command's own arguments. */
export type ParsedCommand = Entry extends infer C
  ? C extends ParsedArgvCommand<infer Name, infer Args>
    ? { name: Name; command: C; args: Args }
    : never
  : never;

export function findCommand(name: string): Command | undefined {
  return (COMMANDS as readonly Command[]).find((command) => command.name === name);
}
