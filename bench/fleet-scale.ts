/**
 * `npm run bench:fleet-scale [-- --members 100 --holds-per-member 1000 --seconds 20 --wave 100]`:
 * how far one Redis carries a fleet. One real redis-server (test/support/redis.ts: loopback,
 * `appendonly yes`, `appendfsync always`) and N simulated members in this one process, each
 * with its own Journal in a temp dir, its own FleetRedis connection, the real Forwarder and the
 * real Lease, run on the schedule of src/fleet/member-agent.ts (a tick of lease/4 capped at
 * 250 ms: lease poll or renewal every tick, a heartbeat forward at least once a second); the
 * lease holder reads the union (readUnion) and mirrors it into its pusher journal (mirrorUnion)
 * whenever `version` changes, as the member agent does. Left out: the pusher's Agent writing
 * the firewall (bench/fleet.ts measures that), and the hooks (the waves are journal appends).
 *
 * Prints JSON: Redis commands/s and CPU at steady state (heartbeats and lease polls only),
 * used_memory, the pusher's full union read + mirror (cold, as at a takeover, and warm, as after
 * any change), one member's forward of a wave of K new bans and the time until the pusher has
 * mirrored it. With `--sentinel` (and redis-sentinel installed): a primary, one replica and one
 * sentinel on loopback, the primary SIGKILLed, the time until the replica is promoted.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FleetConfig } from "../src/config/index.ts";
import { Forwarder } from "../src/fleet/forwarder.ts";
import { type FleetKeys, fleetKeys } from "../src/fleet/keys.ts";
import { Lease } from "../src/fleet/lease.ts";
import { connectFleetRedis, type FleetRedis } from "../src/fleet/redis.ts";
import { mirrorUnion, readUnion } from "../src/fleet/union.ts";
import { Journal, type JournalRecord } from "../src/journal/index.ts";
import { tempDir } from "../test/support/harness.ts";
import { freePort } from "../test/support/ports.ts";
import { REDIS_MISSING, REDIS_PASSWORD, REDIS_USER, TestRedis } from "../test/support/redis.ts";
import { sleep, waitUntil } from "../test/support/wait.ts";
import { percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "10" },
    "holds-per-member": { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    wave: { type: "string", default: "100" },
    waves: { type: "string", default: "5" },
    "lease-ms": { type: "string", default: "15000" },
    sentinel: { type: "boolean", default: false },
    "down-after-ms": { type: "string", default: "1000" },
  },
});
if (REDIS_MISSING) {
  console.error("skipped: redis-server not installed (apt-get install -y redis-server)");
  process.exit(0);
}
const memberCount = Number(values.members);
const holdsPerMember = Number(values["holds-per-member"]);
const steadySeconds = Number(values.seconds);
const waveSize = Number(values.wave);
const waveCount = Number(values.waves);
const leaseMs = Number(values["lease-ms"]);
const FLEET = "scale";
// The member agent's schedule (src/fleet/member-agent.ts: HEARTBEAT_MS and tickMs).
const HEARTBEAT_MS = 1000;
const TICK_MS = Math.max(50, Math.min(250, Math.floor(leaseMs / 4)));
// A day-long bantime: nothing expires during a run, as in a fleet with fail2ban's longer bans.
const BANTIME_S = 86_400;

/** Address number i as 10.x.y.z: distinct for every hold of every member (no overlap: the worst case for the union). */
function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function bans(from: number, count: number, nowMs: number): JournalRecord[] {
  return Array.from({ length: count }, (_, j) => ({
    t: "ban" as const,
    at: nowMs,
    jail: "sshd",
    target: address(from + j),
    family: "IPv4" as const,
    expiresAt: Math.floor(nowMs / 1000) + BANTIME_S,
  }));
}

function summary(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    n: samples.length,
    p50: round(percentile(samples, 0.5)),
    p99: round(percentile(samples, 0.99)),
    max: round(percentile(samples, 1)),
  };
}

/** `INFO <section>` as name → value (numbers where they are numbers). */
function info(redis: TestRedis, section: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of redis.cli("INFO", section).split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) map.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return map;
}

/** Time Redis itself spent in HGETALL so far (µs, INFO commandstats). */
function hgetallUsec(redis: TestRedis): number {
  return Number(/usec=(\d+)/.exec(info(redis, "commandstats").get("cmdstat_hgetall") ?? "")?.[1] ?? 0);
}

interface RedisCounters {
  at: number;
  commands: number;
  cpuSeconds: number;
  calls: Map<string, number>;
}

function counters(redis: TestRedis): RedisCounters {
  const stats = info(redis, "stats");
  const cpu = info(redis, "cpu");
  const calls = new Map<string, number>();
  for (const [name, text] of info(redis, "commandstats")) {
    const match = /calls=(\d+)/.exec(text);
    if (match) calls.set(name.replace(/^cmdstat_/, ""), Number(match[1]));
  }
  return {
    at: performance.now(),
    commands: Number(stats.get("total_commands_processed")),
    // The server's own process (main thread and its I/O threads); not a BGREWRITEAOF child.
    cpuSeconds: Number(cpu.get("used_cpu_sys")) + Number(cpu.get("used_cpu_user")),
    calls,
  };
}

function rates(before: RedisCounters, after: RedisCounters) {
  const seconds = (after.at - before.at) / 1000;
  const perCommand: Record<string, number> = {};
  let ours = 0;
  for (const [name, calls] of after.calls) {
    const delta = calls - (before.calls.get(name) ?? 0);
    if (delta > 0) perCommand[name] = Math.round(delta / seconds);
    // redis-cli's own INFO and AUTH (this measurement) are not the fleet's load.
    if (name !== "info" && name !== "auth") ours += delta;
  }
  return {
    seconds: Math.round(seconds * 10) / 10,
    // Counted as Redis counts them: MULTI and EXEC, and each command a script calls, are one each.
    commandsPerSecond: Math.round((after.commands - before.commands) / seconds),
    fleetCommandsPerSecond: Math.round(ours / seconds),
    fleetCommandsPerMemberSecond: Math.round((ours / seconds / memberCount) * 10) / 10,
    redisCpuPercent: Math.round(((after.cpuSeconds - before.cpuSeconds) / seconds) * 1000) / 10,
    perCommand,
  };
}

class SimMember {
  readonly journal: Journal;
  readonly forwarder: Forwarder;
  readonly lease: Lease;
  readonly pusherJournal: Journal;
  /** The member agent runs one loop: forwards never overlap, so a wave waits for the loop's turn. */
  private queue: Promise<unknown> = Promise.resolve();
  private lastForwardAt = 0;
  private lastVersion: string | undefined;
  heartbeats: number[] = [];
  mirrors: { ms: number; records: number; at: number }[] = [];
  errors = 0;

  constructor(
    readonly name: string,
    dir: string,
    readonly redis: FleetRedis,
    private readonly keys: FleetKeys,
  ) {
    mkdirSync(join(dir, "fleet-pusher"), { recursive: true, mode: 0o700 });
    this.journal = new Journal(dir);
    this.pusherJournal = new Journal(join(dir, "fleet-pusher"));
    this.forwarder = new Forwarder(redis, keys, name, this.journal);
    this.lease = new Lease(redis, keys, name, leaseMs);
  }

  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** One turn of member-agent.ts's loop: the heartbeat when due, then the lease, then the union. */
  async tick(recordHeartbeat: boolean): Promise<void> {
    await this.serial(async () => {
      const now = Date.now();
      if (now - this.lastForwardAt >= HEARTBEAT_MS) {
        this.lastForwardAt = now;
        const started = performance.now();
        await this.forwarder.forward(now);
        if (recordHeartbeat) this.heartbeats.push(performance.now() - started);
      }
      if (!(await this.lease.acquireOrRenew())) return;
      const version = String(await this.redis.command(["GET", this.keys.version]));
      if (version === this.lastVersion) return;
      const started = performance.now();
      const union = await readUnion(this.redis, this.keys, Date.now(), () => {});
      const records = mirrorUnion(this.pusherJournal, union, Date.now());
      this.mirrors.push({ ms: performance.now() - started, records, at: performance.now() });
      this.lastVersion = version;
    });
  }
}

async function scale() {
  const temp = tempDir("f2b-bench-fleet-scale");
  const redis = await TestRedis.start(temp.dir);
  const keys = fleetKeys(FLEET);
  const members: SimMember[] = [];
  const cpuAtStart = process.cpuUsage();
  let running = true;
  try {
    const config = (member: string): FleetConfig => ({
      // As the config resolves it (src/config/fleet.ts): the ACL user apart from the URL.
      redisUrl: `redis://127.0.0.1:${redis.port}`,
      redisUser: REDIS_USER,
      redisPassword: REDIS_PASSWORD,
      name: FLEET,
      member,
      leaseMs,
    });
    const emptyMemory = Number(info(redis, "memory").get("used_memory"));
    const journalStarted = performance.now();
    const now = Date.now();
    for (let i = 0; i < memberCount; i++) {
      const name = `m${i}`;
      const member = new SimMember(name, join(temp.dir, name), await connectFleetRedis(config(name)), keys);
      member.journal.append(bans(i * holdsPerMember, holdsPerMember, now));
      members.push(member);
    }
    const journalMs = performance.now() - journalStarted;

    // Every member forwards its holds for the first time, all at once (a fleet starting together).
    const fillStarted = performance.now();
    const fills = await Promise.all(
      members.map(async (m) => {
        const started = performance.now();
        await m.forwarder.forward();
        return performance.now() - started;
      }),
    );
    const fillMs = performance.now() - fillStarted;
    const memory = info(redis, "memory");
    const usedMemory = Number(memory.get("used_memory"));
    const datasetMemory = Number(memory.get("used_memory_dataset"));

    // The pusher's view, outside the loop so nothing else runs: a cold mirror into an empty
    // pusher journal (a takeover), then warm reads with nothing changed (what every version
    // change costs at this size, whatever the change).
    const probe = new Journal(join(temp.dir, "probe-pusher"));
    mkdirSync(probe.dir, { recursive: true, mode: 0o700 });
    const reader = members[0]!.redis;
    const timeUnion = async () => {
      const usecBefore = hgetallUsec(redis);
      const started = performance.now();
      const union = await readUnion(reader, keys, Date.now(), () => {});
      const readMs = performance.now() - started;
      const records = mirrorUnion(probe, union, Date.now());
      const totalMs = performance.now() - started;
      return { readMs, totalMs, records, redisMs: (hgetallUsec(redis) - usecBefore) / 1000 };
    };
    const cold = await timeUnion();
    const warm: number[] = [];
    const warmRead: number[] = [];
    const warmRedis: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await timeUnion();
      warm.push(t.totalMs);
      warmRead.push(t.readMs);
      warmRedis.push(t.redisMs);
    }

    // The member agents' loops, each started at its own offset in the heartbeat period (real
    // members are not in step).
    const loops = members.map(async (m, i) => {
      await sleep((i / memberCount) * HEARTBEAT_MS);
      while (running) {
        try {
          await m.tick(true);
        } catch {
          m.errors++;
        }
        await sleep(TICK_MS);
      }
    });
    await waitUntil(
      "a pusher has mirrored the union",
      () => members.some((m) => m.mirrors.length > 0),
      60_000,
    );
    await sleep(2 * HEARTBEAT_MS);
    for (const m of members) m.heartbeats = [];
    const before = counters(redis);
    const simCpuBefore = process.cpuUsage();
    await sleep(steadySeconds * 1000);
    const after = counters(redis);
    const simCpu = process.cpuUsage(simCpuBefore);
    const heartbeatSamples = members.flatMap((m) => m.heartbeats);
    const steady = rates(before, after);

    // Waves: one member at a time journals K new bans (what K hook calls write) and forwards
    // them in its loop's turn; the pusher mirrors the change at its next tick.
    const forwards: number[] = [];
    const toMirror: number[] = [];
    const waveMirrors: number[] = [];
    let next = memberCount * holdsPerMember;
    // Whoever holds the lease by then: a pusher that lost it (a starved loop) is replaced.
    const mirroredSince = (at: number) =>
      members.flatMap((m) => m.mirrors.filter((x) => x.at > at && x.records >= waveSize));
    for (let w = 0; w < waveCount; w++) {
      const member = members[(w * 7 + 1) % memberCount]!;
      const appended = performance.now();
      member.journal.append(bans(next, waveSize, Date.now()));
      next += waveSize;
      const report = await member.serial(async () => {
        const started = performance.now();
        const r = await member.forwarder.forward();
        forwards.push(performance.now() - started);
        return r;
      });
      if (report.set !== waveSize) throw new Error(`wave forwarded ${report.set}, not ${waveSize}`);
      await waitUntil("the pusher mirrored the wave", () => mirroredSince(appended).length > 0, 120_000);
      const mirror = mirroredSince(appended)[0]!;
      toMirror.push(mirror.at - appended);
      waveMirrors.push(mirror.ms);
      await sleep(HEARTBEAT_MS);
    }
    running = false;
    await Promise.all(loops);
    const pusher = members.find((m) => m.lease.held);
    const pusherHolds = pusher?.pusherJournal.load().state.holds.size;
    const total = memberCount * holdsPerMember;
    const round = (v: number) => Math.round(v * 10) / 10;
    return {
      members: memberCount,
      holdsPerMember,
      holds: total,
      leaseMs,
      tickMs: TICK_MS,
      journalsWrittenMs: Math.round(journalMs),
      firstForwardAllMembersMs: Math.round(fillMs),
      firstForwardPerMember: summary(fills),
      redisUsedMemoryMb: round(usedMemory / 1048576),
      redisDatasetBytesPerHold: Math.round(datasetMemory / total),
      redisUsedMemoryBytesPerHold: Math.round((usedMemory - emptyMemory) / total),
      unionColdReadAndMirrorMs: round(cold.totalMs),
      unionColdReadMs: round(cold.readMs),
      unionColdRecords: cold.records,
      unionWarmReadAndMirrorMs: summary(warm),
      unionWarmReadMs: summary(warmRead),
      unionWarmRedisHgetallMs: summary(warmRedis),
      steady: {
        ...steady,
        expectedHeartbeatsPerSecond: memberCount,
        heartbeatsPerSecond: round(heartbeatSamples.length / steady.seconds),
        heartbeatForwardMs: summary(heartbeatSamples),
        // Above ~100 % of one core this process, not Redis, sets the pace.
        simulatorCpuPercent: Math.round(
          ((simCpu.user + simCpu.system) / 1000 / (steady.seconds * 1000)) * 100,
        ),
      },
      wave: {
        size: waveSize,
        forwardMs: summary(forwards),
        pusherReadAndMirrorMs: summary(waveMirrors),
        appendToMirroredMs: summary(toMirror),
      },
      // More than one: the lease changed hands during the run (a loop starved past its lease).
      membersThatWerePusher: members.filter((m) => m.mirrors.length > 0).length,
      pusherJournalHolds: pusherHolds,
      pusherJournalComplete: pusherHolds === total + waveCount * waveSize,
      errors: members.reduce((n, m) => n + m.errors, 0),
      simulatorCpuSecondsTotal: round(
        (process.cpuUsage(cpuAtStart).user + process.cpuUsage(cpuAtStart).system) / 1e6,
      ),
    };
  } finally {
    running = false;
    for (const m of members) await m.redis.close();
    await redis.stop("SIGTERM");
    temp.cleanup();
  }
}

/** A redis process of ours, stopped by its pid. */
function startRedis(binary: string, conf: string): ChildProcess {
  return spawn(binary, [conf], { stdio: "ignore" });
}

function cliAt(port: number, ...args: string[]): string {
  return spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8" }).stdout.trim();
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  await exited;
}

/**
 * Primary + replica + one sentinel (quorum 1) on loopback, without ACLs (what is measured is
 * the failover, not the authentication): a member forwards its holds to the primary, the
 * primary is SIGKILLed, the sentinel promotes the replica; then the same member's journal is
 * forwarded to the new primary by a fresh Forwarder (what a reconnect does: read back, write
 * the difference), which says whether anything acknowledged was lost.
 */
async function sentinelFailover() {
  if (spawnSync("sh", ["-c", "command -v redis-sentinel"]).status !== 0) {
    return { skipped: "redis-sentinel not installed (apt-get install -y redis-sentinel)" };
  }
  const downAfterMs = Number(values["down-after-ms"]);
  const temp = tempDir("f2b-bench-sentinel");
  const [primaryPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const node = (name: string, port: number, extra: string[]) => {
    const dir = join(temp.dir, name);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "redis.conf");
    writeFileSync(
      conf,
      [
        "bind 127.0.0.1",
        `port ${port}`,
        `dir ${dir}`,
        "appendonly yes",
        "appendfsync always",
        'save ""',
        "daemonize no",
        "loglevel warning",
        `logfile ${join(dir, "redis.log")}`,
        ...extra,
        "",
      ].join("\n"),
    );
    return conf;
  };
  const sentinelConf = join(temp.dir, "sentinel.conf");
  writeFileSync(
    sentinelConf,
    [
      "bind 127.0.0.1",
      `port ${sentinelPort}`,
      `dir ${temp.dir}`,
      "daemonize no",
      `logfile ${join(temp.dir, "sentinel.log")}`,
      `sentinel monitor f2b 127.0.0.1 ${primaryPort} 1`,
      `sentinel down-after-milliseconds f2b ${downAfterMs}`,
      "sentinel failover-timeout f2b 10000",
      "sentinel parallel-syncs f2b 1",
      "",
    ].join("\n"),
  );
  const primary = startRedis("redis-server", node("primary", primaryPort, []));
  const replica = startRedis(
    "redis-server",
    node("replica", replicaPort, [`replicaof 127.0.0.1 ${primaryPort}`]),
  );
  let sentinel: ChildProcess | undefined;
  const fleetRedis: FleetRedis[] = [];
  try {
    await waitUntil("the replica is in sync", () =>
      cliAt(replicaPort, "INFO", "replication").includes("master_link_status:up"),
    );
    sentinel = startRedis("redis-sentinel", sentinelConf);
    await waitUntil(
      "the sentinel knows the replica",
      () => cliAt(sentinelPort, "SENTINEL", "REPLICAS", "f2b").includes(String(replicaPort)),
      20_000,
    );
    const keys = fleetKeys(FLEET);
    const dir = join(temp.dir, "member");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new Journal(dir);
    journal.append(bans(0, holdsPerMember, Date.now()));
    const config = (port: number): FleetConfig => ({
      redisUrl: `redis://127.0.0.1:${port}`,
      name: FLEET,
      member: "m0",
      leaseMs,
    });
    const before = await connectFleetRedis(config(primaryPort));
    fleetRedis.push(before);
    await new Forwarder(before, keys, "m0", journal).forward();
    // Another wave, acknowledged by the primary just before it dies: the write most at risk.
    journal.append(bans(holdsPerMember, waveSize, Date.now()));
    await new Forwarder(before, keys, "m0", journal).forward();
    const killedAt = performance.now();
    await stopChild(primary, "SIGKILL");
    let odownMs: number | undefined;
    await waitUntil(
      "the sentinel promotes the replica",
      () => {
        if (odownMs === undefined && /o_down|odown/.test(cliAt(sentinelPort, "SENTINEL", "MASTER", "f2b"))) {
          odownMs = performance.now() - killedAt;
        }
        return cliAt(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "f2b").includes(
          String(replicaPort),
        );
      },
      60_000,
    );
    const promotedMs = performance.now() - killedAt;
    await waitUntil("the new primary takes writes", () => cliAt(replicaPort, "ROLE").startsWith("master"));
    const writableMs = performance.now() - killedAt;
    const lenOnNewPrimary = Number(cliAt(replicaPort, "HLEN", keys.holds("m0")));
    const after = await connectFleetRedis(config(replicaPort));
    fleetRedis.push(after);
    const repairStarted = performance.now();
    const repaired = await new Forwarder(after, keys, "m0", journal).forward();
    return {
      downAfterMs,
      quorum: 1,
      sentinels: 1,
      killToObjectivelyDownMs: odownMs === undefined ? null : Math.round(odownMs),
      killToPromotedMs: Math.round(promotedMs),
      killToNewPrimaryWritableMs: Math.round(writableMs),
      holdsAcknowledgedBeforeKill: holdsPerMember + waveSize,
      holdsOnNewPrimary: lenOnNewPrimary,
      rewrittenByForwarder: repaired.set,
      forwardToNewPrimaryMs: Math.round((performance.now() - repairStarted) * 10) / 10,
    };
  } finally {
    for (const r of fleetRedis) await r.close();
    if (sentinel) await stopChild(sentinel);
    await stopChild(replica);
    await stopChild(primary);
    temp.cleanup();
  }
}

const result: Record<string, unknown> = { scale: await scale() };
if (values.sentinel) result.sentinel = await sentinelFailover();
console.log(JSON.stringify(result, null, 2));
