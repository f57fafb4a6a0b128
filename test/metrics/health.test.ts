/**
 * /healthz and the endpoint's edges: healthy while changes reach the firewall in time,
 * unhealthy (503, with the reason) once a change waits longer than `health_stale_after_s`
 * because the firewall is down, healthy again when it catches up; metrics stay off without
 * `metrics_listen`; a taken port stops the agent with a clear error.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { freshSetup, hook, startIdleAgent, waitUntil } from "../agent/helpers.ts";
import { CLI, runCli, useFirewall } from "../support/harness.ts";
import { assertNoSecret, metricsText, sample, startMetricsAgent } from "./helpers.ts";

const fw = useFirewall();
const { cleanups } = fw;

async function health(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: await res.text() };
}

test("/healthz turns unhealthy when the firewall falls behind, and healthy again when it catches up", async () => {
  const { config } = await freshSetup(fw.emu, "f2b-metrics-health", cleanups, {
    metrics_listen: "127.0.0.1:0",
    health_stale_after_s: 1,
  });
  const { agent, url } = await startMetricsAgent(config);
  try {
    await hook(config, "ban", "192.0.2.41");
    await waitUntil(
      "the ban is delivered",
      async () => sample(await metricsText(url), "f2b_sophosxg_active_bans") === 1,
    );
    assert.deepEqual(await health(url), { status: 200, body: "ok\n" });

    await fw.emu.setFaults({ down: true });
    await hook(config, "ban", "192.0.2.42");
    let last = { status: 0, body: "" };
    await waitUntil(
      "/healthz says the ban waits too long",
      async () => {
        last = await health(url);
        return last.status === 503 && last.body.includes("pending");
      },
      15_000,
    );
    assert.match(
      last.body,
      /^firewall default: 1 change\(s\) pending, the oldest for \d+ s \(more than the 1 s allowed\)(; \d+ failure\(s\) in a row, no success for \d+ s(, circuit open)?)?$/m,
    );
    const text = await metricsText(url);
    assert.equal(sample(text, "f2b_sophosxg_healthy", { firewall: "default" }), 0);
    assert.equal(sample(text, "f2b_sophosxg_pending_changes", { action: "add" }), 1);
    assert.ok(sample(text, "f2b_sophosxg_oldest_pending_age_seconds") >= 1);
    assert.ok(sample(text, "f2b_sophosxg_consecutive_failures") >= 1);
    assert.ok(sample(text, "f2b_sophosxg_api_requests_total", { outcome: "transport" }) >= 1, text);
    // The breaker opens after four failures in a row (the tests' tuning).
    await waitUntil(
      "the circuit is open",
      async () => sample(await metricsText(url), "f2b_sophosxg_circuit_open") === 1,
    );
    assertNoSecret(await metricsText(url), "/metrics while failing", [fw.emu.controlSecret]);
    assertNoSecret(last.body, "/healthz", [fw.emu.controlSecret]);

    await fw.emu.setFaults({ down: false });
    await waitUntil("/healthz answers 200 again", async () => (await health(url)).status === 200, 15_000);
    const caughtUp = await metricsText(url);
    assert.equal(sample(caughtUp, "f2b_sophosxg_active_bans"), 2);
    assert.equal(sample(caughtUp, "f2b_sophosxg_circuit_open"), 0);
  } finally {
    await fw.emu.setFaults({ down: false });
    await agent.stop();
  }
});

test("without metrics_listen the agent serves nothing, and the hooks' bundle does not carry prom-client", async () => {
  const { config } = await freshSetup(fw.emu, "f2b-metrics-off", cleanups);
  const agent = await startIdleAgent(config);
  try {
    assert.equal(agent.lines.filter((l) => l.startsWith("metrics:")).length, 0, agent.lines.join("\n"));
  } finally {
    await agent.stop();
  }
  // The hook's entry and the full CLI it loads: neither carries prom-client; the CLI loads the
  // metrics bundle only when asked.
  const entry = readFileSync(CLI, "utf8");
  const full = readFileSync(join(dirname(CLI), "cli.mjs"), "utf8");
  assert.equal(entry.includes("collectDefaultMetrics"), false, "prom-client is in the hook's entry");
  assert.equal(full.includes("collectDefaultMetrics"), false, "prom-client is in the CLI bundle");
  assert.match(full, /import\("\.\/metrics\.mjs"\)/);
});

test("a metrics port already taken stops the agent with a clear error, before it takes the agent lock", async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const { config } = await freshSetup(fw.emu, "f2b-metrics-taken", cleanups, {
      metrics_listen: `127.0.0.1:${port}`,
    });
    const result = await runCli(["agent", "--configfile", config], { timeoutMs: 20_000 });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    assert.match(result.stderr, /metrics_listen/);
  } finally {
    blocker.close();
  }
});

test("a bad metrics_listen is a config error that names the key and says what to write", async () => {
  const { config } = await freshSetup(fw.emu, "f2b-metrics-bad", cleanups);
  const data = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
  for (const [value, message] of [
    ["127.0.0.1:99999", /key "metrics_listen": the port must be a number from 0 to 65535/],
    ["::1:9617", /key "metrics_listen": put an IPv6 address in brackets/],
    [true, /key "metrics_listen": must be a string such as "127\.0\.0\.1:9617", or a port/],
  ] as const) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(config, JSON.stringify({ ...data, metrics_listen: value }), { mode: 0o600 });
    const result = await runCli(["status", "--configfile", config]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});
