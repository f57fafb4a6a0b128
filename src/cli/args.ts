/** Turns argv into one command of the table, with that command's own typed arguments. */
import { UsageError } from "../errors/base.ts";
import { commandLine, readArgv } from "./argv.ts";
import type { Command } from "./command.ts";
import type { OptionName } from "./options.ts";
import { COMMANDS, findCommand, type ParsedCommand } from "./table.ts";

export type EarlyExit = { kind: "help" } | { kind: "version" };

/** Whether `command` takes the scoped option `name` (see options.ts). */
function takes(command: Command, name: OptionName): boolean {
  return command.options.includes(name);
}

export function parseCommand(argv: string[]): ParsedCommand | EarlyExit {
  const { values, positionals } = readArgv(argv);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError("no command given", { hint: "see f2b-sophosxg --help" });
  const command = findCommand(name);
  if (command === undefined || command.argv === "own") {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`, {
      hint: `use one of ${COMMANDS.map((c) => c.name).join(", ")}`,
    });
  }
  const subcommand = command.subcommands === undefined ? undefined : extra.shift();
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const line = { ...commandLine(values, name, takes(command, "ip"), scopedTo("ip")), subcommand };
  return { name: command.name, command, args: command.parse(line) } as ParsedCommand;
}
/** `ban and unban`: the commands that take a scoped option. */
function scopedTo(option: OptionName): string {
  const names = COMMANDS.filter((c) => (c.options as readonly OptionName[]).includes(option)).map(
    (c) => c.name,
  );
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
