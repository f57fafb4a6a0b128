/**
 * End to end: a real, private fail2ban-server runs the repository's action.d/sophosxg.conf
 * (copied unchanged) with the built CLI against the emulator over HTTPS. Every check reads the
 * emulator's objects, not log text. See docs/e2e.md.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import type { IpHost } from "../../src/protocol/index.ts";
import {
  ACTION_FILE,
  CLI,
  foreignObjects,
  GROUP_V4,
  GROUP_V6,
  PREFIX,
  startFirewall,
  TEST_PASSWORD,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { findExecutable, PrivateFail2ban, privateCopyOfCli, waitFor } from "./private-fail2ban.ts";

// E2E_FAIL2BAN_SERVER / E2E_FAIL2BAN_CLIENT: another installation (an empty or wrong path
// counts as "not installed", which is how the skip path itself can be tried).
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

/** The action file's `timeout` (seconds Fail2ban waits for one command). */
const ACTION_TIMEOUT_MS = 60_000;
/** The hook's own delivery budget, lowered from the default 20 s (config `delivery_budget_ms`). */
const DELIVERY_BUDGET_MS = 5000;
/** A hook that hangs on the firewall gives up after this (config `request_timeout_ms`). */
const REQUEST_TIMEOUT_MS = 3000;
/** What fail2ban logs when an action command fails or times out: none of our hooks may. */
const ACTION_FAILURE = /-- exec:|-- returned|Failed to execute|timed out after|Invariant check failed/;

/** A host with our prefix whose name is not one of our targets: documented to be left alone. */
const STRANGER: IpHost = {
  name: `${PREFIX}note_from_admin`,
  ipFamily: "IPv4",
  hostType: "IP",
  ipAddress: "192.0.2.250",
  description: "made by hand, not by f2b-sophosxg",
  hostGroups: [],
};

/** Our object name for an address as Fail2ban prints it (written out here, not taken from src/). */
function nameOf(ip: string): string {
  const name = `${PREFIX}${ip.replaceAll(":", "_")}`;
  assert.ok(name.length <= 50, `test addresses must have short names: ${name}`);
  return name;
}
const isV6 = (ip: string) => ip.includes(":");

describe("end to end with a real fail2ban-server", {
  skip: MISSING ? SKIP_REASON : false,
  timeout: 240_000,
}, () => {
  let emu: RunningEmulator;
  let f2b: PrivateFail2ban;
  let configFile: string;
  let cleanupDir: () => void = () => undefined;
  let foreignBefore: ReturnType<typeof foreignObjects>;
  let strangerBefore: IpHost | undefined;

  const JAILS = ["e2e", "e2e2", "e2eshort"] as const;

  /** Our hosts on the firewall (prefix, minus the hand-made stranger), by name. */
  const ourHosts = (): IpHost[] =>
    emu
      .snapshot()
      .hosts.filter((h) => h.name.startsWith(PREFIX) && h.name !== STRANGER.name)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const members = (group: string): string[] | undefined =>
    emu.snapshot().groups.find((g) => g.name === group)?.hosts;
  const has = (name: string) => ourHosts().some((h) => h.name === name);
  const inGroup = (group: string, name: string) => (members(group) ?? []).includes(name);

  /** Every address some jail bans, as Fail2ban reports it (`get <jail> banip`). */
  async function fail2banBans(): Promise<Map<string, string[]>> {
    const all = new Map<string, string[]>();
    for (const jail of JAILS) {
      for (const ip of await f2b.banned(jail)) all.set(ip, [...(all.get(ip) ?? []), jail]);
    }
    return all;
  }

  function firewallView() {
    return {
      v4: [...(members(GROUP_V4) ?? [])].sort(),
      v6: [...(members(GROUP_V6) ?? [])].sort(),
      hosts: ourHosts().map((h) => h.name),
    };
  }

  function expectedView(bans: Iterable<string>) {
    const ips = [...bans];
    return {
      v4: ips
        .filter((ip) => !isV6(ip))
        .map(nameOf)
        .sort(),
      v6: ips.filter(isV6).map(nameOf).sort(),
      hosts: ips.map(nameOf).sort(),
    };
  }

  const describeState = async () =>
    `firewall: ${JSON.stringify(firewallView())}\nfail2ban: ${JSON.stringify(Object.fromEntries(await fail2banBans()))}\n${f2b.tail(25)}`;

  /**
   * The firewall holds exactly what Fail2ban bans: group members = Fail2ban's banned addresses
   * per family, each exactly once, one host object per address, each host in its family's group
   * only, with the right type and address. Waits for it (restores and log bans are asynchronous).
   */
  async function assertFirewallMatchesFail2ban(
    label: string,
    timeoutMs = 15_000,
  ): Promise<Map<string, string[]>> {
    let bans = new Map<string, string[]>();
    try {
      await waitFor(
        `${label}: the firewall to equal Fail2ban's bans`,
        async () => {
          bans = await fail2banBans();
          return JSON.stringify(firewallView()) === JSON.stringify(expectedView(bans.keys()));
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await describeState()}`);
    }
    assert.deepEqual(firewallView(), expectedView(bans.keys()), label);
    for (const group of [GROUP_V4, GROUP_V6]) {
      const list = members(group) ?? [];
      assert.equal(new Set(list).size, list.length, `${label}: ${group} lists a member twice: ${list}`);
    }
    const hosts = ourHosts();
    const addresses = hosts.map((h) => `${h.ipAddress}/${h.subnet ?? ""}`);
    assert.equal(new Set(addresses).size, addresses.length, `${label}: two objects for one address`);
    for (const ip of bans.keys()) assertHostFor(ip, label);
    return bans;
  }

  /** The object for `ip` is on the firewall with the right type, address, family and group. */
  function assertHostFor(ip: string, label = ""): IpHost {
    const host = ourHosts().find((h) => h.name === nameOf(ip));
    assert.ok(host, `${label}: no host ${nameOf(ip)} on the firewall`);
    const [address, length] = ip.split("/");
    const family = isV6(ip) ? "IPv6" : "IPv4";
    assert.equal(host.ipFamily, family, `${label}: family of ${host.name}`);
    assert.equal(host.hostType, length === undefined ? "IP" : "Network", `${label}: type of ${host.name}`);
    assert.equal(host.ipAddress, address, `${label}: address of ${host.name}`);
    assert.deepEqual(
      host.hostGroups,
      [family === "IPv4" ? GROUP_V4 : GROUP_V6],
      `${label}: groups of ${host.name}`,
    );
    return host;
  }

  /** After a flush: our groups exist and are empty, none of our hosts is left. */
  function assertNothingOfOursLeft(label: string) {
    assert.deepEqual(members(GROUP_V4), [], `${label}: ${GROUP_V4} must exist and be empty`);
    assert.deepEqual(members(GROUP_V6), [], `${label}: ${GROUP_V6} must exist and be empty`);
    assert.deepEqual(ourHosts(), [], `${label}: our hosts must be gone`);
  }

  async function waitUntilNothingOfOurs(label: string, timeoutMs = 15_000) {
    await waitFor(
      `${label}: our groups to be empty and our hosts gone`,
      () => ourHosts().length === 0 && members(GROUP_V4)?.length === 0 && members(GROUP_V6)?.length === 0,
      timeoutMs,
      () => `firewall: ${JSON.stringify(firewallView())}\n${f2b.tail(25)}`,
    );
    assertNothingOfOursLeft(label);
  }

  /** Waits until Fail2ban's bans (address -> jails) are exactly `expected`. */
  async function waitForFail2banBans(what: string, expected: Map<string, string[]>): Promise<number> {
    const want = JSON.stringify([...expected].sort());
    let seen = "";
    return waitFor(
      `${what}: Fail2ban to list ${want}`,
      async () => {
        seen = JSON.stringify([...(await fail2banBans())].sort());
        return seen === want;
      },
      30_000,
      () => `Fail2ban lists ${seen}\n${f2b.tail(20)}`,
      200,
    );
  }

  /**
   * Fail2ban runs actionstart in each jail's own thread after "Jail started", in no fixed order
   * with the restored bans: wait until no hook has talked to the firewall for a second.
   */
  async function waitForQuiet(): Promise<void> {
    await waitFor(
      "the hooks to finish (no request to the firewall for 1 s)",
      () => {
        const last = emu.requestLog().at(-1);
        return last === undefined || Date.now() - Date.parse(last.at) - last.latencyMs > 1000;
      },
      20_000,
    );
  }

  async function pending(): Promise<{ add: number; remove: number }> {
    const result = await f2b.runCli(["status", "--json", "--configfile", configFile]);
    assert.equal(result.code, 0, `status failed: ${result.stderr}`);
    const { add, remove } = JSON.parse(result.stdout).pending;
    return { add, remove };
  }

  before(async () => {
    emu = await startFirewall();
    await emu.seedForeign(50);
    // Foreign objects that look like ours: same addresses as our bans, a group with members,
    // an IPv6 group, and a host with our prefix that is not one of our targets.
    await emu.seed({
      groups: [
        { name: "admin_blocklist", ipFamily: "IPv4", description: "hand-made", hosts: [] },
        { name: "admin_blocklist_v6", ipFamily: "IPv6", description: "hand-made", hosts: [] },
      ],
      hosts: [
        {
          name: "admin_attacker",
          ipFamily: "IPv4",
          hostType: "IP",
          ipAddress: "192.0.2.10",
          hostGroups: ["admin_blocklist"],
        },
        {
          name: "admin_net",
          ipFamily: "IPv4",
          hostType: "Network",
          ipAddress: "198.51.100.0",
          subnet: "255.255.255.0",
          hostGroups: ["admin_blocklist"],
        },
        {
          name: "admin_attacker_v6",
          ipFamily: "IPv6",
          hostType: "IP",
          ipAddress: "2001:db8::10",
          hostGroups: ["admin_blocklist_v6"],
        },
        STRANGER,
      ],
    });
    foreignBefore = foreignObjects(emu);
    strangerBefore = emu.snapshot().hosts.find((h) => h.name === STRANGER.name);
    assert.ok(foreignBefore.hosts.length >= 53 && foreignBefore.groups.length >= 4, "seeding failed");

    const tmp = tempDir("f2b-e2e");
    cleanupDir = tmp.cleanup;
    configFile = writeConfig(tmp.dir, emu, {
      request_timeout_ms: REQUEST_TIMEOUT_MS,
      delivery_budget_ms: DELIVERY_BUDGET_MS,
    });
    f2b = new PrivateFail2ban({
      work: tmp.dir,
      server: SERVER!,
      client: CLIENT!,
      configFile,
      cli: await privateCopyOfCli(CLI, join(tmp.dir, "bin")),
      actionFile: ACTION_FILE,
      secrets: [TEST_PASSWORD],
    });
    f2b.writeConfig();
    for (const jail of JAILS) f2b.fail(jail, "192.0.2.1", 0); // create empty logs
    await f2b.client(["-t"]); // config test
    await f2b.start();
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

  it("starts: actionstart creates both groups, and no action fails", async (t) => {
    const ms = await waitFor(
      "actionstart to create both groups",
      () => members(GROUP_V4) !== undefined && members(GROUP_V6) !== undefined,
      15_000,
      () => f2b.tail(),
    );
    t.diagnostic(`groups present ${ms} ms after ping`);
    const groups = emu.snapshot().groups;
    assert.equal(groups.find((g) => g.name === GROUP_V4)?.ipFamily, "IPv4");
    assert.equal(groups.find((g) => g.name === GROUP_V6)?.ipFamily, "IPv6");
    assertNothingOfOursLeft("fresh start");
    const status = await f2b.client(["status"]);
    assert.match(status.stdout, /e2e, e2e2, e2eshort/);
  });

  it("1. log failures ban an IPv4 and an IPv6 address; banip of a /24 makes a Network host", async (t) => {
    const started = Date.now();
    f2b.fail("e2e", "192.0.2.10");
    f2b.fail("e2e", "2001:db8::10");
    await waitFor(
      "the log bans to reach the firewall",
      () => inGroup(GROUP_V4, "f2b_192.0.2.10") && inGroup(GROUP_V6, "f2b_2001_db8__10"),
      15_000,
      () => `firewall: ${JSON.stringify(firewallView())}\n${f2b.tail()}`,
    );
    t.diagnostic(`log lines -> both bans on the firewall: ${Date.now() - started} ms`);
    assert.ok(!inGroup(GROUP_V6, "f2b_192.0.2.10") && !inGroup(GROUP_V4, "f2b_2001_db8__10"), "wrong group");
    assert.deepEqual(await f2b.banned("e2e"), ["192.0.2.10", "2001:db8::10"]);

    const ban = await f2b.client(["set", "e2e", "banip", "198.51.100.0/24"]);
    t.diagnostic(`set e2e banip 198.51.100.0/24: ${ban.ms} ms`);
    // banip runs the action inside the request: the object is there when the client returns.
    const net = assertHostFor("198.51.100.0/24", "banip /24");
    assert.equal(net.name, "f2b_198.51.100.0/24");
    assert.equal(net.subnet, "255.255.255.0");
    assert.ok(inGroup(GROUP_V4, "f2b_198.51.100.0/24"));
    assertHostFor("192.0.2.10");
    assertHostFor("2001:db8::10");
    await assertFirewallMatchesFail2ban("after the first bans");
  });

  it("2. unbanip removes the object; an expiring short ban removes it", async (t) => {
    await f2b.client(["set", "e2e", "unbanip", "192.0.2.10"]);
    assert.ok(!has("f2b_192.0.2.10"), "unbanip: host still on the firewall");
    assert.ok(!inGroup(GROUP_V4, "f2b_192.0.2.10"), "unbanip: still a member");
    assert.ok(inGroup(GROUP_V6, "f2b_2001_db8__10"), "unbanip removed another ban");
    await assertFirewallMatchesFail2ban("after unbanip");

    // bantime = 4 in jail e2eshort: Fail2ban's expiry runs actionunban.
    const banned = Date.now();
    await f2b.client(["set", "e2eshort", "banip", "203.0.113.40"]);
    assertHostFor("203.0.113.40", "short ban");
    await waitFor(
      "the 4 s ban to expire and leave the firewall",
      () => !has(nameOf("203.0.113.40")) && !inGroup(GROUP_V4, nameOf("203.0.113.40")),
      20_000,
      () => f2b.tail(),
    );
    const expiredAfter = Date.now() - banned;
    t.diagnostic(`4 s ban gone from the firewall after ${expiredAfter} ms`);
    assert.ok(expiredAfter >= 3500, `removed before its bantime (${expiredAfter} ms)`);
    assert.deepEqual(await f2b.banned("e2eshort"), []);
    await assertFirewallMatchesFail2ban("after expiry");
  });

  it("3. an address banned in two jails stays until both released it", async () => {
    const ip = "203.0.113.50";
    await f2b.client(["set", "e2e", "banip", ip]);
    await f2b.client(["set", "e2e2", "banip", ip]);
    assertHostFor(ip, "banned twice");
    assert.equal(ourHosts().filter((h) => h.ipAddress === ip).length, 1, "one object for two jails");
    await assertFirewallMatchesFail2ban("banned in two jails");

    await f2b.client(["set", "e2e", "unbanip", ip]);
    assert.deepEqual((await fail2banBans()).get(ip), ["e2e2"]);
    assertHostFor(ip, "released by e2e only");
    await assertFirewallMatchesFail2ban("released by one jail");

    await f2b.client(["set", "e2e2", "unbanip", ip]);
    assert.ok(!has(nameOf(ip)) && !inGroup(GROUP_V4, nameOf(ip)), "released by both jails: still there");
    await assertFirewallMatchesFail2ban("released by both jails");
  });

  it("4. restart restores each ban once; unban --all and stop flush every time", async (t) => {
    // More bans, in both jails, both families, one address shared by the two jails.
    f2b.fail("e2e2", "192.0.2.20");
    await f2b.client(["set", "e2e", "banip", "2001:db8::20", "203.0.113.60"]);
    await f2b.client(["set", "e2e2", "banip", "203.0.113.60", "2001:db8:1::/48"]);
    await waitFor(
      "the e2e2 log ban",
      () => has(nameOf("192.0.2.20")),
      15_000,
      () => f2b.tail(),
    );
    const beforeStop = await assertFirewallMatchesFail2ban("before the restart");
    assert.equal(beforeStop.size, 6, `expected 6 banned addresses: ${[...beforeStop.keys()]}`);

    const stopMs = await f2b.stop();
    t.diagnostic(`stop with ${beforeStop.size} bans: ${stopMs} ms`);
    assertNothingOfOursLeft("after stop (flush at stop)");

    const startMs = await f2b.start();
    // The restore is asynchronous: wait until Fail2ban lists every ban again, then compare.
    const restoreMs = await waitForFail2banBans("the restore", beforeStop);
    const restored = await assertFirewallMatchesFail2ban("after the restart", 30_000);
    t.diagnostic(`start -> ping ${startMs} ms; all ${restored.size} bans restored ${restoreMs} ms later`);
    assert.equal(ourHosts().length, 6, "each restored ban is on the firewall once");

    const rounds = [
      ["e2e", ["192.0.2.30", "2001:db8::30"]],
      ["e2e2", ["192.0.2.30", "198.51.100.128/25"]],
    ] as const;
    for (let round = 1; round <= 2; round++) {
      const unban = await f2b.client(["unban", "--all"]);
      t.diagnostic(`unban --all #${round}: ${unban.ms} ms`);
      for (const jail of JAILS)
        assert.deepEqual(await f2b.banned(jail), [], `unban --all #${round}: ${jail}`);
      await waitUntilNothingOfOurs(`unban --all #${round}`);
      for (const [jail, ips] of rounds) await f2b.client(["set", jail, "banip", ...ips]);
      const again = await assertFirewallMatchesFail2ban(`banned again after unban --all #${round}`);
      assert.equal(again.size, 3, "192.0.2.30 is banned in two jails");
    }

    const lastRound = await fail2banBans();
    assert.deepEqual([...lastRound.keys()].sort(), ["192.0.2.30", "198.51.100.128/25", "2001:db8::30"]);
    const stop2 = await f2b.stop();
    t.diagnostic(`second stop: ${stop2} ms`);
    assertNothingOfOursLeft("after the second stop");

    await f2b.start();
    await waitForFail2banBans("the second restore", lastRound);
    await assertFirewallMatchesFail2ban("after the second restart", 30_000);
    await waitForQuiet();
  });

  it("5. firewall down: Fail2ban is never blocked, every ban arrives afterwards, nothing extra", async (t) => {
    await waitForQuiet();
    const logFrom = f2b.logSize();
    const before = emu.snapshot();
    await emu.setFaults({ down: true });
    const times: Record<string, number> = {};
    try {
      for (const ip of ["192.0.2.70", "2001:db8::70"]) {
        times[`banip ${ip}`] = (await f2b.client(["set", "e2e", "banip", ip])).ms;
      }
      // Released while down: must leave the firewall when it is back.
      times["unbanip 2001:db8::30"] = (await f2b.client(["set", "e2e", "unbanip", "2001:db8::30"])).ms;
      f2b.fail("e2e2", "192.0.2.71");
      f2b.fail("e2e2", "2001:db8::71");
      let seen: unknown;
      await waitFor(
        "the log bans to be journaled while the firewall is down",
        async () => {
          const p = await pending();
          seen = p;
          return p.add === 4 && p.remove === 1;
        },
        15_000,
        () => `pending: ${JSON.stringify(seen)}\n${f2b.tail()}`,
        250,
      );
      assert.deepEqual(emu.snapshot(), before, "nothing can change while the firewall is down");

      // A firewall that accepts connections and never answers (the worse case).
      await emu.setFaults({ down: false, hang: true });
      times["banip 192.0.2.73 (hang)"] = (await f2b.client(["set", "e2e", "banip", "192.0.2.73"])).ms;
    } finally {
      await emu.setFaults({ down: false, hang: false });
    }
    t.diagnostic(`while down: ${JSON.stringify(times)}`);
    for (const [what, ms] of Object.entries(times)) {
      assert.ok(
        ms < DELIVERY_BUDGET_MS + 5000,
        `${what} blocked Fail2ban ${ms} ms (budget ${DELIVERY_BUDGET_MS})`,
      );
      assert.ok(ms < ACTION_TIMEOUT_MS, `${what} reached the action timeout`);
    }
    assert.ok(
      times["banip 192.0.2.73 (hang)"]! >= REQUEST_TIMEOUT_MS - 500,
      "the hang did not hold the hook: the check is not exercising a hanging firewall",
    );
    const failures = f2b
      .logSince(logFrom)
      .split("\n")
      .filter((l) => ACTION_FAILURE.test(l));
    assert.deepEqual(failures, [], "every hook exits 0 while the firewall is down");
    assert.deepEqual(await pending(), { add: 5, remove: 1 }, "all changes stay pending");

    // Back up: the next hook delivers everything pending.
    const trigger = await f2b.client(["set", "e2e2", "banip", "192.0.2.72"]);
    t.diagnostic(`first ban after the firewall returned (delivers the backlog): ${trigger.ms} ms`);
    const bans = await assertFirewallMatchesFail2ban("after the firewall returned", 5000);
    for (const ip of [
      "192.0.2.70",
      "2001:db8::70",
      "192.0.2.71",
      "2001:db8::71",
      "192.0.2.72",
      "192.0.2.73",
    ]) {
      assert.ok(bans.has(ip), `${ip} is banned in Fail2ban`);
      assertHostFor(ip, "after the firewall returned");
    }
    assert.ok(!has(nameOf("2001:db8::30")), "released while down, still on the firewall");
    assert.deepEqual(await pending(), { add: 0, remove: 0 });
    const plan = await f2b.runCli(["sync", "--dry-run", "--configfile", configFile]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /to add: 0 .*to remove: 0 /, plan.stdout);
  });

  it("6. no action failed, and nothing outside our prefix and groups changed", async () => {
    const failures = f2b
      .logSince(0)
      .split("\n")
      .filter((l) => ACTION_FAILURE.test(l));
    assert.deepEqual(failures, [], "fail2ban logged failed actions");
    await f2b.stop();
    assertNothingOfOursLeft("final stop");
    assert.deepEqual(foreignObjects(emu), foreignBefore);
    assert.deepEqual(
      emu.snapshot().hosts.find((h) => h.name === STRANGER.name),
      strangerBefore,
      "a host with our prefix that is not ours is left alone",
    );
    const log = f2b.logSince(0);
    assert.ok(!log.includes(TEST_PASSWORD), "the password is in fail2ban's log");
  });
});
