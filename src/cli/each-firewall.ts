/**
 * A command that concerns one firewall (status, list, sync, check, start), run on every
 * configured firewall in turn when no `--firewall` is given: each line says which firewall it
 * is about, `--json` gives one object keyed by firewall, and one firewall failing does not
 * keep the others from being looked at.
 */
import type { ActionOutcome } from "../action/outcome.ts";
import type { Session } from "../action/session.ts";
import type { CliContext } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";
import { exitCodeOf, reportError } from "./report.ts";

export async function runOnEachFirewall(
  names: readonly string[],
  options: { json: boolean },
  context: CliContext,
  open: (firewall: string) => Session,
  run: (session: Session, index: number) => Promise<ActionOutcome>,
): Promise<ActionOutcome> {
  let exitCode: number = ExitCode.ok;
  const json: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [index, name] of names.entries()) {
    let session: Session | undefined;
    try {
      session = open(name);
      const outcome = await run(session, index);
      exitCode = Math.max(exitCode, outcome.exitCode);
      if (options.json) json[name] = JSON.parse(outcome.lines.join("\n"));
      else lines.push(...outcome.lines.map((line) => `firewall ${name}: ${line}`));
    } catch (error) {
      reportError(`${context.prefix}: firewall ${name}`, error, context.output);
      exitCode = Math.max(exitCode, exitCodeOf(error));
    } finally {
      session?.close();
    }
  }
  if (options.json) lines.push(JSON.stringify({ firewalls: json }));
  return { exitCode: exitCode as ActionOutcome["exitCode"], lines };
}
