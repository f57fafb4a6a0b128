/**
 * The CrowdSec source: polls the Local API and turns its decisions into holds of source
 * `crowdsec` in the journal, which the agent then delivers like any jail's ban.
 *
 * A full pull (`startup=true`) at start and after every error; deltas otherwise. The source
 * keeps the decisions it accepted in memory, by id; after each change it computes the holds
 * they ask for (`max_decisions` applied) and writes only the difference with the journal.
 * Never unban by mistake: until a full pull has succeeded (at start, and again after any
 * error, timeout, refusal or unreadable answer), nothing is compared and nothing released;
 * a hold whose decision is never deleted still ends at its expiry.
 */
import { setFlagsFromString } from "node:v8";
import type { CrowdsecConfig } from "../../config/types.ts";
import { F2bError } from "../../errors/base.ts";
import type { Journal } from "../../journal/index.ts";
import {
  desiredHolds,
  desiredHoldsOf,
  type HeldDecision,
  holdKey,
  type IgnoredKind,
  judge,
} from "./decisions.ts";
import { applyToHeld, crowdsecHolds, diffHolds, type HeldByKey, type HoldDiff } from "./diff.ts";
import { KnownDecisions } from "./known.ts";
import { LapiClient } from "./lapi-client.ts";
import { type CrowdsecStatus, writeCrowdsecStatus } from "./status-file.ts";
import type { StreamAnswer } from "./stream-body.ts";

export interface CrowdsecSourceOptions {
  config: CrowdsecConfig;
  journal: Journal;
  log: (line: string) => void;
  now?: () => number;
  /** After each append (a pull that changed the holds): the agent in this process pushes it at once. */
  onJournaled?: () => void;
}

export interface PollReport {
  full: boolean;
  held: number;
  released: number;
  extended: number;
  error?: F2bError;
}

export class CrowdsecSource {
  private readonly client: LapiClient;
  private readonly known = new KnownDecisions();
  /**
   * CrowdSec's holds in the journal, read at each full pull and kept up to date with what we
   * journal: nothing else writes holds of source crowdsec, so deltas need not reload the journal.
   */
  private held: HeldByKey = new Map();
  /** A full pull has succeeded and no error came since: deltas can be trusted. */
  private synced = false;
  private leftOutNoted = false;
  private lastErrorLine: string | undefined;
  private readonly status: CrowdsecStatus;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CrowdsecSourceOptions) {
    this.client = new LapiClient(options.config);
    this.now = options.now ?? Date.now;
    this.status = {
      lapiUrl: options.config.lapiUrl,
      decisions: 0,
      heldAddresses: 0,
      leftOut: 0,
      maxDecisions: options.config.maxDecisions,
      ignored: {},
      ignoredNames: {},
      malformed: 0,
    };
  }

  start(): void {
    const c = this.options.config;
    this.options.log(
      `crowdsec: polling ${c.lapiUrl} every ${c.pollIntervalMs} ms` +
        (c.origins.length > 0 ? `, origins ${c.origins.join(",")}` : "") +
        `, at most ${c.maxDecisions} addresses`,
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.pollOnce();
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.config.pollIntervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
  }

  /** One pull and its journal records. Never throws: an error is logged, reported and releases nothing. */
  async pollOnce(): Promise<PollReport> {
    const full = !this.synced;
    const started = this.now();
    let answer: StreamAnswer;
    if (full) leanHeap(true);
    try {
      answer = await this.client.stream(full);
    } catch (error) {
      return this.failed(full, error);
    }
    return this.take(answer, full, started);
  }

  /**
   * Journals what one answer of the LAPI's stream asks for (`full`: the whole list, as a
   * `startup=true` pull gives it). pollOnce's second half, public for the tests that run the
   * source through many answers on a clock of their own, which a real LAPI's cannot be.
   * Never throws, as pollOnce.
   */
  take(answer: StreamAnswer, full: boolean, started = this.now()): PollReport {
    try {
      // Lean from a full pull until the first change after it: the push of the whole list that
      // follows the pull allocates as much again.
      if (!full && (answer.new.length > 0 || answer.deleted.length > 0)) leanHeap(false);
      const report = this.apply(answer, full);
      this.synced = true;
      if (this.lastErrorLine !== undefined) {
        this.options.log("crowdsec: the LAPI answers again");
        this.lastErrorLine = undefined;
      }
      const changed = report.held + report.released + report.extended > 0;
      if (full || changed) {
        this.options.log(
          `crowdsec: ${full ? "full pull" : "delta"}: ${answer.new.length} new, ${answer.deleted.length} deleted; ` +
            `holds +${report.held} -${report.released}${report.extended > 0 ? ` ~${report.extended}` : ""}, ` +
            `${this.status.heldAddresses} address(es) held, in ${this.now() - started} ms`,
        );
      }
      this.writeStatus(full);
      return report;
    } catch (error) {
      return this.failed(full, error);
    }
  }

  private failed(full: boolean, error: unknown): PollReport {
    // The LAPI may have counted this call as our last pull: only a full pull can be trusted next.
    this.synced = false;
    const f2b =
      error instanceof F2bError
        ? error
        : new F2bError(`crowdsec: ${(error as Error)?.message ?? error}`, { cause: error });
    const line = f2b.toLine();
    if (line !== this.lastErrorLine) {
      this.options.log(`crowdsec: ${line}; nothing released, the next pull is a full one`);
      this.lastErrorLine = line;
    }
    this.status.lastError = { at: this.now(), message: line };
    this.writeStatusQuietly();
    return { full, held: 0, released: 0, extended: 0, error: f2b };
  }

  private apply(answer: StreamAnswer, full: boolean): PollReport {
    const nowMs = this.now();
    if (full) this.held = crowdsecHolds(this.options.journal.load().state);
    const heldNow = (target: string, reason: string) => this.held.has(holdKey(target, reason));
    if (full) {
      this.known.clear();
      this.status.ignored = {};
      this.status.ignoredNames = {};
      this.status.malformed = 0;
    }
    // The decisions this answer adds, replaces, deletes or lets expire (deltas only).
    const touched: HeldDecision[] = [];
    if (!full) {
      for (const d of answer.deleted) {
        const gone = this.known.delete(d.id);
        if (gone) touched.push(gone);
      }
    }
    this.status.malformed += answer.malformed;
    for (const decision of answer.new) {
      const verdict = judge(decision, nowMs, this.options.config, heldNow);
      if ("held" in verdict) {
        const replaced = this.known.set(verdict.held);
        if (!full) touched.push(verdict.held);
        if (replaced && !full) touched.push(replaced);
      } else {
        this.count(
          verdict.ignored,
          verdict.ignored === "type" || verdict.ignored === "scope" ? verdict.detail : undefined,
        );
      }
    }
    const nowSec = nowMs / 1000;
    const expired = this.known.dropExpired(nowSec);
    if (!full) for (const d of expired) touched.push(d);
    // Nothing new, nothing gone: the holds are as they were (the common case, every few seconds).
    if (!full && answer.new.length === 0 && answer.deleted.length === 0 && expired.length === 0) {
      return { full, held: 0, released: 0, extended: 0 };
    }
    const { diff, addresses, leftOut } = this.diff(full ? undefined : touched, nowSec, nowMs);
    // Throws on failure, and then nothing was written (the journal cuts a failed append off):
    // our view stays as it was, and the next pull is a full one that reloads it anyway.
    this.options.journal.append(diff.records);
    if (diff.records.length > 0) this.options.onJournaled?.();
    applyToHeld(this.held, diff.records, nowSec);
    this.status.decisions = this.known.size;
    this.status.heldAddresses = addresses;
    this.noteLeftOut(leftOut);
    return { full, held: diff.held, released: diff.released, extended: diff.extended };
  }

  /**
   * The records that make our holds what the decisions ask for. After a delta (`touched`: the
   * decisions it added, replaced, deleted or let expire) that leaves the cap cutting nothing,
   * as it cut nothing before, every hold depends only on the decisions of its own key, so only
   * the touched keys are looked at: the same records as the full comparison, in a fraction of
   * the time with 100,000 decisions held.
   */
  private diff(
    touched: readonly HeldDecision[] | undefined,
    nowSec: number,
    nowMs: number,
  ): { diff: HoldDiff; addresses: number; leftOut: number } {
    const max = this.options.config.maxDecisions;
    if (touched !== undefined && this.status.leftOut === 0 && this.known.addresses <= max) {
      const keys = this.touchedKeys(touched, nowSec);
      const targets = new Set(touched.map((d) => d.target));
      for (const key of keys) targets.add(key.slice(0, key.indexOf("\n")));
      const holds = desiredHoldsOf(this.known.values(), keys, targets, nowSec);
      return {
        diff: diffHolds(this.held, { holds }, nowSec, nowMs, keys),
        addresses: this.known.addresses,
        leftOut: 0,
      };
    }
    const desired = desiredHolds(this.known.values(), max, nowSec);
    return {
      diff: diffHolds(this.held, desired, nowSec, nowMs),
      addresses: desired.addresses,
      leftOut: desired.leftOut,
    };
  }

  /**
   * The hold keys a delta can change: those of the decisions it touched, and those of our holds
   * that have run out since (the full diff would hold them again if a decision still asks).
   */
  private touchedKeys(touched: readonly HeldDecision[], nowSec: number): Set<string> {
    const keys = new Set(touched.map((d) => holdKey(d.target, d.reason)));
    for (const [key, expiresAt] of this.held) if (expiresAt !== null && expiresAt <= nowSec) keys.add(key);
    return keys;
  }

  private count(kind: IgnoredKind, name: string | undefined): void {
    this.status.ignored[kind] = (this.status.ignored[kind] ?? 0) + 1;
    if (name !== undefined) {
      const key = `${kind}:${name}`;
      this.status.ignoredNames[key] = (this.status.ignoredNames[key] ?? 0) + 1;
    }
  }

  /** Said once when the cap starts cutting (and again only after it stopped cutting). */
  private noteLeftOut(leftOut: number): void {
    this.status.leftOut = leftOut;
    if (leftOut > 0 && !this.leftOutNoted) {
      this.options.log(
        `crowdsec: max_decisions ${this.options.config.maxDecisions} leaves ${leftOut} address(es) off the firewall ` +
          "(local origins first, then the longest time left); raise it, or use the iplist layout for blocklists",
      );
      this.leftOutNoted = true;
    } else if (leftOut === 0 && this.leftOutNoted) {
      this.options.log("crowdsec: every accepted decision fits within max_decisions again");
      this.leftOutNoted = false;
    }
  }

  private writeStatus(full: boolean): void {
    const now = this.now();
    this.status.lastPullAt = now;
    if (full) this.status.lastFullPullAt = now;
    delete this.status.lastError;
    this.writeStatusQuietly();
  }

  private writeStatusQuietly(): void {
    try {
      writeCrowdsecStatus(this.options.journal.dir, this.status);
    } catch {
      // Status is informational; the journal is what matters.
    }
  }
}

/**
 * A full pull of a blocklist allocates its whole answer several times over (text, parsed
 * decisions, holds, journal records) in a few seconds, and V8's default heap growth keeps two
 * to three times the live set around as garbage meanwhile. Growing the heap sparingly for that
 * moment and the push of the whole list after it keeps the agent's peak near its live set;
 * the first delta brings the default (faster) heuristics back, so deltas cost what they did.
 */
function leanHeap(on: boolean): void {
  setFlagsFromString(on ? "--optimize-for-size" : "--no-optimize-for-size");
}
