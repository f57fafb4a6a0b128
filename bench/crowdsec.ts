/**
 * The CrowdSec section of `npm run bench` (`--sections crowdsec`): a realistic blocklist fed
 * from a **real Local API** (test/support/crowdsec.ts; decisions loaded with `cscli decisions
 * import`, so they arrive through the LAPI's stream exactly as in production), enforced by the
 * built CLI's `bouncer` on the emulator, in both layouts and both cost models (bench/layouts.ts).
 *
 * Per cell: a fresh LAPI, firewall and state directory; N decisions (default 50,000) imported
 * before the bouncer starts, so its first full pull carries them all; time from the bouncer's
 * start until every address is blocked (enforce s: modelled firewall latency at real speed plus
 * wall-clock overhead, as in the layouts section). Then a delta of 100 more decisions, timed
 * from the end of the import (one poll interval, 1 s here, is part of it). The hosts layout runs
 * with max_decisions raised to N to show what it would cost; its default (1,000) exists because
 * of that cost.
 *
 * Memory: one more cell holds 100,000 decisions (`--crowdsec-memory`), iplist, per-request
 * model, and reports the bouncer's peak RSS (VmHWM). `BENCH_BOUNCER_FLAGS` passes Node flags to
 * the bouncer (e.g. `--max-old-space-size=256`, to see how much of that peak is uncollected garbage).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../src/emulator/index.ts";
import { latencyFor } from "../src/emulator/latency.ts";
import type { LatencySettings } from "../src/emulator/options.ts";
import { CROWDSEC, CROWDSEC_SKIP, startLapi } from "../test/support/crowdsec.ts";
import { GROUP_V4, PREFIX, runCli as runTestCli, tempDir, writeConfig } from "../test/support/harness.ts";
import { addressesFor, CLI, markdownTable, peakRssMb, runCli, sleep } from "./common.ts";
import { COST_MODELS, type CostModel, cellTimeScale, type Layout, type LayoutOptions } from "./layouts.ts";

export interface CrowdsecBenchOptions extends LayoutOptions {
  decisions: number;
  delta: number;
  memoryDecisions: number;
}

export interface CrowdsecPhase {
  requests: number;
  writeRequests: number;
  entityWrites: number;
  enforceS: number;
  firewallS: number;
  wallMs: number;
}

export interface CrowdsecResult {
  layout: Layout;
  cost: CostModel;
  decisions: number;
  timeScale: number;
  start: CrowdsecPhase;
  delta: CrowdsecPhase & { decisions: number };
  objects: { IPv4: number; IPv6: number };
  agentPeakRssMb: number | null;
}

function csv(addresses: string[]): string {
  return `duration,scope,value,reason,type\n${addresses.map((a) => `24h,ip,${a},bench/blocklist,ban`).join("\n")}\n`;
}

/** Blocked addresses of `wave`: in an IP host or an IP list that is a member of our IPv4 group. */
function blocked(emu: RunningEmulator, wave: ReadonlySet<string>): number {
  let n = 0;
  for (const name of emu.store.groups.get(GROUP_V4)?.hosts ?? []) {
    const host = emu.store.hosts.get(name);
    if (host?.hostType === "IP" && host.ipAddress !== undefined && wave.has(host.ipAddress)) n++;
    if (host?.hostType === "IPList") for (const a of host.listOfIpAddresses ?? []) if (wave.has(a)) n++;
  }
  return n;
}

function objectsPerFamily(emu: RunningEmulator): { IPv4: number; IPv6: number } {
  const out = { IPv4: 0, IPv6: 0 };
  for (const [name, host] of emu.store.hosts) if (name.startsWith(PREFIX)) out[host.ipFamily]++;
  return out;
}

async function until(
  done: () => boolean,
  what: string,
  child: ChildProcess,
  lines: string[],
): Promise<number> {
  const limit = Date.now() + 60 * 60_000;
  while (!done()) {
    if (Date.now() > limit || child.exitCode !== null || child.signalCode !== null)
      throw new Error(`never happened: ${what}\n${lines.slice(-20).join("\n")}`);
    await sleep(10);
  }
  return Date.now();
}

/** Counts what the emulator served since the last reset, with latency split as in the layouts section. */
async function phase(
  emu: RunningEmulator,
  t0: number,
  tDone: number,
  latency: LatencySettings,
): Promise<CrowdsecPhase> {
  const arrived = emu.counters.requests;
  while (emu.requestLog().length < arrived) await sleep(2);
  const log = emu.requestLog().slice(0, arrived);
  const lastWrite = log.findLast((e) => e.kind === "write");
  const tEnforced = lastWrite ? Math.max(tDone, Date.parse(lastWrite.at) + lastWrite.latencyMs) : tDone;
  let scaledMs = 0;
  let realMs = 0;
  for (const e of log) {
    scaledMs += latencyFor(latency, e.kind, e.entities);
    realMs += latencyFor({ ...latency, timeScale: 1 }, e.kind, e.entities);
  }
  const wallMs = tEnforced - t0;
  return {
    requests: arrived,
    writeRequests: log.filter((e) => e.kind === "write").length,
    entityWrites: emu.counters.entityWrites,
    enforceS: Math.round((Math.max(0, wallMs - scaledMs) + realMs) / 100) / 10,
    firewallS: Math.round(realMs / 100) / 10,
    wallMs,
  };
}

async function cell(
  emu: RunningEmulator,
  o: CrowdsecBenchOptions,
  layout: Layout,
  cost: CostModel,
  decisions: number,
): Promise<CrowdsecResult> {
  const timeScale = cellTimeScale(cost, layout, decisions, o);
  const latency: LatencySettings = { ...COST_MODELS[cost], timeScale };
  const { dir, cleanup } = tempDir("f2b-bench-cs");
  const lapi = await startLapi();
  let child: ChildProcess | undefined;
  try {
    const all = addressesFor(decisions + o.delta);
    const initial = all.slice(0, decisions);
    const extra = all.slice(decisions);
    writeFileSync(join(dir, "initial.csv"), csv(initial));
    writeFileSync(join(dir, "delta.csv"), csv(extra));
    await lapi.importDecisions(join(dir, "initial.csv"));
    await emu.reset();
    emu.setLatency(latency);
    const keyFile = join(dir, "bouncer.key");
    writeFileSync(keyFile, `${lapi.bouncerKey}\n`, { mode: 0o600 });
    const config = writeConfig(dir, emu, {
      layout,
      iplist_shard_size: o.shardSize,
      max_entities_per_request: o.batch,
      request_timeout_ms: 600_000,
      crowdsec: {
        lapi_url: lapi.url,
        api_key_file: keyFile,
        poll_interval: "1s",
        max_decisions: decisions + o.delta,
      },
    });
    const started = await runCli(["start", "--configfile", config]);
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    await emu.reset({ objects: false, faults: false });

    const lines: string[] = [];
    const t0 = Date.now();
    const proc = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_BOUNCER_FLAGS ?? "").split(" ").filter(Boolean),
        CLI,
        "bouncer",
        "--configfile",
        config,
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    child = proc;
    let partial = "";
    proc.stderr!.on("data", (c: Buffer) => {
      const parts = (partial + c.toString()).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    });
    const first = new Set(initial);
    const tStart = await until(() => blocked(emu, first) === first.size, `${decisions} blocked`, proc, lines);
    const startPhase = await phase(emu, t0, tStart, latency);
    // Let the round finish and the agent go idle before the delta.
    await sleep(2000);
    await emu.reset({ objects: false, faults: false });
    await lapi.importDecisions(join(dir, "delta.csv"));
    const t1 = Date.now();
    const more = new Set(extra);
    const tDelta = await until(
      () => blocked(emu, more) === more.size,
      `${o.delta} more blocked`,
      proc,
      lines,
    );
    const deltaPhase = await phase(emu, t1, tDelta, latency);
    const rss = peakRssMb(proc.pid!);
    const status = await runTestCli(["status", "--configfile", config]);
    if (!/crowdsec: /.test(status.stdout)) throw new Error(`status has no crowdsec line: ${status.stdout}`);
    return {
      layout,
      cost,
      decisions,
      timeScale,
      start: startPhase,
      delta: { ...deltaPhase, decisions: o.delta },
      objects: objectsPerFamily(emu),
      agentPeakRssMb: rss,
    };
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child!.once("close", resolve));
    }
    await lapi.close();
    cleanup();
  }
}

/** Runs every cell; returns no result (and says why) when crowdsec is not installed. */
export async function runCrowdsecBench(
  emu: RunningEmulator,
  o: CrowdsecBenchOptions,
): Promise<CrowdsecResult[]> {
  if (!CROWDSEC) {
    o.log(`crowdsec: ${CROWDSEC_SKIP}`);
    return [];
  }
  const results: CrowdsecResult[] = [];
  for (const cost of o.costs) {
    for (const layout of o.layouts) {
      const t = Date.now();
      o.log(`run: crowdsec ${o.decisions} decisions then ${o.delta}, ${layout}, ${cost} ...`);
      results.push(await cell(emu, o, layout, cost, o.decisions));
      o.log(`     done in ${Math.round((Date.now() - t) / 100) / 10} s`);
    }
  }
  if (o.memoryDecisions > 0) {
    o.log(`run: crowdsec ${o.memoryDecisions} decisions held (memory), iplist, per-request ...`);
    results.push(await cell(emu, o, "iplist", "per-request", o.memoryDecisions));
  }
  return results;
}

const fmt = (n: number) => n.toLocaleString("en-US");

export function crowdsecTable(results: CrowdsecResult[]): string {
  const header = [
    "decisions",
    "layout",
    "cost model",
    "scale",
    "start: requests",
    "writes",
    "entity writes",
    "enforce s",
    "firewall s",
    "objects v4/v6",
    "delta: requests",
    "entity writes",
    "enforce s",
    "agent peak MB",
  ];
  const rows = results.map((r) => [
    fmt(r.decisions),
    r.layout,
    r.cost,
    String(r.timeScale),
    fmt(r.start.requests),
    fmt(r.start.writeRequests),
    fmt(r.start.entityWrites),
    fmt(r.start.enforceS),
    fmt(r.start.firewallS),
    `${fmt(r.objects.IPv4)}/${fmt(r.objects.IPv6)}`,
    fmt(r.delta.requests),
    fmt(r.delta.entityWrites),
    fmt(r.delta.enforceS),
    r.agentPeakRssMb === null ? "-" : String(r.agentPeakRssMb),
  ]);
  return markdownTable(header, rows);
}
