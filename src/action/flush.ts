/**
 * `flush`: release the holds of one jail (or of all jails) for one family (or both), then make
 * the group hold exactly what other jails still ban: every host with our prefix that no jail
 * holds is unlinked and removed, in as few requests as the batch bound allows. Groups are never
 * deleted; hosts without our prefix are never touched.
 */

import type { IpFamily } from "../address/index.ts";
import { FAMILIES } from "../address/index.ts";
import { beforeDeadline, deliverPending } from "../delivery/index.ts";
import { F2bError } from "../errors/base.ts";
import { lockUntil, runningAgentPid } from "../journal/index.ts";
import { describeDelivery } from "./deliver-now.ts";
import { FLEET_FORWARDS } from "./intent.ts";
import { type ActionOutcome, done } from "./outcome.ts";
import type { Session } from "./session.ts";

export interface FlushRequest {
  jail?: string;
  family?: IpFamily;
}

export async function flush(session: Session, request: FlushRequest): Promise<ActionOutcome> {
  const families = request.family ? [request.family] : FAMILIES;
  const scope = `${request.jail ? `jail ${request.jail}` : "all jails"}, ${families.join(" and ")}`;
  if (session.dryRun) {
    return done(`dry run: would release the holds of ${scope} and remove our hosts that no jail holds`);
  }
  session.journal.append([
    {
      t: "flush",
      at: Date.now(),
      ...(request.jail ? { jail: request.jail } : {}),
      ...(request.family ? { family: request.family } : {}),
    },
  ]);
  if (session.config.fleet) return done(`flush (${scope}) journaled; ${FLEET_FORWARDS}`);
  const agent = runningAgentPid(session.journal.dir);
  if (agent !== undefined) return done(`flush (${scope}) journaled; the agent (pid ${agent}) delivers it`);
  const lock = await lockUntil(session.deliveryLockPath, session.deadline);
  if (!lock) return done(`flush (${scope}) journaled; ${describeDelivery({ kind: "busy" })}`);
  try {
    let cleaned: { added: number; removed: number; failed: number };
    try {
      const { result } = await beforeDeadline(
        session.target.reconcile({ journal: session.journal, families }),
        session.deadline,
        "flush on the firewall",
      );
      cleaned = {
        added: result.present.length,
        removed: result.absent.length,
        failed: result.failures.length,
      };
    } catch (error) {
      // Like ban and unban: the flush is journaled, so Fail2ban must not see a failure (it would
      // run its consistency check, not per-address unbans). What is left stays pending.
      if (!(error instanceof F2bError)) throw error;
      return done(
        `flush (${scope}) journaled; the firewall was not cleaned up yet, it stays pending: ${error.toLine()}`,
      );
    }
    const rest = await deliverPending({
      target: session.target,
      journal: session.journal,
      batchSize: session.config.maxEntitiesPerRequest,
      deadline: session.deadline,
    });
    // One report for the whole flush: the clean-up's changes and whatever was pending besides.
    const report = { ...rest, added: rest.added + cleaned.added, removed: rest.removed + cleaned.removed };
    const failed = cleaned.failed > 0 ? `; ${cleaned.failed} removal(s) failed and stay pending` : "";
    return done(`flush (${scope}): ${describeDelivery({ kind: "delivered", report })}${failed}`);
  } finally {
    lock.release();
  }
}
