/**
 * The f2b-sophosxg command line (dist/cli.mjs), which the small entry (entry.ts) loads for
 * everything its fast path does not answer. Kept thin: parse, run, print a few short lines, set
 * the exit code (never process.exit() after writing, or a piped line may be lost).
 */
import { redactSecrets, UsageError } from "../errors/base.ts";
import { parseCommand } from "./args.ts";
import type { ParsedArgvCommand } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";
import { processOutput } from "./output.ts";
import { exitCodeOf, reportError } from "./report.ts";
import { findCommand } from "./table.ts";
import { usage } from "./usage.ts";
import { VERSION } from "./version.ts";

export async function main(argv: string[]): Promise<number> {
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

/** Runs the command line and sets the exit code. */
export function runMain(argv: string[]): Promise<void> {
  // A reader that goes away (`| head`) must not turn into a crash trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`f2b-sophosxg: ${redactSecrets(String((error as Error)?.message ?? error))}\n`);
      process.exitCode = ExitCode.failure;
    },
  );
}
