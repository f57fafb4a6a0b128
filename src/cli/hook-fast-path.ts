/**
 * The fast path of Fail2ban's busiest hooks, `ban` and `unban`, while the agent runs: read argv
 * and the config exactly as the full CLI does but without its heavy modules (valibot, the
 * client, delivery), journal the intent (append + fsync), say the agent delivers it. It answers
 * `undefined` whenever it is not sure it would do exactly what the full CLI does (no agent, a
 * dry run, a usage or config problem, a key the quick check does not know): the caller then
 * runs the full CLI (dist/cli.mjs), which does the work or reports the problem. Nothing is
 * printed and nothing is written before the path is sure it will finish the command itself.
 */
import { banRecord, FLEET_FORWARDS, journaledLine, leftToAgent, unbanRecord } from "../action/intent.ts";
import { quickCheckKeys } from "../config/quick-check.ts";
import { resolveConfig } from "../config/resolve.ts";
import { runningAgentPid } from "../journal/agent-alive.ts";
import { Journal } from "../journal/journal.ts";
import { commandLine, readArgv } from "./argv.ts";
import { banRequestOf, unbanRequestOf } from "./commands/requests.ts";
import { ExitCode } from "./exit-codes.ts";
import { FD_STREAMS, processOutput } from "./output.ts";
import { exitCodeOf, reportError } from "./report.ts";
import { withStateDirFromEnv } from "./state-dir.ts";

class NotSure extends Error {}

function quickly(_file: string, data: Record<string, unknown>) {
  const check = quickCheckKeys(data);
  if (check === undefined) throw new NotSure();
  return check;
}

/** The exit code once the command is done here; undefined: run the full CLI instead. */
export async function hookFastPath(argv: string[]): Promise<number | undefined> {
  const name = argv[0];
  if (name !== "ban" && name !== "unban") return undefined;
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(argv, name);
  } catch {
    return undefined; // the full CLI reports it with its own words
  }
  if (prepared === undefined) return undefined;
  const { journal, record, request, warnings, fleet } = prepared;
  const output = processOutput(undefined, FD_STREAMS);
  const prefix = `f2b-sophosxg ${name}`;
  try {
    journal.append([record]);
  } catch (error) {
    for (const warning of warnings) output.err(`${prefix}: warning: ${warning}`);
    reportError(prefix, error, output);
    return exitCodeOf(error);
  }
  // The agent may have stopped between the two looks: then the full CLI delivers (journaling
  // the same intent once more, which the journal takes as one).
  const agent = runningAgentPid(journal.dir);
  if (agent === undefined) return undefined;
  for (const warning of warnings) output.err(`${prefix}: warning: ${warning}`);
  // A fleet member's full CLI says the same, agent or not: only the pusher ever writes.
  output.out(journaledLine(name, request, fleet ? FLEET_FORWARDS : leftToAgent(agent)));
  return ExitCode.ok;
}

async function prepare(argv: string[], name: "ban" | "unban") {
  const { values, positionals } = readArgv(argv);
  if (values.help || values.version || values["dry-run"] || positionals.length !== 1) return undefined;
  const line = commandLine(values, name, true, "ban and unban");
  const loaded = await resolveConfig(quickly, line.configFile === undefined ? {} : { path: line.configFile });
  const journal = new Journal(withStateDirFromEnv(loaded.config).stateDir);
  if (runningAgentPid(journal.dir) === undefined) return undefined;
  journal.ensureDirectory();
  const now = Date.now();
  const common = { journal, warnings: loaded.warnings, fleet: loaded.config.fleet !== undefined };
  if (name === "ban") {
    const request = banRequestOf(line);
    return { ...common, request, record: banRecord(request, now) };
  }
  const request = unbanRequestOf(line);
  return { ...common, request, record: unbanRecord(request, now) };
}
