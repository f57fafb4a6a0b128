/**
 * The hook's own delivery when no agent runs: wait for the delivery lock within the time budget
 * (another process may be delivering our change right now), then push everything pending.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { type DeliveryReport, deliverPending } from "../delivery/index.ts";
import type { F2bError } from "../errors/base.ts";
import { type HeldLock, pendingFor, runningAgentPid, tryLock } from "../journal/index.ts";
import { FLEET_FORWARDS, leftToAgent } from "./intent.ts";
import type { Session } from "./session.ts";

export type DeliverNowResult =
  | { kind: "delivered"; report: DeliveryReport }
  | { kind: "busy" }
  | { kind: "delivered-by-other" };

const POLL_MS = 20;

/** True once another process has settled `target` on the firewall (nothing pending for it). */
function settled(session: Session, target: string): boolean {
  try {
    const pending = pendingFor(session.journal.load().state, Date.now() / 1000);
    return !pending.add.has(target) && !pending.remove.has(target);
  } catch {
    return false;
  }
}

/**
 * Waits for the delivery lock until the deadline, but stops waiting as soon as `target` (our own
 * change) has been delivered by whoever holds the lock: with many hooks at once, most of them
 * find their change already on the firewall.
 */
async function lockOrSettled(
  session: Session,
  target: string | undefined,
): Promise<HeldLock | "settled" | undefined> {
  for (;;) {
    const lock = tryLock(session.deliveryLockPath);
    if (lock) return lock;
    if (target !== undefined && settled(session, target)) return "settled";
    if (Date.now() + POLL_MS > session.deadline) return undefined;
    await sleep(POLL_MS);
  }
}

/**
 * `first` runs under the delivery lock before the pending changes are pushed (unban uses it to
 * remove an object the journal does not know, see ban.ts); it must not throw.
 */
export async function deliverNow(
  session: Session,
  options: { first?: () => Promise<void>; target?: string } = {},
): Promise<DeliverNowResult> {
  const first = options.first;
  const lock = await lockOrSettled(session, first ? undefined : options.target);
  if (lock === "settled") return { kind: "delivered-by-other" };
  if (!lock) return { kind: "busy" };
  try {
    await first?.();
    const report = await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: session.config.maxEntitiesPerRequest,
      deadline: session.deadline,
    });
    return { kind: "delivered", report };
  } finally {
    lock.release();
  }
}

/** One line that says where things stand after a hook's delivery attempt. */
export function describeDelivery(result: DeliverNowResult): string {
  if (result.kind === "busy")
    return "queued: another f2b-sophosxg process is delivering; it stays pending until then";
  if (result.kind === "delivered-by-other") return "delivered by another f2b-sophosxg process";
  const { report } = result;
  const moved = `${report.added} added, ${report.removed} removed on the firewall`;
  if (report.error) {
    return `${moved}; ${report.pending} change(s) stay pending (journaled): ${lineOf(report.error)}`;
  }
  return report.pending > 0
    ? `${moved}; ${report.pending} change(s) still pending (time budget used up)`
    : moved;
}

function lineOf(error: F2bError): string {
  return error.toLine();
}

/**
 * With an agent alive, a hook only journals: no network on Fail2ban's path. Without one, the
 * hook delivers itself. Returns the line that says which happened.
 */
export async function deliverOrLeaveToAgent(
  session: Session,
  options: { first?: () => Promise<void>; target?: string } = {},
): Promise<string> {
  // Fleet mode: only the fleet's pusher writes to the firewall; the member's agent forwards.
  if (session.config.fleet) return FLEET_FORWARDS;
  const agent = runningAgentPid(session.journal.dir);
  if (agent !== undefined) return leftToAgent(agent);
  const others = session.siblings();
  if (others.length === 0) return describeDelivery(await deliverNow(session, options));
  // Several firewalls and no agent: each in parallel, under its own lock, within the same budget.
  const waitFor = options.target === undefined ? {} : { target: options.target };
  const lines = await Promise.all([
    deliverNow(session, options).then((r) => `${session.firewallName}: ${describeDelivery(r)}`),
    ...others.map((other) =>
      deliverNow(other, waitFor).then((r) => `${other.firewallName}: ${describeDelivery(r)}`),
    ),
  ]);
  return lines.join("; ");
}
