/**
 * The journal records that make CrowdSec's holds equal to what the decisions ask for: a hold
 * for each new (address, origin), a new expiry when a decision was extended or shortened, and a
 * release for each hold no decision asks for any more. Only CrowdSec's holds are looked at;
 * a jail's hold on the same address is never touched.
 */
import type { BanState, JournalRecord } from "../../journal/index.ts";
import { CROWDSEC_SOURCE, type DesiredHolds, holdKey } from "./decisions.ts";

/**
 * The LAPI reports time left, so one decision's end moves by a few milliseconds from one pull
 * to the next; rewriting the hold for that would rewrite every hold at every full pull.
 */
const EXPIRY_TOLERANCE_SEC = 30;

/** CrowdSec's holds as the source keeps them between pulls: holdKey → expiry (epoch s, null = permanent). */
export type HeldByKey = Map<string, number | null>;

/** CrowdSec's holds in a journal state. */
export function crowdsecHolds(state: BanState): HeldByKey {
  const out: HeldByKey = new Map();
  for (const [target, entry] of state.holds) {
    for (const [reason, hold] of entry.bySource.get(CROWDSEC_SOURCE) ?? [])
      out.set(holdKey(target, reason), hold.expiresAt);
  }
  return out;
}

export interface HoldDiff {
  records: JournalRecord[];
  held: number;
  released: number;
  extended: number;
}

/**
 * `only`: the diff is known to be empty outside these keys (a delta: see source.ts); `desired`
 * then needs to hold only those keys, and the rest of `current` is not looked at.
 */
export function diffHolds(
  current: HeldByKey,
  desired: Pick<DesiredHolds, "holds">,
  nowSec: number,
  atMs: number,
  only?: ReadonlySet<string>,
): HoldDiff {
  const diff: HoldDiff = { records: [], held: 0, released: 0, extended: 0 };
  const isLive = (expiresAt: number | null | undefined) =>
    expiresAt !== undefined && (expiresAt === null || expiresAt > nowSec);
  for (const [key, { target, family, reason, expiresAt }] of desired.holds) {
    const held = current.get(key);
    const live = isLive(held);
    if (live && held !== null && held !== undefined && Math.abs(held - expiresAt) <= EXPIRY_TOLERANCE_SEC)
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
  for (const key of only ?? current.keys()) {
    const expiresAt = current.get(key);
    // An expired hold no longer blocks anything and the next compaction drops it.
    if (!isLive(expiresAt) || desired.holds.has(key)) continue;
    const cut = key.indexOf("\n");
    diff.records.push({
      t: "unban",
      at: atMs,
      source: CROWDSEC_SOURCE,
      jail: key.slice(cut + 1),
      target: key.slice(0, cut),
    });
    diff.released++;
  }
  return diff;
}

/** Applies journaled records to the source's own view, so deltas need not reload the journal. */
export function applyToHeld(current: HeldByKey, records: readonly JournalRecord[], nowSec: number): void {
  for (const r of records) {
    if (r.t === "ban") current.set(holdKey(r.target, r.jail), r.expiresAt);
    else if (r.t === "unban") current.delete(holdKey(r.target, r.jail));
  }
  for (const [key, expiresAt] of current) if (expiresAt !== null && expiresAt <= nowSec) current.delete(key);
}
