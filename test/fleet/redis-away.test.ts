/**
 * Redis unreachable for one member for a minute loses nothing. A real redis-server, the
 * emulator over HTTPS and three members as agent processes, each reaching Redis through a TCP
 * proxy of its own; one proxy is cut for a minute while Redis stays up for the others. Once with
 * a member that is not the pusher (connections reset), once with the pusher itself
 * (connections blackholed, so its commands hang rather than fail).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { parseHoldField } from "../../src/fleet/keys.ts";
import { sleep, waitUntil } from "../agent/helpers.ts";
import { GROUP_V4, groupMembers, tempDir } from "../support/harness.ts";
import {
  REDIS_MISSING,
  REDIS_PASSWORD,
  REDIS_SKIP_REASON,
  requireRedisUnderCi,
  TestRedis,
} from "../support/redis.ts";
import { type CutMode, TcpProxies } from "../support/tcp-proxy.ts";
import {
  FLEET,
  hostName,
  inGroup,
  LEASE_MS,
  Member,
  memberUser,
  onFirewall,
  pusherOf,
  startFleetFirewall,
  writers,
} from "./helpers.ts";

/** The "Redis unreachable for one member for a minute". */
const REDIS_AWAY_MS = 60_000;
/**
 * A takeover waits for the lease to expire (LEASE_MS after the last renewal) and for the next
 * tick of a member (a quarter of the lease); the rest is margin for two busy cores.
 */
const TAKEOVER_WITHIN_MS = 2 * LEASE_MS;
/** How often the group is looked at for an address that should not have left it. */
const WATCH_MS = 25;
const NAMES = ["a", "b", "c"];

/** The API users that sent writes in the request log entries before index `to`. */
function writersBefore(emu: RunningEmulator, to: number): string[] {
  return [
    ...new Set(
      emu
        .requestLog()
        .slice(0, to)
        .filter((e) => e.kind === "write")
        .map((e) => e.user ?? "?"),
    ),
  ];
}

/**
 * Looks at the group every WATCH_MS for the whole scenario: waiting on the end state alone
 * would miss an address that was unbanned and banned again in between.
 */
class GroupWatch {
  private readonly mustStay = new Set<string>();
  readonly vanished: string[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly emu: RunningEmulator) {
    this.timer = setInterval(() => this.check(), WATCH_MS);
  }

  /** Looks now (also before an assertion, so a removal since the last look is not missed). */
  check(): void {
    const group = new Set(groupMembers(this.emu, GROUP_V4));
    for (const ip of this.mustStay) {
      if (!group.has(hostName(ip))) {
        this.vanished.push(`${ip} at ${new Date().toISOString()}`);
        // Once is enough to fail; it keeps watching the others.
        this.mustStay.delete(ip);
      }
    }
  }

  /** From now on `ips` must stay in the group (call once they are seen there). */
  hold(...ips: string[]): void {
    for (const ip of ips) this.mustStay.add(ip);
  }

  /** `ip` may leave the group from now on (call before its unban). */
  release(ip: string): void {
    this.mustStay.delete(ip);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function ban(member: Member, ip: string, bantime?: number): Promise<void> {
  const r = await member.ban(ip, "sshd", bantime);
  assert.equal(r.code, 0, r.stderr);
  // The hook only journals: this is what it says when the agent forwards it.
  assert.match(r.stdout, /forwards it to the fleet/);
}

async function unban(member: Member, ip: string): Promise<void> {
  const r = await member.cli("unban", "--ip", ip, "--jail", "sshd");
  assert.equal(r.code, 0, r.stderr);
}

interface Scenario {
  /** Whether the member cut off is the pusher (else one that is not). */
  pusher: boolean;
  mode: CutMode;
  /** The first three octets of this scenario's addresses. */
  net: string;
}

async function redisAway(t: TestContext, s: Scenario): Promise<void> {
  const temp = tempDir("f2b-away");
  const redis = await TestRedis.start(temp.dir);
  // Every member behind a proxy of its own: which one is cut depends on who took the lease.
  const proxies = await TcpProxies.start(redis.port, NAMES.length);
  const emu = await startFleetFirewall(NAMES);
  const members = NAMES.map((n, i) => new Member(n, join(temp.dir, n), emu, redis, proxies.proxies[i]!.port));
  const watch = new GroupWatch(emu);
  const ip = (n: number) => `${s.net}.${n}`;
  try {
    for (const m of members) m.start();
    await waitUntil("a member holds the lease", () => pusherOf(redis) !== undefined);
    await waitUntil("every member has reported", () =>
      NAMES.every((n) => redis.cli("HEXISTS", `f2b:${FLEET}:members`, n) === "1"),
    );
    const firstPusher = pusherOf(redis)!;
    const awayIndex = s.pusher ? NAMES.indexOf(firstPusher) : NAMES.findLastIndex((n) => n !== firstPusher);
    const away = members[awayIndex]!;
    const proxy = proxies.proxies[awayIndex]!;
    const [other1, other2] = members.filter((m) => m !== away) as [Member, Member];

    // Before the cut: a ban per member (some with a bantime, some permanent), an address held
    // by the cut-off member and another one, and one address on each side to unban meanwhile.
    const shared = ip(1);
    const awayUnbans = ip(2);
    const otherUnbans = ip(3);
    const before = [shared, awayUnbans, otherUnbans, ip(10), ip(11), ip(12)];
    await Promise.all([
      (async () => {
        await ban(away, shared);
        await ban(away, awayUnbans, 3600);
        await ban(away, ip(10));
      })(),
      (async () => {
        await ban(other2, shared, 3600);
        await ban(other2, otherUnbans);
        await ban(other2, ip(11));
      })(),
      ban(other1, ip(12), 3600),
    ]);
    await waitUntil("the bans before the cut are on the firewall", () => onFirewall(emu, before), 20_000);
    watch.hold(...before);

    assert.equal(pusherOf(redis), firstPusher, "the lease stayed where it was taken");
    const logAtCut = emu.requestLog().length;
    const linesAtCut = away.agent!.lines.length;
    const cutAt = Date.now();
    await proxy.cut(s.mode);
    let pusher = firstPusher;
    if (s.pusher) {
      await waitUntil("another member takes the lease", () => {
        const next = pusherOf(redis);
        return next !== undefined && next !== away.name;
      });
      const takeoverMs = Date.now() - cutAt;
      pusher = pusherOf(redis)!;
      t.diagnostic(`${pusher} took over ${takeoverMs} ms after the cut (lease ${LEASE_MS} ms)`);
      assert.ok(takeoverMs <= TAKEOVER_WITHIN_MS, `takeover after ${takeoverMs} ms`);
      // Its own clock stops it: it cannot hear from Redis that the lease is gone.
      await away.agent!.waitForLine(/stops pushing/, 10_000, linesAtCut);
    }
    await away.agent!.waitForLine(/cannot forward, retrying/, 10_000, linesAtCut);

    // During the outage, on the cut-off member: bans, an unban of its own address, and an unban
    // of the shared one (which must stay: the other member still holds it).
    const awayBans = [ip(20), ip(21)];
    for (const a of awayBans) await ban(away, a);
    await unban(away, awayUnbans);
    await unban(away, shared);
    // And on the others: the pusher must keep working for them.
    const otherBans = [ip(30), ip(31)];
    await Promise.all([ban(other1, ip(30)), ban(other2, ip(31))]);
    watch.release(otherUnbans);
    await unban(other2, otherUnbans);
    await waitUntil(
      "the other members' bans and unban reach the firewall during the outage",
      () => onFirewall(emu, otherBans) && !inGroup(emu, otherUnbans),
      20_000,
    );
    watch.hold(...otherBans);

    // The outage itself: the one fixed wait of the test.
    await sleep(cutAt + REDIS_AWAY_MS - Date.now());
    // A ban at the end of the minute, when the member's reconnects have backed off the most.
    const late = ip(22);
    await ban(away, late);
    // And one on another member: the pusher reads the union only when it changed, so this makes
    // it read the union while the cut-off member has been silent for the whole minute.
    const otherLate = ip(32);
    await ban(other1, otherLate);
    await waitUntil(
      "a ban at the end of the minute reaches the firewall",
      () => inGroup(emu, otherLate),
      20_000,
    );
    watch.hold(otherLate);
    watch.check();
    assert.deepEqual(watch.vanished, [], "no banned address left the group during the outage");
    // Still cut off: nothing of the minute may have reached Redis or the firewall, or it was
    // no outage and the test proves nothing.
    assert.ok((await proxy.turnedAway()) > 0, "the cut-off member tried to reconnect");
    const inRedis = new Set(
      redis
        .cli("HKEYS", `f2b:${FLEET}:holds:${away.name}`)
        .split("\n")
        .map((field) => parseHoldField(field)?.target),
    );
    assert.ok(inRedis.has(ip(10)), "the cut-off member's hash is read where it is");
    for (const a of [...awayBans, late]) {
      assert.ok(!inRedis.has(a), `${a} reached Redis during the outage`);
      assert.ok(!inGroup(emu, a), `${a} reached the firewall during the outage`);
    }
    assert.ok(inGroup(emu, awayUnbans), "the cut-off member's unban waits for Redis");
    assert.equal(pusherOf(redis), pusher, "one pusher for the whole outage");

    watch.release(awayUnbans);
    const restoredAt = Date.now();
    await proxy.restore();
    await waitUntil(
      "the cut-off member's bans and unban reach the firewall",
      () => onFirewall(emu, [...awayBans, late]) && !inGroup(emu, awayUnbans),
      20_000,
    );
    t.diagnostic(
      `the cut-off member's minute reached the firewall ${Date.now() - restoredAt} ms after the restore`,
    );

    const expected = [...before, ...otherBans, otherLate, ...awayBans, late]
      .filter((a) => a !== awayUnbans && a !== otherUnbans)
      .map(hostName)
      .sort();
    assert.deepEqual([...groupMembers(emu, GROUP_V4)].sort(), expected);
    watch.check();
    assert.deepEqual(watch.vanished, [], "no banned address ever left the group");
    // One writer: the first pusher, and after a takeover only the new one (the old one had
    // nothing left to send when it was cut off, so not even a request in flight may land).
    assert.ok(writersBefore(emu, logAtCut).includes(memberUser(firstPusher)));
    assert.deepEqual(writers(emu, logAtCut), [memberUser(pusher)]);
    assert.equal(pusherOf(redis), pusher, "the returning member does not take the lease back");
    for (const line of members.flatMap((m) => m.agent!.lines)) assert.ok(!line.includes(REDIS_PASSWORD));
  } finally {
    watch.stop();
    for (const m of members) await m.stop();
    await proxies.close();
    await emu.close();
    await redis.stop("SIGTERM");
    temp.cleanup();
  }
}

requireRedisUnderCi(test);

// Both scenarios at once: each has its own Redis, emulator and members, and each is a minute.
describe("Redis away from one member for a minute", {
  skip: REDIS_MISSING ? REDIS_SKIP_REASON : false,
  concurrency: true,
}, () => {
  test("a member that is not the pusher (connections reset) loses nothing", (t) =>
    redisAway(t, { pusher: false, mode: "reset", net: "198.51.100" }));

  test("the pusher (connections blackholed) is replaced, stops writing, and loses nothing", (t) =>
    redisAway(t, { pusher: true, mode: "blackhole", net: "203.0.113" }));
});
