/**
 * The CrowdSec source against a real Local API (test/support/crowdsec.ts), in process, one pull
 * at a time: what cscli adds and deletes becomes holds and releases in a real journal; filters;
 * an outage and a restart release nothing; expiry without a delete; a wrong key; and a LAPI
 * that answers badly (a raw HTTP server playing the LAPI) releases nothing.
 */
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, afterEach, before, describe, it, test } from "node:test";
import type { CrowdsecConfig } from "../../src/config/types.ts";
import { desiredTargets, holdsOf, Journal } from "../../src/journal/index.ts";
import { CrowdsecSource, readCrowdsecStatus } from "../../src/sources/crowdsec/index.ts";
import { waitUntil } from "../agent/helpers.ts";
import { CROWDSEC, CROWDSEC_SKIP, type RunningLapi, sourceConfig, startLapi } from "../support/crowdsec.ts";
import { tempDir } from "../support/harness.ts";

if (!CROWDSEC && process.env.CI === "true") {
  test("crowdsec is installed (required under CI=true)", () => {
    assert.fail(`${CROWDSEC_SKIP}; under CI=true this is a failure`);
  });
}

interface Rig {
  journal: Journal;
  source: CrowdsecSource;
  lines: string[];
  /** The holds of source crowdsec: target → origins. */
  holds(): Map<string, string[]>;
  journalSize(): number;
}

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function rig(config: CrowdsecConfig, journal?: Journal): Rig {
  let j = journal;
  if (!j) {
    const { dir, cleanup } = tempDir("f2b-cs-src");
    cleanups.push(cleanup);
    j = new Journal(dir);
  }
  const lines: string[] = [];
  const jj = j;
  return {
    journal: jj,
    source: new CrowdsecSource({ config, journal: jj, log: (l) => lines.push(l) }),
    lines,
    holds() {
      const { state } = jj.load();
      const out = new Map<string, string[]>();
      for (const target of desiredTargets(state, Date.now() / 1000).keys()) {
        const origins = [...holdsOf(state.holds.get(target), "crowdsec").keys()];
        if (origins.length > 0) out.set(target, origins.sort());
      }
      return out;
    },
    journalSize() {
      try {
        return statSync(jj.journalPath).size;
      } catch {
        return 0;
      }
    },
  };
}

describe("the CrowdSec source against a real LAPI", {
  skip: CROWDSEC ? false : CROWDSEC_SKIP,
  timeout: 120_000,
}, () => {
  let lapi: RunningLapi;
  before(async () => {
    lapi = await startLapi();
  });
  after(async () => {
    await lapi?.close();
  });
  // Each test starts from an empty LAPI, even after one failed half-way.
  afterEach(async () => {
    await lapi?.cscli(["decisions", "delete", "--all"]);
  });

  it("cscli decisions (IPv4, IPv6, ranges) become holds; a delete releases; other types are counted", async () => {
    await lapi.addDecision({ ip: "192.0.2.10", duration: "2h" });
    await lapi.addDecision({ ip: "2001:db8::10", duration: "2h" });
    await lapi.addDecision({ range: "198.51.100.0/24", duration: "2h" });
    await lapi.addDecision({ range: "2001:db8:aa::/48", duration: "2h" });
    await lapi.addDecision({ ip: "192.0.2.11", type: "captcha" });
    const r = rig(sourceConfig(lapi.url, lapi.bouncerKey));
    const first = await r.source.pollOnce();
    assert.equal(first.error, undefined);
    assert.equal(first.full, true);
    assert.deepEqual(
      [...r.holds().keys()].sort(),
      ["192.0.2.10", "198.51.100.0/24", "2001:db8:aa::/48", "2001:db8::10"].sort(),
    );
    assert.deepEqual(r.holds().get("192.0.2.10"), ["cscli"]);
    const expiry = holdsOf(r.journal.load().state.holds.get("192.0.2.10"), "crowdsec").get(
      "cscli",
    )?.expiresAt;
    assert.ok(
      expiry !== undefined && expiry !== null && Math.abs(expiry - (Date.now() / 1000 + 7200)) < 60,
      "ends at the decision's end",
    );
    const status = readCrowdsecStatus(r.journal.dir);
    assert.equal(status?.ignored.type, 1);
    assert.equal(status?.ignoredNames["type:captcha"], 1);

    await lapi.deleteDecision({ ip: "192.0.2.10" });
    await lapi.deleteDecision({ range: "2001:db8:aa::/48" });
    const delta = await r.source.pollOnce();
    assert.equal(delta.full, false);
    assert.equal(delta.released, 2);
    assert.deepEqual([...r.holds().keys()].sort(), ["198.51.100.0/24", "2001:db8::10"].sort());
    // Everything deleted at once: both remaining holds are released.
    await lapi.cscli(["decisions", "delete", "--all"]);
    const cleared = await r.source.pollOnce();
    assert.equal(cleared.released, 2);
    assert.equal(r.holds().size, 0);
  });

  it("filters: origins, scenarios and min_duration", async () => {
    await lapi.addDecision({ ip: "192.0.2.20", reason: "crowdsecurity/ssh-bf", duration: "3h" });
    await lapi.addDecision({ ip: "192.0.2.21", reason: "crowdsecurity/http-probing", duration: "3h" });
    await lapi.addDecision({ ip: "192.0.2.22", reason: "crowdsecurity/ssh-slow-bf", duration: "30m" });
    const { dir, cleanup } = tempDir("f2b-cs-import");
    cleanups.push(cleanup);
    const csv = join(dir, "list.csv");
    writeFileSync(csv, "duration,scope,value,reason\n3h,ip,192.0.2.23,crowdsecurity/ssh-bf\n");
    await lapi.importDecisions(csv);

    const ssh = rig(sourceConfig(lapi.url, lapi.bouncerKey, { scenariosContaining: ["ssh"] }));
    await ssh.source.pollOnce();
    assert.deepEqual([...ssh.holds().keys()].sort(), ["192.0.2.20", "192.0.2.22", "192.0.2.23"]);
    const noSlow = rig(sourceConfig(lapi.url, lapi.bouncerKey, { scenariosNotContaining: ["slow", "http"] }));
    await noSlow.source.pollOnce();
    assert.deepEqual([...noSlow.holds().keys()].sort(), ["192.0.2.20", "192.0.2.23"]);
    const manual = rig(sourceConfig(lapi.url, lapi.bouncerKey, { origins: ["cscli"] }));
    await manual.source.pollOnce();
    assert.deepEqual(
      [...manual.holds().keys()].sort(),
      ["192.0.2.20", "192.0.2.21", "192.0.2.22"],
      "not cscli-import",
    );
    const long = rig(sourceConfig(lapi.url, lapi.bouncerKey, { minDurationMs: 3600_000 }));
    await long.source.pollOnce();
    assert.deepEqual([...long.holds().keys()].sort(), ["192.0.2.20", "192.0.2.21", "192.0.2.23"]);
    assert.equal(readCrowdsecStatus(long.journal.dir)?.ignored.short, 1);
  });

  it("a LAPI stopped and restarted releases nothing; the full pull after it releases only what is really gone", async () => {
    await lapi.addDecision({ ip: "192.0.2.30", duration: "2h" });
    await lapi.addDecision({ ip: "192.0.2.31", duration: "2h" });
    const r = rig(sourceConfig(lapi.url, lapi.bouncerKey));
    await r.source.pollOnce();
    assert.equal(r.holds().size, 2);
    // Deleted while the source is not looking, then the LAPI goes away before the next pull.
    await lapi.deleteDecision({ ip: "192.0.2.31" });
    await lapi.stop();
    const size = r.journalSize();
    const down = await r.source.pollOnce();
    assert.match(down.error?.message ?? "", /connection refused/);
    assert.equal(r.journalSize(), size, "nothing journaled while the LAPI is down");
    assert.equal(r.holds().size, 2);
    assert.ok(r.lines.some((l) => /nothing released, the next pull is a full one/.test(l)));
    await lapi.start();
    const back = await r.source.pollOnce();
    assert.equal(back.full, true, "after an error the next pull is a full one");
    assert.equal(back.released, 1);
    assert.equal(back.held + back.extended, 0, "what is still there is not rewritten");
    assert.deepEqual([...r.holds().keys()], ["192.0.2.30"]);
    assert.ok(r.lines.some((l) => /the LAPI answers again/.test(l)));

    // An agent restart: a new source on the same journal pulls in full and writes nothing.
    const restarted = rig(sourceConfig(lapi.url, lapi.bouncerKey), r.journal);
    const before = r.journalSize();
    const again = await restarted.source.pollOnce();
    assert.equal(again.full, true);
    assert.equal(r.journalSize(), before);
  });

  it("a decision that ends without a delete ends its hold, with no release written", async () => {
    await lapi.addDecision({ ip: "192.0.2.40", duration: "2s" });
    const r = rig(sourceConfig(lapi.url, lapi.bouncerKey));
    await r.source.pollOnce();
    assert.deepEqual([...r.holds().keys()], ["192.0.2.40"]);
    await waitUntil("the hold ended", () => r.holds().size === 0, 6000);
    await r.source.pollOnce();
    const { state } = r.journal.load();
    assert.equal(desiredTargets(state, Date.now() / 1000).size, 0);
    const text = (await import("node:fs")).readFileSync(r.journal.journalPath, "utf8");
    assert.ok(!text.includes('"unban"'), "expiry needs no release");
  });

  it("a wrong key gives a clear error and releases nothing", async () => {
    await lapi.addDecision({ ip: "192.0.2.50", duration: "2h" });
    const good = rig(sourceConfig(lapi.url, lapi.bouncerKey));
    await good.source.pollOnce();
    const wrongKey = "wrong-bouncer-key-4711";
    const bad = rig(sourceConfig(lapi.url, wrongKey), good.journal);
    const size = good.journalSize();
    const report = await bad.source.pollOnce();
    assert.match(report.error?.message ?? "", /refused the bouncer key \(HTTP 403\)/);
    assert.match(report.error?.hint ?? "", /cscli bouncers add/);
    assert.equal(good.journalSize(), size);
    assert.deepEqual([...good.holds().keys()], ["192.0.2.50"]);
    assert.match(readCrowdsecStatus(good.journal.dir)?.lastError?.message ?? "", /HTTP 403/);
  });

  it("max_decisions keeps the longest-lasting, says so once, and status counts what is left out", async () => {
    await lapi.addDecision({ ip: "192.0.2.60", duration: "1h" });
    await lapi.addDecision({ ip: "192.0.2.61", duration: "3h" });
    await lapi.addDecision({ ip: "192.0.2.62", duration: "2h" });
    const r = rig(sourceConfig(lapi.url, lapi.bouncerKey, { maxDecisions: 2 }));
    await r.source.pollOnce();
    assert.deepEqual([...r.holds().keys()].sort(), ["192.0.2.61", "192.0.2.62"]);
    await lapi.addDecision({ ip: "192.0.2.63", duration: "30m" });
    await r.source.pollOnce();
    assert.equal(r.lines.filter((l) => /max_decisions 2 leaves/.test(l)).length, 1);
    assert.equal(readCrowdsecStatus(r.journal.dir)?.leftOut, 2);
    await lapi.deleteDecision({ ip: "192.0.2.61" });
    await r.source.pollOnce();
    assert.deepEqual([...r.holds().keys()].sort(), ["192.0.2.60", "192.0.2.62"], "the next in line moves up");
  });
});

describe("a LAPI that answers badly releases nothing", { timeout: 60_000 }, () => {
  const DECISION = {
    id: 7,
    origin: "cscli",
    scenario: "x",
    scope: "Ip",
    type: "ban",
    value: "192.0.2.70",
    duration: "2h",
  };
  const answers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  const seen: { url: string; key: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", key: req.headers["x-api-key"] as string | undefined });
    const answer = answers.shift() ?? ((_q, s) => s.end(JSON.stringify({ new: null, deleted: null })));
    answer(req, res);
  });
  let url = "";
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("empty, garbled, cut or wrongly shaped bodies, 5xx, 403 and a timeout each release nothing", async () => {
    const KEY = "hostile-lapi-key-0815";
    const r = rig(sourceConfig(url, KEY, { requestTimeoutMs: 1000 }));
    answers.push((_q, s) => s.end(JSON.stringify({ new: [DECISION], deleted: null })));
    await r.source.pollOnce();
    assert.deepEqual([...r.holds().keys()], ["192.0.2.70"]);
    const bad: [string, (req: IncomingMessage, res: ServerResponse) => void, RegExp][] = [
      ["empty", (_q, s) => s.end(""), /empty/],
      ["garbled", (_q, s) => s.end("<html>oops</html>"), /not JSON/],
      ["cut", (_q, s) => s.end('{"new":[{"id":1,'), /not JSON/],
      ["shape", (_q, s) => s.end('{"new":5,"deleted":null}'), /not a list/],
      ["bare list", (_q, s) => s.end("[]"), /not \{"new"/],
      ["500", (_q, s) => s.writeHead(500).end("{}"), /HTTP 500/],
      ["403", (_q, s) => s.writeHead(403).end('{"message":"access forbidden"}'), /HTTP 403/],
      ["timeout", () => {}, /no answer within 1000 ms/],
      ["reset", (q) => q.socket.destroy(), /socket hang up|ECONNRESET/],
    ];
    for (const [name, answer, expected] of bad) {
      answers.push(answer);
      const size = r.journalSize();
      const report = await r.source.pollOnce();
      assert.match(report.error?.message ?? "", expected, name);
      assert.ok(!(report.error?.toLine() ?? "").includes(KEY), `${name}: the key never shows`);
      assert.equal(r.journalSize(), size, `${name}: nothing journaled`);
    }
    // An empty full answer after all that would be believed; a delta with a deletion would be
    // applied. Here the LAPI still has the decision: the full pull keeps the hold as it is.
    answers.push((_q, s) => s.end(JSON.stringify({ new: [DECISION], deleted: null })));
    const size = r.journalSize();
    const back = await r.source.pollOnce();
    assert.equal(back.full, true);
    assert.equal(r.journalSize(), size);
    assert.deepEqual([...r.holds().keys()], ["192.0.2.70"]);
    assert.ok(
      seen.every((s) => s.key === KEY && !s.url.includes(KEY)),
      "the key only in X-Api-Key",
    );
    assert.ok(seen[0]?.url.includes("startup=true") && seen.at(-1)?.url.includes("startup=true"));
    assert.ok(!seen[1]?.url.includes("startup=true"), "a delta after a good full pull");
    assert.ok(
      seen.slice(2, -1).every((s) => s.url.includes("startup=true")),
      "full pulls after each error",
    );
    assert.ok(!r.lines.join("\n").includes(KEY));
  });
});
