/**
 * The layout × cost-model section of `npm run bench`: the two storage layouts (`hosts`,
 * `iplist`) under the two cost models nobody has measured on a real firewall (reference §5):
 *
 * - per-request: 1 s per read, 6 s per write request, nothing per entity (the emulator's
 *   `--realistic` profile);
 * - per-entity: 1 s per read, 0 per write request, 6 s per entity written (each written object
 *   costs a policy re-apply).
 *
 * Method (agent only, no hook processes): for each wave, layout and cost model, a fresh firewall
 * and state directory, `start`, the agent with its product timings; then the whole wave of bans
 * is journaled in one append (what N hooks would write, minus the ≈ 90 ms per hook process), and
 * the agent delivers it; then the same for the unbans. This is the agent's best case (one
 * debounce, full batches); hooks spread over time give it more, smaller pushes.
 *
 * Time to enforce: from the end of the append (the "last hook") until the firewall ANSWERED the
 * write that completed the wave (a ban wave: every address is in a group member object; an unban
 * wave: no address is, and no object of ours is left), in real seconds: the firewall's modelled
 * latency counts at full value (1/timeScale), everything else (the agent's 300 ms quiet time, its
 * CPU and the emulator's) at wall-clock value. "firewall s" is the modelled latency alone.
 *
 * Time scale per cell: the base scale (0.01), lowered where one write request would take longer
 * than `writeBudgetMs` of wall time (the per-entity model with the hosts layout: 1,000 entities ×
 * 6 s = 6,000 s per request). With the time split above the figures stay comparable; the column
 * says which scale a cell ran at.
 */
import type { RunningEmulator } from "../src/emulator/index.ts";
import { latencyFor } from "../src/emulator/latency.ts";
import type { LatencySettings } from "../src/emulator/options.ts";
import { Journal } from "../src/journal/index.ts";
import type { JournalRecord } from "../src/journal/records.ts";
import { GROUP_V4, tempDir, writeConfig } from "../test/support/harness.ts";
import {
  type AgentHandle,
  addressesFor,
  type Direction,
  markdownTable,
  ourHostCount,
  peakRssMb,
  pushLines,
  runCli,
  sleep,
  startAgentProcess,
  stopAgent,
} from "./common.ts";

export type Layout = "hosts" | "iplist";
export type CostModel = "per-request" | "per-entity";

export const COST_MODELS: Readonly<Record<CostModel, Omit<LatencySettings, "timeScale">>> = {
  "per-request": { readMs: 1000, writeMs: 6000, entityMs: 0 },
  "per-entity": { readMs: 1000, writeMs: 0, entityMs: 6000 },
};

export interface LayoutOptions {
  waves: number[];
  layouts: Layout[];
  costs: CostModel[];
  /** Base time scale (0.01: a 6 s write takes 60 ms). */
  timeScale: number;
  /** max_entities_per_request. */
  batch: number;
  /** iplist_shard_size. */
  shardSize: number;
  /** Longest wall time one write request may take; the cell's time scale is lowered to fit. */
  writeBudgetMs: number;
  log: (text: string) => void;
}

export interface LayoutResult {
  layout: Layout;
  cost: CostModel;
  wave: number;
  direction: Direction;
  timeScale: number;
  requests: number;
  readRequests: number;
  writeRequests: number;
  entityWrites: number;
  /** IP host objects of ours on the firewall after the wave (hosts, shards). */
  objectsAfter: number;
  /** Members of the IPv4 group after the wave. */
  groupMembersAfter: number;
  /** Seconds at real speed from the append to the answer of the completing write. */
  enforceS: number;
  /** The modelled firewall latency of the requests in that window, at real speed. */
  firewallS: number;
  /** The rest of the window (agent quiet time and CPU, emulator CPU), wall clock. */
  overheadMs: number;
  wallMs: number;
  pushes: number;
  agentPeakRssMb: number | null;
  errors: number;
}

/** Lowered time scale where a write request would exceed the wall budget at the base scale. */
export function cellTimeScale(cost: CostModel, layout: Layout, wave: number, o: LayoutOptions): number {
  const model = COST_MODELS[cost];
  const entitiesPerWrite =
    layout === "hosts" ? Math.min(wave, o.batch) : Math.min(Math.ceil(wave / o.shardSize), o.batch);
  const perWriteMs = model.writeMs + model.entityMs * entitiesPerWrite;
  return Math.min(o.timeScale, o.writeBudgetMs / perWriteMs);
}

/** How many wave addresses the firewall blocks: in an IP host or an IP list that is a member of the group. */
function blockedCount(emu: RunningEmulator, wave: ReadonlySet<string>): number {
  const members = emu.store.groups.get(GROUP_V4)?.hosts ?? [];
  let n = 0;
  for (const name of members) {
    const host = emu.store.hosts.get(name);
    if (!host) continue;
    if (host.hostType === "IP" && host.ipAddress !== undefined && wave.has(host.ipAddress)) n++;
    if (host.hostType === "IPList") for (const a of host.listOfIpAddresses ?? []) if (wave.has(a)) n++;
  }
  return n;
}

async function waitUntil(done: () => boolean, what: string): Promise<number> {
  const limit = Date.now() + 30 * 60_000;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`never happened: ${what}`);
    await sleep(5);
  }
  return Date.now();
}

/** Waits until every request that has reached the emulator so far has been answered (and logged). */
async function answered(emu: RunningEmulator, arrived: number): Promise<void> {
  const limit = Date.now() + 30 * 60_000;
  while (emu.requestLog().length < arrived) {
    if (Date.now() > limit) throw new Error("the emulator never answered");
    await sleep(2);
  }
}

async function measure(
  emu: RunningEmulator,
  agent: AgentHandle,
  journal: Journal,
  ips: string[],
  direction: Direction,
  latency: LatencySettings,
): Promise<Omit<LayoutResult, "layout" | "cost" | "wave" | "timeScale">> {
  const wave = new Set(ips);
  // Counters and request log from zero (objects and faults stay): the log, kept whole (logSize),
  // gives each request's start, duration, kind and entities.
  await emu.reset({ objects: false, faults: false });
  const pushesBefore = pushLines(agent).length;
  const at = Date.now();
  journal.append(
    ips.map(
      (target): JournalRecord =>
        direction === "ban"
          ? { t: "ban", at, jail: "bench", target, family: "IPv4", expiresAt: null }
          : { t: "unban", at, jail: "bench", target },
    ),
  );
  const t0 = Date.now();
  const done =
    direction === "ban"
      ? () => blockedCount(emu, wave) === wave.size
      : () => blockedCount(emu, wave) === 0 && ourHostCount(emu) === 0;
  const tDone = await waitUntil(done, `the firewall holds the ${direction} wave of ${ips.length}`);
  // The change is applied before the emulator waits out the latency: the wave is enforced when
  // the write that completed it is answered. Requests are served one at a time, in arrival order.
  const arrivedByDone = emu.counters.requests;
  await answered(emu, arrivedByDone);
  const upToDone = emu.requestLog().slice(0, arrivedByDone);
  const lastWrite = upToDone.findLast((e) => e.kind === "write");
  const tEnforced = lastWrite ? Math.max(tDone, Date.parse(lastWrite.at) + lastWrite.latencyMs) : tDone;
  const realSpeed = { ...latency, timeScale: 1 };
  let scaledMs = 0;
  let realMs = 0;
  for (const e of upToDone) {
    scaledMs += latencyFor(latency, e.kind, e.entities);
    realMs += latencyFor(realSpeed, e.kind, e.entities);
  }
  const wallMs = tEnforced - t0;
  const overheadMs = Math.max(0, wallMs - scaledMs);

  // Let whatever the round still does (follow-up requests) be answered and counted, and let the
  // agent's wake-up on its own journal write (300 ms quiet after it) pass, so the next wave
  // meets an idle agent and a full debounce.
  await sleep(1000);
  await answered(emu, emu.counters.requests);
  const all = emu.requestLog();
  const pushes = pushLines(agent).slice(pushesBefore);
  return {
    direction,
    requests: emu.counters.requests,
    readRequests: all.filter((e) => e.kind === "read").length,
    writeRequests: all.filter((e) => e.kind === "write").length,
    entityWrites: emu.counters.entityWrites,
    objectsAfter: ourHostCount(emu),
    groupMembersAfter: emu.store.groups.get(GROUP_V4)?.hosts.length ?? 0,
    enforceS: Math.round((overheadMs + realMs) / 100) / 10,
    firewallS: Math.round(realMs / 100) / 10,
    overheadMs: Math.round(overheadMs),
    wallMs,
    pushes: pushes.length,
    agentPeakRssMb: peakRssMb(agent.child.pid!),
    errors:
      pushes.filter((l) => !l.endsWith(", ok")).length +
      emu.counters.entityWrites -
      emu.counters.entityWritesApplied,
  };
}

export async function runLayoutBench(emu: RunningEmulator, o: LayoutOptions): Promise<LayoutResult[]> {
  const results: LayoutResult[] = [];
  for (const wave of o.waves) {
    for (const cost of o.costs) {
      for (const layout of o.layouts) {
        const timeScale = cellTimeScale(cost, layout, wave, o);
        const latency: LatencySettings = { ...COST_MODELS[cost], timeScale };
        const { dir, cleanup } = tempDir("f2b-bench");
        try {
          await emu.reset();
          emu.setLatency(latency);
          const config = writeConfig(dir, emu, {
            layout,
            iplist_shard_size: o.shardSize,
            max_entities_per_request: o.batch,
            request_timeout_ms: 600_000,
          });
          const started = await runCli(["start", "--configfile", config]);
          if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
          const agent = await startAgentProcess(config);
          // The agent's start-up reconcile writes the journal, which wakes it 300 ms later: let
          // that pass too (see measure).
          await sleep(1000);
          try {
            const journal = new Journal(`${dir}/state`);
            const ips = addressesFor(wave);
            for (const direction of ["ban", "unban"] as Direction[]) {
              const t = Date.now();
              o.log(
                `run: ${layout}, ${cost}, ${direction} x ${wave} journaled at once (time scale ${timeScale}) ...`,
              );
              const r = await measure(emu, agent, journal, ips, direction, latency);
              results.push({ layout, cost, wave, timeScale, ...r });
              o.log(`     done in ${Math.round((Date.now() - t) / 100) / 10} s`);
            }
          } finally {
            await stopAgent(agent);
          }
        } finally {
          cleanup();
        }
      }
    }
  }
  return results;
}

const fmt = (n: number) => n.toLocaleString("en-US");

export function layoutTable(results: LayoutResult[]): string {
  const header = [
    "wave",
    "dir",
    "cost model",
    "layout",
    "requests (r/w)",
    "entity writes",
    "objects after",
    "enforce s",
    "firewall s",
    "overhead ms",
    "time scale",
    "pushes",
    "agent RSS MB",
    "errors",
  ];
  const rows = results.map((r) => [
    fmt(r.wave),
    r.direction,
    r.cost,
    r.layout,
    `${r.requests} (${r.readRequests}/${r.writeRequests})`,
    fmt(r.entityWrites),
    fmt(r.objectsAfter),
    fmt(r.enforceS),
    fmt(r.firewallS),
    String(r.overheadMs),
    String(r.timeScale),
    String(r.pushes),
    r.agentPeakRssMb === null ? "-" : String(r.agentPeakRssMb),
    String(r.errors),
  ]);
  return markdownTable(header, rows);
}

export interface LayoutRatio {
  wave: number;
  direction: Direction;
  cost: CostModel;
  requests: number | null;
  entityWrites: number | null;
  objectsAfter: number | null;
  enforce: number | null;
}

/** iplist ÷ hosts for each wave, direction and cost model that ran both. */
export function layoutRatios(results: LayoutResult[]): LayoutRatio[] {
  const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
  const out: LayoutRatio[] = [];
  for (const ip of results.filter((r) => r.layout === "iplist")) {
    const h = results.find(
      (r) => r.layout === "hosts" && r.wave === ip.wave && r.direction === ip.direction && r.cost === ip.cost,
    );
    if (!h) continue;
    out.push({
      wave: ip.wave,
      direction: ip.direction,
      cost: ip.cost,
      requests: ratio(ip.requests, h.requests),
      entityWrites: ratio(ip.entityWrites, h.entityWrites),
      objectsAfter: ratio(ip.objectsAfter, h.objectsAfter),
      enforce: ratio(ip.enforceS, h.enforceS),
    });
  }
  return out;
}

export function ratioTable(ratios: LayoutRatio[]): string {
  const show = (n: number | null) => (n === null ? "-" : String(n));
  return markdownTable(
    ["wave", "dir", "cost model", "requests", "entity writes", "objects after", "time to enforce"],
    ratios.map((r) => [
      fmt(r.wave),
      r.direction,
      r.cost,
      show(r.requests),
      show(r.entityWrites),
      show(r.objectsAfter),
      show(r.enforce),
    ]),
  );
}
