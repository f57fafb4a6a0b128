/**
 * Makes the firewall catch up with the journal: under the delivery lock, pushes everything
 * pending (bans not yet on the firewall, our objects that no jail holds any more, expired
 * holds) in batches, records what reached the firewall, and stops at the deadline. Whatever is
 * left stays pending for the next command, the agent or `sync`.
 */
import { F2bError } from "../errors/base.ts";
import { dropExpired, type Journal, type JournalRecord, pendingFor } from "../journal/index.ts";
import { type DeliveryStatus, readStatus, writeStatus } from "../journal/status-file.ts";
import type { SophosClient } from "../sophos/index.ts";
import { beforeDeadline } from "./deadline.ts";
import { emptyPushResult, type Naming, pushChanges } from "./push.ts";

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
  client: SophosClient;
  journal: Journal;
  naming: Naming;
  /** Entities per push round; the client splits further by its own bound. */
  batchSize: number;
  /** Epoch ms after which no new round starts. */
  deadline: number;
  now?: () => number;
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

function take<T>(items: Map<string, T>, limit: number): string[] {
  return [...items.keys()].slice(0, limit);
}

/** Counts what is pending without touching the firewall. */
export function countPending(journal: Journal, nowSeconds: number): { add: number; remove: number } {
  const changes = pendingFor(journal.load().state, nowSeconds);
  return { add: changes.add.size, remove: changes.remove.size };
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
  const status: DeliveryStatus = readStatus(options.journal.dir);
  let journalRecords = 0;
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
    if (now() >= options.deadline) break;

    const add = take(changes.add, options.batchSize);
    const remove = take(changes.remove, Math.max(0, options.batchSize - add.length));
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
        pushChanges(options.client, options.naming, { add, remove }, result),
        options.deadline,
        "deliver pending changes",
      );
    } catch (error) {
      thrown = error;
    }
    // Copy: a push abandoned at the deadline may still add to `result` later.
    const present = [...result.present];
    const absent = [...result.absent];
    let recordError: F2bError | undefined;
    if (present.length + absent.length > 0) {
      recordError = tryAppend(options.journal, [{ t: "applied", at: now(), present, absent }]);
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
      if (!recordError) report.pending -= present.length + absent.length;
      break;
    }
    status.lastSuccessAt = now();
  }
  writeStatus(options.journal.dir, status);
  if (journalRecords >= compactAfterRecords()) {
    try {
      options.journal.compact((state) => dropExpired(state, now() / 1000));
    } catch {
      // Compaction only keeps loading cheap; the journal stays valid without it.
    }
  }
  return report;
}
