/** Journal records for the journal's tests: a ban helper, a fold, an order-free form, and an arbitrary record. */
import fc from "fast-check";
import {
  applyRecord,
  type BanState,
  emptyState,
  type JournalRecord,
  stateToJson,
} from "../../src/journal/index.ts";

export const at = 1_700_000_000_000;

export const ban = (target: string, jail: string, expiresAt: number | null = null): JournalRecord => ({
  t: "ban",
  at,
  jail,
  target,
  family: target.includes(":") ? "IPv6" : "IPv4",
  expiresAt,
});

export function fold(records: JournalRecord[], start: BanState = emptyState()): BanState {
  for (const r of records) applyRecord(start, r);
  return start;
}

/** Order-free form of a state (Map insertion order is not part of its meaning). */
export const canon = (s: BanState) =>
  JSON.stringify(stateToJson(s), (_k, v) => {
    if (Array.isArray(v)) return [...v].sort();
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    return v;
  });

const target = fc.constantFrom("192.0.2.1", "192.0.2.2", "198.51.100.0/24", "2001:db8::1", "2001:db8::/64");
const jail = fc.constantFrom("a", "b", "c");
const source = fc.constantFrom(undefined, "crowdsec");

/** Any record, of either source, with expiries between 0 and 10 (epoch seconds). */
export const journalRecord: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc
    .record({ target, jail, source, exp: fc.option(fc.integer({ min: 0, max: 10 })) })
    .map((r) => ({ ...ban(r.target, r.jail, r.exp), ...(r.source ? { source: r.source } : {}) })),
  fc.record({ target, jail, source }).map((r) => ({
    t: "unban" as const,
    at,
    target: r.target,
    jail: r.jail,
    ...(r.source ? { source: r.source } : {}),
  })),
  fc.record(
    {
      t: fc.constant("flush" as const),
      at: fc.constant(at),
      jail,
      family: fc.constantFrom("IPv4" as const, "IPv6" as const),
    },
    { requiredKeys: ["t", "at"] },
  ),
  fc.record({
    t: fc.constant("applied" as const),
    at: fc.constant(at),
    present: fc.array(target),
    absent: fc.array(target),
  }),
  fc.record({ t: fc.constant("sending" as const), at: fc.constant(at), targets: fc.array(target) }),
);
