/**
 * Coalescing and concurrency: a ban and an unban of one address that are both still pending
 * cost the firewall nothing, repeated bans are one write; and hooks, `sync` and an agent that
 * comes and goes, all at once, leave the firewall equal to the desired state.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Journal } from "../../src/journal/index.ts";
import { runCli, useFirewall } from "../support/harness.ts";
import {
  deliveryCheckedSince,
  desiredNames,
  freshSetup,
  hook,
  nameOf,
  namesOnFirewall,
  startAgent,
  startIdleAgent,
  statusJson,
  waitUntil,
} from "./helpers.ts";

const fw = useFirewall();
const { cleanups } = fw;

function setUp(): Promise<{ config: string; stateDir: string }> {
  return freshSetup(fw.emu, "f2b-agent-coalesce", cleanups);
}

test("ban and unban both pending while the agent is paused cancel out; repeated bans are one write", async () => {
  const { config, stateDir } = await setUp();
  const agent = await startIdleAgent(config);
  try {
    process.kill(agent.pid, "SIGSTOP");
    const before = { ...fw.emu.counters };
    try {
      await hook(config, "ban", "203.0.113.1");
      await hook(config, "ban", "203.0.113.2");
      await hook(config, "ban", "203.0.113.2");
      await hook(config, "ban", "203.0.113.2", ["--jail", "other"]);
      await hook(config, "unban", "203.0.113.1");
      assert.equal(fw.emu.counters.requests, before.requests, "hooks talked to the firewall");
    } finally {
      process.kill(agent.pid, "SIGCONT");
    }
    const pushed = await agent.waitForLine(/^push: /);
    assert.equal(pushed.replace(/in \d+ ms/, "in N ms"), "push: +1 -0 in N ms, ok");
    assert.deepEqual(namesOnFirewall(fw.emu), [nameOf("203.0.113.2")]);
    assert.equal(fw.emu.counters.entityWrites - before.entityWrites, 1, "only 203.0.113.2 was written, once");
    assert.equal(fw.emu.counters.requests - before.requests, 1, "one request for the whole batch");
    assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));

    // The other way round: an address on the firewall, unbanned and banned again while paused.
    process.kill(agent.pid, "SIGSTOP");
    const again = { ...fw.emu.counters };
    try {
      await hook(config, "unban", "203.0.113.2", ["--jail", "j1"]);
      await hook(config, "unban", "203.0.113.2", ["--jail", "other"]);
      await hook(config, "ban", "203.0.113.2");
    } finally {
      process.kill(agent.pid, "SIGCONT");
    }
    // Wait until the agent has looked at all three records (a delivery that started after them).
    // The agent may also see nothing to do at all (the changes cancel out) and stay idle: then
    // five seconds without a write are the proof, ten times the quiet window and max delay.
    await deliveryCheckedSince(stateDir, Date.now(), 5000).catch(() => undefined);
    assert.equal(fw.emu.counters.entityWrites, again.entityWrites, "an unban then ban again wrote something");
    const { pending } = await statusJson(config);
    assert.equal(pending.add + pending.remove, 0);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test("hooks, sync and an agent that starts and stops, all at once, leave the firewall equal to the desired state", async () => {
  const { config, stateDir } = await setUp();
  fw.emu.setLatency({ writeMs: 40 });
  try {
    const pool = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "2001:db8::1", "2001:db8::2"];
    const jails = ["a", "b"];
    // A fixed pseudo-random walk per worker, so a failure can be replayed.
    const worker = async (seed: number) => {
      let x = seed;
      for (let i = 0; i < 12; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const ip = pool[x % pool.length]!;
        const jail = jails[(x >> 8) % 2]!;
        const action = (x >> 12) % 3 === 0 ? "unban" : "ban";
        await hook(config, action, ip, ["--jail", jail]);
      }
    };
    let wavesDone = false;
    const workers = Promise.all([worker(1), worker(2), worker(3)]).finally(() => {
      wavesDone = true;
    });
    // Overlap on purpose: the agent starts once the wave is under way, and stops in its middle.
    const records = () => new Journal(stateDir).load().records;
    await waitUntil("the workers journaled a few hooks", () => wavesDone || records() >= 4);
    const first = startAgent(config);
    await first.waitForLine(/^reconcile: /);
    const synced = runCli(["sync", "--configfile", config]);
    const seen = records();
    await waitUntil("the workers journaled more hooks", () => wavesDone || records() >= seen + 3);
    assert.equal(await first.stop("SIGTERM"), 0);
    const second = startAgent(config);
    try {
      await workers;
      assert.equal((await synced).code, 0, (await synced).stderr);
      await waitUntil("the agent has nothing pending", () => {
        const desired = desiredNames(stateDir);
        const onFirewall = namesOnFirewall(fw.emu);
        return desired.join() === onFirewall.join();
      });
      await waitUntil("status shows nothing pending", async () => {
        const { pending } = await statusJson(config);
        return pending.add + pending.remove === 0;
      });
      assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
    } finally {
      assert.equal(await second.stop("SIGTERM"), 0);
    }
  } finally {
    fw.emu.setLatency({ writeMs: 0 });
  }
});
