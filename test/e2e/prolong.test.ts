/**
 * End to end, `actionprolong`: with `bantime.increment`, Fail2ban lengthens the running ban of a
 * repeat offender and calls actionprolong (observer.py banFound → prolongBan → actions.py
 * _prolongBan). The action file records the new expiry; without it our journal would still
 * hold the first bantime and the next delivery would take the address off the firewall while
 * Fail2ban still bans it. A private fail2ban-server of its own (jail `prolong`, see
 * fixtures/jail-prolong.local) runs the repository's action file unchanged. See docs/e2e.md.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { holdsOf, Journal } from "../../src/journal/index.ts";
import {
  ACTION_FILE,
  CLI,
  GROUP_V4,
  PREFIX,
  startFirewall,
  TEST_PASSWORD,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { findExecutable, PrivateFail2ban, privateCopyOfCli, waitFor } from "./private-fail2ban.ts";

const SERVER = findExecutable("fail2ban-server", process.env.E2E_FAIL2BAN_SERVER);
const CLIENT = findExecutable("fail2ban-client", process.env.E2E_FAIL2BAN_CLIENT);
const MISSING = SERVER === undefined || CLIENT === undefined;
const SKIP_REASON = "skipped: fail2ban-server not installed (apt-get install -y fail2ban)";

if (MISSING && process.env.CI === "true") {
  test("fail2ban-server is installed (required under CI=true)", () => {
    assert.fail(
      "fail2ban-server not installed (apt-get install -y fail2ban); under CI=true this is a failure",
    );
  });
}

const JAIL = "prolong";
/** jail-prolong.local: `bantime = 5`, `bantime.multipliers = 1 3`. */
const FIRST_BANTIME = 5;
const SECOND_BANTIME = 15;
/** observer.py: actionprolong runs min(10, max(0, new - old - 5)) s after the ban. */
const PROLONG_DELAY = Math.min(10, Math.max(0, SECOND_BANTIME - FIRST_BANTIME - 5));
const IP = "203.0.113.77";
const HOST = `${PREFIX}${IP}`;
const ACTION_FAILURE = /-- exec:|-- returned|Failed to execute|timed out after|Invariant check failed/;

/** `203.0.113.77 \t2026-11-21 06:59:30 + 15 = 2026-11-21 06:59:45` → start (epoch s) and bantime. */
function parseWithTime(output: string, ip: string): { start: number; bantime: number } | undefined {
  for (const line of output.split("\n")) {
    const m = /^(\S+)\s+(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \+ (-?\d+)/.exec(line.trim());
    if (!m || m[1] !== ip) continue;
    const [, , y, mo, d, h, mi, s, bantime] = m;
    const start =
      new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() / 1000;
    return { start, bantime: Number(bantime) };
  }
  return undefined;
}

describe("end to end: actionprolong keeps a lengthened ban", {
  skip: MISSING ? SKIP_REASON : false,
  timeout: 90_000,
}, () => {
  let emu: RunningEmulator;
  let f2b: PrivateFail2ban;
  let configFile: string;
  let stateDir: string;
  let cleanupDir: () => void = () => undefined;

  const inGroup = () => (emu.snapshot().groups.find((g) => g.name === GROUP_V4)?.hosts ?? []).includes(HOST);
  const hasHost = () => emu.snapshot().hosts.some((h) => h.name === HOST);
  /** Our journal's hold of IP by the jail: its expiry (epoch s), null = permanent, undefined = none. */
  const hold = () => holdsOf(new Journal(stateDir).load().state.holds.get(IP)).get(JAIL)?.expiresAt;
  /** The `expiresAt` of every `ban` record of IP in our journal, in order. */
  const banRecords = () =>
    readFileSync(join(stateDir, "journal.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { t: string; target?: string; expiresAt?: number | null })
      .filter((r) => r.t === "ban" && r.target === IP)
      .map((r) => r.expiresAt);
  const state = async () =>
    `firewall: host ${hasHost()}, in ${GROUP_V4} ${inGroup()}; journal hold ${hold()}; ` +
    `fail2ban: ${(await f2b.client(["get", JAIL, "banip", "--with-time"])).stdout.trim()}\n${f2b.tail(30)}`;

  before(async () => {
    emu = await startFirewall();
    const tmp = tempDir("f2b-e2e-prolong");
    cleanupDir = tmp.cleanup;
    configFile = writeConfig(tmp.dir, emu, { request_timeout_ms: 3000 });
    stateDir = join(tmp.dir, "state");
    f2b = new PrivateFail2ban({
      work: tmp.dir,
      server: SERVER!,
      client: CLIENT!,
      configFile,
      cli: await privateCopyOfCli(CLI, join(tmp.dir, "bin")),
      actionFile: ACTION_FILE,
      secrets: [TEST_PASSWORD],
      jailFixture: "jail-prolong.local",
    });
    f2b.writeConfig();
    f2b.fail(JAIL, "192.0.2.1", 0); // create the empty log
    await f2b.client(["-t"]);
    await f2b.start();
    await waitFor(
      "actionstart to create the group",
      () => emu.snapshot().groups.some((g) => g.name === GROUP_V4),
      15_000,
      () => f2b.tail(),
    );
  });

  after(async () => {
    try {
      await f2b?.shutdown();
    } finally {
      await emu?.close();
      if (process.env.E2E_KEEP) console.log(`e2e: kept ${f2b?.work}`);
      else cleanupDir();
    }
  });

  it("a repeat offender's lengthened ban stays on the firewall past its first bantime", async (t) => {
    // First offence: a 5 s ban, which Fail2ban records in its database and then lifts.
    f2b.fail(JAIL, IP);
    await waitFor("the first ban on the firewall", inGroup, 15_000, () => f2b.tail());
    await waitFor(
      "the first 5 s ban to expire in Fail2ban and leave the firewall",
      async () => !hasHost() && (await f2b.banned(JAIL)).length === 0,
      20_000,
      () => f2b.tail(),
      250,
    );

    // Second offence: banned again, and the observer lengthens the ban to 5 s x 3 = 15 s.
    const logFrom = f2b.logSize();
    f2b.fail(JAIL, IP);
    await waitFor("the second ban on the firewall", inGroup, 15_000, () => f2b.tail());
    await waitFor(
      "Fail2ban to lengthen the ban (Increase Ban)",
      () => new RegExp(`Increase Ban ${IP.replaceAll(".", "\\.")} `).test(f2b.logSince(logFrom)),
      15_000,
      () => f2b.tail(),
    );
    // The observer starts actionprolong's timer when it logs "Increase Ban": no sooner than now.
    const prolongDue = Date.now() / 1000 + PROLONG_DELAY;
    const listed = parseWithTime((await f2b.client(["get", JAIL, "banip", "--with-time"])).stdout, IP);
    assert.ok(listed, `Fail2ban does not list ${IP}\n${await state()}`);
    assert.equal(listed.bantime, SECOND_BANTIME, "Fail2ban lengthened the ban to 15 s");
    const firstEnd = listed.start + FIRST_BANTIME;
    const secondEnd = listed.start + SECOND_BANTIME;

    // Past the first bantime, and past actionprolong's slot (or the journal shows it ran), run
    // a delivery: it releases every expired hold. A missing prolong fails here.
    await waitFor(
      "the first bantime and actionprolong's slot to pass",
      () => {
        const now = Date.now() / 1000;
        return now >= firstEnd + 1.5 && (hold() === secondEnd || now >= prolongDue + 3);
      },
      25_000,
    );
    const syncAt = Date.now() / 1000;
    assert.ok(
      syncAt < secondEnd - 1,
      `too slow: the check must run inside the lengthened ban (${(syncAt - listed.start).toFixed(1)} s after it)`,
    );
    const sync = await f2b.runCli(["sync", "--configfile", configFile]);
    assert.equal(sync.code, 0, sync.stderr);
    const records = banRecords();
    t.diagnostic(
      `second ban at ${listed.start}; journal ban records of ${IP} (expiresAt): ${JSON.stringify(records)}; ` +
        `sync ${(syncAt - listed.start).toFixed(1)} s after the ban`,
    );
    // Fail2ban's observer lengthens the ticket on its own thread; should it ever win the race
    // with actionban's tag expansion, actionban already carries 15 s and this run proves less.
    if (records[1] === secondEnd) t.diagnostic("actionban already carried the lengthened bantime");

    assert.ok(
      hasHost() && inGroup(),
      `the lengthened ban left the firewall at its first bantime\n${await state()}`,
    );
    assert.deepEqual(await f2b.banned(JAIL), [IP], "Fail2ban still bans the address");
    assert.equal(hold(), secondEnd, `our journal holds ${IP} until the lengthened end\n${await state()}`);

    // Then the lengthened ban ends: Fail2ban unbans, and the address leaves the firewall.
    await waitFor(
      "the lengthened ban to expire and leave the firewall",
      async () => !hasHost() && !inGroup() && (await f2b.banned(JAIL)).length === 0,
      20_000,
      () => f2b.tail(),
      250,
    );
    const ended = Date.now() / 1000;
    t.diagnostic(`gone from the firewall ${(ended - listed.start).toFixed(1)} s after the second ban`);
    assert.ok(ended >= secondEnd - 0.5, "removed before the lengthened ban ended");
    const failures = f2b
      .logSince(0)
      .split("\n")
      .filter((l) => ACTION_FAILURE.test(l));
    assert.deepEqual(failures, [], "no action command failed");
  });
});
