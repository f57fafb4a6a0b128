/**
 * `sync`: read the firewall and make it equal to the desired state (add what is missing, put
 * our hosts back into their group, remove our objects no jail holds, finish half-done
 * removals). `--from-fail2ban` first rebuilds the desired state from fail2ban-client.
 * `--dry-run` reads and prints the plan, and changes nothing.
 */

import { lockUntil } from "../journal/index.ts";
import { planReconcile, reconcile } from "../targets/sophos/index.ts";
import type { ReconcilePlan } from "../targets/target.ts";
import { type ActionOutcome, done, failed } from "./outcome.ts";
import type { Session } from "./session.ts";

export interface SyncOptions {
  fromFail2ban: boolean;
  dryRun: boolean;
  print: (line: string) => void;
}

/** A manual sync may wait for a hook or the agent that is delivering right now. */
const SYNC_LOCK_WAIT_MS = 60_000;

function describePlan(plan: ReconcilePlan): string {
  const list = (items: string[]) =>
    items.length === 0 ? "none" : items.slice(0, 20).join(" ") + (items.length > 20 ? " …" : "");
  return [
    `in place: ${plan.inPlace.length}`,
    `to add: ${plan.add.length} (${list(plan.add)})`,
    `to remove: ${plan.remove.length} (${list(plan.remove)})`,
    ...(plan.migrate.length > 0 ? [`to move to the ${layoutWord(plan)} layout: ${plan.migrate.length}`] : []),
    ...(plan.shardWrites.length + plan.shardRemovals.length > 0
      ? [`IP list shards to write: ${list(plan.shardWrites)}, to remove: ${list(plan.shardRemovals)}`]
      : []),
    ...(plan.unrecognised.length > 0
      ? [`left alone (our prefix, not ours to read): ${list(plan.unrecognised)}`]
      : []),
  ].join("; ");
}

function layoutWord(plan: ReconcilePlan): string {
  return plan.shardWrites.length > 0 ? "iplist" : "hosts";
}

export async function sync(session: Session, options: SyncOptions): Promise<ActionOutcome> {
  if (options.fromFail2ban) {
    const { rebuildFromFail2ban } = await import("./from-fail2ban.ts");
    const rebuilt = await rebuildFromFail2ban(session, { dryRun: options.dryRun });
    options.print(rebuilt);
  }
  // Fleet mode: this host's journal holds only its own bans; reconciling the firewall with it
  // would remove every other member's. The fleet's pusher reconciles with the union.
  if (session.config.fleet) {
    return done(
      "sync: fleet member: the fleet's pusher reconciles the firewall (see `f2b-sophosxg fleet status`)",
    );
  }
  const base = {
    client: session.firewall(),
    journal: session.journal,
    naming: session.naming,
    memory: session.target.memory,
  };
  if (options.dryRun) {
    const plan = await planReconcile({ ...base, dryRun: true });
    return done(`sync plan (dry run, nothing changed): ${describePlan(plan)}`);
  }
  const lock = await lockUntil(session.deliveryLockPath, Date.now() + SYNC_LOCK_WAIT_MS);
  if (!lock) return failed("sync: another f2b-sophosxg process kept the delivery lock for 60 s; try again");
  try {
    const { plan, result } = await reconcile(base);
    const summary = `sync: ${describePlan(plan)}; added ${result.present.length}, removed ${result.absent.length}`;
    if (result.failures.length > 0) {
      const first = result.failures[0]!;
      return failed(`${summary}; ${result.failures.length} failed, e.g. ${first.target}: ${first.text}`);
    }
    return done(summary);
  } finally {
    lock.release();
  }
}
