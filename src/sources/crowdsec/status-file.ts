/**
 * What the CrowdSec source last did, for `status` and `doctor`: `crowdsec.json` in the state
 * directory, replaced whole (temp file + rename) after every pull. Never holds the key.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { IgnoredKind } from "./decisions.ts";

export interface CrowdsecStatus {
  lapiUrl: string;
  /** Epoch ms. */
  lastPullAt?: number;
  lastFullPullAt?: number;
  lastError?: { at: number; message: string };
  /** Decisions accepted (before max_decisions). */
  decisions: number;
  /** Addresses CrowdSec holds in the journal. */
  heldAddresses: number;
  /** Addresses left out by max_decisions. */
  leftOut: number;
  maxDecisions: number;
  ignored: Partial<Record<IgnoredKind, number>>;
  /** Ignored types and scopes by name (`captcha`, `Country`…). */
  ignoredNames: Record<string, number>;
  malformed: number;
}

export const CROWDSEC_STATUS_FILE = "crowdsec.json";

export function writeCrowdsecStatus(stateDir: string, status: CrowdsecStatus): void {
  const path = join(stateDir, CROWDSEC_STATUS_FILE);
  const temp = `${path}.tmp`;
  writeFileSync(temp, JSON.stringify(status), { mode: 0o600 });
  renameSync(temp, path);
}

export function readCrowdsecStatus(stateDir: string): CrowdsecStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, CROWDSEC_STATUS_FILE), "utf8")) as CrowdsecStatus;
  } catch {
    return undefined;
  }
}
