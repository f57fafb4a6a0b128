#!/usr/bin/env node
/**
 * The f2b-sophosxg command line. Kept thin: parse, run, print a few short lines, set the exit
 * code (never process.exit() after writing, or a piped line may be lost).
 */
import { redactSecrets, UsageError } from "../errors/base.ts";
import { parseCommand } from "./args.ts";
import type { ParsedArgvCommand } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";
import { processOutput } from "./output.ts";
import { exitCodeOf, reportError } from "./session-run.ts";
import { findCommand } from "./table.ts";
import { usage } from "./usage.ts";
import { VERSION } from "./version.ts";

async function main(argv: string[]): Promise<number> {
  const own = argv[0] === undefined ? undefined : findCommand(argv[0]);
  if (own?.argv === "own") return own.runWithArgv(argv.slice(1));
  const output = processOutput();
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(argv);
  } catch (error) {
    reportError("f2b-sophosxg", error, output);
    if (!(error instanceof UsageError)) return ExitCode.failure;
    return exitCodeOf(error);
  }
  if ("kind" in parsed) {
    output.out(parsed.kind === "help" ? usage() : VERSION);
    return ExitCode.ok;
  }
  // Each command's parse made its own arguments; widened here, run by the command that made them.
  const command: ParsedArgvCommand = parsed.command;
  return command.run(parsed.args, {
    prefix: `f2b-sophosxg ${command.name}`,
    // Commands people run by hand may print a lot (list --json of thousands of bans); only the
    // commands Fail2ban runs are capped.
    output: command.hook ? output : processOutput(Number.POSITIVE_INFINITY),
  });
}

// A reader that goes away (`| head`) must not turn into a crash trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`f2b-sophosxg: ${redactSecrets(String((error as Error)?.message ?? error))}\n`);
    process.exitCode = ExitCode.failure;
  },
);
