/**
 * The CrowdSec source's own logic, without a LAPI: Go durations, the strict stream reader, which
 * decisions become which holds (filters, cap order), the diff against the journal, and the
 * config section. The LAPI itself is exercised in crowdsec-lapi.test.ts.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors/index.ts";
import { applyRecord, emptyState, type JournalRecord } from "../../src/journal/index.ts";
import {
  crowdsecHolds,
  desiredHolds,
  diffHolds,
  type HeldDecision,
  holdKey,
  judge,
  type LapiDecision,
  parseGoDuration,
  parseStreamBody,
} from "../../src/sources/crowdsec/index.ts";
import { tempDir, writeConfig } from "../config/helpers.ts";
import { sourceConfig } from "../support/crowdsec.ts";

/** Every filter off (the judge looks at the filters only). */
const FILTERS = sourceConfig("http://127.0.0.1:8080", "k");

function decision(overrides: Partial<LapiDecision> = {}): LapiDecision {
  return {
    id: 1,
    origin: "cscli",
    scenario: "manual 'ban' from 'local'",
    scope: "Ip",
    type: "ban",
    value: "192.0.2.1",
    duration: "1h",
    ...overrides,
  };
}

const NOW = 1_800_000_000_000;
const never = () => false;

describe("Go durations", () => {
  it("reads what the LAPI writes", () => {
    assert.equal(parseGoDuration("1h59m58.85s"), 7_198_850);
    assert.equal(parseGoDuration("59m59.505734171s"), 3_599_505.734171);
    assert.equal(parseGoDuration("-9.786707ms"), -9.786707);
    assert.equal(parseGoDuration("0s"), 0);
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("1.5h"), 5_400_000);
    assert.equal(parseGoDuration("300us"), 0.3);
    assert.equal(parseGoDuration("10µs"), 0.01);
  });
  it("refuses anything else", () => {
    for (const bad of ["", "10", "h", "1d", "1h 2m", "1hh", "--1s", "1.2.3s", " 1s", "1s "]) {
      assert.equal(parseGoDuration(bad), undefined, bad);
    }
  });
});

describe("the stream answer", () => {
  it("reads new and deleted, null as empty", () => {
    const answer = parseStreamBody(JSON.stringify({ new: [decision()], deleted: null }));
    assert.ok(!("problem" in answer));
    assert.equal(answer.new.length, 1);
    assert.equal(answer.deleted.length, 0);
  });
  it("refuses an empty, garbled or wrongly shaped body as a whole", () => {
    for (const body of [
      "",
      "  ",
      "<html>",
      "null",
      "[]",
      '{"new":[]}',
      '{"new":5,"deleted":null}',
      '{"new":[],"deleted":"x"}',
    ]) {
      assert.ok("problem" in parseStreamBody(body), body);
    }
  });
  it("skips and counts a decision without the fields we need", () => {
    const answer = parseStreamBody(JSON.stringify({ new: [decision(), { id: "x" }, null], deleted: [] }));
    assert.ok(!("problem" in answer));
    assert.equal(answer.new.length, 1);
    assert.equal(answer.malformed, 2);
  });
});

describe("which decisions become holds", () => {
  it("an Ip and a Range (IPv4 and IPv6) become canonical targets with the origin as reason", () => {
    const v4 = judge(decision({ value: "192.0.2.1" }), NOW, FILTERS, never);
    const range6 = judge(decision({ scope: "Range", value: "2001:DB8:0:0::/48" }), NOW, FILTERS, never);
    const range4 = judge(decision({ scope: "Range", value: "198.51.100.7/24" }), NOW, FILTERS, never);
    assert.ok("held" in v4 && "held" in range6 && "held" in range4);
    assert.equal(v4.held.target, "192.0.2.1");
    assert.equal(v4.held.reason, "cscli");
    assert.equal(v4.held.untilSec, NOW / 1000 + 3600);
    assert.equal(range6.held.target, "2001:db8::/48");
    assert.equal(range6.held.family, "IPv6");
    assert.equal(range4.held.target, "198.51.100.0/24");
  });
  it("other types and scopes are ignored and say why", () => {
    const captcha = judge(decision({ type: "captcha" }), NOW, FILTERS, never);
    assert.deepEqual(captcha, { ignored: "type", detail: "captcha" });
    assert.ok("held" in judge(decision({ type: "captcha" }), NOW, { ...FILTERS, onlyBanType: false }, never));
    assert.deepEqual(judge(decision({ scope: "Country", value: "FR" }), NOW, FILTERS, never), {
      ignored: "scope",
      detail: "Country",
    });
  });
  it("policy refuses loopback and too-wide ranges; a spent or unreadable duration is not held", () => {
    assert.equal(
      (judge(decision({ value: "127.0.0.1" }), NOW, FILTERS, never) as { ignored: string }).ignored,
      "refused",
    );
    assert.equal(
      (judge(decision({ scope: "Range", value: "0.0.0.0/0" }), NOW, FILTERS, never) as { ignored: string })
        .ignored,
      "refused",
    );
    assert.equal(
      (judge(decision({ duration: "-1s" }), NOW, FILTERS, never) as { ignored: string }).ignored,
      "expired",
    );
    assert.equal(
      (judge(decision({ duration: "soon" }), NOW, FILTERS, never) as { ignored: string }).ignored,
      "expired",
    );
  });
  it("origin and scenario filters, and min_duration for new decisions only", () => {
    const f = { ...FILTERS, origins: ["crowdsec"] };
    assert.equal((judge(decision(), NOW, f, never) as { ignored: string }).ignored, "filtered");
    const ssh = { ...FILTERS, scenariosContaining: ["SSH"] };
    assert.ok("held" in judge(decision({ scenario: "crowdsecurity/ssh-bf" }), NOW, ssh, never));
    assert.ok("ignored" in judge(decision({ scenario: "crowdsecurity/http-probing" }), NOW, ssh, never));
    const notHttp = { ...FILTERS, scenariosNotContaining: ["http"] };
    assert.ok("ignored" in judge(decision({ scenario: "crowdsecurity/http-probing" }), NOW, notHttp, never));
    const long = { ...FILTERS, minDurationMs: 2 * 3600_000 };
    assert.equal((judge(decision(), NOW, long, never) as { ignored: string }).ignored, "short");
    // Already held: kept until its end rather than released at its last two hours.
    assert.ok("held" in judge(decision(), NOW, long, () => true));
  });
});

function held(target: string, reason: string, untilSec: number, local = true): HeldDecision {
  return {
    id: Math.random(),
    target,
    family: target.includes(":") ? "IPv6" : "IPv4",
    reason,
    untilSec,
    local,
  };
}

describe("max_decisions", () => {
  it("keeps local origins first, then the longest time left, and counts addresses left out", () => {
    const decisions = [
      held("198.51.100.1", "lists", 9000, false),
      held("198.51.100.2", "lists", 5000, false),
      held("192.0.2.1", "cscli", 2000),
      held("192.0.2.2", "crowdsec", 3000),
      held("192.0.2.2", "cscli", 4000),
    ];
    const { holds, leftOut, addresses } = desiredHolds(decisions, 3, 1000);
    assert.deepEqual([...new Set([...holds.values()].map((h) => h.target))].sort(), [
      "192.0.2.1",
      "192.0.2.2",
      "198.51.100.1",
    ]);
    assert.equal(holds.get(holdKey("192.0.2.2", "crowdsec"))?.expiresAt, 3000);
    assert.equal(holds.get(holdKey("192.0.2.2", "cscli"))?.expiresAt, 4000);
    assert.equal(addresses, 3);
    assert.equal(leftOut, 1);
  });
  it("two decisions of one origin on one address are one hold until the later end; spent ones drop", () => {
    const { holds } = desiredHolds(
      [held("192.0.2.1", "cscli", 2000), held("192.0.2.1", "cscli", 5000), held("192.0.2.9", "cscli", 500)],
      10,
      1000,
    );
    assert.deepEqual([...holds.keys()], [holdKey("192.0.2.1", "cscli")]);
    assert.equal(holds.get(holdKey("192.0.2.1", "cscli"))?.expiresAt, 5000);
  });
});

describe("the diff against the journal", () => {
  const at = NOW;
  const fold = (records: JournalRecord[]) => {
    const state = emptyState();
    for (const r of records) applyRecord(state, r);
    return state;
  };
  const ban = (target: string, reason: string, expiresAt: number, source = "crowdsec"): JournalRecord => ({
    t: "ban",
    at,
    source,
    jail: reason,
    target,
    family: "IPv4",
    expiresAt,
  });

  it("writes new holds, moves expiries beyond the tolerance, releases what no decision asks for", () => {
    const state = fold([
      ban("192.0.2.1", "cscli", 2000),
      ban("192.0.2.2", "cscli", 2000),
      ban("192.0.2.3", "cscli", 2000),
      ban("192.0.2.4", "cscli", 900),
    ]);
    const desired = desiredHolds(
      [held("192.0.2.1", "cscli", 2010), held("192.0.2.2", "cscli", 9000), held("192.0.2.5", "lists", 3000)],
      100,
      1000,
    );
    const diff = diffHolds(crowdsecHolds(state), desired, 1000, at);
    assert.equal(diff.held, 1, "192.0.2.5 is new");
    assert.equal(diff.extended, 1, "192.0.2.2 lasts longer; 192.0.2.1 moved by 10 s only");
    assert.equal(diff.released, 1, "192.0.2.3 is gone; 192.0.2.4 expired on its own");
    assert.deepEqual(
      diff.records.filter((r) => r.t === "unban").map((r) => (r as { target: string }).target),
      ["192.0.2.3"],
    );
  });

  it("never touches a jail's hold on the same address", () => {
    const state = fold([ban("192.0.2.1", "sshd", 5000, "fail2ban"), ban("192.0.2.1", "cscli", 5000)]);
    const diff = diffHolds(crowdsecHolds(state), desiredHolds([], 100, 1000), 1000, at);
    assert.equal(diff.records.length, 1);
    const after = fold([
      ban("192.0.2.1", "sshd", 5000, "fail2ban"),
      ban("192.0.2.1", "cscli", 5000),
      ...diff.records,
    ]);
    assert.deepEqual([...(after.holds.get("192.0.2.1")?.bySource.keys() ?? [])], ["fail2ban"]);
  });
});

describe("the crowdsec config section", () => {
  const dir = tempDir();
  const base = { url: "https://fw.example:4444", user: "apiuser", pass: "pw-1234" };
  const KEY = "b0uncer-key-marker-0123456789";
  const keyFile = join(dir, "crowdsec.key");
  writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });

  async function problemsOf(section: unknown): Promise<string[]> {
    const path = writeConfig(
      dir,
      { ...base, crowdsec: section },
      `c${Math.random().toString(36).slice(2)}.json`,
    );
    try {
      await loadConfig({ path, env: {} });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      for (const p of error.problems) assert.ok(!p.includes(KEY), "the key never shows");
      return error.problems;
    }
    assert.fail("expected a ConfigError");
  }

  it("fills in defaults and reads the key", async () => {
    const path = writeConfig(
      dir,
      { ...base, crowdsec: { lapi_url: "http://127.0.0.1:8080/", api_key_file: keyFile } },
      "ok.json",
    );
    const { config } = await loadConfig({ path, env: {} });
    assert.equal(config.crowdsec?.apiKey, KEY);
    assert.equal(config.crowdsec?.lapiUrl, "http://127.0.0.1:8080");
    assert.equal(config.crowdsec?.pollIntervalMs, 10_000);
    assert.equal(config.crowdsec?.maxDecisions, 1000, "the hosts layout's default");
    assert.equal(config.crowdsec?.onlyBanType, true);
    const iplist = writeConfig(
      dir,
      {
        ...base,
        layout: "iplist",
        crowdsec: { lapi_url: "http://127.0.0.1:8080", api_key_file: keyFile, poll_interval: "1m30s" },
      },
      "iplist.json",
    );
    const loaded = (await loadConfig({ path: iplist, env: {} })).config.crowdsec;
    assert.equal(loaded?.maxDecisions, 100_000);
    assert.equal(loaded?.pollIntervalMs, 90_000);
  });

  it("says which key is wrong, inside the section", async () => {
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080" })).join("\n"),
      /"crowdsec\.api_key_file": is missing/,
    );
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: keyFile, pol_interval: "1s" })).join("\n"),
      /"crowdsec\.pol_interval": is not a key/,
    );
    assert.match(
      (await problemsOf({ lapi_url: "x:8080", api_key_file: keyFile })).join("\n"),
      /"crowdsec\.lapi_url": must be the LAPI's base URL/,
    );
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: keyFile, poll_interval: "10" })).join(
        "\n",
      ),
      /"crowdsec\.poll_interval": must be a duration/,
    );
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: keyFile, origins: ["a,b"] })).join("\n"),
      /"crowdsec\.origins\.0": must not hold commas/,
    );
  });

  it("the key file is refused when others can read it, missing or empty", async () => {
    const open = join(dir, "open.key");
    writeFileSync(open, KEY, { mode: 0o644 });
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: open })).join("\n"),
      /chmod 600/,
    );
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: join(dir, "none.key") })).join("\n"),
      /does not exist.*cscli bouncers add/,
    );
    const empty = join(dir, "empty.key");
    writeFileSync(empty, "\n", { mode: 0o600 });
    assert.match(
      (await problemsOf({ lapi_url: "http://x:8080", api_key_file: empty })).join("\n"),
      /is empty/,
    );
  });
});
