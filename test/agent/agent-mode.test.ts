/**
 * Which process talks to the firewall: with the agent alive a hook only journals (no request),
 * and `status` says mode agent; once the agent stopped, hooks deliver themselves again. Also:
 * the agent releases a hold when its ban time is over, with no unban from Fail2ban.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli, useFirewall } from "../support/harness.ts";
import {
  desiredNames,
  freshSetup,
  hook,
  nameOf,
  namesOnFirewall,
  startIdleAgent,
  statusJson,
  waitUntil,
} from "./helpers.ts";

const fw = useFirewall();
const { cleanups } = fw;

function setUp(): Promise<{ config: string; stateDir: string }> {
  return freshSetup(fw.emu, "f2b-agent-mode", cleanups);
}

test("with the agent alive a hook makes no request and status says agent; without it the hook delivers", async () => {
  const { config, stateDir } = await setUp();
  // A long quiet time: the agent must not push while we look at the counters.
  const agent = await startIdleAgent(config, { F2B_SOPHOSXG_AGENT_QUIET_MS: "1500" });
  try {
    const status = await statusJson(config);
    assert.equal(status.mode, "agent");
    assert.equal(status.agent.pid, agent.pid);

    const requestsBefore = fw.emu.counters.requests;
    const banned = await hook(config, "ban", "192.0.2.10");
    assert.match(banned.stdout, new RegExp(`the agent \\(pid ${agent.pid}\\) delivers it`));
    const unbanned = await hook(config, "unban", "192.0.2.99");
    assert.match(unbanned.stdout, /the agent .* delivers it/);
    assert.equal(fw.emu.counters.requests, requestsBefore, "a hook sent a request while the agent was alive");

    await waitUntil("the agent delivered the ban", () =>
      namesOnFirewall(fw.emu).includes(nameOf("192.0.2.10")),
    );
    await agent.waitForLine(/^push: \+1 -0 in \d+ ms, ok$/);
  } finally {
    assert.equal(await agent.stop("SIGTERM"), 0);
  }
  assert.ok(
    agent.lines.some((l) => /^agent: stopped; nothing pending$/.test(l)),
    agent.lines.join("\n"),
  );
  assert.equal((await statusJson(config)).mode, "hook");

  const requestsBefore = fw.emu.counters.requests;
  const own = await hook(config, "ban", "2001:db8::7");
  assert.match(own.stdout, /1 added/);
  assert.ok(fw.emu.counters.requests > requestsBefore, "without an agent the hook delivers itself");
  assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
});

test("the agent releases an expired hold with no unban, and keeps a permanent one", async () => {
  const { config, stateDir } = await setUp();
  const agent = await startIdleAgent(config);
  try {
    const now = Math.floor(Date.now() / 1000);
    await hook(config, "ban", "198.51.100.5", ["--time", String(now), "--bantime", "2"]);
    await hook(config, "ban", "198.51.100.6", ["--time", String(now), "--bantime", "-1"]);
    await waitUntil("both bans are on the firewall", () => namesOnFirewall(fw.emu).length === 2);
    await waitUntil(
      "the expired ban left the firewall",
      () => !namesOnFirewall(fw.emu).includes(nameOf("198.51.100.5")),
      6000,
    );
    assert.deepEqual(namesOnFirewall(fw.emu), [nameOf("198.51.100.6")]);
    assert.deepEqual(namesOnFirewall(fw.emu), desiredNames(stateDir));
    await agent.waitForLine(/^push: \+0 -1 in \d+ ms, ok$/);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

test("a second agent for the same state directory refuses to start", async () => {
  const { config } = await setUp();
  const agent = await startIdleAgent(config);
  try {
    const second = await runCli(["agent", "--configfile", config], { timeoutMs: 10_000 });
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`another agent \\(pid ${agent.pid}\\)`));
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
