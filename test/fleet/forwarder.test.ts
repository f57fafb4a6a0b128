/**
 * The forwarder against a real redis-server: a heartbeat with nothing changed writes no hold,
 * and the holds it keeps between heartbeats (rebuilt only when the journal moved or a hold
 * expired) still follow every change: an append, an expiry, a compaction that drops a hold.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Forwarder } from "../../src/fleet/forwarder.ts";
import { fleetKeys } from "../../src/fleet/keys.ts";
import { connectFleetRedis, type FleetRedis } from "../../src/fleet/redis.ts";
import { Journal, type JournalRecord } from "../../src/journal/index.ts";
import { tempDir } from "../support/harness.ts";
import {
  REDIS_MISSING,
  REDIS_PASSWORD,
  REDIS_SKIP_REASON,
  REDIS_USER,
  requireRedisUnderCi,
  TestRedis,
} from "../support/redis.ts";

requireRedisUnderCi(test);

describe("the forwarder", { skip: REDIS_MISSING ? REDIS_SKIP_REASON : false }, () => {
  const temp = tempDir("f2b-forwarder");
  const keys = fleetKeys("fw");
  let redis: TestRedis;
  let client: FleetRedis;

  before(async () => {
    redis = await TestRedis.start(temp.dir);
    client = await connectFleetRedis({
      redisUrl: `redis://127.0.0.1:${redis.port}`,
      redisUser: REDIS_USER,
      redisPassword: REDIS_PASSWORD,
      name: "fw",
      member: "m",
      leaseMs: 1000,
    });
  });

  after(async () => {
    await client?.close();
    await redis?.stop("SIGTERM");
    temp.cleanup();
  });

  const ban = (target: string, expiresAt: number | null, at: number): JournalRecord => ({
    t: "ban",
    at,
    source: "crowdsec",
    jail: "cscli",
    target,
    family: "IPv4",
    expiresAt,
  });
  const fields = () => redis.cli("HKEYS", keys.holds("m")).split("\n").filter(Boolean).sort();

  test("follows appends, expiries and compactions; a quiet heartbeat writes no hold", async () => {
    const journal = new Journal(`${temp.dir}`);
    const forwarder = new Forwarder(client, keys, "m", journal);
    const now = Date.now();
    const nowSec = Math.floor(now / 1000);
    journal.append([ban("192.0.2.1", nowSec + 10, now), ban("192.0.2.2", null, now)]);
    assert.deepEqual(await forwarder.forward(now), { set: 2, deleted: 0, holds: 2 });
    const version = redis.cli("GET", keys.version);
    assert.deepEqual(await forwarder.forward(now + 1000), { set: 0, deleted: 0, holds: 2 });
    assert.equal(redis.cli("GET", keys.version), version, "a quiet heartbeat changes nothing");
    assert.ok(JSON.parse(redis.cli("HGET", keys.members, "m")).seenAt >= now + 1000, "but reports");

    journal.append([ban("192.0.2.3", nowSec + 100, now)]);
    assert.deepEqual(await forwarder.forward(now + 2000), { set: 1, deleted: 0, holds: 3 });

    // 192.0.2.1 ends with nothing journaled: the next heartbeat after its end deletes it.
    assert.deepEqual(await forwarder.forward(now + 11_000), { set: 0, deleted: 1, holds: 2 });
    assert.deepEqual(fields(), ["192.0.2.2 crowdsec cscli", "192.0.2.3 crowdsec cscli"]);

    // A compaction that drops a hold changes the state in place: still seen.
    journal.compact((state) => state.holds.delete("192.0.2.3"));
    assert.deepEqual(await forwarder.forward(now + 12_000), { set: 0, deleted: 1, holds: 1 });
    assert.deepEqual(fields(), ["192.0.2.2 crowdsec cscli"]);
  });
});
