/** Runs one parsed command: loads the config, builds the session, calls the action, maps errors to exit codes. */
import { type ActionOutcome, ban, check, flush, Session, start, stop, unban } from "../action/index.ts";
import { loadConfig } from "../config/index.ts";
import { ConfigError, F2bError, redactSecrets, UsageError } from "../errors/base.ts";
import { isHookCommand, type ParsedCommand } from "./args.ts";
import { ExitCode } from "./exit-codes.ts";
import type { Output } from "./output.ts";
import { withStateDirFromEnv } from "./state-dir.ts";

const UNBOUNDED_BUDGET_MS = 365 * 24 * 3600 * 1000;

/** The jail a ban belongs to when the caller names none (the original's command line). */
const DEFAULT_JAIL = "default";

async function dispatch(session: Session, command: ParsedCommand, output: Output): Promise<ActionOutcome> {
  switch (command.name) {
    case "ban":
      return ban(session, {
        target: command.target!,
        jail: command.jail ?? DEFAULT_JAIL,
        ...(command.time !== undefined ? { time: command.time } : {}),
        ...(command.bantime !== undefined ? { bantime: command.bantime } : {}),
      });
    case "unban":
      return unban(session, { target: command.target!, jail: command.jail ?? DEFAULT_JAIL });
    case "flush":
      return flush(session, {
        ...(command.jail !== undefined ? { jail: command.jail } : {}),
        ...(command.family ? { family: command.family } : {}),
      });
    case "start":
      return start(session);
    case "check":
      return check(session);
    case "sync": {
      const { sync } = await import("../action/sync.ts");
      return sync(session, { fromFail2ban: command.fromFail2ban, dryRun: command.dryRun, print: output.out });
    }
    case "status": {
      if (session.config.fleet)
        return (await import("../fleet/command.ts")).fleetView(session, "status", command.json);
      const { status } = await import("../action/status.ts");
      return status(session, { json: command.json });
    }
    case "agent": {
      const { runAgent } = await import("../agent/command.ts");
      // The agent logs for as long as it runs: not through the capped hook output.
      const code = await runAgent(session, (line) => process.stderr.write(`${redactSecrets(line)}\n`));
      return { exitCode: code === 0 ? 0 : 1, lines: [] };
    }
    case "list": {
      if (session.config.fleet)
        return (await import("../fleet/command.ts")).fleetView(session, "list", command.json);
      const { list } = await import("../ops/list.ts");
      return list(session, { json: command.json });
    }
    case "fleet":
      return (await import("../fleet/command.ts")).fleetCommand(session, command.subcommand);
    case "doctor":
    case "install":
      throw new Error(`${command.name} runs without a session`);
    case "stop":
      return stop();
  }
}

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

export async function runCommand(command: ParsedCommand, output: Output): Promise<number> {
  const prefix = `f2b-sophosxg ${command.name}`;
  // These two work without a (valid) config: doctor diagnoses it, install writes a template.
  if (command.name === "doctor" || command.name === "install") {
    try {
      const outcome =
        command.name === "doctor"
          ? await (await import("../ops/doctor.ts")).doctor({
              configFile: command.configFile,
              print: output.out,
            })
          : await (await import("../ops/install.ts")).install({
              root: command.root ?? "/",
              dryRun: command.dryRun,
              print: output.out,
            });
      for (const line of outcome.lines) output.out(line);
      return outcome.exitCode;
    } catch (error) {
      reportError(prefix, error, output);
      return exitCodeOf(error);
    }
  }
  if (command.name === "stop") {
    for (const line of stop().lines) output.out(line);
    return ExitCode.ok;
  }
  let session: Session | undefined;
  try {
    const loaded = await loadConfig(command.configFile === undefined ? {} : { path: command.configFile });
    for (const warning of loaded.warnings) output.err(`${prefix}: warning: ${warning}`);
    const config = withStateDirFromEnv(loaded.config);
    // Only Fail2ban's hooks run against Fail2ban's timeout; the agent and commands run by hand
    // keep the configured request timeouts for as long as they need.
    const budgetMs = isHookCommand(command.name) ? config.deliveryBudgetMs : UNBOUNDED_BUDGET_MS;
    session = new Session({
      config,
      budgetMs,
      ...(command.dryRun && command.name !== "sync" ? { dryRun: (text: string) => output.out(text) } : {}),
    });
    if (!session.dryRun && command.name !== "check") session.journal.ensureDirectory();
    const outcome = await dispatch(session, command, output);
    for (const line of outcome.lines) output.out(line);
    return outcome.exitCode;
  } catch (error) {
    reportError(prefix, error, output);
    return exitCodeOf(error);
  } finally {
    session?.close();
  }
}
