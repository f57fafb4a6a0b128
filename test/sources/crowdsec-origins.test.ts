/**
 * `max_decisions` against a real LAPI, with decisions of every origin a bouncer meets: `cscli`
 * (cscli decisions add), `crowdsec` (an agent's alert, decided by the LAPI's profiles), `CAPI`
 * and `lists` (alerts carrying their decisions, stored with the origin given: the shape the
 * online API's pull leaves in the LAPI, which a test cannot reach). The built CLI's `bouncer`
 * runs against the emulator; the test asserts which addresses are on the firewall, exactly:
 * local origins first even when shorter, then the blocklists with the most time left.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { readCrowdsecStatus } from "../../src/sources/crowdsec/status-file.ts";
import {
  type AgentProcess,
  freshSetup,
  nameOf,
  namesOnFirewall,
  startAgent,
  waitUntil,
} from "../agent/helpers.ts";
import { CROWDSEC, CROWDSEC_SKIP, type RunningLapi, startLapi } from "../support/crowdsec.ts";
import { runCli, startFirewall } from "../support/harness.ts";

if (!CROWDSEC && process.env.CI === "true") {
  test("crowdsec is installed (required under CI=true)", () => {
    assert.fail(`${CROWDSEC_SKIP}; under CI=true this is a failure`);
  });
}

// Six addresses, three places. The locals are the shortest; one blocklist entry outlasts them all.
const CSCLI = "192.0.2.11"; // cscli, 30 min
const AGENT = "192.0.2.12"; // crowdsec, 4 h (the profile's)
const LISTS_LONG = "192.0.2.21"; // lists, 7 h
const CAPI_NEXT = "192.0.2.22"; // CAPI, 5 h
const CAPI_SHORT = "192.0.2.23"; // CAPI, 2 h
const LISTS_MID = "192.0.2.24"; // lists, 3 h

describe("max_decisions with every origin, against a real LAPI", {
  skip: CROWDSEC ? false : CROWDSEC_SKIP,
  timeout: 120_000,
}, () => {
  let lapi: RunningLapi;
  let emu: RunningEmulator;
  let agent: AgentProcess | undefined;
  const cleanups: (() => void)[] = [];
  before(async () => {
    [lapi, emu] = await Promise.all([startLapi(), startFirewall()]);
  });
  after(async () => {
    await agent?.stop();
    await lapi?.close();
    await emu?.close();
    for (const c of cleanups) c();
  });

  /** The addresses on the firewall, by our object names. */
  const onFirewall = () => new Set(namesOnFirewall(emu));
  const exactly = (...ips: string[]) => {
    const names = onFirewall();
    return names.size === ips.length && ips.every((ip) => names.has(nameOf(ip)));
  };
  const explain = (expected: string[]) => (e: Error) => {
    throw new Error(
      `${e.message}\nexpected ${expected.map(nameOf).join(" ")}\non the firewall: ${[...onFirewall()].join(" ")}\n${agent?.lines.join("\n")}`,
    );
  };

  it("local origins first, then the longest time left; the log and status say how many are left out", async () => {
    // Blocklists first and locals last: whatever order the LAPI answers in, no order of arrival
    // puts the expected three first.
    await lapi.postAlerts([
      { ip: CAPI_SHORT, origin: "CAPI", duration: "2h" },
      { ip: LISTS_MID, origin: "lists", duration: "3h" },
      { ip: CAPI_NEXT, origin: "CAPI", duration: "5h" },
      { ip: LISTS_LONG, origin: "lists", duration: "7h" },
    ]);
    await lapi.postAlerts([{ ip: AGENT, scenario: "crowdsecurity/ssh-bf" }]);
    await lapi.addDecision({ ip: CSCLI, duration: "30m" });
    // What the LAPI itself says the origins are (the premise of the test).
    const stored = JSON.parse(await lapi.cscli(["decisions", "list", "--all", "-o", "json"])) as Array<{
      decisions: Array<{ value: string; origin: string }>;
    }>;
    const origins = Object.fromEntries(stored.flatMap((a) => a.decisions.map((d) => [d.value, d.origin])));
    assert.deepEqual(origins, {
      [CSCLI]: "cscli",
      [AGENT]: "crowdsec",
      [LISTS_LONG]: "lists",
      [CAPI_NEXT]: "CAPI",
      [CAPI_SHORT]: "CAPI",
      [LISTS_MID]: "lists",
    });

    const { config, stateDir } = await freshSetup(emu, "cs-origins", cleanups, {
      crowdsec: {
        lapi_url: lapi.url,
        api_key_file: keyFile(lapi),
        poll_interval: "1s",
        max_decisions: 3,
      },
    });
    agent = startAgent(config, {}, "bouncer");
    const first = [CSCLI, AGENT, LISTS_LONG];
    await waitUntil(
      "the three chosen are on the firewall, and only they",
      () => exactly(...first),
      20_000,
    ).catch(explain(first));
    await agent.waitForLine(/crowdsec: max_decisions 3 leaves 3 address\(es\) off the firewall/);
    assert.equal(readCrowdsecStatus(stateDir)?.leftOut, 3);
    const status = await runCli(["status", "--configfile", config]);
    assert.match(status.stdout, /crowdsec: .*holds: .*; 3 address\(es\) left out by max_decisions 3/);
    for (const origin of ["cscli 1", "crowdsec 1", "lists 1"])
      assert.match(status.stdout, new RegExp(`holds: .*${origin}`));
    assert.doesNotMatch(status.stdout, /holds: [^;]*CAPI/);

    // A local decision gone: the next blocklist entry in line (most time left) moves up.
    const from = agent.lines.length;
    await lapi.deleteDecision({ ip: CSCLI });
    const second = [AGENT, LISTS_LONG, CAPI_NEXT];
    await waitUntil("the 5 h CAPI entry took the freed place", () => exactly(...second), 20_000).catch(
      explain(second),
    );
    await waitUntil("status counts 2 left out", () => readCrowdsecStatus(stateDir)?.leftOut === 2);
    assert.equal(
      agent.lines.slice(from).filter((l) => /max_decisions 3 leaves/.test(l)).length,
      0,
      "said once, not on every pull that still cuts",
    );
    assert.equal(await agent.stop(), 0);
    agent = undefined;
  });
});

function keyFile(lapi: RunningLapi): string {
  const path = join(lapi.dir, "origins.key");
  writeFileSync(path, `${lapi.bouncerKey}\n`, { mode: 0o600 });
  return path;
}
