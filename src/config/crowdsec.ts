/**
 * Resolves the optional `crowdsec` section (schema: crowdsec-schema.ts): the key file is read
 * like `pass_file` (0600, registered as a secret the moment it is read), defaults filled in.
 */
import { hasAnyControlCharacter } from "../address/index.ts";
import { registerSecret } from "../errors/index.ts";
import { parseGoDuration } from "../sources/crowdsec/go-duration.ts";
import type { CrowdsecSection } from "./crowdsec-schema.ts";
import { permissionProblem } from "./permissions.ts";
import { readSmallFile } from "./secret-file.ts";
import type { CrowdsecConfig, Layout } from "./types.ts";

const SECOND = 1000;

/**
 * What the firewall can bear by default: one object per address in the `hosts` layout (a
 * thousand objects is already a lot to list and write), 1,000 addresses per object in `iplist`.
 */
export const DEFAULT_MAX_DECISIONS: Readonly<Record<Layout, number>> = { hosts: 1000, iplist: 100_000 };
export const DEFAULT_POLL_INTERVAL_MS = 10 * SECOND;

export interface CrowdsecResolution {
  crowdsec?: CrowdsecConfig;
  problems: string[];
  warnings: string[];
}

/** Reads the key file and fills in defaults; problems name the file and key, never the key's value. */
export async function resolveCrowdsec(
  section: CrowdsecSection,
  context: { file: string; configDir: string; checkPermissions: boolean; layout: Layout },
): Promise<CrowdsecResolution> {
  const where = `${context.file}: key "crowdsec.api_key_file"`;
  const problems: string[] = [];
  const warnings: string[] = [];
  const read = await readSmallFile(section.api_key_file, context.configDir);
  if ("problem" in read) {
    return {
      problems: [
        `${where}: ${read.problem} (create it with the key from \`cscli bouncers add f2b-sophosxg\`, chmod 600)`,
      ],
      warnings,
    };
  }
  const apiKey = read.text.replace(/\r?\n$/, "").trim();
  registerSecret(apiKey);
  const refused = context.checkPermissions
    ? permissionProblem(read.path, read.mode, "the CrowdSec API key file")
    : undefined;
  if (refused !== undefined) problems.push(`${where}: ${refused}`);
  if (apiKey === "") problems.push(`${where}: the file is empty (put the bouncer key in it)`);
  else if (hasAnyControlCharacter(apiKey) || !/^[\x21-\x7e]+$/.test(apiKey)) {
    problems.push(
      `${where}: the key holds spaces, line breaks or non-ASCII characters (keep the key alone on one line)`,
    );
  }
  const lapiUrl = section.lapi_url.replace(/\/+$/, "");
  const host = new URL(lapiUrl).hostname;
  if (lapiUrl.toLowerCase().startsWith("http:") && !["127.0.0.1", "localhost", "[::1]"].includes(host)) {
    warnings.push(
      `${context.file}: key "crowdsec.lapi_url" uses http:// to another host: the bouncer key crosses the network in clear text`,
    );
  }
  if (problems.length > 0) return { problems, warnings };
  const crowdsec: CrowdsecConfig = {
    lapiUrl,
    apiKey,
    apiKeyFile: read.path,
    pollIntervalMs: parseGoDuration(section.poll_interval ?? "10s") ?? DEFAULT_POLL_INTERVAL_MS,
    origins: section.origins ?? [],
    scenariosContaining: section.scenarios_containing ?? [],
    scenariosNotContaining: section.scenarios_not_containing ?? [],
    minDurationMs: parseGoDuration(section.min_duration ?? "0s") ?? 0,
    maxDecisions: section.max_decisions ?? DEFAULT_MAX_DECISIONS[context.layout],
    onlyBanType: section.only_ban_type ?? true,
    requestTimeoutMs: section.request_timeout_ms ?? 30_000,
  };
  return { crowdsec, problems, warnings };
}
