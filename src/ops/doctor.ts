import type { ActionOutcome } from "../action/outcome.ts";

/** Placeholder until `doctor` lands (issue 6). */
export async function doctor(_options: { configFile: string | undefined; print: (line: string) => void }): Promise<ActionOutcome> {
  return { exitCode: 1, lines: ["doctor: not implemented yet"] };
}
