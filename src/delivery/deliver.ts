/**
 * Makes the firewall catch up with the journal: under the delivery lock, pushes everything
 * pending (bans not yet on the firewall, our objects that no jail holds any more, expired
 * holds) in batches, records what reached the firewall, and stops at the deadline. Whatever is
 * left stays pending for the next command, the agent or `sync`.
 */
import { F2bError } from "../errors/base.ts";
import {
  dropExpired,
  type Journal,
  type JournalRecord,
  pendingCounts,
  pendingFor,
} from "../journal/index.ts";
import { type DeliveryStatus, readStatus, writeStatus } from "../journal/status-file.ts";
import { emptyPushResult, type Target } from "../targets/target.ts";
import { beforeDeadline } from "./deadline.ts";

/**
 * Compact when the journal has this many records, so that loading it stays cheap.
 * `F2B_SOPHOSXG_COMPACT_AFTER` overrides it (tests use it to make compactions race with appends,
 * or to keep the whole history in journal.jsonl).
 */
function compactAfterRecords(): number {
  const fromEnv = Number(process.env.F2B_SOPHOSXG_COMPACT_AFTER);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 2000;
}

export interface DeliveryOptions {
  target: Target;
  journal: Journal;
  /** Entities per push round; the client splits further by its own bound. */
  batchSize: number;
  /**
   * Epoch ms after which no new round starts and a round in flight is abandoned (a hook must
   * finish within Fail2ban's timeout; its client is closed right after). Infinity for the
   * agent, which stops between rounds through `shouldContinue`.
   */
  deadline: number;
  now?: () => number;
  /** Asked before every round; false stops before the next round (the agent on SIGTERM). */
  shouldContinue?: () => boolean;
  /** Told about every push round (the agent logs one line each). */
  onRound?: (round: RoundReport) => void;
}

export interface RoundReport {
  added: number;
  removed: number;
  failed: number;
  durationMs: number;
  error?: F2bError;
}

export interface DeliveryReport {
  added: number;
  removed: number;
  /** Changes still pending afterwards. */
  pending: number;
  rounds: number;
  error?: F2bError;
}

function toError(error: unknown): F2bError {
  return error instanceof F2bError
    ? error
    : new F2bError(`delivery failed: ${(error as Error).message}`, { cause: error });
}

/**
 * One round: at most `batchSize` per-object changes (each one an entity written). Bulk changes
 * (addresses that go into IP list shards) are all taken at once: whatever their number, they
 * cost one entity write per container touched, and taking them in slices would rewrite the
 * same containers once per slice.
 */
function roundOf(
  changes: { add: Map<string, unknown>; remove: Map<string, unknown> },
  target: Target,
  batchSize: number,
): { add: string[]; remove: string[] } {
  const inShards = (t: string) => target.bulk(t);
  const adds = [...changes.add.keys()];
  const removes = [...changes.remove.keys()];
  const hostAdds = adds.filter((t) => !inShards(t)).slice(0, batchSize);
  const hostRemoves = removes.filter((t) => !inShards(t)).slice(0, Math.max(0, batchSize - hostAdds.length));
  return {
    add: [...hostAdds, ...adds.filter(inShards)],
    remove: [...hostRemoves, ...removes.filter(inShards)],
  };
}

/** Counts what is pending without touching the firewall. */
export function countPending(journal: Journal, nowSeconds: number): { add: number; remove: number } {
  return pendingCounts(journal.load().state, nowSeconds);
}

/** A journal write that fails (disk full) ends the delivery with an error instead of throwing. */
function tryAppend(journal: Journal, records: JournalRecord[]): F2bError | undefined {
  try {
    journal.append(records);
    return undefined;
  } catch (error) {
    return toError(error);
  }
}

export async function deliverPending(options: DeliveryOptions): Promise<DeliveryReport> {
  const now = options.now ?? Date.now;
  const report: DeliveryReport = { added: 0, removed: 0, pending: 0, rounds: 0 };
  const status: DeliveryStatus = readStatus(options.journal.deliveryDir);
  // Before the first load: every record written before this moment is seen by this delivery.
  status.lastCheckedAt = now();
  let journalRecords = 0;
  const migration = await migrateIfNeeded(options, report, status, now);
  if (migration) return finish(options, status, report, now, 0);
  // Targets the firewall refused in this run: left for the next run, so that one entity it keeps
  // refusing does not hold back everything queued behind it.
  const refused = new Set<string>();
  for (;;) {
    const loaded = options.journal.load();
    journalRecords = loaded.records;
    const changes = pendingFor(loaded.state, now() / 1000);
    report.pending = changes.add.size + changes.remove.size;
    if (report.pending === 0) {
      delete status.pendingSince;
      break;
    }
    status.pendingSince ??= now();
    for (const target of refused) {
      changes.add.delete(target);
      changes.remove.delete(target);
    }
    if (changes.add.size + changes.remove.size === 0) break;
    if (now() >= options.deadline || options.shouldContinue?.() === false) break;

    const { add, remove } = roundOf(changes, options.target, options.batchSize);
    // Say what we are about to change before changing it: if we die between the firewall's
    // answer and the `applied` record, the next delivery knows these targets are unsettled.
    const unsettled = [...add, ...remove].filter((t) => !loaded.state.uncertain.has(t));
    const intentError =
      unsettled.length > 0
        ? tryAppend(options.journal, [{ t: "sending", at: now(), targets: unsettled }])
        : undefined;
    if (intentError) {
      report.error = intentError;
      status.lastError = { at: now(), message: intentError.toLine() };
      break;
    }
    const result = emptyPushResult();
    const roundStart = now();
    report.rounds++;
    status.lastAttemptAt = now();
    let thrown: unknown;
    try {
      await beforeDeadline(
        options.target.push({ add, remove }, result, loaded.state.shards),
        options.deadline,
        "deliver pending changes",
      );
    } catch (error) {
      thrown = error;
    }
    // Copy: a push abandoned at the deadline may still add to `result` later.
    const present = [...result.present];
    const absent = [...result.absent];
    const shards = { ...result.shards };
    let recordError: F2bError | undefined;
    if (present.length + absent.length + Object.keys(shards).length > 0) {
      recordError = tryAppend(options.journal, [
        { t: "applied", at: now(), present, absent, ...(Object.keys(shards).length > 0 ? { shards } : {}) },
      ]);
      if (!recordError) {
        report.added += present.length;
        report.removed += absent.length;
      }
    }
    let roundError: F2bError | undefined;
    if (thrown !== undefined || result.failures.length > 0) {
      const first = result.failures[0];
      roundError =
        thrown !== undefined
          ? toError(thrown)
          : new F2bError(
              `the firewall refused ${result.failures.length} change(s), e.g. ${first!.target}: ${first!.text}`,
            );
    }
    roundError ??= recordError;
    options.onRound?.({
      added: present.length,
      removed: absent.length,
      failed: result.failures.length,
      durationMs: now() - roundStart,
      ...(roundError ? { error: roundError } : {}),
    });
    if (roundError) {
      report.error = roundError;
      status.lastError = { at: now(), message: roundError.toLine() };
      if (thrown !== undefined || recordError) {
        if (!recordError) report.pending -= present.length + absent.length;
        break;
      }
      // Only some entities were refused: set them aside and go on with the rest.
      const settled = new Set([...present, ...absent]);
      for (const target of [...add, ...remove]) if (!settled.has(target)) refused.add(target);
      continue;
    }
    status.lastSuccessAt = now();
  }
  return finish(options, status, report, now, journalRecords);
}

function finish(
  options: DeliveryOptions,
  status: DeliveryStatus,
  report: DeliveryReport,
  now: () => number,
  journalRecords: number,
): DeliveryReport {
  writeStatus(options.journal.deliveryDir, status);
  if (journalRecords >= compactAfterRecords()) {
    try {
      options.journal.compact((state) => dropExpired(state, now() / 1000));
    } catch {
      // Compaction only keeps loading cheap; the journal stays valid without it.
    }
  }
  return report;
}

/**
 * When the target says the journal's belief cannot be trusted (Sophos: the configured layout
 * differs from what is on the firewall, or an address in an IP list shard is unsure), the next
 * delivery first reconciles: it builds the new coverage, then removes the old, so no banned
 * address is ever unblocked. Returns true when that failed (the error is in the report); the
 * ordinary rounds then wait for the next attempt.
 */
async function migrateIfNeeded(
  options: DeliveryOptions,
  report: DeliveryReport,
  status: DeliveryStatus,
  now: () => number,
): Promise<boolean> {
  const { state } = options.journal.load();
  const why = options.target.needsReconcile(state);
  if (why === undefined) return false;
  try {
    const { result } = await beforeDeadline(
      options.target.reconcile({ journal: options.journal, now }),
      options.deadline,
      "migrate to the configured layout",
    );
    report.added += result.present.length;
    report.removed += result.absent.length;
    if (result.failures.length === 0) return false;
    report.error = new F2bError(
      `${why}: ${result.failures.length} change(s) failed, e.g. ${result.failures[0]!.target}: ${result.failures[0]!.text}`,
    );
  } catch (error) {
    report.error = toError(error);
  }
  status.lastError = { at: now(), message: report.error.toLine() };
  report.pending = countPendingIn(options.journal, now() / 1000);
  return true;
}

function countPendingIn(journal: Journal, nowSeconds: number): number {
  const pending = pendingCounts(journal.load().state, nowSeconds);
  return pending.add + pending.remove;
}
