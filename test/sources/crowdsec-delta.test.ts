/**
 * A delta is worked out for the holds it touches alone when max_decisions cuts nothing
 * (source.ts): after any sequence of deltas (new, replaced and deleted decisions, several
 * origins per address, expiry, the cap starting and stopping to cut), the journal holds exactly
 * what the full comparison asks for. The steps span half an hour of decisions that end and
 * are replaced, on a clock under the test's control, which a real LAPI's cannot be: so the
 * stream's answers are written here, in the LAPI's JSON (as measured with CrowdSec 1.4.6, see
 * crowdsec-lapi.test.ts for the real one), read by the real parser and handed to the source's
 * own step after a pull (`take`). No server stands in for the LAPI.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Journal } from "../../src/journal/index.ts";
import {
  CROWDSEC_SOURCE,
  CrowdsecSource,
  desiredHolds,
  type HeldDecision,
  holdKey,
  isLocalOrigin,
  parseStreamBody,
  type StreamAnswer,
} from "../../src/sources/crowdsec/index.ts";
import { tempDir } from "../config/helpers.ts";
import { sourceConfig } from "../support/crowdsec.ts";

interface Decision {
  id: number;
  value: string;
  origin: string;
  untilMs: number;
}

/** The stream's answers: the whole list at startup, otherwise what was queued since the last one. */
function decisionStream(now: () => number) {
  const active = new Map<number, Decision>();
  let queued = { new: [] as Decision[], deleted: [] as Decision[] };
  const wire = (d: Decision) => ({
    id: d.id,
    origin: d.origin,
    type: "ban",
    scope: "Ip",
    value: d.value,
    duration: `${Math.round((d.untilMs - now()) / 1000)}s`,
    scenario: "test",
    simulated: false,
    until: "",
  });
  return {
    active,
    answer(startup: boolean): StreamAnswer {
      const body = startup
        ? { new: [...active.values()].map(wire), deleted: null }
        : { new: queued.new.map(wire), deleted: queued.deleted.map(wire) };
      queued = { new: [], deleted: [] };
      const parsed = parseStreamBody(JSON.stringify(body));
      assert.ok(!("problem" in parsed), JSON.stringify(parsed));
      return parsed;
    },
    add(d: Decision) {
      active.set(d.id, d);
      queued.new.push(d);
    },
    /** A decision sent before this step (the stream reports deletions before additions). */
    remove(id: number) {
      const d = active.get(id);
      if (!d || queued.new.some((q) => q.id === id)) return;
      active.delete(id);
      queued.deleted.push(d);
    },
  };
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x % n;
  };
}

function run(seed: number, maxDecisions: number): void {
  let nowMs = 1_800_000_000_000;
  const now = () => nowMs;
  const lapi = decisionStream(now);
  const config = sourceConfig("http://127.0.0.1:8080", "k", { maxDecisions });
  const journal = new Journal(tempDir());
  const source = new CrowdsecSource({ config, journal, log: () => {}, now });
  const pick = random(seed);
  const origins = ["cscli", "crowdsec", "CAPI", "lists"];
  let nextId = 1;
  const decide = (id = nextId++) =>
    lapi.add({
      id,
      value: `192.0.2.${1 + pick(30)}`,
      origin: origins[pick(origins.length)]!,
      // Ends often within the diff's 30 s tolerance of each other: a hold then outlives the
      // decision it was written for, and may run out before the one that still asks for it.
      untilMs: nowMs + (60 + 15 * pick(40)) * 1000,
    });
  for (let i = 0; i < 20; i++) decide();
  const first = source.take(lapi.answer(true), true);
  assert.equal(first.error, undefined);
  for (let step = 0; step < 80; step++) {
    // Short steps: a hold that ran out while a decision still asks for it is seen before that
    // decision ends too (seeds 3, 6, 9 and 11 catch a delta that forgets such holds).
    nowMs += pick(40) * 1000;
    // Every step changes something: an unchanged poll leaves the holds alone by design.
    for (let k = 1 + pick(3); k > 0; k--) decide();
    if (pick(3) === 0 && lapi.active.size > 0) {
      const ids = [...lapi.active.keys()];
      decide(ids[pick(ids.length)]!);
    }
    for (let k = pick(3); k > 0 && lapi.active.size > 0; k--) {
      const ids = [...lapi.active.keys()];
      lapi.remove(ids[pick(ids.length)]!);
    }
    const report = source.take(lapi.answer(false), false);
    assert.equal(report.error, undefined);
    const nowSec = nowMs / 1000;
    const asked: HeldDecision[] = [...lapi.active.values()].map((d) => ({
      id: d.id,
      target: d.value,
      family: "IPv4",
      reason: d.origin,
      untilSec: Math.ceil(d.untilMs / 1000),
      local: isLocalOrigin(d.origin),
    }));
    const want = desiredHolds(asked, maxDecisions, nowSec);
    const have = new Map<string, number | null>();
    for (const [target, entry] of journal.load().state.holds) {
      for (const [reason, { expiresAt }] of entry.bySource.get(CROWDSEC_SOURCE) ?? []) {
        if (expiresAt === null || expiresAt > nowSec) have.set(holdKey(target, reason), expiresAt);
      }
    }
    const where = `seed ${seed}, max ${maxDecisions}, step ${step}`;
    assert.deepEqual([...have.keys()].sort(), [...want.holds.keys()].sort(), where);
    for (const [key, hold] of want.holds) {
      assert.ok(Math.abs((have.get(key) as number) - hold.expiresAt) <= 30, `${where}: ${key}`);
    }
  }
}

describe("a CrowdSec delta against the full comparison", () => {
  it("holds what the decisions ask for when the cap cuts nothing", () => {
    for (const seed of [3, 6, 9, 11]) run(seed, 1000);
  });

  it("and while the cap starts and stops cutting", () => {
    for (const seed of [4, 5, 6, 7]) run(seed, 20);
  });
});
