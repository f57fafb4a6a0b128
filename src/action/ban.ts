/**
 * `ban` and `unban`: journal the intent durably, then deliver it (unless the agent will). The
 * command succeeds once the intent is on disk, even when the firewall cannot be reached: a
 * non-zero exit would only make Fail2ban retry once under its global lock and then forget the
 * ban for good (see docs/durability.md).
 */

import type { BanTarget } from "../address/index.ts";
import { beforeDeadline } from "../delivery/index.ts";
import { F2bError } from "../errors/base.ts";
import { desiredTargets } from "../journal/index.ts";
import { emptyPushResult } from "../targets/index.ts";
import { deliverOrLeaveToAgent } from "./deliver-now.ts";
import { type BanRequest, banRecord, journaledLine, type UnbanRequest, unbanRecord } from "./intent.ts";
import { type ActionOutcome, done } from "./outcome.ts";
import type { Session } from "./session.ts";

export { type BanRequest, expiryOf, type UnbanRequest } from "./intent.ts";

async function showRequests(
  session: Session,
  target: BanTarget,
  change: "add" | "remove",
): Promise<ActionOutcome> {
  const result = emptyPushResult();
  await session.target.push(
    change === "add" ? { add: [target.canonical], remove: [] } : { add: [], remove: [target.canonical] },
    result,
    new Map(),
  );
  return done(`dry run: nothing was sent and nothing was journaled`);
}

export async function ban(session: Session, request: BanRequest): Promise<ActionOutcome> {
  if (session.dryRun) return showRequests(session, request.target, "add");
  session.journal.append([banRecord(request, Date.now())]);
  return done(
    journaledLine("ban", request, await deliverOrLeaveToAgent(session, { target: request.target.canonical })),
  );
}

/**
 * An unban of a target the journal does not know (neither held by a jail nor believed on the
 * firewall) may still concern an object on the firewall: one the original program created
 * before f2b-sophosxg replaced it, or one left behind by a lost state directory. Like the
 * original, try to remove it: one unlink and one Remove, whatever the number of objects on the
 * firewall; "not there" counts as done. Runs under the delivery lock, and the journal is read
 * there: a ban of the same target journaled meanwhile is then added back by the delivery that
 * follows, because it was never believed applied.
 */
function isTracked(session: Session, target: BanTarget): boolean {
  const { state } = session.journal.load();
  return state.applied.has(target.canonical) || state.uncertain.has(target.canonical);
}

async function removeUntracked(session: Session, target: BanTarget, notes: string[]): Promise<void> {
  try {
    const { state } = session.journal.load();
    if (
      state.applied.has(target.canonical) ||
      desiredTargets(state, Date.now() / 1000).has(target.canonical)
    ) {
      return;
    }
    const result = emptyPushResult();
    await beforeDeadline(
      session.target.push({ add: [], remove: [target.canonical] }, result, new Map()),
      session.deadline,
      `remove ${target.canonical}`,
    );
    const failure = result.failures[0];
    if (failure) notes.push(`could not remove ${target.canonical}: ${failure.text}`);
  } catch (error) {
    // The firewall is unreachable: the delivery that follows reports it; nothing is pending.
    notes.push(
      `could not check the firewall for ${target.canonical}: ${error instanceof F2bError ? error.toLine() : String(error)}`,
    );
  }
}

export async function unban(session: Session, request: UnbanRequest): Promise<ActionOutcome> {
  if (session.dryRun) return showRequests(session, request.target, "remove");
  session.journal.append([unbanRecord(request, Date.now())]);
  const notes: string[] = [];
  const delivery = await deliverOrLeaveToAgent(
    session,
    isTracked(session, request.target)
      ? { target: request.target.canonical }
      : { first: () => removeUntracked(session, request.target, notes) },
  );
  return done(journaledLine("unban", request, delivery), ...notes.map((n) => `unban: ${n}`));
}
