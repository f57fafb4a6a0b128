/**
 * The bouncer end to end: a real CrowdSec LAPI, the built CLI's `bouncer` (and `agent`) as a
 * process, the emulator over HTTPS. What cscli decides reaches the firewall and goes away; a
 * jail and a decision on one address; a LAPI outage mid-run; expiry; a wrong key.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import {
  type AgentProcess,
  allOnFirewall,
  freshSetup,
  hook,
  namesOnFirewall,
  noneOnFirewall,
  startAgent,
  waitUntil,
} from "../agent/helpers.ts";
import { CROWDSEC, CROWDSEC_SKIP, type RunningLapi, startLapi } from "../support/crowdsec.ts";
import { runCli, startFirewall, TEST_PASSWORD } from "../support/harness.ts";

if (!CROWDSEC && process.env.CI === "true") {
  test("crowdsec is installed (required under CI=true)", () => {
    assert.fail(`${CROWDSEC_SKIP}; under CI=true this is a failure`);
  });
}

describe("the CrowdSec bouncer end to end", {
  skip: CROWDSEC ? false : CROWDSEC_SKIP,
  timeout: 240_000,
}, () => {
  let lapi: RunningLapi;
  let emu: RunningEmulator;
  const cleanups: (() => void)[] = [];
  const agents: AgentProcess[] = [];
  before(async () => {
    [lapi, emu] = await Promise.all([startLapi(), startFirewall()]);
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await lapi?.close();
    await emu?.close();
    for (const c of cleanups) c();
  });

  /** A fresh emulator state and config with a crowdsec section; the LAPI emptied. */
  async function setup(
    label: string,
    crowdsec: Record<string, unknown> = {},
    overrides: Record<string, unknown> = {},
  ) {
    await lapi.cscli(["decisions", "delete", "--all"]);
    const keyDir = join(lapi.dir, `${label}.key`);
    writeFileSync(keyDir, `${(crowdsec.key as string) ?? lapi.bouncerKey}\n`, { mode: 0o600 });
    const { key: _key, ...section } = crowdsec;
    return freshSetup(emu, label, cleanups, {
      ...overrides,
      crowdsec: { lapi_url: lapi.url, api_key_file: keyDir, poll_interval: "1s", ...section },
    });
  }

  function run(config: string, command: "agent" | "bouncer" = "bouncer"): AgentProcess {
    const agent = startAgent(config, {}, command);
    agents.push(agent);
    return agent;
  }

  const explain = (agent: AgentProcess) => (e: Error) => {
    throw new Error(
      `${e.message}\n${agent.lines.join("\n")}\n${JSON.stringify(emu.snapshot().hosts.map((h) => [h.name, h.listOfIpAddresses]))}`,
    );
  };
  const onFirewall = (...ips: string[]) => allOnFirewall(emu, ips);
  const offFirewall = (...ips: string[]) => noneOnFirewall(emu, ips);

  it("cscli decisions (IPv4, IPv6, both kinds of range) reach the firewall and a delete removes them", async () => {
    const { config } = await setup("cs-e2e-basic");
    const agent = run(config);
    await agent.waitForLine(/crowdsec: full pull/);
    const ips = ["192.0.2.101", "2001:db8::101", "198.51.100.0/24", "2001:db8:bb::/48"];
    await lapi.addDecision({ ip: "192.0.2.102", type: "captcha" });
    const started = Date.now();
    await lapi.addDecision({ ip: ips[0]! });
    await lapi.addDecision({ ip: ips[1]! });
    await lapi.addDecision({ range: ips[2]! });
    await lapi.addDecision({ range: ips[3]! });
    // One poll interval (1 s) plus one write, with room for a loaded machine.
    await waitUntil("the decisions are on the firewall", () => onFirewall(...ips), 15_000);
    const reached = Date.now() - started;
    assert.ok(offFirewall("192.0.2.102"), "a captcha is not a ban");
    const status = await runCli(["status", "--configfile", config]);
    assert.match(status.stdout, /crowdsec: .*holds: cscli 4.*ignored: type:captcha 1/);
    const list = await runCli(["list", "--configfile", config]);
    assert.match(list.stdout, /2001:db8:bb::\/48 .*crowdsec cscli until/);
    await lapi.deleteDecision({ ip: ips[0]! });
    await lapi.deleteDecision({ range: ips[3]! });
    await waitUntil("the deleted ones are gone", () => offFirewall(ips[0]!, ips[3]!), 15_000);
    assert.ok(onFirewall(ips[1]!, ips[2]!));
    assert.equal(await agent.stop(), 0);
    assert.ok(!agent.lines.join("\n").includes(lapi.bouncerKey), "the key is never logged");
    assert.ok(reached < 15_000);
  });

  it("a pull is pushed at once; a hook's ban on the same agent still waits for the quiet window", async () => {
    const { config } = await setup("cs-e2e-quiet");
    const QUIET_MS = 8000;
    const agent = startAgent(
      config,
      { F2B_SOPHOSXG_AGENT_QUIET_MS: String(QUIET_MS), F2B_SOPHOSXG_AGENT_MAX_DELAY_MS: "30000" },
      "agent",
    );
    agents.push(agent);
    // Stopped even when an assertion fails: agents on one bouncer key take each other's deltas.
    try {
      await agent.waitForLine(/crowdsec: full pull/);
      const decided = Date.now();
      await lapi.addDecision({ ip: "192.0.2.131" });
      await waitUntil("the decision is on the firewall", () => onFirewall("192.0.2.131"), 15_000).catch(
        explain(agent),
      );
      const decisionMs = Date.now() - decided;
      // One poll (1 s) and one write: a pull is one append, so no quiet window is waited for.
      assert.ok(
        decisionMs < QUIET_MS - 2000,
        `the decision took ${decisionMs} ms (quiet window ${QUIET_MS} ms)`,
      );
      const hooked = Date.now();
      await hook(config, "ban", "192.0.2.132", ["--jail", "sshd"]);
      await waitUntil("the hook's ban is on the firewall", () => onFirewall("192.0.2.132"), 30_000);
      const hookMs = Date.now() - hooked;
      assert.ok(
        hookMs >= QUIET_MS - 500,
        `the hook's ban took only ${hookMs} ms: it skipped the quiet window`,
      );
    } finally {
      await agent.stop();
    }
  });

  it("in the iplist layout too", async () => {
    const { config } = await setup("cs-e2e-iplist", {}, { layout: "iplist" });
    const agent = run(config);
    await lapi.addDecision({ ip: "192.0.2.111" });
    await lapi.addDecision({ range: "2001:db8:cc::/48" });
    const listed = () =>
      emu
        .snapshot()
        .hosts.filter((h) => h.hostType === "IPList")
        .flatMap((h) => h.listOfIpAddresses ?? []);
    await waitUntil(
      "the address in an IP list, the network as its own object (as CIDR bans are)",
      () => listed().includes("192.0.2.111") && onFirewall("2001:db8:cc::/48"),
      15_000,
    ).catch(explain(agent));
    await lapi.deleteDecision({ ip: "192.0.2.111" });
    await waitUntil("it left its IP list", () => !listed().includes("192.0.2.111"), 15_000);
    await agent.stop();
  });

  it("a jail and a decision on one address: it stays until both release it; flush of a jail leaves CrowdSec's holds", async () => {
    const { config } = await setup("cs-e2e-both");
    const agent = run(config, "agent");
    await agent.waitForLine(/crowdsec: full pull/);
    await hook(config, "ban", "192.0.2.121", ["--jail", "sshd"]);
    await lapi.addDecision({ ip: "192.0.2.121" });
    await lapi.addDecision({ ip: "192.0.2.122" });
    await waitUntil("both on the firewall", () => onFirewall("192.0.2.121", "192.0.2.122"), 15_000).catch(
      (e) => {
        throw new Error(`${e.message}\n${agent.lines.join("\n")}\n${namesOnFirewall(emu)}`);
      },
    );
    const from = agent.lines.length;
    await hook(config, "unban", "192.0.2.121", ["--jail", "sshd"]);
    const flushed = await runCli(["flush", "--configfile", config]);
    assert.equal(flushed.code, 0, flushed.stderr);
    // Wait for the agent to have seen the unban and the flush: a round or a look at the journal.
    await agent.waitForLine(/^(push|reconcile): /, 10_000, from).catch(() => undefined);
    const state = await runCli(["status", "--json", "--configfile", config]);
    assert.equal(JSON.parse(state.stdout).pending.remove, 0, "nothing is to be removed");
    assert.ok(onFirewall("192.0.2.121", "192.0.2.122"), "CrowdSec still holds both");
    await lapi.deleteDecision({ ip: "192.0.2.121" });
    await waitUntil("released by both, it goes", () => offFirewall("192.0.2.121"), 15_000);
    assert.ok(onFirewall("192.0.2.122"));
    await agent.stop();
  });

  it("a LAPI stopped and restarted mid-run releases nothing", async () => {
    const { config } = await setup("cs-e2e-outage");
    await lapi.addDecision({ ip: "192.0.2.131" });
    await lapi.addDecision({ range: "2001:db8:dd::/48" });
    const agent = run(config);
    await waitUntil("on the firewall", () => onFirewall("192.0.2.131", "2001:db8:dd::/48"), 15_000);
    const from = agent.lines.length;
    await lapi.stop();
    await agent.waitForLine(/crowdsec: .*connection refused.*nothing released/, 10_000, from);
    const status = await runCli(["status", "--configfile", config]);
    assert.match(status.stdout, /crowdsec last error: .*connection refused/);
    assert.ok(onFirewall("192.0.2.131", "2001:db8:dd::/48"), "nothing released during the outage");
    await lapi.start();
    await agent.waitForLine(/crowdsec: the LAPI answers again/, 10_000, from);
    const pull = await agent.waitForLine(/crowdsec: full pull/, 10_000, from);
    assert.match(pull, /holds \+0 -0/);
    assert.ok(onFirewall("192.0.2.131", "2001:db8:dd::/48"));
    await agent.stop();
  });

  it("a decision that ends without a delete leaves the firewall", async () => {
    const { config } = await setup("cs-e2e-expiry");
    const agent = run(config);
    await lapi.addDecision({ ip: "192.0.2.141", duration: "4s" });
    await waitUntil("on the firewall", () => onFirewall("192.0.2.141"), 15_000).catch(explain(agent));
    await waitUntil("gone at its end", () => offFirewall("192.0.2.141"), 15_000);
    await agent.stop();
  });

  it("a wrong key: a clear error in the log and from doctor, nothing on the firewall touched", async () => {
    const { config } = await setup("cs-e2e-key", { key: "not-the-bouncer-key-42" });
    const agent = run(config);
    const line = await agent.waitForLine(/crowdsec: /, 10_000, 1);
    const error = await agent.waitForLine(/refused the bouncer key/, 10_000);
    assert.match(error, /HTTP 403.*cscli bouncers add/);
    assert.ok(line);
    await agent.stop();
    const doctor = await runCli(["doctor", "--configfile", config], {
      env: { F2B_SOPHOSXG_FAIL2BAN_DIR: join(lapi.dir, "no-fail2ban") },
    });
    assert.match(doctor.stdout, /FAIL +crowdsec lapi: .*refused the bouncer key/);
    assert.match(doctor.stdout, /info +fail2ban: .*CrowdSec alone/);
    const all = agent.lines.join("\n") + doctor.stdout + doctor.stderr;
    assert.ok(!all.includes("not-the-bouncer-key-42") && !all.includes(TEST_PASSWORD));
  });

  it("doctor with a good key counts decisions and states the filters", async () => {
    const { config } = await setup("cs-e2e-doctor", { origins: ["cscli"], max_decisions: 1 });
    await lapi.addDecision({ ip: "192.0.2.151" });
    await lapi.addDecision({ ip: "192.0.2.152" });
    const doctor = await runCli(["doctor", "--configfile", config]);
    assert.match(doctor.stdout, /info +crowdsec filters: origins cscli, type ban only, at most 1 addresses/);
    assert.match(doctor.stdout, /ok +crowdsec lapi: .* answers and accepts the bouncer key/);
    assert.match(
      doctor.stdout,
      /warn +crowdsec decisions: 2 active; 2 pass the filters.*max_decisions leaves 1 out/,
    );
  });

  it("bouncer without a crowdsec section is a usage error", async () => {
    const { config } = await freshSetup(emu, "cs-e2e-none", cleanups);
    const result = await runCli(["bouncer", "--configfile", config]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bouncer needs a "crowdsec" section/);
  });
});
