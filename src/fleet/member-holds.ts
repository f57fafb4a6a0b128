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

export function memberHoldsOf(state: BanState, nowSeconds: number): MemberHolds {
  const holds: MemberHolds = new Map();
  for (const [target, entry] of state.holds) {
    for (const [source, reasons] of entry.bySource) {
      // A hold that came from the fleet is not this member's own (a pusher's mirror never
      // lives in a member journal, but be safe against forwarding it back).
      if (source.startsWith("fleet:")) continue;
      for (const [reason, hold] of reasons) {
        if (hold.expiresAt !== null && hold.expiresAt <= nowSeconds) continue;
        const value: HoldValue = { f: entry.family, e: hold.expiresAt };
        holds.set(holdField(target, source, reason), JSON.stringify(value));
      }
    }
  }
  return holds;
}

/** The latest expiry among the holds (null when one is permanent, 0 when there are none). */
export function latestExpiry(holds: MemberHolds): number | null {
  let until = 0;
  for (const text of holds.values()) {
    const value = parseHoldValue(text);
    if (!value) continue;
    if (value.e === null) return null;
    until = Math.max(until, value.e);
  }
  return until;
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
