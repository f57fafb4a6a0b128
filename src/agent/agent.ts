/**
 * The long-running worker. It holds `agent.lock` (so hooks only journal and return), watches
 * the state directory, and pushes pending changes in batches: a wave of hook calls becomes a
 * few requests. Coalescing comes free from the journal: a ban and an unban of one address that
 * are both still pending leave nothing to do, and repeated bans are one target.
 *
 * Timing: a push waits until the journal has been quiet for `quietMs` (a wave is still
 * arriving), but never delays a change longer than `maxDelayMs`. On failure it backs off with
 * jitter (new changes do not cut the wait short) and retries with a reconciliation, since a
 * failed request may have been half applied; after several failures in a row the circuit opens
 * and it says so once. It also reconciles at start and periodically, and wakes up when the
 * next hold expires. SIGTERM stops it after the current round; nothing is lost because every
 * change is journaled before the agent sees it.
 */
import { type FSWatcher, statSync, watch } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { countPending, deliverPending, type RoundReport } from "../delivery/index.ts";
import { F2bError } from "../errors/base.ts";
import {
  agentLockPath,
  type HeldLock,
  type Journal,
  lockUntil,
  nextExpiry,
  runningAgentPid,
  tryLock,
} from "../journal/index.ts";
import type { Target } from "../targets/target.ts";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";

export interface AgentTiming {
  /** Wait this long without new journal writes before pushing (a wave still arriving). */
  quietMs: number;
  /** ...but never delay a change longer than this while writes keep coming. */
  maxDelayMs: number;
  /** Full reconciliation period. */
  reconcileEveryMs: number;
  /** Longest a single delivery may run before the agent looks around again. */
  pushBudgetMs: number;
  /** Longest idle sleep: the agent then checks for pending work even without a file event. */
  idleCheckMs: number;
}

/**
 * A hook process takes 70–100 ms, and Fail2ban runs them back to back, so 300 ms of quiet means
 * "the wave is over". While a wave goes on, a push every 15 s at most: a real firewall spends
 * 5–8 s per write, so that leaves it more than half of its time for others, keeps a 1,000-ban
 * wave (~90 s of hooks) to about seven writes, and delays a ban by at most ~20 s.
 */
export const DEFAULT_TIMING: AgentTiming = {
  quietMs: 300,
  maxDelayMs: 15_000,
  reconcileEveryMs: 15 * 60_000,
  pushBudgetMs: 5 * 60_000,
  idleCheckMs: 60_000,
};

export interface AgentOptions extends Partial<AgentTiming> {
  target: Target;
  journal: Journal;
  batchSize: number;
  log: (line: string) => void;
  backoff?: BackoffOptions;
  /**
   * Someone else holds the state directory's agent.lock: one agent loop per firewall, all under
   * one lock taken by the process (see command.ts).
   */
  agentLockHeld?: boolean;
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** What the agent's loop knows about its firewall, for the metrics and /healthz. */
export interface AgentHealth {
  loopRunning: boolean;
  consecutiveFailures: number;
  circuitOpen: boolean;
  /** Epoch ms of the last push that ended without error (undefined before the first). */
  lastDeliveryAt: number | undefined;
  lastReconcileAt: number | undefined;
}

export class AgentAlreadyRunningError extends F2bError {
  override name = "AgentAlreadyRunningError";
}

/** How long the agent waits for another process's delivery (a `sync`, a hook started before it). */
const DELIVERY_LOCK_WAIT_MS = 30_000;

export class Agent {
  private lock: HeldLock | undefined;
  private watcher: FSWatcher | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private dirty = true;
  /**
   * Size of journal.jsonl when the last change this process made was taken in: the end of our
   * last unit of work, or a whole change given to pushSoon (see isTakenIn).
   */
  private takenInSize: number | undefined;
  private lastChangeAt = 0;
  private firstUnseenChangeAt = 0;
  private nextReconcileAt = 0;
  /** After a failure, nothing is sent before this (epoch ms), whatever arrives meanwhile. */
  private retryAt = 0;
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  private readonly timing: AgentTiming;
  private loopRunning = false;
  private lastDeliveryAt: number | undefined;
  private lastReconcileAt: number | undefined;

  constructor(private readonly options: AgentOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.timing = {
      quietMs: options.quietMs ?? DEFAULT_TIMING.quietMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_TIMING.maxDelayMs,
      reconcileEveryMs: options.reconcileEveryMs ?? DEFAULT_TIMING.reconcileEveryMs,
      pushBudgetMs: options.pushBudgetMs ?? DEFAULT_TIMING.pushBudgetMs,
      idleCheckMs: options.idleCheckMs ?? DEFAULT_TIMING.idleCheckMs,
    };
  }

  health(): AgentHealth {
    return {
      loopRunning: this.loopRunning,
      consecutiveFailures: this.backoff.consecutiveFailures,
      circuitOpen: this.backoff.circuitOpen,
      lastDeliveryAt: this.lastDeliveryAt,
      lastReconcileAt: this.lastReconcileAt,
    };
  }

  /** Takes the agent lock and starts working; throws if another agent runs for this state directory. */
  start(): void {
    const path = agentLockPath(this.options.journal.dir);
    if (!this.options.agentLockHeld) this.lock = tryLock(path);
    if (!this.lock && !this.options.agentLockHeld) {
      throw new AgentAlreadyRunningError(
        `another agent (pid ${runningAgentPid(this.options.journal.dir)}) runs for ${this.options.journal.dir}`,
        { hint: "stop it first, or run only one agent per state directory" },
      );
    }
    try {
      this.watcher = watch(this.options.journal.dir, (_event, file) => {
        if ((file === "journal.jsonl" || file === "state.json") && !this.isTakenIn()) this.noteChange();
      });
    } catch (error) {
      this.lock?.release();
      throw new F2bError(
        `cannot watch the state directory ${this.options.journal.dir}: ${(error as Error).message}`,
        {
          hint: "raise fs.inotify.max_user_watches, or run without the agent",
        },
      );
    }
    this.loop = this.run();
  }

  /**
   * The agent's own records (`sending`, `applied`, a compaction) change the journal too; waking up
   * for them would run an empty round and cut the next wave's debounce short. So does a source's
   * append that pushSoon already took in: its event must not restart the quiet window. A change
   * is taken in when the journal still has the size it had then: any hook append since makes it
   * differ.
   */
  private isTakenIn(): boolean {
    return this.takenInSize !== undefined && this.journalSize() === this.takenInSize;
  }

  /**
   * A source in this process (the CrowdSec source) has just journaled a whole change in one
   * append: nothing more of it is coming, so it is pushed without the quiet window, which is
   * there for hooks, whose wave arrives one process at a time. Call it right after the append.
   * A hook's append after it still waits for its own quiet window.
   */
  pushSoon(): void {
    this.takenInSize = this.journalSize();
    const now = Date.now();
    if (!this.dirty) this.firstUnseenChangeAt = now;
    this.dirty = true;
    this.lastChangeAt = now - this.timing.quietMs;
    this.wake?.();
  }

  private hasPending(): boolean {
    try {
      const { add, remove } = countPending(this.options.journal, Date.now() / 1000);
      return add + remove > 0;
    } catch {
      return false;
    }
  }

  private journalSize(): number | undefined {
    try {
      return statSync(this.options.journal.journalPath).size;
    } catch {
      return undefined;
    }
  }

  private noteChange(): void {
    const now = Date.now();
    if (!this.dirty) this.firstUnseenChangeAt = now;
    this.dirty = true;
    this.lastChangeAt = now;
    this.wake?.();
  }

  /** Stops after the current round; resolves when the agent has let go of everything. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Let go of agent.lock at once: hooks from now on deliver themselves, waiting for the
    // delivery lock, which this agent holds until its current round is over. So a change made
    // while the agent winds down does not wait for the next command.
    this.lock?.release();
    this.wake?.();
    await this.loop;
  }

  /** Sleeps until `ms` passed or something woke the agent (a journal write, stop). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    this.options.log(
      `agent: started (pid ${process.pid}), watching ${this.options.journal.dir}; quiet ${this.timing.quietMs} ms, max delay ${this.timing.maxDelayMs} ms, batch ${this.options.batchSize}`,
    );
    this.loopRunning = true;
    try {
      while (!this.stopping) {
        const now = Date.now();
        if (now < this.retryAt) {
          await this.sleep(this.retryAt - now);
          continue;
        }
        if (now >= this.nextReconcileAt) {
          await this.guarded(() => this.reconcileOnce());
          continue;
        }
        if (this.dirty) {
          const quietLeft = this.lastChangeAt + this.timing.quietMs - now;
          const delayLeft = this.firstUnseenChangeAt + this.timing.maxDelayMs - now;
          if (quietLeft > 0 && delayLeft > 0) {
            await this.sleep(Math.min(quietLeft, delayLeft));
            continue;
          }
          this.dirty = false;
          await this.guarded(() => this.pushOnce());
          continue;
        }
        await this.sleep(this.untilNextDeadline(now));
        // Woken by a timer, not by a file event: a hold may have expired, or an event may have
        // been missed (inotify overflow). Push at once if anything is pending.
        if (!this.dirty && !this.stopping && this.somethingPending()) {
          this.dirty = true;
          this.lastChangeAt = 0;
          this.firstUnseenChangeAt = 0;
        }
      }
    } finally {
      this.loopRunning = false;
      this.watcher?.close();
      this.lock?.release();
      this.options.log(`agent: stopped${this.pendingNote()}`);
    }
  }

  private somethingPending(): boolean {
    try {
      const { add, remove } = countPending(this.options.journal, Date.now() / 1000);
      return add + remove > 0;
    } catch {
      // An unreadable journal is reported by the push attempt.
      return true;
    }
  }

  private pendingNote(): string {
    try {
      const { add, remove } = countPending(this.options.journal, Date.now() / 1000);
      return add + remove === 0
        ? "; nothing pending"
        : `; ${add + remove} change(s) stay journaled for the next agent, hook or \`sync\``;
    } catch {
      return "";
    }
  }

  private untilNextDeadline(now: number): number {
    let next = Math.min(this.nextReconcileAt, now + this.timing.idleCheckMs);
    try {
      const expiry = nextExpiry(this.options.journal.load().state, now / 1000);
      if (expiry !== undefined) next = Math.min(next, expiry * 1000 + 50);
    } catch {
      // An unreadable journal is reported by the next push attempt.
    }
    return Math.max(0, next - now);
  }

  /** Waits for the delivery lock, giving up early when asked to stop. */
  private async deliveryLock(): Promise<HeldLock | undefined> {
    const until = Date.now() + DELIVERY_LOCK_WAIT_MS;
    while (!this.stopping && Date.now() < until) {
      const lock = await lockUntil(this.options.journal.deliveryLockPath, Date.now() + 500);
      if (lock) return lock;
    }
    return undefined;
  }

  /** Runs one unit of work under the delivery lock, with backoff and the breaker on failure. */
  private async guarded(work: () => Promise<F2bError | undefined>): Promise<void> {
    const lock = await this.deliveryLock();
    if (!lock) {
      // Someone else delivers (a long `sync`); look again shortly.
      if (!this.stopping) {
        this.dirty = true;
        await delay(100);
      }
      return;
    }
    let error: F2bError | undefined;
    try {
      error = await work();
    } catch (thrown) {
      error =
        thrown instanceof F2bError
          ? thrown
          : new F2bError(`agent: ${String((thrown as Error)?.message ?? thrown)}`, { cause: thrown });
    } finally {
      this.takenInSize = this.journalSize();
      lock.release();
    }
    // A hook's change that arrived late in the work may have been taken for our own write:
    // whatever is still pending is looked at again after the usual quiet time.
    if (!error && !this.stopping && this.hasPending()) this.noteChange();
    if (!error) {
      const failures = this.backoff.consecutiveFailures;
      if (this.backoff.success()) {
        this.options.log(`agent: the firewall answers again after ${failures} failures; circuit closed`);
      } else if (failures > 0) {
        this.options.log(`agent: recovered after ${failures} failure(s)`);
      }
      return;
    }
    const { delayMs, opened } = this.backoff.failure();
    const attempt = this.backoff.consecutiveFailures;
    if (opened) {
      this.options.log(
        `agent: ${attempt} failures in a row, circuit open: one attempt every ${duration(delayMs)} until the firewall answers: ${error.toLine()}`,
      );
    } else if (!this.backoff.circuitOpen) {
      this.options.log(`agent: failure ${attempt}, retrying in ${delayMs} ms: ${error.toLine()}`);
    }
    // Retry with a reconciliation: a failed request may have been applied in part.
    this.retryAt = Date.now() + delayMs;
    this.nextReconcileAt = this.retryAt;
    this.dirty = true;
  }

  private async pushOnce(): Promise<F2bError | undefined> {
    const budgetEnd = Date.now() + this.timing.pushBudgetMs;
    const batchSize = this.options.batchSize;
    // A round that was not full carried everything pending when it started: what is pending
    // now arrived during it (a wave still coming in) and waits for the debounce, rather than
    // being chased one small round at a time. A full round means a backlog: keep going.
    let caughtUp = false;
    const stopping = () => this.stopping || caughtUp;
    const report = await deliverPending({
      target: this.options.target,
      journal: this.options.journal,
      batchSize,
      // No deadline inside a round: an abandoned round would go on writing after the delivery
      // lock is released, racing the next one (a stale shard write could drop addresses). The
      // budget is enforced between rounds instead; once false, no new round starts.
      deadline: Number.POSITIVE_INFINITY,
      shouldContinue: () => !stopping() && Date.now() < budgetEnd,
      onRound: (round) => {
        if (round.added + round.removed + round.failed < batchSize) caughtUp = true;
        this.logRound(round);
      },
    });
    if (report.pending > 0 && !report.error) this.dirty = true;
    if (!report.error) this.lastDeliveryAt = Date.now();
    return report.error;
  }

  private logRound(round: RoundReport): void {
    const refused = round.failed > 0 ? `, ${round.failed} refused` : "";
    const outcome = round.error ? `failed: ${round.error.toLine()}` : "ok";
    this.options.log(
      `push: +${round.added} -${round.removed}${refused} in ${round.durationMs} ms, ${outcome}`,
    );
  }

  private async reconcileOnce(): Promise<F2bError | undefined> {
    const started = Date.now();
    const { plan, result } = await this.options.target.reconcile({ journal: this.options.journal });
    this.nextReconcileAt = Date.now() + this.timing.reconcileEveryMs;
    const failed = result.failures.length;
    this.options.log(
      `reconcile: ${plan.inPlace.length} in place, +${result.present.length} -${result.absent.length} in ${Date.now() - started} ms, ` +
        (failed > 0
          ? `${failed} refused, e.g. ${result.failures[0]!.target}: ${result.failures[0]!.text}`
          : "ok"),
    );
    // Changes journaled while it ran are pushed next.
    this.dirty = true;
    if (failed === 0) this.lastReconcileAt = Date.now();
    return failed > 0 ? new F2bError(`reconcile: the firewall refused ${failed} change(s)`) : undefined;
  }
}
