/** Holds keyed by source and reason: a jail and another source holding one address side by side. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyRecord,
  type BanState,
  desiredTargets,
  emptyState,
  holdsOf,
  type JournalRecord,
  nextExpiry,
  stateFromJson,
  stateToJson,
} from "../../src/journal/index.ts";

const at = 1_700_000_000_000;
const IP = "192.0.2.7";

function fold(records: JournalRecord[]): BanState {
  const state = emptyState();
  for (const r of records) applyRecord(state, r);
  return state;
}

const jailBan: JournalRecord = { t: "ban", at, jail: "sshd", target: IP, family: "IPv4", expiresAt: null };
const decision: JournalRecord = {
  t: "ban",
  at,
  source: "crowdsec",
  jail: "cscli",
  target: IP,
  family: "IPv4",
  expiresAt: 2_000_000_000,
};

describe("holds by source", () => {
  it("an address held by a jail and by another source stays until both release it", () => {
    const afterJail = fold([jailBan, decision, { t: "unban", at, jail: "sshd", target: IP }]);
    assert.ok(desiredTargets(afterJail, 0).has(IP), "the other source still holds it");
    assert.equal(holdsOf(afterJail.holds.get(IP)).size, 0, "the jail's hold is gone");
    assert.equal(holdsOf(afterJail.holds.get(IP), "crowdsec").get("cscli")?.expiresAt, 2_000_000_000);
    const afterBoth = fold([
      jailBan,
      decision,
      { t: "unban", at, jail: "sshd", target: IP },
      {
        t: "unban",
        at,
        source: "crowdsec",
        jail: "cscli",
        target: IP,
      },
    ]);
    assert.equal(afterBoth.holds.size, 0);
  });

  it("a Fail2ban flush (all jails) never touches another source's holds", () => {
    const state = fold([jailBan, decision, { t: "flush", at }]);
    assert.deepEqual([...desiredTargets(state, 0).keys()], [IP]);
    assert.equal(holdsOf(state.holds.get(IP)).size, 0);
    const flushedOther = fold([jailBan, decision, { t: "flush", at, source: "crowdsec" }]);
    assert.equal(holdsOf(flushedOther.holds.get(IP), "crowdsec").size, 0);
    assert.equal(holdsOf(flushedOther.holds.get(IP)).get("sshd")?.expiresAt, null);
  });

  it("the same reason name in two sources is two holds", () => {
    const state = fold([
      { ...jailBan, jail: "x" },
      { ...decision, jail: "x" },
      { t: "unban", at, jail: "x", target: IP },
    ]);
    assert.ok(desiredTargets(state, 0).has(IP));
  });

  it("expiry counts every source's holds", () => {
    const state = fold([
      { ...jailBan, expiresAt: 100 },
      { ...decision, expiresAt: 50 },
    ]);
    assert.equal(nextExpiry(state, 0), 50);
    assert.ok(desiredTargets(state, 75).has(IP), "the jail holds it until 100");
    assert.ok(!desiredTargets(state, 100).has(IP));
  });

  it("snapshots keep sources (version 2) and read version 1 as Fail2ban's jails", () => {
    const state = fold([jailBan, decision]);
    const back = stateFromJson(JSON.parse(JSON.stringify(stateToJson(state))));
    assert.deepEqual(stateToJson(back), stateToJson(state));
    const v1 = stateFromJson({
      version: 1,
      holds: { [IP]: { family: "IPv4", jails: { sshd: null, nginx: 99 } } },
      applied: {},
    });
    assert.deepEqual([...holdsOf(v1.holds.get(IP)).keys()].sort(), ["nginx", "sshd"]);
    assert.equal(v1.holds.get(IP)?.bySource.size, 1);
  });
});
