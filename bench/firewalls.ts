/**
 * Several firewalls (`--sections firewalls`): one wave of bans, sent as Fail2ban sends them (one
 * hook process after another, the agent alive), to 1, 2 and 4 emulated firewalls with the
 * realistic latency profile (time-scaled), plus 2 firewalls with one of them down. Measures each
 * hook's time (it must not grow with the number of firewalls: a hook only journals) and, per
 * firewall, the time from the last hook until the firewall holds the whole wave.
 *
 * The cases run in several rounds, in alternating order, so that a machine whose load changes
 * during the run does not favour one case; a round also times 30 hooks with the agent paused
 * (SIGSTOP: its lock still says it is alive), which is the hook's own cost without the agent's
 * pushes to N firewalls competing for the CPU.
 */
import { type RunningEmulator, startEmulator } from "../src/emulator/index.ts";
import { REALISTIC_LATENCY } from "../src/emulator/options.ts";
import { writeFirewallsConfig } from "../test/firewalls/helpers.ts";
import { GROUP_V4, PREFIX, TEST_PASSWORD, TEST_USER, tempDir } from "../test/support/harness.ts";
import { addressesFor, markdownTable, runCli, sleep, startAgentProcess, stopAgent } from "./common.ts";
import { percentile } from "./stats.ts";

export interface FirewallsCase {
  label: string;
  firewalls: number;
  down: number;
}

export interface FirewallsResult {
  label: string;
  firewalls: number;
  down: number;
  wave: number;
  rounds: number;
  hookMs: { median: number; p99: number };
  /** The hook's own cost: the agent paused, nothing competing for the CPU. */
  pausedHookMs: { median: number; p99: number };
  /** Per reachable firewall: median over the rounds of the wall ms from the last hook until it held the whole wave. */
  enforceMs: number[];
}

export const FIREWALL_CASES: FirewallsCase[] = [
  { label: "1 firewall", firewalls: 1, down: 0 },
  { label: "2 firewalls", firewalls: 2, down: 0 },
  { label: "4 firewalls", firewalls: 4, down: 0 },
  { label: "2 firewalls, 1 down", firewalls: 2, down: 1 },
];

const PAUSED_HOOKS = 30;

function members(emu: RunningEmulator): number {
  return emu.store.groups.get(GROUP_V4)?.hosts.length ?? 0;
}

interface CaseRun {
  hookMs: number[];
  pausedMs: number[];
  enforceMs: number[];
}

interface BenchOptions {
  wave: number;
  rounds: number;
  timeScale: number;
  batch: number;
  log: (text: string) => void;
}

async function runCase(c: FirewallsCase, emus: RunningEmulator[], options: BenchOptions): Promise<CaseRun> {
  const used = emus.slice(0, c.firewalls);
  for (const emu of used) {
    await emu.reset();
    emu.setLatency({ ...REALISTIC_LATENCY, timeScale: options.timeScale });
  }
  const { dir, cleanup } = tempDir("f2b-bench-fw");
  try {
    const config = writeFirewallsConfig(
      dir,
      used.map((emu, i) => ({ name: `fw${i + 1}`, emu })),
      { iphost_prefix: PREFIX, max_entities_per_request: options.batch, request_timeout_ms: 600_000 },
    );
    const started = await runCli(["start", "--configfile", config]);
    if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);
    const agent = await startAgentProcess(config, c.firewalls);
    const downed = used.slice(used.length - c.down);
    for (const emu of downed) await emu.setFaults({ down: true });
    try {
      const now = Math.floor(Date.now() / 1000);
      const hook = async (ip: string): Promise<number> => {
        const t0 = performance.now();
        const args = ["ban", "--configfile", config, "--jail", "bench", "--ip", ip, "--family", "inet4"];
        const { code, stderr } = await runCli([...args, "--time", String(now), "--bantime", "86400"]);
        if (code !== 0) throw new Error(`hook exited ${code}: ${stderr}`);
        return performance.now() - t0;
      };
      const pausedMs: number[] = [];
      agent.child.kill("SIGSTOP");
      try {
        for (let i = 1; i <= PAUSED_HOOKS; i++) pausedMs.push(await hook(`172.16.0.${i}`));
      } finally {
        agent.child.kill("SIGCONT");
      }
      const total = options.wave + PAUSED_HOOKS;
      const hookMs: number[] = [];
      for (const ip of addressesFor(options.wave)) hookMs.push(await hook(ip));
      const lastHook = Date.now();
      const up = used.filter((emu) => !downed.includes(emu));
      const enforceMs = up.map(() => Number.NaN);
      const limit = lastHook + 10 * 60_000;
      while (enforceMs.some((v) => Number.isNaN(v))) {
        for (const [i, emu] of up.entries()) {
          if (Number.isNaN(enforceMs[i]!) && members(emu) === total) enforceMs[i] = Date.now() - lastHook;
        }
        if (Date.now() > limit) throw new Error(`${c.label}: the wave never reached every firewall`);
        await sleep(5);
      }
      options.log(
        `firewalls: ${c.label}: hook median ${Math.round(percentile(hookMs, 0.5))} ms (agent paused ${Math.round(percentile(pausedMs, 0.5))} ms); enforced in ${enforceMs.join(", ")} ms`,
      );
      return { hookMs, pausedMs, enforceMs };
    } finally {
      for (const emu of downed) await emu.setFaults({ down: false });
      await stopAgent(agent);
    }
  } finally {
    cleanup();
  }
}

export async function runFirewallsBench(options: BenchOptions): Promise<FirewallsResult[]> {
  const emus: RunningEmulator[] = [];
  const runs = new Map<string, CaseRun[]>();
  try {
    for (let i = 0; i < 4; i++) {
      emus.push(
        await startEmulator({
          port: 0,
          username: TEST_USER,
          password: TEST_PASSWORD,
          latency: { ...REALISTIC_LATENCY, timeScale: options.timeScale },
        }),
      );
    }
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? FIREWALL_CASES : [...FIREWALL_CASES].reverse();
      for (const c of order)
        runs.set(c.label, [...(runs.get(c.label) ?? []), await runCase(c, emus, options)]);
    }
  } finally {
    for (const emu of emus) await emu.close();
  }
  return FIREWALL_CASES.map((c) => {
    const all = runs.get(c.label) ?? [];
    const hooks = all.flatMap((r) => r.hookMs);
    const paused = all.flatMap((r) => r.pausedMs);
    const reachable = all[0]?.enforceMs.length ?? 0;
    return {
      label: c.label,
      firewalls: c.firewalls,
      down: c.down,
      wave: options.wave,
      rounds: all.length,
      hookMs: { median: Math.round(percentile(hooks, 0.5)), p99: Math.round(percentile(hooks, 0.99)) },
      pausedHookMs: {
        median: Math.round(percentile(paused, 0.5)),
        p99: Math.round(percentile(paused, 0.99)),
      },
      enforceMs: Array.from({ length: reachable }, (_, i) =>
        Math.round(
          percentile(
            all.map((r) => r.enforceMs[i]!),
            0.5,
          ),
        ),
      ),
    };
  });
}

export function firewallsTable(results: FirewallsResult[]): string {
  const one = results.find((r) => r.firewalls === 1 && r.down === 0);
  const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : "-");
  return markdownTable(
    [
      "case",
      "wave x rounds",
      "hook median ms",
      "p99",
      "vs 1",
      "agent paused: hook median ms",
      "vs 1",
      "last hook → on each reachable firewall (median ms)",
    ],
    results.map((r) => [
      r.label,
      `${r.wave} x ${r.rounds}`,
      String(r.hookMs.median),
      String(r.hookMs.p99),
      ratio(r.hookMs.median, one?.hookMs.median),
      String(r.pausedHookMs.median),
      ratio(r.pausedHookMs.median, one?.pausedHookMs.median),
      r.enforceMs.join(", "),
    ]),
  );
}
