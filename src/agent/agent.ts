/**
 * The long-running worker. It holds `agent.lock` (so hooks only journal and return), watches
 * the state directory, and pushes pending changes in batches: a wave of hook calls becomes a
 * few requests. Coalescing comes free from the journal: a ban and an unban of one address that
 * are both still pending leave nothing to do, and repeated bans are one target. On failure it
 * backs off with jitter and, after several failures in a row, opens a circuit breaker. It
 * reconciles with the firewall at start, periodically and after every recovery, and wakes up
 * when the next hold expires. SIGTERM stops it between rounds; nothing is lost because every
 * change is journaled before the agent sees it.
 */
import { type FSWatcher, watch } from "node:fs";
import { deliverPending, type Naming, type RoundReport, reconcile } from "../delivery/index.ts";
import { F2bError } from "../errors/base.ts";
import { type HeldLock, type Journal, lockUntil, nextExpiry, tryLock } from "../journal/index.ts";
import type { SophosClient } from "../sophos/index.ts";
import { agentLockPath, runningAgentPid } from "./alive.ts";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";

export interface AgentOptions {
  client: SophosClient;
  journal: Journal;
  naming: Naming;
  batchSize: number;
  log: (line: string) => void;
  /** Wait this long without new journal writes before pushing (a wave arriving). Default 200 ms. */
  quietMs?: number;
  /** ...but never delay a change longer than this. Default 1000 ms. */
  maxDelayMs?: number;
  /** Full reconciliation period. Default 15 min. */
  reconcileEveryMs?: number;
  /** Longest a single delivery may run before the agent looks around again. Default 5 min. */
  pushBudgetMs?: number;
  backoff?: BackoffOptions;
}

export class AgentAlreadyRunningError extends F2bError {
  override name = "AgentAlreadyRunningError";
}

export class Agent {
  private lock: HeldLock | undefined;
  private watcher: FSWatcher | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private dirty = true;
  private lastChangeAt = 0;
  private firstUnseenChangeAt = 0;
  private nextReconcileAt = 0;
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly reconcileEveryMs: number;
  private readonly pushBudgetMs: number;

  constructor(private readonly options: AgentOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.quietMs = options.quietMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.reconcileEveryMs = options.reconcileEveryMs ?? 15 * 60_000;
    this.pushBudgetMs = options.pushBudgetMs ?? 5 * 60_000;
  }

  /** Takes the agent lock and starts working; throws if another agent runs for this state directory. */
  start(): void {
    const path = agentLockPath(this.options.journal.dir);
    this.lock = tryLock(path);
    if (!this.lock) {
      throw new AgentAlreadyRunningError(
        `another agent (pid ${runningAgentPid(this.options.journal.dir)}) runs for ${this.options.journal.dir}`,
        {
          hint: "stop it first, or run only one agent per state directory",
        },
      );
    }
    this.watcher = watch(this.options.journal.dir, (_event, file) => {
      if (file === "journal.jsonl" || file === "state.json") this.noteChange();
    });
    this.loop = this.run();
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
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    this.options.log(`agent: started (pid ${process.pid}), watching ${this.options.journal.dir}`);
    try {
      while (!this.stopping) {
        const now = Date.now();
        if (now >= this.nextReconcileAt) {
          await this.guarded(() => this.reconcileOnce());
          continue;
        }
        if (this.dirty) {
          const quietLeft = this.lastChangeAt + this.quietMs - now;
          const delayLeft = this.firstUnseenChangeAt + this.maxDelayMs - now;
          if (quietLeft > 0 && delayLeft > 0) {
            await this.sleep(Math.min(quietLeft, delayLeft));
            continue;
          }
          this.dirty = false;
          await this.guarded(() => this.pushOnce());
          continue;
        }
        await this.sleep(this.untilNextDeadline(now));
      }
    } finally {
      this.watcher?.close();
      this.lock?.release();
      this.options.log("agent: stopped");
    }
  }

  private untilNextDeadline(now: number): number {
    let next = this.nextReconcileAt;
    try {
      const expiry = nextExpiry(this.options.journal.load().state, now / 1000);
      if (expiry !== undefined) next = Math.min(next, expiry * 1000 + 50);
    } catch {
      // An unreadable journal is reported by the next push attempt.
    }
    return Math.min(Math.max(0, next - now), 60_000);
  }

  /** Runs one unit of work under the delivery lock, with backoff and the breaker on failure. */
  private async guarded(work: () => Promise<F2bError | undefined>): Promise<void> {
    const lock = await lockUntil(`${this.options.journal.dir}/delivery.lock`, Date.now() + 30_000);
    if (!lock) {
      this.dirty = true;
      return;
    }
    let error: F2bError | undefined;
    try {
      error = await work();
    } catch (thrown) {
      error =
        thrown instanceof F2bError ? thrown : new F2bError(String((thrown as Error)?.message ?? thrown));
    } finally {
      lock.release();
    }
    if (!error) {
      if (this.backoff.success()) {
        this.options.log("agent: the firewall answers again; circuit closed, reconciling");
        this.nextReconcileAt = 0;
      }
      return;
    }
    const { delayMs, opened } = this.backoff.failure();
    if (opened) {
      this.options.log(
        `agent: ${this.backoff.consecutiveFailures} failures in a row; pausing pushes for ${Math.round(delayMs / 1000)} s at a time (circuit open): ${error.toLine()}`,
      );
    } else if (!this.backoff.circuitOpen) {
      this.options.log(`agent: failed, retrying in ${delayMs} ms: ${error.toLine()}`);
    }
    this.dirty = true;
    // A failure means the firewall may differ from what we believe: reconcile on recovery.
    this.nextReconcileAt = Math.max(this.nextReconcileAt, Date.now() + delayMs);
    await this.sleep(delayMs);
  }

  private async pushOnce(): Promise<F2bError | undefined> {
    const report = await deliverPending({
      client: this.options.client,
      journal: this.options.journal,
      naming: this.options.naming,
      batchSize: this.options.batchSize,
      deadline: Date.now() + this.pushBudgetMs,
      onRound: (round) => this.logRound(round),
    });
    if (report.pending > 0 && !report.error) this.dirty = true;
    return report.error;
  }

  private logRound(round: RoundReport): void {
    const outcome = round.error ? `failed: ${round.error.toLine()}` : "ok";
    this.options.log(`push: +${round.added} -${round.removed} in ${round.durationMs} ms, ${outcome}`);
  }

  private async reconcileOnce(): Promise<F2bError | undefined> {
    const started = Date.now();
    const { plan, result } = await reconcile({
      client: this.options.client,
      journal: this.options.journal,
      naming: this.options.naming,
    });
    this.nextReconcileAt = Date.now() + this.reconcileEveryMs;
    this.options.log(
      `reconcile: ${plan.inPlace.length} in place, +${result.present.length} -${result.absent.length} in ${Date.now() - started} ms` +
        (result.failures.length > 0 ? `, ${result.failures.length} failed` : ""),
    );
    this.dirty = true;
    return result.failures.length > 0
      ? new F2bError(`reconcile: ${result.failures.length} change(s) failed`)
      : undefined;
  }
}
