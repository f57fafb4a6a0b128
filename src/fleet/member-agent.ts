/**
 * The agent of a fleet member (`f2b-sophosxg agent` with a `fleet` section). It holds the
 * member's agent.lock (so its hooks only journal), and runs two loops:
 *
 *   - the lease's own: takes or renews the pusher's lease every tick, whatever else is going on
 *     (a union read of a big fleet can outlast the lease's trust, and must not cost the lease);
 *   - the main one: forwards the member's holds to Redis whenever its journal changes, and at
 *     least once a second (the heartbeat that says the member is alive); while the lease is
 *     held, mirrors the fleet's union into its
 *     pusher journal (first, before anything is written; later changes once they have settled,
 *     see union-settle.ts, so a wave forwarded by many members is one push) and runs the
 *     ordinary Agent on that journal against the firewall behind the lease's gate. The Agent
 *     reconciles at its start, so a new pusher first repairs whatever its predecessor left half
 *     done.
 *
 * Redis away: forwarding fails and is retried (the journal keeps everything); the lease cannot
 * be renewed, so the pusher stops writing when its trust in the lease runs out. After any failed
 * Redis command the union is read again in full at the next chance: a failover to a replica
 * that missed the last version bumps can bring the version back to a number already mirrored.
 */
import { type FSWatcher, mkdirSync, watch } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Agent, AgentAlreadyRunningError, type AgentOptions, DEFAULT_TIMING } from "../agent/agent.ts";
import type { FleetConfig } from "../config/index.ts";
import { F2bError } from "../errors/base.ts";
import { agentLockPath, type HeldLock, Journal, runningAgentPid, tryLock } from "../journal/index.ts";
import type { Target } from "../targets/target.ts";
import { FencedTarget } from "./fenced-target.ts";
import { Forwarder } from "./forwarder.ts";
import { fleetKeys } from "./keys.ts";
import { Lease } from "./lease.ts";
import type { FleetRedis } from "./redis.ts";
import { mirrorUnion, readUnion } from "./union.ts";
import { UnionSettle } from "./union-settle.ts";

export const PUSHER_DIR = "fleet-pusher";
const HEARTBEAT_MS = 1000;
/**
 * How often the pusher looks at the union's version: one GET, so a change is seen within this
 * rather than within a tick (the other members only forward and so keep the slower tick).
 */
const PUSHER_POLL_MS = 50;
/**
 * The pusher's Agent waits this little for its journal to be quiet: the union is mirrored only
 * once it has settled (union-settle.ts), in one append, so a second quiet window would only
 * delay the push by the agent's quiet time again.
 */
const PUSHER_QUIET_MS = 10;

export interface MemberAgentOptions {
  fleet: FleetConfig;
  redis: FleetRedis;
  /** The member's own journal (its hooks write here). */
  journal: Journal;
  /** The firewall (unfenced: the member agent puts the gate in front). */
  target: Target;
  /** Everything the pusher's Agent takes besides target and journal. */
  agent: Omit<AgentOptions, "target" | "journal" | "log">;
  log: (line: string) => void;
}

export class MemberAgent {
  private lock: HeldLock | undefined;
  private watcher: FSWatcher | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private journalChanged = true;
  private lastForwardAt = 0;
  private forwardFailing = false;
  private redisFailing = false;
  private pusher: Agent | undefined;
  private lastVersion: string | undefined;
  /** After a takeover on a Redis that lost its data: no mirror before this (epoch ms). */
  private startNotBefore: number | undefined;
  private loop: Promise<void> | undefined;
  private leaseLoop: Promise<void> | undefined;
  /** Aborted at stop: ends the lease loop's sleep at once. */
  private readonly stopped = new AbortController();
  private readonly keys;
  private readonly forwarder: Forwarder;
  private readonly lease: Lease;
  readonly pusherJournal: Journal;
  private readonly tickMs: number;
  private readonly settle: UnionSettle;

  constructor(private readonly options: MemberAgentOptions) {
    const { fleet, redis, journal } = options;
    this.keys = fleetKeys(fleet.name);
    this.forwarder = new Forwarder(redis, this.keys, fleet.member, journal);
    this.lease = new Lease(redis, this.keys, fleet.member, fleet.leaseMs);
    this.pusherJournal = new Journal(join(journal.dir, PUSHER_DIR));
    this.tickMs = Math.max(50, Math.min(250, Math.floor(fleet.leaseMs / 4)));
    // The agent's own window and bound, as a single host's journal waits (members forward as
    // their journals change, so a wave over many members is as quiet as over one host's hooks);
    // at least one poll, or a change seen at the end of one poll could pass for settled.
    this.settle = new UnionSettle(
      Math.max(PUSHER_POLL_MS, options.agent.quietMs ?? DEFAULT_TIMING.quietMs),
      options.agent.maxDelayMs ?? DEFAULT_TIMING.maxDelayMs,
    );
  }

  start(): void {
    const dir = this.options.journal.dir;
    this.lock = tryLock(agentLockPath(dir));
    if (!this.lock) {
      throw new AgentAlreadyRunningError(`another agent (pid ${runningAgentPid(dir)}) runs for ${dir}`, {
        hint: "stop it first, or run only one agent per state directory",
      });
    }
    try {
      mkdirSync(this.pusherJournal.dir, { recursive: true, mode: 0o700 });
      this.watcher = watch(dir, (_event, file) => {
        if (file === "journal.jsonl" || file === "state.json") {
          this.journalChanged = true;
          this.wake?.();
        }
      });
    } catch (error) {
      this.lock.release();
      throw new F2bError(`cannot watch the state directory ${dir}: ${(error as Error).message}`, {
        hint: "raise fs.inotify.max_user_watches",
      });
    }
    this.leaseLoop = this.keepLease();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const { fleet, log } = this.options;
    log(
      `fleet: member ${fleet.member} of fleet ${fleet.name} started (pid ${process.pid}), lease ${fleet.leaseMs} ms`,
    );
    try {
      while (!this.stopping) {
        await this.forwardIfDue();
        await this.lead();
        if (!this.stopping) await this.sleep(this.nextTickMs());
      }
    } finally {
      await this.stopPusher("stopping");
      // Ended before the release: a renewal in flight must not take the lease back after it.
      this.stopping = true;
      this.stopped.abort();
      await this.leaseLoop;
      try {
        await this.lease.release();
        // A last forward, so nothing journaled just before the stop waits for the next start.
        await this.forwarder.forward();
      } catch {
        // Redis away: the journal keeps it for the next start.
      }
      this.watcher?.close();
      this.lock?.release();
      log(`fleet: member ${fleet.member} stopped`);
    }
  }

  /** A tick (a poll on the pusher), or less when a settling union is due sooner. */
  private nextTickMs(): number {
    const tick = this.pusher ? PUSHER_POLL_MS : this.tickMs;
    const due = this.settle.dueAt();
    return due === undefined ? tick : Math.max(10, Math.min(tick, due - Date.now()));
  }

  private async forwardIfDue(): Promise<void> {
    const now = Date.now();
    if (!this.journalChanged && now - this.lastForwardAt < HEARTBEAT_MS) return;
    this.journalChanged = false;
    this.lastForwardAt = now;
    try {
      const report = await this.forwarder.forward(now);
      if (report.set + report.deleted > 0) {
        this.options.log(`fleet: forwarded +${report.set} -${report.deleted} (${report.holds} holds)`);
      }
      if (this.forwardFailing) this.options.log("fleet: Redis answers again; forwarding resumed");
      this.forwardFailing = false;
    } catch (error) {
      // Try again at the next tick; the journal keeps every hold meanwhile.
      this.journalChanged = true;
      this.lastVersion = undefined;
      this.lastForwardAt = now;
      if (!this.forwardFailing) this.options.log(`fleet: cannot forward, retrying: ${lineOf(error)}`);
      this.forwardFailing = true;
    }
  }

  /**
   * Takes or renews the lease every tick, alone in its loop: only this loop asks Redis for the
   * lease, and the main loop and the pusher's gate read its outcome (`lease.held`). It wakes the
   * main loop when the lease is won or lost, so the pusher starts and stops without a tick's wait.
   */
  private async keepLease(): Promise<void> {
    while (!this.stopping) {
      const before = this.lease.held;
      try {
        await this.lease.acquireOrRenew();
        this.redisFailing = false;
      } catch (error) {
        if (!this.redisFailing) this.options.log(`fleet: cannot reach Redis for the lease: ${lineOf(error)}`);
        this.redisFailing = true;
        this.lastVersion = undefined;
      }
      if (this.lease.held !== before) this.wake?.();
      try {
        await delay(this.tickMs, undefined, { signal: this.stopped.signal });
      } catch {
        // Aborted: the agent stops.
      }
    }
  }

  /** Starts or stops the pusher as the lease says; mirrors a changed union. */
  private async lead(): Promise<void> {
    // Without an answer from Redis the lease is trusted only until its local deadline.
    if (!this.lease.held) {
      this.startNotBefore = undefined;
      await this.stopPusher("lost the lease");
      return;
    }
    if (!this.pusher && !(await this.unionLooksComplete())) return;
    try {
      const version = String(await this.options.redis.command(["GET", this.keys.version]));
      if (version !== this.lastVersion || !this.pusher) {
        const now = Date.now();
        // A new pusher mirrors at once (it must not reconcile on a stale journal); later changes
        // wait for the fleet's wave to settle.
        if (this.pusher && !this.settle.ready(version, now)) return;
        this.settle.reset();
        const union = await readUnion(this.options.redis, this.keys, now, this.options.log);
        const records = mirrorUnion(this.pusherJournal, union, now);
        this.lastVersion = version;
        if (records > 0) this.options.log(`fleet: union changed (${records} record(s))`);
      }
    } catch (error) {
      this.lastVersion = undefined;
      // Not started on a union that could not be read: it would reconcile others' bans away.
      if (!this.pusher) return;
      if (!this.redisFailing) this.options.log(`fleet: cannot read the union: ${lineOf(error)}`);
      return;
    }
    if (!this.pusher && !this.stopping) this.startPusher();
  }

  /**
   * `fence:high` is written by every pusher's gate and never deleted: when it is missing while
   * this host's pusher journal holds bans, Redis lost its data (restarted without persistence,
   * flushed) and the members are still re-forwarding. The union read now would be short, and the
   * first reconcile would remove the missing bans from the firewall: wait a few heartbeats.
   */
  private async unionLooksComplete(): Promise<boolean> {
    const now = Date.now();
    if (this.startNotBefore === undefined) {
      let lost = false;
      try {
        lost =
          (await this.options.redis.command(["GET", this.keys.fenceHigh])) === null &&
          this.pusherJournal.load().state.holds.size > 0;
      } catch {
        return false;
      }
      this.startNotBefore = lost ? now + 3 * HEARTBEAT_MS : now;
      if (lost) this.options.log("fleet: Redis lost its data; waiting for the members to forward again");
    }
    return now >= this.startNotBefore;
  }

  private startPusher(): void {
    const { log } = this.options;
    log(
      `fleet: ${this.options.fleet.member} is the pusher (token ${this.lease.fencingToken}); reconciling first`,
    );
    this.pusher = new Agent({
      ...this.options.agent,
      quietMs: PUSHER_QUIET_MS,
      target: new FencedTarget(this.options.target, this.lease),
      journal: this.pusherJournal,
      log: (line) => log(`fleet pusher: ${line}`),
    });
    this.pusher.start();
  }

  private async stopPusher(why: string): Promise<void> {
    const pusher = this.pusher;
    if (!pusher) return;
    this.pusher = undefined;
    this.lastVersion = undefined;
    this.startNotBefore = undefined;
    this.settle.reset();
    this.options.log(`fleet: ${this.options.fleet.member} stops pushing (${why})`);
    await pusher.stop();
  }
}

function lineOf(error: unknown): string {
  return error instanceof F2bError ? error.toLine() : String((error as Error)?.message ?? error);
}
