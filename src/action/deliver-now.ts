/**
 * The hook's own delivery when no agent runs: wait for the delivery lock within the time budget
 * (another process may be delivering our change right now), then push everything pending.
 */

import { runningAgentPid } from "../agent/alive.ts";
import { type DeliveryReport, deliverPending } from "../delivery/index.ts";
import type { F2bError } from "../errors/base.ts";
import { lockUntil } from "../journal/index.ts";
import type { Session } from "./session.ts";

export type DeliverNowResult = { kind: "delivered"; report: DeliveryReport } | { kind: "busy" };

/**
 * `first` runs under the delivery lock before the pending changes are pushed (unban uses it to
 * remove an object the journal does not know, see ban.ts); it must not throw.
 */
export async function deliverNow(session: Session, first?: () => Promise<void>): Promise<DeliverNowResult> {
  const lock = await lockUntil(session.deliveryLockPath, session.deadline);
  if (!lock) return { kind: "busy" };
  try {
    await first?.();
    const report = await deliverPending({
      client: session.firewall(),
      journal: session.journal,
      naming: session.naming,
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
export async function deliverOrLeaveToAgent(session: Session, first?: () => Promise<void>): Promise<string> {
  const agent = runningAgentPid(session.journal.dir);
  if (agent !== undefined) return `the agent (pid ${agent}) delivers it`;
  return describeDelivery(await deliverNow(session, first));
}
