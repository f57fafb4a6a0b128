/**
 * `f2b-sophosxg probe --yes [--json FILE] [--profile-out FILE] [--dry-run] [--interval-ms N]`:
 * answers the emulator's open questions on the user's own firewall (docs/probe.md). Loaded with
 * import() only for this command (its own bundle, dist/probe.mjs). Returns the exit code.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import { loadConfig } from "../config/index.ts";
import { ConfigError, F2bError, redactSecrets } from "../errors/base.ts";
import { clientFor } from "../targets/sophos/connect.ts";
import { rawRequester } from "./raw-request.ts";
import { probePrefixOf, runProbe } from "./run.ts";
import { planLines, summaryLines } from "./summary.ts";

export interface ProbeIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export const PROBE_USAGE = `Usage: f2b-sophosxg probe --yes [options]

Runs a fixed sequence of requests on the firewall of the config to answer what the emulator
can only assume (docs/probe.md). It writes, so it needs --yes; it only ever touches objects
named <iphost_prefix>probe_… and removes them again (also when interrupted, and at the start
of the next run).

  --configfile PATH   config file (default /etc/f2b-sophosxg/config.json)
  --yes               really send (without it nothing is sent)
  --json FILE         write the redacted report (attach it to a bug report; emulator --profile reads it)
  --profile-out FILE  write only the emulator profile
  --dry-run           print the plan; send nothing
  --interval-ms N     pause between steps (default 1000; the firewall is a production box)
  -h, --help          this text`;

const OPTIONS = {
  configfile: { type: "string" },
  yes: { type: "boolean" },
  json: { type: "string" },
  "profile-out": { type: "string" },
  "dry-run": { type: "boolean" },
  "interval-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const DEFAULT_INTERVAL_MS = 1000;

function errorLine(error: unknown): string {
  if (error instanceof ConfigError && error.problems.length > 0)
    return `${error.message}: ${error.problems.join("; ")}`;
  if (error instanceof F2bError) return error.toLine();
  return redactSecrets(String((error as Error)?.message ?? error));
}

export async function runProbeCommand(args: string[], io: ProbeIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    io.stderr(`f2b-sophosxg probe: ${(error as Error).message.split("\n")[0]}`);
    io.stderr("Run f2b-sophosxg probe --help for the options.");
    return 2;
  }
  if (values.help) {
    for (const line of PROBE_USAGE.split("\n")) io.stdout(line);
    return 0;
  }
  const interval = values["interval-ms"] === undefined ? DEFAULT_INTERVAL_MS : Number(values["interval-ms"]);
  if (!Number.isInteger(interval) || interval < 0) {
    io.stderr(`f2b-sophosxg probe: --interval-ms must be a whole number ≥ 0, got "${values["interval-ms"]}"`);
    return 2;
  }
  let config: Awaited<ReturnType<typeof loadConfig>>["config"];
  try {
    config = (await loadConfig(values.configfile === undefined ? {} : { path: values.configfile })).config;
  } catch (error) {
    io.stderr(`f2b-sophosxg probe: ${errorLine(error)}`);
    return 2;
  }
  const probePrefix = probePrefixOf(config.prefix);
  if (values["dry-run"]) {
    for (const line of planLines(probePrefix)) io.stdout(line);
    return 0;
  }
  if (!values.yes) {
    io.stderr("f2b-sophosxg probe: refusing to write on the firewall without --yes; nothing was sent");
    io.stderr(`  it adds and removes objects named ${probePrefix}… only; see --dry-run for the plan`);
    return 2;
  }
  let interrupted: string | undefined;
  const onSignal = (name: string) => () => {
    interrupted ??= name;
  };
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const client = clientFor(config, { deadline: Number.MAX_SAFE_INTEGER });
  const host = new URL(config.url).hostname;
  const redact = (text: string) =>
    redactSecrets(host.length > 0 ? text.split(host).join("<firewall>") : text);
  try {
    const report = await runProbe({
      client,
      raw: rawRequester(config),
      probePrefix,
      intervalMs: interval,
      interrupted: () => interrupted,
      redact,
      version: packageJson.version,
    });
    for (const line of summaryLines(report)) io.stdout(line);
    if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    if (values["profile-out"] !== undefined)
      await writeFile(values["profile-out"], `${JSON.stringify(report.profile, null, 2)}\n`);
    return report.complete ? 0 : 1;
  } catch (error) {
    io.stderr(`f2b-sophosxg probe: ${errorLine(error)}`);
    return 1;
  } finally {
    client.close();
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
