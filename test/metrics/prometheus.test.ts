/**
 * A real Prometheus scrapes the agent (against the emulator) while a wave of bans arrives:
 * what it stores matches what the emulator counted, every query of
 * examples/grafana-dashboard.json evaluates and finds series (so a renamed metric breaks this
 * test, not a user's dashboard), and no password appears in any metric or label.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { freshSetup, hook, statusJson, waitUntil } from "../agent/helpers.ts";
import { coverage } from "../layouts/helpers.ts";
import { tempDir, useFirewall } from "../support/harness.ts";
import { dashboardQueries, metricNames } from "./dashboard.ts";
import { assertNoSecret, metricsText, sample, startMetricsAgent } from "./helpers.ts";
import { findPrometheus, PrivatePrometheus } from "./prometheus.ts";

const PROMETHEUS = findPrometheus();
const SKIP_REASON = "skipped: prometheus not installed (apt-get install -y prometheus)";

if (PROMETHEUS === undefined && process.env.CI === "true") {
  test("prometheus is installed (required under CI=true)", () => {
    assert.fail("prometheus not installed (apt-get install -y prometheus); under CI=true this is a failure");
  });
}

const fw = useFirewall();
const { cleanups } = fw;

/** 24 single addresses (into IP list shards) and two networks (IP hosts), both families. */
const WAVE = [
  ...Array.from({ length: 16 }, (_, i) => `198.51.100.${i + 1}`),
  ...Array.from({ length: 8 }, (_, i) => `2001:db8:5::${(i + 1).toString(16)}`),
  "203.0.113.0/24",
  "2001:db8:77::/48",
];

test("a real Prometheus scrapes the agent during a wave; its values match the emulator's counters and every dashboard query finds series", {
  skip: PROMETHEUS === undefined ? SKIP_REASON : false,
  timeout: 120_000,
}, async () => {
  const { config } = await freshSetup(fw.emu, "f2b-metrics-prom", cleanups, {
    metrics_listen: "127.0.0.1:0",
    layout: "iplist",
  });
  // Count only what the agent sends; each write takes long enough for a scrape to see it pending.
  await fw.emu.reset({ counters: true });
  fw.emu.setLatency({ readMs: 20, writeMs: 1200, entityMs: 0, timeScale: 1 });
  const { agent, url, hostPort } = await startMetricsAgent(config);
  const { dir, cleanup } = tempDir("f2b-prometheus");
  cleanups.push(cleanup);
  const prometheus = new PrivatePrometheus(PROMETHEUS!, dir);
  try {
    await prometheus.start([hostPort]);
    await prometheus.waitFor('up{job="f2b"}', (v) => v === 1);

    let waveDone = false;
    const wave = (async () => {
      for (const ip of WAVE) await hook(config, "ban", ip);
      waveDone = true;
    })();
    // Scraped while the wave is on: Prometheus sees changes waiting.
    const pendingSeen = await prometheus.waitFor("sum(f2b_sophosxg_pending_changes)", (v) => (v ?? 0) > 0);
    assert.ok(pendingSeen > 0);
    assert.equal(waveDone && (await statusJson(config)).pending.add === 0, false, "seen during the wave");
    await wave;
    await waitUntil(
      "the wave is delivered",
      async () => (await statusJson(config)).pending.add === 0,
      60_000,
    );

    const onFirewall = coverage(fw.emu.snapshot());
    assert.equal(onFirewall.blocked.size, WAVE.length);
    const shardEntries = [...onFirewall.shards.values()].reduce((n, s) => n + s.addresses.length, 0);

    // The endpoint itself, read now: exact.
    const text = await metricsText(url);
    const counters = fw.emu.counters;
    assert.equal(sample(text, "f2b_sophosxg_api_requests_total"), counters.requests);
    assert.equal(sample(text, "f2b_sophosxg_entity_writes_total"), counters.entityWrites);
    assert.equal(
      sample(text, "f2b_sophosxg_api_requests_total", { operation: "set" }) +
        (text.includes('operation="remove"')
          ? sample(text, "f2b_sophosxg_api_requests_total", { operation: "remove" })
          : 0),
      counters.operations.Set + counters.operations.Remove,
    );
    assert.equal(sample(text, "f2b_sophosxg_changes_journaled_total", { action: "ban" }), WAVE.length);
    assert.equal(sample(text, "f2b_sophosxg_changes_delivered_total", { action: "add" }), WAVE.length);
    assert.equal(sample(text, "f2b_sophosxg_changes_delivered_total", { layout: "hosts" }), 2);
    assert.equal(sample(text, "f2b_sophosxg_active_bans"), onFirewall.blocked.size);
    assert.equal(sample(text, "f2b_sophosxg_active_bans", { layout: "iplist" }), shardEntries);
    assert.equal(sample(text, "f2b_sophosxg_shard_addresses"), shardEntries);
    assert.equal(sample(text, "f2b_sophosxg_desired_bans", { source: "fail2ban" }), WAVE.length);
    assert.equal(sample(text, "f2b_sophosxg_journal_to_firewall_seconds_count"), WAVE.length);
    assert.equal(sample(text, "f2b_sophosxg_pending_changes"), 0);
    assert.equal(sample(text, "f2b_sophosxg_healthy", { firewall: "default" }), 1);
    // The latency includes at least one slow write.
    assert.ok(sample(text, "f2b_sophosxg_journal_to_firewall_seconds_sum") >= 1.2);

    // What Prometheus stored: the same, once it has scraped the idle agent.
    await prometheus.waitFor("sum(f2b_sophosxg_api_requests_total)", (v) => v === counters.requests);
    await prometheus.waitFor("sum(f2b_sophosxg_entity_writes_total)", (v) => v === counters.entityWrites);
    await prometheus.waitFor(
      'sum(f2b_sophosxg_changes_delivered_total{action="add"})',
      (v) => v === WAVE.length,
    );
    await prometheus.waitFor("sum(f2b_sophosxg_active_bans)", (v) => v === WAVE.length);

    // Every dashboard query: accepted by Prometheus, every metric it names has series, and it returns some.
    const queries = dashboardQueries();
    assert.ok(queries.length >= 15, `only ${queries.length} queries found`);
    const problems: string[] = [];
    for (const { where, expr } of queries) {
      try {
        for (const name of metricNames(expr)) {
          const series = await prometheus.query(`count({__name__="${name}"})`);
          if (series.length === 0) problems.push(`${where}: metric ${name} has no series`);
        }
        if ((await prometheus.query(expr)).length === 0) problems.push(`${where}: ${expr} returned nothing`);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(problems, []);

    // No secret in a metric, a label name or a label value.
    assertNoSecret(text, "/metrics", [fw.emu.controlSecret]);
    assertNoSecret((await prometheus.allLabelValues()).join("\n"), "Prometheus's labels", [
      fw.emu.controlSecret,
    ]);
  } finally {
    await prometheus.stop();
    await agent.stop();
    fw.emu.setLatency({ readMs: 0, writeMs: 0, entityMs: 0, timeScale: 1 });
  }
});
