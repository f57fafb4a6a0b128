/** The journal: torn lines, idempotent replay (compaction crash-safety), expiry, unsettled deliveries. */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  applyRecord,
  desiredTargets,
  Journal,
  pendingFor,
  stateFromJson,
  stateToJson,
} from "../../src/journal/index.ts";
import { tempDir } from "../support/harness.ts";
import { ban, canon, fold, journalRecord } from "./records.ts";

const at = 1_700_000_000_000;

describe("journal", () => {
  it("ignores a torn last line, and the next append is not glued onto it", () => {
    const { dir, cleanup } = tempDir("f2b-journal");
    try {
      const journal = new Journal(dir);
      journal.append([ban("192.0.2.1", "sshd")]);
      appendFileSync(journal.journalPath, '{"t":"ban","at":1,"jail":"sshd","target":"192.0.2.2","fam');
      const torn = journal.load();
      assert.deepEqual([...desiredTargets(torn.state, 0).keys()], ["192.0.2.1"]);
      assert.equal(torn.records, 1);
      assert.equal(torn.unreadable, 0, "text after the last newline is an unfinished write, not an error");
      journal.append([ban("192.0.2.3", "sshd")]);
      const after = journal.load();
      assert.deepEqual([...desiredTargets(after.state, 0).keys()].sort(), ["192.0.2.1", "192.0.2.3"]);
      assert.equal(after.unreadable, 1, "the torn fragment is now its own (skipped) line");
      assert.ok(readFileSync(journal.journalPath, "utf8").endsWith("\n"));
    } finally {
      cleanup();
    }
  });

  it("compaction crash-safety: snapshot renamed but journal not truncated → same state", () => {
    const { dir, cleanup } = tempDir("f2b-compact");
    try {
      const journal = new Journal(dir);
      journal.append([
        ban("192.0.2.1", "sshd"),
        ban("192.0.2.1", "recidive"),
        ban("2001:db8::1", "sshd"),
        { t: "unban", at, jail: "sshd", target: "192.0.2.1" },
        { t: "sending", at, targets: ["192.0.2.1", "2001:db8::1"] },
        { t: "applied", at, present: ["192.0.2.1"], absent: [] },
        { t: "flush", at, jail: "sshd", family: "IPv6" },
        ban("2001:db8::1", "sshd"),
      ]);
      const before = journal.load().state;
      // The crash: state.json holds the folded state, journal.jsonl still holds every record.
      writeFileSync(journal.snapshotPath, JSON.stringify(stateToJson(before)));
      const replayed = journal.load().state;
      assert.equal(canon(replayed), canon(before));
      // And a completed compaction agrees too.
      journal.compact();
      assert.equal(readFileSync(journal.journalPath, "utf8"), "");
      assert.equal(canon(journal.load().state), canon(before));
    } finally {
      cleanup();
    }
  });

  it("replaying any journal on top of its own result changes nothing (property)", () => {
    fc.assert(
      fc.property(
        fc.array(journalRecord, { maxLength: 40 }),
        fc.array(journalRecord, { maxLength: 10 }),
        (prefix, records) => {
          const snapshot = fold(records, fold(prefix));
          const crashed = fold(records, stateFromJson(JSON.parse(JSON.stringify(stateToJson(snapshot)))));
          assert.equal(canon(crashed), canon(snapshot));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("expiry: a past hold is not desired, a permanent one stays, another jail's live hold keeps it", () => {
    const state = fold([
      ban("192.0.2.1", "sshd", 100),
      ban("192.0.2.2", "sshd", null),
      ban("192.0.2.3", "sshd", 100),
      ban("192.0.2.3", "recidive", 500),
    ]);
    assert.deepEqual([...desiredTargets(state, 200).keys()].sort(), ["192.0.2.2", "192.0.2.3"]);
    assert.deepEqual([...desiredTargets(state, 50).keys()].sort(), ["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    assert.deepEqual([...desiredTargets(state, 10_000).keys()], ["192.0.2.2"]);
    // An expired hold that is believed applied is pending removal.
    applyRecord(state, { t: "applied", at, present: ["192.0.2.1", "192.0.2.2"], absent: [] });
    assert.deepEqual([...pendingFor(state, 200).remove.keys()], ["192.0.2.1"]);
  });

  it("a delivery that died before recording its outcome leaves its targets pending both ways", () => {
    // Died after adding 192.0.2.1 and removing 192.0.2.2 on the firewall, before `applied`.
    const state = fold([
      ban("192.0.2.1", "sshd"),
      ban("192.0.2.2", "sshd"),
      { t: "applied", at, present: ["192.0.2.2"], absent: [] },
      { t: "unban", at, jail: "sshd", target: "192.0.2.2" },
      { t: "sending", at, targets: ["192.0.2.1", "192.0.2.2"] },
    ]);
    // Then 192.0.2.1 is unbanned and 192.0.2.2 banned again: without the `sending` mark the
    // first would stay on the firewall for ever and the second would never come back.
    applyRecord(state, { t: "unban", at, jail: "sshd", target: "192.0.2.1" });
    applyRecord(state, ban("192.0.2.2", "sshd"));
    const pending = pendingFor(state, 0);
    assert.deepEqual([...pending.remove.keys()], ["192.0.2.1"]);
    assert.deepEqual([...pending.add.keys()], ["192.0.2.2"]);
    applyRecord(state, { t: "applied", at, present: ["192.0.2.2"], absent: ["192.0.2.1"] });
    const settled = pendingFor(state, 0);
    assert.equal(settled.add.size + settled.remove.size, 0);
    assert.equal(state.uncertain.size, 0);
  });

  it("a snapshot without the `uncertain` field (older format) still loads", () => {
    const state = stateFromJson({ version: 1, holds: {}, applied: { "192.0.2.1": "IPv4" } });
    assert.equal(state.uncertain.size, 0);
    assert.equal(state.applied.size, 1);
  });

  it("reads only its own records: garbage lines are counted, not fatal", () => {
    const { dir, cleanup } = tempDir("f2b-garbage");
    try {
      const journal = new Journal(dir);
      writeFileSync(
        join(dir, "journal.jsonl"),
        `not json\n{"t":"nope","at":1}\n${JSON.stringify(ban("192.0.2.9", "x"))}\n`,
      );
      const loaded = journal.load();
      assert.equal(loaded.unreadable, 2);
      assert.equal(loaded.records, 1);
    } finally {
      cleanup();
    }
  });
});
