/**
 * When the pusher mirrors a changed union. Members forward a simultaneous wave at their own
 * ticks, so the union's version moves several times within a few hundred milliseconds; mirroring
 * each step would start a push per step (the agent's quiet window sees each mirror as a change
 * of its own). So the pusher mirrors once the version has stood still for `quietMs`, and never
 * later than `maxDelayMs` after the first change it saw, so a steady stream still flushes at the
 * agent's own pace (one mirror, then one push, per max delay).
 */
export class UnionSettle {
  private version: string | undefined;
  private changedAt = 0;
  private firstChangeAt: number | undefined;

  constructor(
    private readonly quietMs: number,
    private readonly maxDelayMs: number,
  ) {}

  /** Notes the version read now; true = mirror now. */
  ready(version: string, now: number): boolean {
    this.firstChangeAt ??= now;
    if (version !== this.version) {
      this.version = version;
      this.changedAt = now;
    }
    return now - this.changedAt >= this.quietMs || now - this.firstChangeAt >= this.maxDelayMs;
  }

  /** After a mirror (or a new pusher): the next change starts a new window. */
  reset(): void {
    this.firstChangeAt = undefined;
  }

  /** Epoch ms at which `ready` turns true if nothing changes meanwhile (for the loop's sleep). */
  dueAt(): number | undefined {
    if (this.firstChangeAt === undefined) return undefined;
    return Math.min(this.changedAt + this.quietMs, this.firstChangeAt + this.maxDelayMs);
  }
}
