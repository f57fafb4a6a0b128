/** What one probe run found: the JSON a user attaches to a bug report (docs/probe.md). */

export const REPORT_FORMAT = "f2b-sophosxg-probe/1";

export interface StepResult {
  id: string;
  /** False when the step could not be run to its end (the error says why). */
  ok: boolean;
  /** The (first) status code the firewall answered; absent for code-less answers. */
  code?: number;
  /** The firewall's text for it (redacted: no address of the firewall, no secret). */
  text?: string;
  /** Wall time of the step's request(s), in ms. */
  ms: number;
  /** Further measured facts of the step (counts of codes, whether an id was echoed, …). */
  facts?: Record<string, string | number | boolean | null>;
  error?: string;
}

export interface ProbeReport {
  format: typeof REPORT_FORMAT;
  version: string;
  startedAt: string;
  durationMs: number;
  apiVersion: string | null;
  /** Every step ran (no interruption, no refusal). */
  complete: boolean;
  stoppedBecause: string | null;
  steps: StepResult[];
  /** Probe objects still on the firewall after the cleanup (the next run removes them). */
  leftBehind: string[];
  /** The same findings as an emulator profile: `f2b-sophosxg emulator --profile <this file>`. */
  profile: Record<string, unknown>;
}
