/**
 * A small JSON file beside the journal with facts for `status`: the last successful delivery,
 * the last error, and since when changes have been pending. Written atomically (temp + rename);
 * losing it loses no ban, only these facts.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DeliveryStatus {
  lastSuccessAt?: number;
  lastAttemptAt?: number;
  /**
   * When the latest delivery started comparing the journal with what the firewall holds,
   * whatever it found (often nothing to do). Tells `status` the deliverer is alive, and tests
   * that a delivery has seen every record written before that moment.
   */
  lastCheckedAt?: number;
  lastError?: { at: number; message: string };
  /** Epoch ms of the oldest change still pending, if any. */
  pendingSince?: number;
}

export function statusPath(dir: string): string {
  return join(dir, "status.json");
}

export function readStatus(dir: string): DeliveryStatus {
  try {
    return JSON.parse(readFileSync(statusPath(dir), "utf8")) as DeliveryStatus;
  } catch {
    return {};
  }
}

export function writeStatus(dir: string, status: DeliveryStatus): void {
  const path = statusPath(dir);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(status), { mode: 0o600 });
    renameSync(temp, path);
  } catch {
    // Best effort: the journal, not this file, is what keeps bans safe.
  }
}
