/**
 * The part every command shares: load the config, build the session, run, print the outcome's
 * lines, map errors to exit codes, close.
 */
import type { ActionOutcome } from "../action/outcome.ts";
import { Session } from "../action/session.ts";
import { loadConfig } from "../config/index.ts";
import type { CliContext } from "./command.ts";
import { exitCodeOf, reportError } from "./report.ts";
import { withStateDirFromEnv } from "./state-dir.ts";

export { exitCodeOf, reportError } from "./report.ts";

const UNBOUNDED_BUDGET_MS = 365 * 24 * 3600 * 1000;

/** Prints the outcome's lines and returns its exit code; an error is reported instead. */
export async function printOutcome(context: CliContext, run: () => Promise<ActionOutcome>): Promise<number> {
  try {
    const outcome = await run();
    for (const line of outcome.lines) context.output.out(line);
    return outcome.exitCode;
  } catch (error) {
    reportError(context.prefix, error, context.output);
    return exitCodeOf(error);
  }
}

export interface SessionNeeds {
  configFile: string | undefined;
  dryRun: boolean;
  /** Fail2ban's hooks deliver within the configured budget; everything else takes its time. */
  hook: boolean;
  /** `--dry-run` selects the dry-run target (sync has its own dry run: the plan). Default true. */
  dryRunTarget?: boolean;
  /** Creates the state directory first (check only reads the firewall). Default true. */
  stateDir?: boolean;
  /** `--firewall NAME`: that one of the configured firewalls. */
  firewall?: string | undefined;
  /**
   * A command about one firewall (status, list, sync, check, start): with several configured
   * and no --firewall, it runs on each in turn; `json` merges their outputs into one object.
   */
  eachFirewall?: { json: boolean };
}

export function withSession(
  context: CliContext,
  needs: SessionNeeds,
  /** `index`: which of the firewalls run in turn (0 for the first, or the only one). */
  run: (session: Session, index: number) => Promise<ActionOutcome>,
): Promise<number> {
  let session: Session | undefined;
  return printOutcome(context, async () => {
    try {
      const loaded = await loadConfig(needs.configFile === undefined ? {} : { path: needs.configFile });
      for (const warning of loaded.warnings) context.output.err(`${context.prefix}: warning: ${warning}`);
      const config = withStateDirFromEnv(loaded.config);
      const open = (firewall: string | undefined) => {
        const opened = new Session({
          config,
          budgetMs: needs.hook ? config.deliveryBudgetMs : UNBOUNDED_BUDGET_MS,
          ...(needs.dryRun && needs.dryRunTarget !== false
            ? { dryRun: (text: string) => context.output.out(text) }
            : {}),
          ...(firewall === undefined ? {} : { firewall }),
          warn: (text: string) => context.output.err(`${context.prefix}: warning: ${text}`),
        });
        if (!opened.dryRun && needs.stateDir !== false) opened.journal.ensureDirectory();
        return opened;
      };
      const several = config.firewalls?.map((f) => f.name);
      if (several && needs.firewall === undefined && needs.eachFirewall) {
        const { runOnEachFirewall } = await import("./each-firewall.ts");
        return await runOnEachFirewall(several, needs.eachFirewall, context, open, run);
      }
      session = open(needs.firewall);
      return await run(session, 0);
    } finally {
      session?.close();
    }
  });
}
