import type { ActionOutcome } from "../action/outcome.ts";
import type { Session } from "../action/session.ts";

/** Placeholder until `list` lands (issue 6). */
export async function list(_session: Session, _options: { json: boolean }): Promise<ActionOutcome> {
  return { exitCode: 1, lines: ["list: not implemented yet"] };
}
