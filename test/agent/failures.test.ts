/**
 * Failures: a push that fails keeps every change pending and is retried with backoff (seen in
 * the log) and a reconciliation; a firewall that stays down opens the circuit, said once; and
 * stopping or killing the agent in the middle of a push loses nothing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useFirewall } from "../support/harness.ts";
import {
  desiredNames,
  freshSetup,
  hook,
  nameOf,
  namesOnFirewall,
  sleep,
  startAgent,
  startIdleAgent,
  statusJson,
  waitUntil,
} from "./helpers.ts";

const fw = useFirewall();
const { cleanups } = fw;

function setUp(overrides: Record<string, unknown> = {}): Promise<{ config: string; stateDir: string }> {
  return freshSetup(fw.emu, "f2b-agent-failures", cleanups, overrides);
}

test("failed pushes keep every change pending and are retried with backoff; a long outage opens the circuit once", async () => {
  const { config, stateDir } = await setUp();
  const agent = await startIdleAgent(config);
  try {
    // Three requests answer 500: the push and the retries fail, then the firewall recovers.
    await fw.emu.setFaults({ statusCode: 500, count: 3 });
    process.kill(agent.pid, "SIGSTOP");
    try {
      for (const ip of ["192.0.2.21", "192.0.2.22", "192.0.2.23"]) await hook(config, "ban", ip);
    } finally {
      process.kill(agent.pid, "SIGCONT");
    }
    await agent.waitForLine(/^push: \+0 -0.* in \d+ ms, failed: /);
    const retry = await agent.waitForLine(/^agent: failure 1, retrying in \d+ ms: /);
    const firstDelay = Number(/retrying in (\d+) ms/.exec(retry)![1]);
    assert.ok(firstDelay >= 50 && firstDelay <= 100, retry);
    await agent.waitForLine(/^agent: recovered after \d failure\(s\)$/);
    await waitUntil("all three are on the firewall", () => namesOnFirewall(fw.emu).length === 3);
    assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
    const failures = agent.lines.filter((l) => /^agent: failure \d, retrying in/.test(l));
    assert.ok(failures.length >= 2, agent.lines.join("\n"));
    // Each retry is a reconciliation that reads the firewall first.
    const recovered = agent.lines.findIndex((l) => l.startsWith("agent: recovered"));
    assert.match(agent.lines[recovered - 1]!, /^reconcile: 0 in place, \+3 -0 in \d+ ms, ok$/);

    // Down for good: the circuit opens and says so once; a ban and an unban meanwhile cancel out.
    await fw.emu.setFaults({ down: true });
    const mark = agent.lines.length;
    await hook(config, "ban", "192.0.2.31");
    await hook(config, "ban", "192.0.2.32");
    await hook(config, "unban", "192.0.2.31");
    await agent.waitForLine(
      /^agent: 4 failures in a row, circuit open: one attempt every 600 ms until/,
      10_000,
      mark,
    );
    await sleep(1500); // two more probes, both failing quietly
    const status = await statusJson(config);
    assert.equal(status.pending.add, 1, "the pending ban stays journaled");
    const before = { ...fw.emu.counters };
    await fw.emu.setFaults({ down: false });
    await agent.waitForLine(
      /^agent: the firewall answers again after \d+ failures; circuit closed$/,
      10_000,
      mark,
    );
    await waitUntil("the ban made during the outage arrived", () =>
      namesOnFirewall(fw.emu).includes(nameOf("192.0.2.32")),
    );
    const since = agent.lines.slice(mark);
    assert.equal(since.filter((l) => l.includes("circuit open")).length, 1, since.join("\n"));
    assert.equal(fw.emu.counters.entityWrites - before.entityWrites, 1, "192.0.2.31 was never written");
    assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
  } finally {
    await fw.emu.setFaults({ down: false });
    assert.equal(await agent.stop(), 0);
  }
});

test("SIGTERM in the middle of a push loses nothing; neither does SIGKILL", async () => {
  // Five entities per request, 300 ms per write: fifteen bans take three rounds.
  const { config, stateDir } = await setUp({ max_entities_per_request: 5 });
  // The agent waits for the hooks to finish, then pushes: the signal lands in the middle of that push.
  const quiet = { F2B_SOPHOSXG_AGENT_QUIET_MS: "1500", F2B_SOPHOSXG_AGENT_MAX_DELAY_MS: "20000" };
  const agent = await startIdleAgent(config, quiet);
  fw.emu.setLatency({ writeMs: 300 });
  const ips = Array.from({ length: 15 }, (_, i) => `198.51.100.${i + 1}`);
  for (const ip of ips) await hook(config, "ban", ip);
  const writes = fw.emu.counters.entityWrites;
  await waitUntil("the first write has reached the firewall", () => fw.emu.counters.entityWrites > writes);
  const code = await agent.stop("SIGTERM");
  assert.equal(code, 0, agent.lines.join("\n"));
  assert.ok(agent.lines.includes("agent: SIGTERM received, finishing the current round"));
  const stopped = agent.lines.find((l) => l.startsWith("agent: stopped"));
  assert.match(stopped ?? "", /^agent: stopped; \d+ change\(s\) stay journaled/, agent.lines.join("\n"));
  assert.ok(namesOnFirewall(fw.emu).length < ips.length, "the agent stopped after the current round");
  assert.equal((await statusJson(config)).mode, "hook");

  // No agent now: the next hook delivers everything pending, its own change included.
  await hook(config, "unban", ips[0]!);
  assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
  assert.equal(namesOnFirewall(fw.emu).length, ips.length - 1);

  // SIGKILL while a write is on its way: the firewall applied it, the journal never heard back.
  const second = await startIdleAgent(config, quiet);
  const more = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 101}`);
  for (const ip of more) await hook(config, "ban", ip);
  const writes2 = fw.emu.counters.entityWrites;
  await waitUntil("a write has reached the firewall", () => fw.emu.counters.entityWrites > writes2);
  await second.stop("SIGKILL");
  const third = startAgent(config);
  try {
    await waitUntil("the restarted agent caught up", () => {
      const desired = desiredNames(stateDir);
      return desired.length === 24 && desired.join() === namesOnFirewall(fw.emu).join();
    });
    await waitUntil("nothing pending", async () => {
      const { pending } = await statusJson(config);
      return pending.add + pending.remove === 0;
    });
  } finally {
    assert.equal(await third.stop(), 0);
    fw.emu.setLatency({ writeMs: 0 });
  }
});
