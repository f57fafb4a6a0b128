/**
 * Fleet mode end to end: a real redis-server, the emulator over HTTPS, members as separate
 * state directories with their own agents and API users.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { waitUntil } from "../agent/helpers.ts";
import { GROUP_V4, groupMembers, runCli, tempDir } from "../support/harness.ts";
import {
  REDIS_MISSING,
  REDIS_PASSWORD,
  REDIS_SKIP_REASON,
  requireRedisUnderCi,
  TestRedis,
} from "../support/redis.ts";
import {
  inGroup,
  LEASE_MS,
  Member,
  memberUser,
  onFirewall,
  pusherOf,
  startFleetFirewall,
  writers,
} from "./helpers.ts";

const NAMES = ["a", "b", "c"];
/** Long enough that a kill lands while a write is at the firewall. */
const WRITE_MS = 200;

/** `sending` records in a member's pusher journal: one is written just before each push request. */
function sendings(dir: string): number {
  try {
    return (
      readFileSync(join(dir, "state", "fleet-pusher", "journal.jsonl"), "utf8").match(/"t":"sending"/g) ?? []
    ).length;
  } catch {
    return 0;
  }
}

requireRedisUnderCi(test);

describe("fleet", { skip: REDIS_MISSING ? REDIS_SKIP_REASON : false }, () => {
  let redis: TestRedis;
  let emu: RunningEmulator;
  let members: Member[];
  const temp = tempDir("f2b-fleet");

  before(async () => {
    redis = await TestRedis.start(temp.dir);
    // d, e and f join later (each test's own member), with API users of their own.
    emu = await startFleetFirewall([...NAMES, "d", "e", "f"], WRITE_MS);
    members = NAMES.map((n) => new Member(n, `${temp.dir}/${n}`, emu, redis));
    for (const m of members) m.start();
    await waitUntil("a member holds the lease", () => pusherOf(redis) !== undefined);
  });

  after(async () => {
    for (const m of members) await m.stop();
    await emu?.close();
    await redis?.stop("SIGTERM");
    temp.cleanup();
  });

  test("bans from every member converge on one group, written by one member", async () => {
    const from = emu.requestLog().length;
    const ips = members.flatMap((_m, i) => [`198.51.100.${10 + i}`, `198.51.100.${20 + i}`]);
    await Promise.all(
      members.map(async (m, i) => {
        for (const ip of [`198.51.100.${10 + i}`, `198.51.100.${20 + i}`, "198.51.100.99"]) {
          const r = await m.ban(ip);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /forwards it to the fleet/);
        }
      }),
    );
    await waitUntil(
      "every member's bans are on the firewall",
      () => onFirewall(emu, [...ips, "198.51.100.99"]),
      20_000,
    );
    const pusher = pusherOf(redis)!;
    assert.deepEqual(writers(emu, from), [memberUser(pusher)]);
    for (const line of members.flatMap((m) => m.agent!.lines)) assert.ok(!line.includes(REDIS_PASSWORD));
  });

  test("fleet status names Redis, persistence, the pusher and every member", async () => {
    const r = await members[0]!.cli("fleet", "status");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /appendonly yes/);
    assert.match(r.stdout, new RegExp(`pusher: ${pusherOf(redis)} \\(fencing token \\d+`));
    for (const n of NAMES) assert.match(r.stdout, new RegExp(`member ${n}: \\d+ hold\\(s\\)`));
    assert.ok(!`${r.stdout}${r.stderr}`.includes(REDIS_PASSWORD));
    // status and list on the pusher: the union as it mirrored it, with the member of each hold.
    const pusher = members.find((m) => m.name === pusherOf(redis))!;
    const status = await pusher.cli("status");
    assert.match(status.stdout, /pending: 0 to add, 0 to remove/);
    assert.match(status.stdout, /pusher: /);
    const list = await pusher.cli("list");
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /198\.51\.100\.99 .*fleet:a.*fleet:b|198\.51\.100\.99 .*fleet:b.*fleet:a/);
    assert.match(list.stdout, /drift: none/);
    const doctor = await members[1]!.cli("doctor");
    assert.match(doctor.stdout, /ok {4}fleet: fleet t: Redis at .* answers \(ACL user fleet\)/);
    assert.match(doctor.stdout, /ok {4}fleet: persistence: appendonly yes/);
    assert.match(doctor.stdout, /ok {4}fleet: pusher: [abc] \(fencing token/);
  });

  test("the pusher SIGKILLed mid-push: no ban lost, after each takeover one member writes", async (t) => {
    const takeovers: number[] = [];
    let midWrite = 0;
    const kills = Number(process.env.F2B_FLEET_KILLS ?? (process.env.CI === "true" ? 20 : 4));
    const banned: string[] = [];
    for (let k = 0; k < kills; k++) {
      const pusher = pusherOf(redis)!;
      const victim = members.find((m) => m.name === pusher)!;
      const others = members.filter((m) => m !== victim);
      const wave = [0, 1, 2].map((j) => `203.0.113.${(k * 3 + j) % 250}`);
      banned.push(...wave);
      const sent = sendings(victim.dir);
      // A wave on other members; kill the pusher once it has said it is sending a push request.
      await Promise.all(wave.map((ip, j) => others[j % others.length]!.ban(ip, "web")));
      await waitUntil(
        "the pusher starts a push",
        () => sendings(victim.dir) > sent || onFirewall(emu, wave),
        10_000,
      );
      const logged = emu.requestLog().length;
      await victim.stop("SIGKILL");
      const killedAt = Date.now();
      const before = emu.requestLog().length;
      if (before === logged && !onFirewall(emu, wave)) midWrite++;
      await waitUntil("another member takes the lease", () => {
        const next = pusherOf(redis);
        return next !== undefined && next !== victim.name;
      });
      takeovers.push(Date.now() - killedAt);
      const killedLog = emu.requestLog().length;
      victim.start();
      await waitUntil("every ban so far is on the firewall", () => onFirewall(emu, banned), 20_000);
      // Writes that reached the firewall after the kill: from the new pusher only (a write the
      // dead one had already sent is logged before killedAt or not at all).
      // The dead pusher's request in flight may still be logged once; after that, one writer.
      const after = writers(emu, Math.max(before + 1, killedLog));
      assert.ok(after.length <= 1, `writers after takeover ${k + 1}: ${after.join(", ")}`);
    }
    t.diagnostic(
      `${kills} kills, ${midWrite} while a push was under way; takeover ${Math.min(...takeovers)}-${Math.max(...takeovers)} ms (lease ${LEASE_MS} ms)`,
    );
  });

  test("Redis killed and restarted during a wave loses nothing", async () => {
    const wave = [1, 2, 3, 4, 5, 6].map((j) => `192.0.2.${j}`);
    await Promise.all(wave.slice(0, 3).map((ip, j) => members[j]!.ban(ip, "smtp")));
    await redis.stop("SIGKILL");
    await Promise.all(wave.slice(3).map((ip, j) => members[j]!.ban(ip, "smtp")));
    await redis.restart();
    await waitUntil("the wave is on the firewall", () => onFirewall(emu, wave), 20_000);
  });

  test("a Redis that comes back empty unbans nothing; the members refill it", async () => {
    const held = groupMembers(emu, GROUP_V4).length;
    assert.ok(held > 0);
    let lowest = held;
    redis.cli("FLUSHALL");
    await waitUntil(
      "every member has forwarded its holds again",
      () => {
        lowest = Math.min(lowest, groupMembers(emu, GROUP_V4).length);
        return (
          NAMES.every((n) => Number(redis.cli("HLEN", `f2b:t:holds:${n}`)) > 0) &&
          pusherOf(redis) !== undefined
        );
      },
      15_000,
    );
    // Long enough for a pusher to have mirrored the refilled union and pushed.
    const until = Date.now() + 1500;
    await waitUntil("a quiet second and a half", () => {
      lowest = Math.min(lowest, groupMembers(emu, GROUP_V4).length);
      return Date.now() > until;
    });
    assert.equal(lowest, held, "no address was unbanned meanwhile");
    assert.equal(groupMembers(emu, GROUP_V4).length, held);
  });

  test("a member that cannot reach Redis keeps its bans and forwards them once it can", async () => {
    const lonely = new Member("d", `${temp.dir}/d`, emu, redis, 1);
    lonely.start();
    await lonely.agent!.waitForLine(/cannot forward, retrying/);
    assert.equal((await lonely.ban("192.0.2.77", "sshd")).code, 0);
    await lonely.stop();
    assert.ok(!onFirewall(emu, ["192.0.2.77"]));
    // The right port now: same state directory, same journal.
    const fixed = new Member("d", `${temp.dir}/d`, emu, redis);
    fixed.start();
    try {
      await waitUntil("its ban reaches the firewall", () => onFirewall(emu, ["192.0.2.77"]), 20_000);
    } finally {
      await fixed.stop();
    }
    const left = await fixed.cli("fleet", "leave");
    assert.equal(left.code, 0, left.stdout + left.stderr);
    await waitUntil("its ban is released", () => !inGroup(emu, "192.0.2.77"), 20_000);
  });

  test("a member leaving releases only its own holds", async () => {
    const c = members[2]!;
    assert.equal((await c.ban("198.51.100.200", "sshd")).code, 0);
    assert.equal((await members[0]!.ban("198.51.100.201", "sshd")).code, 0);
    await waitUntil(
      "both on the firewall",
      () => onFirewall(emu, ["198.51.100.200", "198.51.100.201"]),
      20_000,
    );
    await c.stop();
    const running = await c.cli("fleet", "leave");
    assert.equal(running.code, 0, running.stdout + running.stderr);
    assert.match(running.stdout, /member c left fleet t/);
    await waitUntil("c's own ban is released", () => !inGroup(emu, "198.51.100.200"), 20_000);
    // The address c banned together with the others (198.51.100.99) and a's ban stay.
    assert.ok(onFirewall(emu, ["198.51.100.99", "198.51.100.201", "198.51.100.10"]));
    assert.ok(!onFirewall(emu, ["198.51.100.12"]), "c's only-own bans are released");
    c.start();
  });

  test("a gone member's holds are released from another member with fleet leave --member NAME --yes", async () => {
    const gone = new Member("e", `${temp.dir}/e`, emu, redis);
    gone.start();
    await waitUntil("e reports to the fleet", () => redis.cli("HEXISTS", "f2b:t:members", "e") === "1");
    assert.equal((await gone.ban("198.51.100.220", "sshd")).code, 0);
    assert.equal((await gone.ban("198.51.100.221", "sshd")).code, 0);
    assert.equal((await members[0]!.ban("198.51.100.221", "nginx")).code, 0);
    await waitUntil(
      "both on the firewall",
      () => onFirewall(emu, ["198.51.100.220", "198.51.100.221"]),
      20_000,
    );
    // The host dies: no agent stops cleanly, nobody runs leave on it.
    await gone.stop("SIGKILL");
    const other = members[0]!;
    const unconfirmed = await other.cli("fleet", "leave", "--member", "e");
    assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /releases another host's holds: nothing changed \(add --yes/);
    const tooSoon = await other.cli("fleet", "leave", "--member", "e", "--yes");
    assert.equal(tooSoon.code, 1, tooSoon.stdout + tooSoon.stderr);
    assert.match(tooSoon.stdout + tooSoon.stderr, /member e reported \d+ s ago: its agent runs/);
    assert.ok(onFirewall(emu, ["198.51.100.220"]), "nothing was released");
    const unknown = await other.cli("fleet", "leave", "--member", "nobody", "--yes");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout + unknown.stderr, /has no member nobody/);
    const misplaced = await other.cli("status", "--member", "e");
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--member is only for fleet leave, not status/);
    // Once it has been silent for longer than a live member can be (10 s, twice the lease at least).
    await waitUntil(
      "e has been silent for 10 s",
      () => Date.now() - JSON.parse(redis.cli("HGET", `f2b:t:members`, "e")).seenAt > 10_500,
      20_000,
    );
    const left = await other.cli("fleet", "leave", "--member", "e", "--yes");
    assert.equal(left.code, 0, left.stdout + left.stderr);
    assert.match(left.stdout, /member e left fleet t; its 2 hold\(s\) are released/);
    await waitUntil("e's own ban is released", () => !inGroup(emu, "198.51.100.220"), 20_000);
    assert.ok(onFirewall(emu, ["198.51.100.221"]), "an address another member holds stays");
    assert.equal(redis.cli("HEXISTS", "f2b:t:members", "e"), "0");
  });

  test("fleet commands that fail say what failed, never 'unexpected error', never the password", async () => {
    const cut = new Member("f", `${temp.dir}/f`, emu, redis, 1);
    const outputs: string[] = [];
    for (const args of [["status"], ["fleet", "status"], ["fleet", "leave"]]) {
      const run = await cut.cli(...args);
      outputs.push(run.stdout + run.stderr);
      assert.equal(run.code, 1, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout + run.stderr, /ECONNREFUSED 127\.0\.0\.1:1/, args.join(" "));
    }
    // A firewall that does not answer, reported by the fleet's own bundle (list reads it).
    const config = JSON.parse(readFileSync(cut.config, "utf8"));
    writeFileSync(cut.config, JSON.stringify({ ...config, url: "https://127.0.0.1:1" }), { mode: 0o600 });
    const list = await cut.cli("list");
    outputs.push(list.stdout + list.stderr);
    assert.equal(list.code, 1);
    assert.match(
      list.stderr,
      /^f2b-sophosxg list: the request to https:\/\/127\.0\.0\.1:1 failed: the connection was refused \(/m,
    );
    const wrong = await cut.cli("fleet", "sideways");
    outputs.push(wrong.stdout + wrong.stderr);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /fleet needs "status" or "leave", not "sideways"/);
    for (const text of outputs) {
      assert.doesNotMatch(text, /unexpected error/);
      assert.ok(!text.includes(REDIS_PASSWORD), "the Redis password never shows");
    }
  });

  test("a second agent on a member's state directory is refused and exits", async () => {
    const member = members[0]!;
    const from = member.agent!.lines.length;
    // It used to keep its Redis connection open after the refusal, and never exit.
    const second = await runCli(["agent", "--configfile", member.config], { timeoutMs: 15_000 });
    assert.equal(second.code, 1, "exits by itself (null: killed at the timeout)");
    assert.match(second.stderr, /another agent \(pid \d+\) runs for /);
    process.kill(member.agent!.pid, 0); // throws if the first agent is gone
    assert.ok(
      member.agent!.lines.slice(from).every((line) => !/stopped/.test(line)),
      "the first agent runs on",
    );
  });
});
