/**
 * The decisions the source accepted, by id, with how many of them name each address: the count
 * of distinct addresses tells at once whether `max_decisions` cuts anything, which decides
 * whether a delta can be worked out for the addresses it touches alone (see source.ts).
 */
import type { HeldDecision } from "./decisions.ts";

export class KnownDecisions {
  private readonly byId = new Map<number, HeldDecision>();
  /** Address → number of decisions in `byId` on it (never 0: the address is deleted instead). */
  private readonly perTarget = new Map<string, number>();

  get size(): number {
    return this.byId.size;
  }

  /** Distinct addresses among the decisions. */
  get addresses(): number {
    return this.perTarget.size;
  }

  values(): IterableIterator<HeldDecision> {
    return this.byId.values();
  }

  /**
   * Keeps `decision`; returns the one it replaces (same id), if any. A replaced decision keeps
   * its place in the iteration order, as a Map's set does: the cap's sort breaks ties by it.
   */
  set(decision: HeldDecision): HeldDecision | undefined {
    const previous = this.byId.get(decision.id);
    if (previous !== undefined) this.uncount(previous.target);
    this.byId.set(decision.id, decision);
    this.perTarget.set(decision.target, (this.perTarget.get(decision.target) ?? 0) + 1);
    return previous;
  }

  /** Forgets decision `id`; returns it, if it was known. */
  delete(id: number): HeldDecision | undefined {
    const decision = this.byId.get(id);
    if (decision === undefined) return undefined;
    this.byId.delete(id);
    this.uncount(decision.target);
    return decision;
  }

  private uncount(target: string): void {
    const left = (this.perTarget.get(target) ?? 1) - 1;
    if (left > 0) this.perTarget.set(target, left);
    else this.perTarget.delete(target);
  }

  /** Forgets the decisions that ended by `nowSec`; returns them. */
  dropExpired(nowSec: number): HeldDecision[] {
    const gone: HeldDecision[] = [];
    for (const d of this.byId.values()) if (d.untilSec <= nowSec) gone.push(d);
    for (const d of gone) this.delete(d.id);
    return gone;
  }

  clear(): void {
    this.byId.clear();
    this.perTarget.clear();
  }
}
