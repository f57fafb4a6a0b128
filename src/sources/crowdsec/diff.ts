/**
 * The journal records that make CrowdSec's holds equal to what the decisions ask for: a hold
 * for each new (address, origin), a new expiry when a decision was extended or shortened, and a
 * release for each hold no decision asks for any more. Only CrowdSec's holds are looked at;
 * a jail's hold on the same address is never touched.
 */
import type { BanState, JournalRecord } from "../../journal/index.ts";
import { CROWDSEC_SOURCE, type DesiredHolds } from "./decisions.ts";

/**
 * The LAPI reports time left, so one decision's end moves by a few milliseconds from one pull
 * to the next; rewriting the hold for that would rewrite every hold at every full pull.
 */
const EXPIRY_TOLERANCE_SEC = 30;

export interface HoldDiff {
  records: JournalRecord[];
  held: number;
  released: number;
  extended: number;
}

export function diffHolds(state: BanState, desired: DesiredHolds, nowSec: number, atMs: number): HoldDiff {
  const diff: HoldDiff = { records: [], held: 0, released: 0, extended: 0 };
  for (const [target, { family, reasons }] of desired.holds) {
    const current = state.holds.get(target)?.bySource.get(CROWDSEC_SOURCE);
    for (const [reason, expiresAt] of reasons) {
      const hold = current?.get(reason);
      const live = hold !== undefined && (hold.expiresAt === null || hold.expiresAt > nowSec);
      if (live && hold.expiresAt !== null && Math.abs(hold.expiresAt - expiresAt) <= EXPIRY_TOLERANCE_SEC)
        continue;
      diff.records.push({
        t: "ban",
        at: atMs,
        source: CROWDSEC_SOURCE,
        jail: reason,
        target,
        family,
        expiresAt,
      });
      if (live) diff.extended++;
      else diff.held++;
    }
  }
  for (const [target, entry] of state.holds) {
    const reasons = entry.bySource.get(CROWDSEC_SOURCE);
    if (!reasons) continue;
    const wanted = desired.holds.get(target)?.reasons;
    for (const [reason, hold] of reasons) {
      // An expired hold no longer blocks anything and the next compaction drops it.
      if (hold.expiresAt !== null && hold.expiresAt <= nowSec) continue;
      if (wanted?.has(reason)) continue;
      diff.records.push({ t: "unban", at: atMs, source: CROWDSEC_SOURCE, jail: reason, target });
      diff.released++;
    }
  }
  return diff;
}
