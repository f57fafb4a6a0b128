/**
 * What a member forwards: its own live holds, read from its journal, as the fields and values
 * of its Redis hash. Expired holds are left out (the pusher would ignore them anyway).
 */
import type { IpFamily } from "../address/index.ts";
import type { BanState } from "../journal/index.ts";
import { holdField, parseHoldField } from "./keys.ts";

export interface HoldValue {
  f: IpFamily;
  /** Epoch seconds; null = until unbanned. */
  e: number | null;
}

/** Field → JSON value, as stored. */
export type MemberHolds = Map<string, string>;

export interface MemberHoldsView {
  holds: MemberHolds;
  /** The latest expiry among the holds (s): null when one is permanent, 0 when there are none. */
  until: number | null;
  /** The earliest expiry (s; Infinity when none ends): until then the holds stay as they are. */
  nextExpiry: number;
}

export function memberHoldsOf(state: BanState, nowSeconds: number): MemberHoldsView {
  const holds: MemberHolds = new Map();
  let until: number | null = 0;
  let nextExpiry = Number.POSITIVE_INFINITY;
  for (const [target, entry] of state.holds) {
    for (const [source, reasons] of entry.bySource) {
      // A hold that came from the fleet is not this member's own (a pusher's mirror never
      // lives in a member journal, but be safe against forwarding it back).
      if (source.startsWith("fleet:")) continue;
      for (const [reason, hold] of reasons) {
        const e = hold.expiresAt;
        if (e !== null && e <= nowSeconds) continue;
        if (e === null) until = null;
        else {
          if (until !== null) until = Math.max(until, e);
          nextExpiry = Math.min(nextExpiry, e);
        }
        const value: HoldValue = { f: entry.family, e };
        holds.set(holdField(target, source, reason), JSON.stringify(value));
      }
    }
  }
  return { holds, until, nextExpiry };
}

export function parseHoldValue(text: string): HoldValue | undefined {
  try {
    const value = JSON.parse(text) as HoldValue;
    if ((value.f === "IPv4" || value.f === "IPv6") && (value.e === null || typeof value.e === "number")) {
      return value;
    }
  } catch {
    // An unreadable value is skipped: someone else's writing, not ours.
  }
  return undefined;
}

export { parseHoldField };
