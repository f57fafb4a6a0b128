/**
 * `ban` and `unban`: journal the intent durably, then deliver it (unless the agent will). The
 * command succeeds once the intent is on disk, even when the firewall cannot be reached: a
 * non-zero exit would only make Fail2ban retry once under its global lock and then forget the
 * ban for good (see docs/durability.md).
 */

import { emptyPushResult, pushChanges } from "../delivery/index.ts";
import type { BanTarget } from "../fail2ban/index.ts";
import { deliverOrLeaveToAgent } from "./deliver-now.ts";
import { type ActionOutcome, done } from "./outcome.ts";
import type { Session } from "./session.ts";

export interface BanRequest {
  target: BanTarget;
  jail: string;
  /** Epoch seconds of the ban (Fail2ban's `<time>`; for restored bans the original time). Default now. */
  time?: number;
  /** Seconds; -1 or absent = until unbanned. */
  bantime?: number;
}

export function expiryOf(request: BanRequest, nowSeconds: number): number | null {
  if (request.bantime === undefined || request.bantime < 0) return null;
  return (request.time ?? nowSeconds) + request.bantime;
}

async function showRequests(
  session: Session,
  target: BanTarget,
  change: "add" | "remove",
): Promise<ActionOutcome> {
  const result = emptyPushResult();
  await pushChanges(
    session.firewall(),
    session.naming,
    change === "add" ? { add: [target.canonical], remove: [] } : { add: [], remove: [target.canonical] },
    result,
  );
  return done(`dry run: nothing was sent and nothing was journaled`);
}

export async function ban(session: Session, request: BanRequest): Promise<ActionOutcome> {
  if (session.dryRun) return showRequests(session, request.target, "add");
  const now = Date.now();
  session.journal.append([
    {
      t: "ban",
      at: now,
      jail: request.jail,
      target: request.target.canonical,
      family: request.target.family,
      expiresAt: expiryOf(request, now / 1000),
    },
  ]);
  return done(
    `ban ${request.target.canonical} (jail ${request.jail}) journaled; ${await deliverOrLeaveToAgent(session)}`,
  );
}

export async function unban(
  session: Session,
  request: { target: BanTarget; jail: string },
): Promise<ActionOutcome> {
  if (session.dryRun) return showRequests(session, request.target, "remove");
  session.journal.append([
    { t: "unban", at: Date.now(), jail: request.jail, target: request.target.canonical },
  ]);
  return done(
    `unban ${request.target.canonical} (jail ${request.jail}) journaled; ${await deliverOrLeaveToAgent(session)}`,
  );
}
