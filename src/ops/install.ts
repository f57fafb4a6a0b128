import type { ActionOutcome } from "../action/outcome.ts";

/** Placeholder until `install` lands (issue 6). */
export async function install(_options: { root: string; dryRun: boolean; print: (line: string) => void }): Promise<ActionOutcome> {
  return { exitCode: 1, lines: ["install: not implemented yet"] };
}
