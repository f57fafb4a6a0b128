/**
 * A delta is worked out for the holds it touches alone when max_decisions cuts nothing
 * (source.ts): after any sequence of deltas (new, replaced and deleted decisions, several
 * origins per address, expiry, the cap starting and stopping to cut), the journal holds exactly
 * what the full comparison asks for. A scripted stream from a local HTTP server stands in for
 * the LAPI, with the clock under the test's control.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import type { CrowdsecConfig } from "../../src/config/types.ts";
import { Journal } from "../../src/journal/index.ts";
import {
  CROWDSEC_SOURCE,
  CrowdsecSource,
  desiredHolds,
  type HeldDecision,
  holdKey,
  isLocalOrigin,
} from "../../src/sources/crowdsec/index.ts";
import { tempDir } from "../config/helpers.ts";

interface Decision {
  id: number;
  value: string;
  origin: string;
  untilMs: number;
}

/** The LAPI's stream: the whole list at startup, otherwise what was queued since the last call. */
function fakeLapi(now: () => number) {
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
  const server = createServer((req, res) => {
    const startup = new URL(req.url!, "http://x").searchParams.get("startup") === "true";
    const body = startup
      ? { new: [...active.values()].map(wire), deleted: null }
      : { new: queued.new.map(wire), deleted: queued.deleted.map(wire) };
    queued = { new: [], deleted: [] };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  return {
    server,
    active,
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

const servers: { close(): void }[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function run(seed: number, maxDecisions: number): Promise<void> {
  let nowMs = 1_800_000_000_000;
  const now = () => nowMs;
  const lapi = fakeLapi(now);
  servers.push(lapi.server);
  await new Promise<void>((resolve) => lapi.server.listen(0, "127.0.0.1", resolve));
  const config: CrowdsecConfig = {
    lapiUrl: `http://127.0.0.1:${(lapi.server.address() as AddressInfo).port}`,
    apiKey: "k",
    apiKeyFile: "/k",
    pollIntervalMs: 10_000,
    origins: [],
    scenariosContaining: [],
    scenariosNotContaining: [],
    minDurationMs: 0,
    maxDecisions,
    onlyBanType: true,
    requestTimeoutMs: 3000,
  };
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
  const first = await source.pollOnce();
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
    const report = await source.pollOnce();
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
  it("holds what the decisions ask for when the cap cuts nothing", async () => {
    for (const seed of [3, 6, 9, 11]) await run(seed, 1000);
  });

  it("and while the cap starts and stops cutting", async () => {
    for (const seed of [4, 5, 6, 7]) await run(seed, 20);
  });
});
