/** How an error becomes lines on standard error and an exit code (shared with the hook's fast path). */
import { ConfigError, F2bError, redactSecrets, UsageError } from "../errors/base.ts";
import { ExitCode } from "./exit-codes.ts";
import type { Output } from "./output.ts";

export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError ? ExitCode.usage : ExitCode.failure;
}

export function reportError(prefix: string, error: unknown, output: Output): void {
  if (error instanceof ConfigError && error.problems.length > 0) {
    output.err(`${prefix}: ${error.message}`);
    for (const problem of error.problems.slice(0, 20)) output.err(`  ${problem}`);
    return;
  }
  if (error instanceof F2bError) {
    output.err(`${prefix}: ${error.toLine()}`);
    return;
  }
  output.err(`${prefix}: unexpected error: ${redactSecrets(String((error as Error)?.message ?? error))}`);
}
