/**
 * Waiting on something observable, never on a fixed time: a condition polled until it holds,
 * and the delivery facts a deliverer leaves in the state directory (status.json).
 */
import { readStatus } from "../../src/journal/status-file.ts";

const POLL_MS = 20;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(POLL_MS);
  }
}

/**
 * Resolves once a delivery (a hook's, the agent's, sync's) that started after `sinceMs` has
 * finished looking at the journal in `stateDir`: it has seen every record written before
 * `sinceMs`, and whatever it did about them is on the firewall or recorded as failed.
 */
export async function deliveryCheckedSince(
  stateDir: string,
  sinceMs: number,
  timeoutMs = 10_000,
): Promise<void> {
  await waitUntil(
    `a delivery that started after ${new Date(sinceMs).toISOString()} finished`,
    () => (readStatus(stateDir).lastCheckedAt ?? 0) > sinceMs,
    timeoutMs,
  );
}

/** Resolves once the delivery attempts recorded in `stateDir` changed `times` times. */
export async function deliveryAttempts(stateDir: string, times: number, timeoutMs = 10_000): Promise<void> {
  let seen = readStatus(stateDir).lastAttemptAt;
  let count = 0;
  await waitUntil(
    `${times} more delivery attempt(s)`,
    () => {
      const at = readStatus(stateDir).lastAttemptAt;
      if (at !== seen) {
        seen = at;
        count++;
      }
      return count >= times;
    },
    timeoutMs,
  );
}
