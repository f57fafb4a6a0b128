/**
 * CrowdSec in a fleet, end to end with real parts only: a real CrowdSec LAPI, a real
 * redis-server, the emulator over HTTPS and two members as agent processes. Member a runs
 * `bouncer` (a `crowdsec` section): its source journals into a's own journal, a's forwarder
 * sends the holds to Redis, and the pusher (a or b) mirrors the union to the fleet's groups.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { type BanState, Journal } from "../../src/journal/index.ts";
import { allOnFirewall, noneOnFirewall, waitUntil } from "../agent/helpers.ts";
import { CROWDSEC, CROWDSEC_SKIP, type RunningLapi, startLapi } from "../support/crowdsec.ts";
import { tempDir } from "../support/harness.ts";
import { REDIS_MISSING, REDIS_SKIP_REASON, TestRedis } from "../support/redis.ts";
import { FLEET, Member, pusherOf, startFleetFirewall } from "./helpers.ts";

const MISSING = REDIS_MISSING ? REDIS_SKIP_REASON : CROWDSEC ? undefined : CROWDSEC_SKIP;

if (MISSING && process.env.CI === "true") {
  test("redis-server and crowdsec are installed (required under CI=true)", () => {
    assert.fail(`${MISSING}; under CI=true this is a failure`);
  });
}

describe("CrowdSec on a fleet member", { skip: MISSING ?? false, timeout: 240_000 }, () => {
  let redis: TestRedis;
  let lapi: RunningLapi;
  let emu: RunningEmulator;
  let a: Member;
  let b: Member;
  const temp = tempDir("f2b-fleet-cs");

  before(async () => {
    [redis, lapi, emu] = await Promise.all([
      TestRedis.start(temp.dir),
      startLapi(),
      startFleetFirewall(["a", "b"]),
    ]);
    const keyFile = join(temp.dir, "crowdsec.key");
    writeFileSync(keyFile, `${lapi.bouncerKey}\n`, { mode: 0o600 });
    mkdirSync(join(temp.dir, "a"));
    a = new Member("a", join(temp.dir, "a"), emu, redis, redis.port, {
      crowdsec: { lapi_url: lapi.url, api_key_file: keyFile, poll_interval: "1s" },
    });
    b = new Member("b", join(temp.dir, "b"), emu, redis);
    a.start("bouncer");
    b.start();
    await a.agent!.waitForLine(/crowdsec: full pull/, 20_000);
    await waitUntil("a member holds the lease", () => pusherOf(redis) !== undefined);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await lapi?.close();
    await emu?.close();
    await redis?.stop("SIGTERM");
    temp.cleanup();
  });

  const onFirewall = (...ips: string[]) => allOnFirewall(emu, ips);
  const offFirewall = (...ips: string[]) => noneOnFirewall(emu, ips);
  /** The fields of a's hash in Redis that are CrowdSec's (`<target> crowdsec <origin>`). */
  const crowdsecFields = () =>
    redis
      .cli("HKEYS", `f2b:${FLEET}:holds:a`)
      .split("\n")
      .filter((f) => f.includes(" crowdsec "));
  const explain = (e: Error) => {
    throw new Error(`${e.message}\na:\n${a.agent?.lines.join("\n")}\nb:\n${b.agent?.lines.join("\n")}`);
  };
  /** The pusher's journal: the fleet's union as last mirrored. */
  /** The pusher's journal (the fleet's union as last mirrored); undefined while no member holds the lease. */
  const pusherState = () => {
    const pusher = [a, b].find((m) => m.name === pusherOf(redis));
    return pusher && new Journal(join(pusher.stateDir, "fleet-pusher")).load().state;
  };

  test("cscli decisions (IPv4, IPv6, a range) reach the fleet's groups; a delete removes them", async () => {
    const ips = ["192.0.2.101", "2001:db8::101", "198.51.100.0/24"];
    await lapi.addDecision({ ip: ips[0]! });
    await lapi.addDecision({ ip: ips[1]! });
    await lapi.addDecision({ range: ips[2]! });
    await waitUntil("the decisions are on the firewall", () => onFirewall(...ips), 20_000).catch(explain);
    assert.deepEqual(crowdsecFields().sort(), [
      "192.0.2.101 crowdsec cscli",
      "198.51.100.0/24 crowdsec cscli",
      "2001:db8::101 crowdsec cscli",
    ]);
    assert.ok(!a.agent!.lines.some((l) => /not run by a fleet member/.test(l)));
    // status on a member: the pusher's journal, and the member's own CrowdSec source.
    const status = await a.cli("status");
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /crowdsec: .*, last pull 20.*; holds: cscli 3/);
    await lapi.deleteDecision({ ip: ips[0]! });
    await lapi.deleteDecision({ range: ips[2]! });
    await waitUntil("the deleted ones are gone", () => offFirewall(ips[0]!, ips[2]!), 20_000).catch(explain);
    assert.ok(onFirewall(ips[1]!), "the IPv6 decision stays");
    assert.ok(!a.agent!.lines.join("\n").includes(lapi.bouncerKey), "the key is never logged");
  });

  test("a jail's ban and a decision on one address: it stays until both release it", async () => {
    // One address banned by the other member's jail, one by a's own jail (one journal, two sources).
    const [byB, byA, later] = ["192.0.2.121", "192.0.2.122", "192.0.2.123"];
    assert.equal((await b.ban(byB, "sshd")).code, 0);
    assert.equal((await a.ban(byA, "sshd")).code, 0);
    await lapi.addDecision({ ip: byB });
    await lapi.addDecision({ ip: byA });
    await waitUntil(
      "both held by CrowdSec in Redis, both on the firewall",
      () => {
        const held = crowdsecFields();
        return [byB, byA].every((ip) => held.includes(`${ip} crowdsec cscli`)) && onFirewall(byB, byA);
      },
      20_000,
    ).catch(explain);
    await lapi.deleteDecision({ ip: byB });
    await lapi.deleteDecision({ ip: byA });
    let holds: BanState["holds"] = new Map();
    const mirrored = () => {
      holds = pusherState()?.holds ?? new Map();
      return [byB, byA].every(
        (ip) => holds.has(ip) && !holds.get(ip)?.bySource.get("fleet:a")?.has("crowdsec:cscli"),
      );
    };
    await waitUntil("the pusher mirrored the deletes", mirrored, 20_000).catch(explain);
    // The union keeps both jails' holds…
    assert.ok(holds.get(byB)?.bySource.get("fleet:b")?.has("fail2ban:sshd"), "b's jail still holds it");
    assert.ok(holds.get(byA)?.bySource.get("fleet:a")?.has("fail2ban:sshd"), "a's jail still holds it");
    // …and a push that comes after the mirror (a new ban's) has seen the deletes.
    assert.equal((await b.ban(later, "sshd")).code, 0);
    await waitUntil("a later ban is on the firewall", () => onFirewall(later), 20_000).catch(explain);
    assert.ok(onFirewall(byB, byA), "the jails still hold both");
    assert.equal((await b.cli("unban", "--ip", byB, "--jail", "sshd")).code, 0);
    assert.equal((await a.cli("unban", "--ip", byA, "--jail", "sshd")).code, 0);
    assert.equal((await b.cli("unban", "--ip", later, "--jail", "sshd")).code, 0);
    await waitUntil("released by both, they go", () => offFirewall(byB, byA, later), 20_000).catch(explain);
  });

  test("the LAPI stopped mid-run releases nothing", async () => {
    const ips = ["192.0.2.131", "2001:db8:dd::/48"];
    await lapi.addDecision({ ip: ips[0]! });
    await lapi.addDecision({ range: ips[1]! });
    await waitUntil("on the firewall", () => onFirewall(...ips), 20_000).catch(explain);
    const fields = crowdsecFields().sort();
    const version = redis.cli("GET", `f2b:${FLEET}:version`);
    const from = a.agent!.lines.length;
    await lapi.stop();
    await a.agent!.waitForLine(/crowdsec: .*nothing released/, 10_000, from);
    // A's heartbeat after the failed pull: its forward would carry any release.
    const failedAt = Date.now();
    await waitUntil(
      "a has forwarded since the failed pull",
      () => JSON.parse(redis.cli("HGET", `f2b:${FLEET}:members`, "a")).seenAt > failedAt,
    );
    assert.deepEqual(crowdsecFields().sort(), fields, "a's hash still holds every decision");
    assert.equal(redis.cli("GET", `f2b:${FLEET}:version`), version, "no member changed its holds");
    assert.ok(onFirewall(...ips), "nothing released during the outage");
    await lapi.start();
    await a.agent!.waitForLine(/crowdsec: the LAPI answers again/, 15_000, from);
    const pull = await a.agent!.waitForLine(/crowdsec: full pull/, 15_000, from);
    assert.match(pull, /holds \+0 -0/);
    assert.ok(onFirewall(...ips));
  });

  test("the bouncer stops cleanly: the source first, then the member agent", async () => {
    const agent = a.agent!;
    const code = await agent.stop();
    a.agent = undefined;
    assert.equal(code, 0, agent.lines.join("\n"));
    const stopped = agent.lines.findIndex((l) => /fleet: member a stopped/.test(l));
    assert.ok(stopped > 0, "the member agent said it stopped");
  });
});
