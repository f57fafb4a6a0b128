/**
 * The journal's in-memory view: a long-lived Journal reads only what was appended since its
 * last load, and must always agree with a fresh full replay, whatever other processes (another
 * Journal on the same directory) append, compact or leave half-written in between.
 */
import assert from "node:assert/strict";
import { appendFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Journal, pendingCounts, pendingFor, stateToJson } from "../../src/journal/index.ts";
import { tempDir } from "../support/harness.ts";
import { ban, canon, fold, journalRecord } from "./records.ts";

type Step =
  | { do: "append"; by: "follower" | "other"; records: Parameters<Journal["append"]>[0] }
  | { do: "compact"; by: "follower" | "other" }
  | { do: "torn" }
  | { do: "replace-journal" }
  | { do: "load" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      do: fc.constant("append" as const),
      by: fc.constantFrom("follower" as const, "other" as const),
      records: fc.array(journalRecord, { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant("compact" as const),
      by: fc.constantFrom("follower" as const, "other" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ do: "torn" as const }) },
  { weight: 1, arbitrary: fc.constant({ do: "replace-journal" as const }) },
  { weight: 3, arbitrary: fc.constant({ do: "load" as const }) },
);

describe("journal view", () => {
  it("a long-lived journal agrees with a fresh replay after any appends, compactions and torn writes (property)", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.integer({ min: 0, max: 12 }), (steps, now) => {
        const { dir, cleanup } = tempDir("f2b-view");
        try {
          const follower = new Journal(dir);
          const other = new Journal(dir);
          const by = (who: "follower" | "other") => (who === "follower" ? follower : other);
          for (const s of steps) {
            if (s.do === "append") by(s.by).append(s.records);
            else if (s.do === "compact") by(s.by).compact();
            else if (s.do === "torn")
              appendFileSync(follower.journalPath, '{"t":"ban","at":1,"jail":"x","tar');
            else if (s.do === "replace-journal") {
              // An operator's copy put in place: a new file with the same content.
              const copy = `${follower.journalPath}.copy`;
              writeFileSync(copy, "");
              renameSync(copy, follower.journalPath);
            }
            const seen = follower.load();
            const fresh = new Journal(dir).load();
            assert.equal(canon(seen.state), canon(fresh.state));
            assert.equal(seen.records, fresh.records);
            assert.equal(seen.unreadable, fresh.unreadable);
            const counts = pendingCounts(seen.state, now);
            const full = pendingFor(seen.state, now);
            assert.deepEqual(counts, { add: full.add.size, remove: full.remove.size });
          }
        } finally {
          cleanup();
        }
      }),
      { numRuns: 150 },
    );
  });

  it("an append of tens of thousands of records (a full CrowdSec pull) reads back whole, in slices", () => {
    const { dir, cleanup } = tempDir("f2b-view-large");
    try {
      const follower = new Journal(dir);
      follower.load();
      // Varied lengths, so slice boundaries (1 MiB) fall inside lines, not only between them.
      const records = Array.from({ length: 30_000 }, (_, i) =>
        ban(`2001:db8::${i.toString(16)}`, `jail-${"x".repeat(i % 37)}`, 1_900_000_000 + i),
      );
      new Journal(dir).append(records);
      assert.ok(statSync(follower.journalPath).size > 3 * (1 << 20), "the append spans several slices");
      const torn = '{"t":"ban","at":1,"jail":"x","tar';
      appendFileSync(follower.journalPath, torn);
      const expected = canon(fold(records));
      const seen = follower.load();
      assert.equal(seen.records, records.length);
      assert.equal(seen.unreadable, 0, "the torn line is not read yet");
      assert.equal(canon(seen.state), expected);
      assert.equal(canon(new Journal(dir).load().state), expected);
      // The torn write is completed later: it is read once, whole.
      appendFileSync(follower.journalPath, 'get":"192.0.2.1","family":"IPv4","expiresAt":null}\n');
      assert.equal(follower.load().records, records.length + 1);
    } finally {
      cleanup();
    }
  });

  it("reads the snapshot again when another process replaced it, and when it is gone", () => {
    const { dir, cleanup } = tempDir("f2b-view-snap");
    try {
      const journal = new Journal(dir);
      journal.append([
        { t: "ban", at: 1, jail: "sshd", target: "192.0.2.1", family: "IPv4", expiresAt: null },
      ]);
      journal.compact();
      assert.equal(journal.load().state.holds.size, 1);
      const other = new Journal(dir);
      other.append([{ t: "ban", at: 1, jail: "sshd", target: "192.0.2.2", family: "IPv4", expiresAt: null }]);
      other.compact();
      assert.deepEqual([...journal.load().state.holds.keys()].sort(), ["192.0.2.1", "192.0.2.2"]);
      rmSync(journal.snapshotPath);
      assert.equal(journal.load().state.holds.size, 0);
      assert.equal(JSON.stringify(stateToJson(journal.load().state).holds), "{}");
    } finally {
      cleanup();
    }
  });
});
