/**
 * `npm run bench [-- options]`: two sections, both against the embedded emulator, time-scaled.
 *
 * 1. Agent vs hooks (`--sections modes`): waves of bans and then the matching unbans, sent the way
 * Fail2ban sends them (one hook process after another, the built CLI in dist/), with the
 * emulator's realistic latency profile (1 s per read, 6 s per write), in the `hosts` layout.
 * Two modes: `agent` (the agent runs, hooks only journal) and `hook` (no agent: each hook
 * delivers itself, the baseline).
 *
 * Default run: waves of 1, 100 and 1,000 in both modes, except the 1,000-unban wave of the
 * baseline, which is skipped (about 3.5 min of hooks on its own); add `--all-baseline` to run it.
 * `--full` adds a 10,000 wave in agent mode only (about 15 min per direction). `--waves 1,100`
 * picks sizes, `--modes agent` picks modes, `--time-scale X` (default 0.01: a 6 s write takes
 * 60 ms), `--batch N` the config's max_entities_per_request (default 1000 here; the product
 * default is 100). `--direct N` also measures the agent alone on N bans journaled at once (no hook
 * processes), to see its memory and request count at scale.
 *
 * The agent runs with its product defaults (quiet 300 ms, max delay 15 s), which are wall-clock
 * times: hooks are not time-scaled, so neither is the agent's debounce. The "last hook → on
 * firewall" figure rescales wall time by 1/timeScale, so the agent's wall-clock quiet time
 * counts 100x there (300 ms quiet = 30 emulated seconds at 0.01).
 *
 * 2. Layouts × cost models (`--sections layouts`, see bench/layouts.ts): the `hosts` and
 * `iplist` layouts under the per-request (6 s per write request) and the per-entity (6 s per
 * written entity) cost model, agent only, each wave journaled at once (no hook processes). Same
 * waves (`--full`: 10,000 too, cheap here); `--layouts`, `--costs`, `--shard-size N`
 * (iplist_shard_size, default 1000), `--write-budget-ms N` (default 6000: the longest wall time
 * one write request may take; cells above it run at a lower time scale, which the table shows).
 * Its time to enforce counts the modelled firewall latency at real speed and everything else at
 * wall-clock speed (no 100x on the agent's debounce).
 *
 * 3. Several firewalls (`--sections firewalls`, see bench/firewalls.ts): a wave of
 * `--firewalls-wave N` (default 100; `--firewalls-rounds R`, default 2) bans by hooks with the agent alive, to 1, 2 and 4 firewalls
 * and to 2 with one down: the hook time ratio and the time to enforce on each firewall.
 *
 * Prints the tables and writes bench/results/<timestamp>.json (sections `results`, `layouts`).
 *
 * `--hook [--rounds N]` runs only the hook start-up bench instead (bench/hook.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type RunningEmulator, startEmulator } from "../src/emulator/index.ts";
import { REALISTIC_LATENCY } from "../src/emulator/options.ts";
import { Journal } from "../src/journal/index.ts";
import { GROUP_V4, REPO, TEST_PASSWORD, TEST_USER, tempDir, writeConfig } from "../test/support/harness.ts";
import {
  type AgentHandle,
  addressesFor,
  type Direction,
  markdownTable,
  ourHostCount,
  peakRssMb,
  runCli,
  sleep,
  startAgentProcess,
  stopAgent,
} from "./common.ts";
import { type CrowdsecResult, crowdsecTable, runCrowdsecBench } from "./crowdsec.ts";
import { type FirewallsResult, firewallsTable, runFirewallsBench } from "./firewalls.ts";
import {
  COST_MODELS,
  type CostModel,
  type Layout,
  type LayoutResult,
  layoutRatios,
  layoutTable,
  ratioTable,
  runLayoutBench,
} from "./layouts.ts";
import { percentile } from "./stats.ts";

type Mode = "agent" | "hook";

interface WaveResult {
  mode: Mode;
  wave: number;
  direction: Direction;
  via: "hooks" | "journal";
  hookMs: { median: number; p99: number; max: number } | null;
  /** From the end of the last hook until the firewall held the whole wave (or none of it). */
  untilOnFirewall: { wallMs: number; emulatedS: number };
  requests: number;
  entityWrites: number;
  pushes: number | null;
  agentPeakRssMb: number | null;
  errors: number;
}

const { values } = parseArgs({
  options: {
    hook: { type: "boolean", default: false },
    rounds: { type: "string" },
    full: { type: "boolean", default: false },
    "all-baseline": { type: "boolean", default: false },
    waves: { type: "string" },
    modes: { type: "string", default: "agent,hook" },
    "time-scale": { type: "string", default: "0.01" },
    batch: { type: "string", default: "1000" },
    direct: { type: "string" },
    sections: { type: "string", default: "modes,layouts,crowdsec,firewalls" },
    "firewalls-wave": { type: "string", default: "100" },
    "firewalls-rounds": { type: "string", default: "2" },
    layouts: { type: "string", default: "hosts,iplist" },
    costs: { type: "string", default: "per-request,per-entity" },
    "shard-size": { type: "string", default: "1000" },
    "write-budget-ms": { type: "string", default: "6000" },
    "crowdsec-decisions": { type: "string", default: "50000" },
    "crowdsec-delta": { type: "string", default: "100" },
    "crowdsec-memory": { type: "string", default: "100000" },
  },
});

const timeScale = Number(values["time-scale"]);
const batch = Number(values.batch);
const waves = (values.waves ?? (values.full ? "1,100,1000,10000" : "1,100,1000")).split(",").map(Number);
const modes = values.modes!.split(",") as Mode[];
const direct = values.direct === undefined ? undefined : Number(values.direct);
const sections = new Set(values.sections!.split(","));
const layouts = values.layouts!.split(",") as Layout[];
const costs = values.costs!.split(",") as CostModel[];
const shardSize = Number(values["shard-size"]);
const writeBudgetMs = Number(values["write-budget-ms"]);
for (const c of costs) if (!(c in COST_MODELS)) throw new Error(`unknown cost model ${c}`);
for (const l of layouts) if (l !== "hosts" && l !== "iplist") throw new Error(`unknown layout ${l}`);

function membersOf(emu: RunningEmulator): number {
  return emu.store.groups.get(GROUP_V4)?.hosts.length ?? 0;
}

/** One hook process, as Fail2ban's action file runs it. */
async function runHook(config: string, direction: Direction, ip: string, now: number): Promise<number> {
  const args =
    direction === "ban"
      ? [
          "ban",
          "--configfile",
          config,
          "--jail",
          "bench",
          "--ip",
          ip,
          "--family",
          "inet4",
          "--time",
          String(now),
          "--bantime",
          "86400",
          "--restored",
          "0",
        ]
      : ["unban", "--configfile", config, "--jail", "bench", "--ip", ip, "--family", "inet4"];
  const { code, stderr } = await runCli(args);
  if (code !== 0 || stderr !== "") process.stderr.write(`hook ${direction} ${ip}: exit ${code} ${stderr}`);
  return code ?? 1;
}

async function waitForFirewall(emu: RunningEmulator, direction: Direction, wave: number): Promise<number> {
  const done = () =>
    direction === "ban" ? membersOf(emu) === wave : membersOf(emu) === 0 && ourHostCount(emu) === 0;
  const started = Date.now();
  const limit = started + 30 * 60_000;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`the firewall never got the ${direction} wave of ${wave}`);
    await sleep(5);
  }
  return Date.now() - started;
}

async function runWave(
  emu: RunningEmulator,
  config: string,
  mode: Mode,
  wave: number,
  direction: Direction,
  agent: AgentHandle | undefined,
): Promise<WaveResult> {
  const ips = addressesFor(wave);
  const before = { ...emu.counters };
  const pushesBefore = agent?.lines.filter((l) => l.startsWith("push:")).length ?? 0;
  const durations: number[] = [];
  let errors = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const ip of ips) {
    const t = performance.now();
    if ((await runHook(config, direction, ip, now)) !== 0) errors++;
    durations.push(performance.now() - t);
  }
  const wallMs = await waitForFirewall(emu, direction, wave);
  // Let the round that completed the wave answer and be counted.
  await sleep(Math.max(100, 6000 * timeScale * 3));
  durations.sort((a, b) => a - b);
  const pushLines = agent?.lines.filter((l) => l.startsWith("push:")) ?? [];
  return {
    mode,
    wave,
    direction,
    via: "hooks",
    hookMs: {
      median: Math.round(percentile(durations, 0.5)),
      p99: Math.round(percentile(durations, 0.99)),
      max: Math.round(durations.at(-1) ?? 0),
    },
    untilOnFirewall: { wallMs, emulatedS: Math.round(wallMs / timeScale / 100) / 10 },
    requests: emu.counters.requests - before.requests,
    entityWrites: emu.counters.entityWrites - before.entityWrites,
    pushes: agent ? pushLines.length - pushesBefore : null,
    agentPeakRssMb: agent ? peakRssMb(agent.child.pid!) : null,
    errors: errors + pushLines.slice(pushesBefore).filter((l) => !l.endsWith(", ok")).length,
  };
}

/** N bans journaled at once (no hook processes): the agent's side of a very large wave. */
async function runDirect(
  emu: RunningEmulator,
  config: string,
  stateDir: string,
  n: number,
): Promise<WaveResult[]> {
  const agent = await startAgentProcess(config);
  const results: WaveResult[] = [];
  try {
    const journal = new Journal(stateDir);
    const ips = addressesFor(n);
    for (const direction of ["ban", "unban"] as Direction[]) {
      const before = { ...emu.counters };
      const pushesBefore = agent.lines.filter((l) => l.startsWith("push:")).length;
      const at = Date.now();
      for (let i = 0; i < ips.length; i += 500) {
        journal.append(
          ips
            .slice(i, i + 500)
            .map((target) =>
              direction === "ban"
                ? { t: "ban" as const, at, jail: "bench", target, family: "IPv4" as const, expiresAt: null }
                : { t: "unban" as const, at, jail: "bench", target },
            ),
        );
      }
      const wallMs = await waitForFirewall(emu, direction, n);
      await sleep(Math.max(100, 6000 * timeScale * 3));
      const pushLines = agent.lines.filter((l) => l.startsWith("push:")).slice(pushesBefore);
      results.push({
        mode: "agent",
        wave: n,
        direction,
        via: "journal",
        hookMs: null,
        untilOnFirewall: { wallMs, emulatedS: Math.round(wallMs / timeScale / 100) / 10 },
        requests: emu.counters.requests - before.requests,
        entityWrites: emu.counters.entityWrites - before.entityWrites,
        pushes: pushLines.length,
        agentPeakRssMb: peakRssMb(agent.child.pid!),
        errors: pushLines.filter((l) => !l.endsWith(", ok")).length,
      });
    }
  } finally {
    await stopAgent(agent);
  }
  return results;
}

function table(results: WaveResult[]): string {
  const header = [
    "mode",
    "wave",
    "dir",
    "via",
    "hook med ms",
    "hook p99 ms",
    "last hook→fw (emu s)",
    "(wall ms)",
    "requests",
    "entity writes",
    "pushes",
    "agent peak RSS MB",
    "errors",
  ];
  const rows = results.map((r) => [
    r.mode,
    String(r.wave),
    r.direction,
    r.via,
    r.hookMs ? String(r.hookMs.median) : "-",
    r.hookMs ? String(r.hookMs.p99) : "-",
    String(r.untilOnFirewall.emulatedS),
    String(r.untilOnFirewall.wallMs),
    String(r.requests),
    String(r.entityWrites),
    r.pushes === null ? "-" : String(r.pushes),
    r.agentPeakRssMb === null ? "-" : String(r.agentPeakRssMb),
    String(r.errors),
  ]);
  return markdownTable(header, rows);
}

async function main(): Promise<void> {
  const build = await runCli(["--version"]);
  if (build.code !== 0) throw new Error(`the built CLI does not run (npm run build first): ${build.stderr}`);
  const emu = await startEmulator({
    port: 0,
    username: TEST_USER,
    password: TEST_PASSWORD,
    latency: { ...REALISTIC_LATENCY, timeScale },
    // The layouts section reads every request of a wave from the log.
    logSize: 1_000_000,
  });
  const results: WaveResult[] = [];
  const layoutOptions = {
    waves,
    layouts,
    costs,
    timeScale,
    batch,
    shardSize,
    writeBudgetMs,
    log: (text: string) => process.stderr.write(`${text}\n`),
  };
  let layoutResults: LayoutResult[] = [];
  let crowdsecResults: CrowdsecResult[] = [];
  const log = (text: string) => process.stderr.write(`${text}\n`);
  log(
    `bench: realistic latency (1 s reads, 6 s writes) x ${timeScale}; max_entities_per_request ${batch}; waves ${waves.join(", ")}; modes ${modes.join(", ")}`,
  );
  const started = Date.now();
  try {
    for (const wave of sections.has("modes") ? waves : []) {
      for (const mode of modes) {
        if (mode === "hook" && wave > 1000) {
          log(`skip: ${wave} in hook mode (baseline) — each hook waits for a write; far too long`);
          continue;
        }
        const { dir, cleanup } = tempDir("f2b-bench");
        try {
          await emu.reset();
          emu.setLatency({ ...REALISTIC_LATENCY, timeScale });
          const config = writeConfig(dir, emu, {
            max_entities_per_request: batch,
            request_timeout_ms: 600_000,
          });
          const started = await runCli(["start", "--configfile", config]);
          if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
          const agent = mode === "agent" ? await startAgentProcess(config) : undefined;
          try {
            for (const direction of ["ban", "unban"] as Direction[]) {
              if (mode === "hook" && direction === "unban" && wave >= 1000 && !values["all-baseline"]) {
                log(`skip: ${wave} unbans in hook mode (baseline); --all-baseline runs them`);
                continue;
              }
              const t = Date.now();
              log(`run: ${mode} ${direction} x ${wave} ...`);
              const result = await runWave(emu, config, mode, wave, direction, agent);
              results.push(result);
              log(`     done in ${Math.round((Date.now() - t) / 1000)} s`);
            }
          } finally {
            if (agent) await stopAgent(agent);
          }
        } finally {
          cleanup();
        }
      }
    }
    if (direct !== undefined && sections.has("modes")) {
      const { dir, cleanup } = tempDir("f2b-bench");
      try {
        await emu.reset();
        emu.setLatency({ ...REALISTIC_LATENCY, timeScale });
        const config = writeConfig(dir, emu, {
          max_entities_per_request: batch,
          request_timeout_ms: 600_000,
        });
        await runCli(["start", "--configfile", config]);
        log(`run: agent, ${direct} bans then unbans journaled directly ...`);
        results.push(...(await runDirect(emu, config, join(dir, "state"), direct)));
      } finally {
        cleanup();
      }
    }
    if (sections.has("layouts")) {
      log(
        `bench: layouts ${layouts.join(", ")} x cost models ${costs.join(", ")}; agent only, each wave journaled at once; iplist_shard_size ${shardSize}`,
      );
      layoutResults = await runLayoutBench(emu, layoutOptions);
    }
    if (sections.has("crowdsec")) {
      crowdsecResults = await runCrowdsecBench(emu, {
        ...layoutOptions,
        decisions: Number(values["crowdsec-decisions"]),
        delta: Number(values["crowdsec-delta"]),
        memoryDecisions: Number(values["crowdsec-memory"]),
      });
    }
  } finally {
    await emu.close();
  }
  let firewallsResults: FirewallsResult[] = [];
  if (sections.has("firewalls")) {
    const wave = Number(values["firewalls-wave"]);
    log(`bench: a wave of ${wave} bans (hooks, agent alive) to 1, 2 and 4 firewalls, and to 2 with one down`);
    const rounds = Number(values["firewalls-rounds"]);
    firewallsResults = await runFirewallsBench({ wave, rounds, timeScale, batch, log });
  }
  const ratios = layoutRatios(layoutResults);
  const out = process.stdout;
  if (results.length > 0) {
    out.write(
      "\n## Agent vs hooks (hosts layout, realistic latency: 1 s per read, 6 s per write request)\n\n",
    );
    out.write(`${table(results)}\n`);
  }
  if (layoutResults.length > 0) {
    out.write(
      "\n## Layouts x cost models (agent only, each wave journaled at once; enforce s = real-speed firewall latency + wall-clock overhead)\n\n",
    );
    out.write(`${layoutTable(layoutResults)}\n`);
    out.write("\n### iplist / hosts\n\n");
    out.write(`${ratioTable(ratios)}\n`);
  }
  if (crowdsecResults.length > 0) {
    out.write(
      "\n## CrowdSec: a blocklist from a real LAPI at start, then a delta (bouncer, poll 1 s; enforce s as above)\n\n",
    );
    out.write(`${crowdsecTable(crowdsecResults)}\n`);
  }
  if (firewallsResults.length > 0) {
    out.write(
      "\n## Several firewalls (agent alive; realistic latency time-scaled; one hook process per ban)\n\n",
    );
    out.write(`${firewallsTable(firewallsResults)}\n`);
  }
  out.write(`\nbench took ${Math.round((Date.now() - started) / 1000)} s\n`);
  const outDir = join(REPO, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        latency: { ...REALISTIC_LATENCY, timeScale },
        maxEntitiesPerRequest: batch,
        agentTiming: "product defaults (quiet 300 ms, max delay 15 s)",
        durationS: Math.round((Date.now() - started) / 1000),
        results,
        layouts: {
          method:
            "agent only; each wave journaled in one append, then delivered by the agent; enforceS = from the append until the completing write was answered, modelled firewall latency at real speed plus wall-clock overhead",
          costModels: COST_MODELS,
          shardSize,
          maxEntitiesPerRequest: batch,
          baseTimeScale: timeScale,
          writeBudgetMs,
          results: layoutResults,
          iplistOverHosts: ratios,
        },
        crowdsec: {
          method:
            "decisions imported into a real CrowdSec LAPI (cscli decisions import) before the bouncer starts, then a delta imported while it runs; enforce s from the bouncer's start (resp. the end of the delta's import) until every address is blocked",
          results: crowdsecResults,
        },
        firewalls: firewallsResults,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results: ${file}\n`);
}

// `--hook`: the per-ban start-up cost only (bench/hook.ts).
if (values.hook) await (await import("./hook.ts")).runHookBench();
else await main();
