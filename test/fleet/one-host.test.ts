/** A fleet of one behaves like today's single host: ban, unban and flush reach the firewall. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { waitUntil } from "../agent/helpers.ts";
import { GROUP_V4, groupMembers, PREFIX, tempDir } from "../support/harness.ts";
import { REDIS_MISSING, REDIS_SKIP_REASON, TestRedis } from "../support/redis.ts";
import { Member, memberUser, pusherOf, startFleetFirewall, writers } from "./helpers.ts";

let redis: TestRedis;
let emu: RunningEmulator;
let solo: Member;
const temp = tempDir("f2b-fleet-one");

before(async () => {
  if (REDIS_MISSING) return;
  redis = await TestRedis.start(temp.dir);
  emu = await startFleetFirewall(["solo"]);
  solo = new Member("solo", `${temp.dir}/solo`, emu, redis);
  solo.start();
  await waitUntil("the only member is the pusher", () => pusherOf(redis) === "solo");
});

after(async () => {
  await solo?.stop();
  await emu?.close();
  await redis?.stop("SIGTERM");
  temp.cleanup();
});

test("a one-host fleet bans, unbans and flushes like a single host", {
  skip: REDIS_MISSING ? REDIS_SKIP_REASON : false,
}, async () => {
  const held = () => new Set(groupMembers(emu, GROUP_V4));
  assert.equal((await solo.ban("192.0.2.10", "sshd")).code, 0);
  assert.equal((await solo.ban("192.0.2.11", "nginx")).code, 0);
  await waitUntil(
    "both bans are on the firewall",
    () => held().has(`${PREFIX}192.0.2.10`) && held().has(`${PREFIX}192.0.2.11`),
    15_000,
  );
  assert.equal((await solo.cli("unban", "--ip", "192.0.2.10", "--jail", "sshd")).code, 0);
  await waitUntil("the unban reaches the firewall", () => !held().has(`${PREFIX}192.0.2.10`), 15_000);
  assert.equal((await solo.cli("flush", "--jail", "nginx")).code, 0);
  await waitUntil("the flush reaches the firewall", () => held().size === 0, 15_000);
  assert.deepEqual(writers(emu), [memberUser("solo")]);
});
