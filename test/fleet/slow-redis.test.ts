/**
 * A union read that outlasts the lease's trust does not cost the pusher its lease: the lease is
 * renewed in a loop of its own. A real redis-server, the emulator over HTTPS, six members as agent
 * processes; the pusher reaches Redis through a proxy that holds every chunk 100 ms each way, so
 * its union read (one round trip per member, plus two) takes longer than the lease itself.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { fleetKeys } from "../../src/fleet/keys.ts";
import { connectFleetRedis } from "../../src/fleet/redis.ts";
import { readUnion } from "../../src/fleet/union.ts";
import { waitUntil } from "../agent/helpers.ts";
import { tempDir } from "../support/harness.ts";
import {
  REDIS_MISSING,
  REDIS_PASSWORD,
  REDIS_SKIP_REASON,
  REDIS_USER,
  requireRedisUnderCi,
  TestRedis,
} from "../support/redis.ts";
import { TcpProxies } from "../support/tcp-proxy.ts";
import {
  FLEET,
  LEASE_MS,
  Member,
  memberUser,
  onFirewall,
  pusherOf,
  startFleetFirewall,
  writers,
} from "./helpers.ts";

/** Each way: a round trip through the proxy takes twice this. */
const DELAY_MS = 100;
const SLOW = "s";
const OTHERS = ["a", "b", "c", "d", "e"];

function leaseValue(redis: TestRedis): string {
  return redis.cli("GET", `f2b:${FLEET}:lease`);
}

/** How long the fleet's own union read takes through the slow proxy, as the pusher does it. */
async function timeUnionRead(port: number): Promise<number> {
  const redis = await connectFleetRedis({
    redisUrl: `redis://127.0.0.1:${port}`,
    redisUser: REDIS_USER,
    redisPassword: REDIS_PASSWORD,
    name: FLEET,
    member: "probe",
    leaseMs: LEASE_MS,
  });
  try {
    await redis.command(["PING"]);
    const startedAt = Date.now();
    await readUnion(redis, fleetKeys(FLEET), Date.now(), () => undefined);
    return Date.now() - startedAt;
  } finally {
    await redis.close();
  }
}

async function slowPusher(t: TestContext): Promise<void> {
  const temp = tempDir("f2b-slow");
  const redis = await TestRedis.start(temp.dir);
  const proxies = await TcpProxies.start(redis.port, 1);
  const proxy = proxies.proxies[0]!;
  await proxy.delay(DELAY_MS);
  const emu = await startFleetFirewall([SLOW, ...OTHERS]);
  const slow = new Member(SLOW, join(temp.dir, SLOW), emu, redis, proxy.port);
  const others = OTHERS.map((n) => new Member(n, join(temp.dir, n), emu, redis));
  try {
    // The slow member first, so the lease is its own.
    slow.start();
    await waitUntil("the slow member takes the lease", () => pusherOf(redis) === SLOW, 20_000);
    const lease = leaseValue(redis);
    for (const m of others) m.start();
    await waitUntil("every member has reported", () =>
      [SLOW, ...OTHERS].every((n) => redis.cli("HEXISTS", `f2b:${FLEET}:members`, n) === "1"),
    );

    // The premise: one union read through the proxy outlasts the lease, not only its trust.
    const readMs = await timeUnionRead(proxy.port);
    t.diagnostic(`a union read through the slow proxy took ${readMs} ms (lease ${LEASE_MS} ms)`);
    assert.ok(readMs > LEASE_MS, `the union read took only ${readMs} ms: the test proves nothing`);

    // Two waves, each a version change or more, each followed by a union read on the pusher.
    const all: string[] = [];
    for (const wave of [1, 2]) {
      const ips = others.map((_m, i) => `198.51.${wave}.${10 + i}`);
      await Promise.all(
        others.map(async (m, i) => {
          const r = await m.ban(ips[i]!);
          assert.equal(r.code, 0, r.stderr);
        }),
      );
      all.push(...ips);
      await waitUntil(`wave ${wave} is on the firewall`, () => onFirewall(emu, all), 30_000);
    }

    assert.equal(leaseValue(redis), lease, "the slow pusher kept its lease and its fencing token");
    assert.deepEqual(writers(emu), [memberUser(SLOW)], "only the slow pusher wrote");
    const stops = slow.agent!.lines.filter((line) => /stops pushing|no longer holds/.test(line));
    assert.deepEqual(stops, [], "the slow pusher never stopped pushing");
  } finally {
    await slow.stop();
    for (const m of others) await m.stop();
    await proxies.close();
    await emu.close();
    await redis.stop("SIGTERM");
    temp.cleanup();
  }
}

requireRedisUnderCi(test);

describe("a pusher on a slow link to Redis", { skip: REDIS_MISSING ? REDIS_SKIP_REASON : false }, () => {
  test("keeps its lease while a union read outlasts it", (t) => slowPusher(t));
});
