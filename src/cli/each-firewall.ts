/**
 * A command that concerns one firewall (status, list, sync, check, start), run on every
 * configured firewall in turn when no `--firewall` is given: each line says which firewall it
 * is about, `--json` gives one object keyed by firewall, and one firewall failing does not
 * keep the others from being looked at.
 */
import type { ActionOutcome } from "../action/index.ts";
import type { Session } from "../action/session.ts";
import type { ParsedCommand } from "./args.ts";
import { ExitCode } from "./exit-codes.ts";
import type { Output } from "./output.ts";

export async function runOnEachFirewall(
  names: readonly string[],
  command: ParsedCommand,
  output: Output,
  open: (firewall: string) => Session,
  run: (session: Session, command: ParsedCommand) => Promise<ActionOutcome>,
  report: (prefix: string, error: unknown) => number,
): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const json: Record<string, unknown> = {};
  for (const [index, name] of names.entries()) {
    // The desired state is shared: `sync --from-fail2ban` rebuilds it once, with the first firewall.
    const asked = index === 0 ? command : { ...command, fromFail2ban: false };
    let session: Session | undefined;
    try {
      session = open(name);
      if (!session.dryRun && command.name !== "check") session.journal.ensureDirectory();
      const outcome = await run(session, asked);
      exitCode = Math.max(exitCode, outcome.exitCode);
      if (command.json) json[name] = JSON.parse(outcome.lines.join("\n"));
      else for (const line of outcome.lines) output.out(`firewall ${name}: ${line}`);
    } catch (error) {
      exitCode = Math.max(exitCode, report(`f2b-sophosxg ${command.name}: firewall ${name}`, error));
    } finally {
      session?.close();
    }
  }
  if (command.json) output.out(JSON.stringify({ firewalls: json }));
  return exitCode;
}
