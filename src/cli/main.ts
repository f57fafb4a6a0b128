#!/usr/bin/env node
/**
 * The f2b-sophosxg command line. Kept thin: parse, run, print a few short lines, set the exit
 * code (never process.exit() after writing, or a piped line may be lost).
 */
import { redactSecrets, UsageError } from "../errors/base.ts";
import { isHookCommand, parseCommand } from "./args.ts";
import { ExitCode } from "./exit-codes.ts";
import { USAGE } from "./help.ts";
import { processOutput } from "./output.ts";
import { exitCodeOf, reportError, runCommand } from "./run-command.ts";
import { VERSION } from "./version.ts";

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "emulator") {
    // Lazy: the emulator (certificate generation, HTTP server) never loads on the per-ban path.
    const { runEmulatorCommand } = await import("../emulator/command.ts");
    return runEmulatorCommand(argv.slice(1), {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  }
  if (argv[0] === "probe") {
    // Lazy, its own bundle (dist/probe.mjs): never loaded on the per-ban path.
    const { runProbeCommand } = await import("../probe/command.ts");
    return runProbeCommand(argv.slice(1), {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  }
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
    output.out(parsed.kind === "help" ? USAGE : VERSION);
    return ExitCode.ok;
  }
  // Commands people run by hand may print a lot (list --json of thousands of bans); only the
  // commands Fail2ban runs are capped.
  return runCommand(parsed, isHookCommand(parsed.name) ? output : processOutput(Number.POSITIVE_INFINITY));
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
