/**
 * `npm run bench -- --hook [--rounds N]`: how much a Fail2ban hook costs over a bare Node start.
 * Whole process starts, interleaved round by round (so a busy moment of the machine hits every
 * command alike): `node -e 0`, `f2b-sophosxg --version`, and `ban` with the agent alive (the hook
 * then only journals), each through the bin (dist/f2b-sophosxg.cjs) and the ES module entry.
 * Prints each median and 10th percentile (wall, ms) and mean CPU time, with their ratios to the
 * bare start's.
 * Targets (issue 11): `--version` <= 1.10x, `ban` <= 1.15x.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator } from "../src/emulator/index.ts";
import { TEST_PASSWORD, TEST_USER, tempDir, writeConfig } from "../test/support/harness.ts";
import { BIN, CLI, markdownTable, startAgentProcess, stopAgent } from "./common.ts";
import { percentile } from "./stats.ts";

const { values } = parseArgs({
  options: { hook: { type: "boolean" }, rounds: { type: "string", default: "60" } },
});
const rounds = Number(values.rounds);

const TICKS_PER_S = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/**
 * CPU time (user + system) of our reaped children so far, in ms, from /proc/self/stat (cutime,
 * cstime). In clock ticks, so one run's share is coarse; summed over many runs it is not biased.
 */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_S;
}

function timeMs(args: string[]): { wall: number; cpu: number } {
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed: ${result.stderr}`);
  return { wall, cpu: childrenCpuMs() - cpuBefore };
}

export async function runHookBench(): Promise<void> {
  const dir = tempDir("f2b-bench-hook");
  const emu = await startEmulator({ port: 0, username: TEST_USER, password: TEST_PASSWORD });
  const config = writeConfig(dir.dir, emu);
  // The agent holds its lock and stays quiet: it must not deliver (and take the CPU) mid-run.
  Object.assign(process.env, {
    F2B_SOPHOSXG_AGENT_QUIET_MS: "60000",
    F2B_SOPHOSXG_AGENT_MAX_DELAY_MS: "600000",
    F2B_SOPHOSXG_AGENT_RECONCILE_MS: String(24 * 3600 * 1000),
  });
  const agent = await startAgentProcess(config);
  try {
    const ban = (program: string) => (round: number) => [
      program,
      "ban",
      "--configfile",
      config,
      "--jail",
      "bench",
      "--ip",
      `198.51.${Math.floor(round / 250) % 250}.${(round % 250) + 1}`,
      "--family",
      "inet4",
      "--bantime",
      "600",
    ];
    // The bin (dist/f2b-sophosxg.cjs) is what Fail2ban runs; the .mjs is the same entry as an ES module.
    const commands: Array<{ name: string; args: (round: number) => string[] }> = [
      { name: "node -e 0", args: () => ["-e", "0"] },
      { name: "--version (bin)", args: () => [BIN, "--version"] },
      { name: "ban, agent alive (bin)", args: ban(BIN) },
      { name: "--version (.mjs)", args: () => [CLI, "--version"] },
      { name: "ban, agent alive (.mjs)", args: (round) => ban(CLI)(round + 50_000) },
    ];
    const times = commands.map(() => [] as number[]);
    const cpu = commands.map(() => 0);
    for (let i = 0; i < 3; i++) for (const c of commands) timeMs(c.args(1000 + i)); // warm the page cache
    for (let round = 0; round < rounds; round++) {
      // Rotate the order, so no command always runs right after the same one.
      for (let k = 0; k < commands.length; k++) {
        const index = (round + k) % commands.length;
        const measured = timeMs(commands[index]!.args(round));
        times[index]!.push(measured.wall);
        cpu[index]! += measured.cpu;
      }
    }
    // The median wall time is the figure; the 10th percentile and the CPU time say the same with
    // less of the machine's other load in them (a shared machine makes medians wander).
    const base = percentile(times[0]!, 0.5);
    const baseP10 = percentile(times[0]!, 0.1);
    const baseCpu = cpu[0]! / rounds;
    const rows = commands.map((c, i) => {
      const m = percentile(times[i]!, 0.5);
      const p10 = percentile(times[i]!, 0.1);
      const meanCpu = cpu[i]! / rounds;
      return [
        c.name,
        m.toFixed(1),
        (m / base).toFixed(2),
        p10.toFixed(1),
        (p10 / baseP10).toFixed(2),
        meanCpu.toFixed(1),
        (meanCpu / baseCpu).toFixed(2),
      ];
    });
    console.log(`hook start-up, ${rounds} interleaved rounds (Node ${process.version})`);
    console.log(
      markdownTable(
        ["command", "median ms", "x node -e 0", "p10 ms", "x (p10)", "CPU ms (mean)", "x (CPU)"],
        rows,
      ),
    );
  } finally {
    await stopAgent(agent);
    await emu.close();
    dir.cleanup();
  }
}
