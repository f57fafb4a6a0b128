/**
 * `doctor`'s CrowdSec lines: the LAPI answers, the key is accepted, how many decisions it has
 * and what our filters and `max_decisions` make of them, what the running source last did.
 * Reads decisions with `GET /v1/decisions`, which leaves the bouncer's delta position alone.
 */
import type { CrowdsecConfig } from "../../config/types.ts";
import { F2bError } from "../../errors/base.ts";
import { desiredHolds, type HeldDecision, judge } from "./decisions.ts";
import { formatDuration } from "./go-duration.ts";
import { LapiClient } from "./lapi-client.ts";
import { readCrowdsecStatus } from "./status-file.ts";

export type DoctorLine = (
  status: "ok" | "warn" | "info" | "FAIL",
  step: string,
  what: string,
  fix?: string,
) => void;

export async function crowdsecDoctorSteps(
  line: DoctorLine,
  config: CrowdsecConfig,
  stateDir: string,
): Promise<void> {
  const filters = [
    config.origins.length > 0 ? `origins ${config.origins.join(",")}` : "every origin",
    config.scenariosContaining.length > 0
      ? `scenarios containing ${config.scenariosContaining.join("|")}`
      : "",
    config.scenariosNotContaining.length > 0
      ? `not containing ${config.scenariosNotContaining.join("|")}`
      : "",
    config.minDurationMs > 0 ? `at least ${formatDuration(config.minDurationMs)} left` : "",
    config.onlyBanType ? "type ban only" : "every type",
    `at most ${config.maxDecisions} addresses`,
    `poll every ${formatDuration(config.pollIntervalMs)}`,
  ].filter(Boolean);
  line("info", "crowdsec filters", filters.join(", "));
  const client = new LapiClient({ ...config, requestTimeoutMs: Math.min(config.requestTimeoutMs, 10_000) });
  let decisions: Awaited<ReturnType<LapiClient["decisions"]>>;
  try {
    decisions = await client.decisions();
  } catch (error) {
    const message = error instanceof F2bError ? error.message : String((error as Error)?.message ?? error);
    const hint = error instanceof F2bError && error.hint ? error.hint : "check crowdsec.lapi_url";
    line("FAIL", "crowdsec lapi", message, hint);
    return;
  }
  line("ok", "crowdsec lapi", `${config.lapiUrl} answers and accepts the bouncer key`);
  const now = Date.now();
  const held: HeldDecision[] = [];
  const ignored = new Map<string, number>();
  for (const decision of decisions) {
    const verdict = judge(decision, now, config, () => false);
    if ("held" in verdict) held.push(verdict.held);
    else ignored.set(verdict.ignored, (ignored.get(verdict.ignored) ?? 0) + 1);
  }
  const desired = desiredHolds(held, config.maxDecisions, now / 1000);
  const ignoredText = [...ignored].map(([kind, n]) => `${n} ${kind}`).join(", ");
  line(
    desired.leftOut > 0 ? "warn" : "ok",
    "crowdsec decisions",
    `${decisions.length} active; ${held.length} pass the filters (${desired.addresses} addresses)` +
      (ignoredText ? `; ignored: ${ignoredText}` : "") +
      (desired.leftOut > 0 ? `; max_decisions leaves ${desired.leftOut} out` : ""),
    desired.leftOut > 0
      ? 'raise "max_decisions" (with "layout": "iplist" for blocklists; see docs/crowdsec.md)'
      : undefined,
  );
  const status = readCrowdsecStatus(stateDir);
  if (status?.lastError) line("warn", "crowdsec source", `last pull failed: ${status.lastError.message}`);
  else if (status?.lastPullAt)
    line(
      "ok",
      "crowdsec source",
      `last pull ${new Date(status.lastPullAt).toISOString()}, ${status.heldAddresses} address(es) held`,
    );
  else
    line(
      "info",
      "crowdsec source",
      "has not pulled yet (it runs in the agent: f2b-sophosxg agent or bouncer)",
    );
}
