/**
 * `npm run bench:fleet [-- --members 10 --bans 100 --time-scale 0.01 --batch 100 --layout hosts]`: a fleet of
 * members (agents as processes, one real redis-server, the emulator with the realistic latency
 * profile time-scaled) each journals its bans at once; measures the firewall requests, the time
 * from the last journaled ban until the firewall answered the write that completed them (wall
 * clock, firewall latency time-scaled; the agents run with the tests' fast timings: quiet 50 ms,
 * max delay 500 ms; `--batch` is max_entities_per_request, default 100, the product's;
 * `--layout` hosts (the default) or iplist), and Redis commands per ban (heartbeats and the
 * pusher's polling included); then one ban by a hook process on the idle fleet, timed from the
 * hook's exit until the firewall answered the write that added it.
 */
import { parseArgs } from "node:util";
import { REALISTIC_LATENCY } from "../src/emulator/options.ts";
import { Journal } from "../src/journal/index.ts";
import { Member, pusherOf, startFleetFirewall } from "../test/fleet/helpers.ts";
import { coverage } from "../test/layouts/helpers.ts";
import { tempDir } from "../test/support/harness.ts";
import { REDIS_MISSING, TestRedis } from "../test/support/redis.ts";
import { waitUntil } from "../test/support/wait.ts";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "10" },
    bans: { type: "string", default: "100" },
    "time-scale": { type: "string", default: "0.01" },
    batch: { type: "string", default: "100" },
    layout: { type: "string", default: "hosts" },
  },
});
if (values.layout !== "hosts" && values.layout !== "iplist") {
  console.error(`--layout must be hosts or iplist, not ${values.layout}`);
  process.exit(2);
}
if (REDIS_MISSING) {
  console.error("skipped: redis-server not installed (apt-get install -y redis-server)");
  process.exit(0);
}
const memberCount = Number(values.members);
const bans = Number(values.bans);
const temp = tempDir("f2b-bench-fleet");
const redis = await TestRedis.start(temp.dir);
const names = Array.from({ length: memberCount }, (_, i) => `m${i}`);
const emu = await startFleetFirewall(names);
emu.setLatency({ ...REALISTIC_LATENCY, timeScale: Number(values["time-scale"]) });
const batch = Number(values.batch);
const members = names.map(
  (n) =>
    new Member(n, `${temp.dir}/${n}`, emu, redis, redis.port, {
      max_entities_per_request: batch,
      layout: values.layout,
    }),
);
/** Until the emulator's log stops growing for longer than its slowest request. */
async function untilIdle(): Promise<void> {
  const still = Math.max(500, 12_000 * Number(values["time-scale"]));
  let seen = -1;
  await waitUntil(
    "the pusher is idle",
    async () => {
      const length = emu.requestLog().length;
      if (length === seen) return true;
      seen = length;
      await new Promise((r) => setTimeout(r, still));
      return false;
    },
    600_000,
  );
}

try {
  for (const m of members) m.start();
  await waitUntil("a pusher is elected", () => pusherOf(redis) !== undefined, 30_000);
  await waitUntil("the pusher's first reconcile", () => emu.requestLog().length > 0, 30_000);
  // The first reconcile takes several requests at real latency: start the wave once it is over.
  await untilIdle();
  const requestsBefore = emu.requestLog().length;
  const commandsBefore = Number(redis.cli("INFO", "stats").match(/total_commands_processed:(\d+)/)?.[1]);
  const started = Date.now();
  members.forEach((m, i) => {
    const journal = new Journal(`${m.dir}/state`);
    const now = Date.now();
    journal.append(
      Array.from({ length: bans }, (_, j) => ({
        t: "ban" as const,
        at: now,
        jail: "sshd",
        target: `10.${i}.${j >> 8}.${j & 255}`,
        family: "IPv4" as const,
        expiresAt: null,
      })),
    );
  });
  const lastJournaled = Date.now();
  const total = memberCount * bans;
  await waitUntil(
    "the firewall holds every ban",
    () => coverage(emu.snapshot()).blocked.size >= total,
    120_000,
  );
  const commandsAfter = Number(redis.cli("INFO", "stats").match(/total_commands_processed:(\d+)/)?.[1]);
  // The emulator applies a write before its latency and logs it after: wait for the pusher to go
  // idle, so the write that completed the group is counted, and time it by its answer.
  await untilIdle();
  const log = emu.requestLog().slice(requestsBefore);
  const onFirewall = Math.max(...log.map((e) => Date.parse(e.at) + e.latencyMs));
  const writes = log.filter((e) => e.kind === "write");

  // Then one ban on the idle fleet, by a hook process on a member that is not the pusher.
  const idleFrom = emu.requestLog().length;
  const idleIp = "192.0.2.77";
  const hooked = await members.find((m) => m.name !== pusherOf(redis))!.ban(idleIp);
  if (hooked.code !== 0) throw new Error(`the idle ban failed: ${hooked.stderr}`);
  const hookDone = Date.now();
  await waitUntil(
    "the idle ban is on the firewall",
    () => coverage(emu.snapshot()).blocked.has(idleIp),
    120_000,
  );
  await untilIdle();
  const idleLog = emu.requestLog().slice(idleFrom);
  const idleWrites = idleLog.filter((e) => e.kind === "write");
  console.log(
    JSON.stringify(
      {
        members: memberCount,
        bansPerMember: bans,
        timeScale: Number(values["time-scale"]),
        maxEntitiesPerRequest: batch,
        layout: values.layout,
        journalingMs: lastJournaled - started,
        lastBanToFirewallMs: onFirewall - lastJournaled,
        firewallRequests: log.length,
        firewallWrites: writes.length,
        lastWriteMs: writes.at(-1)?.latencyMs,
        writers: [...new Set(writes.map((e) => e.user))],
        // Includes every member's heartbeat and the pusher's polling over the whole interval.
        redisCommandsPerBan: Number(((commandsAfter - commandsBefore) / total).toFixed(2)),
        idleBan: {
          hookExitToFirewallMs: Math.max(...idleLog.map((e) => Date.parse(e.at) + e.latencyMs)) - hookDone,
          requests: idleLog.length,
          writeMs: idleWrites.reduce((sum, e) => sum + e.latencyMs, 0),
        },
      },
      null,
      2,
    ),
  );
} finally {
  for (const m of members) await m.stop();
  await emu.close();
  await redis.stop("SIGTERM");
  temp.cleanup();
}
