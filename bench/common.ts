/**
 * What both bench sections share: a private copy of the built CLI, the wave addresses, the agent
 * process, and small measurements of the emulator and of processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningEmulator } from "../src/emulator/index.ts";
import { CLI as BUILT_CLI, PREFIX } from "../test/support/harness.ts";

export type Direction = "ban" | "unban";

// A copy of dist/ taken at start: a rebuild during the run (npm test elsewhere) must not pull the CLI away.
const distCopy = mkdtempSync(join(tmpdir(), "f2b-bench-dist-"));
cpSync(join(BUILT_CLI, ".."), distCopy, { recursive: true });
export const CLI = join(distCopy, "f2b-sophosxg.mjs");
/** What the package's bin (and `install`'s link) runs: the same entry, as CommonJS. */
export const BIN = join(distCopy, "f2b-sophosxg.cjs");
process.on("exit", () => rmSync(distCopy, { recursive: true, force: true }));

/** Async on purpose: the emulator answers from this very process. */
export function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 0}`;
}

export function addressesFor(wave: number): string[] {
  // 10.0.0.0 upwards, skipping .0 and .255 host parts so every address looks like a host.
  const out: string[] = [];
  for (let i = 0; out.length < wave; i++) {
    const last = i & 255;
    if (last !== 0 && last !== 255) out.push(address(i));
  }
  return out;
}

/** IP host objects of ours (our prefix) on the emulated firewall: hosts, networks and IP list shards. */
export function ourHostCount(emu: RunningEmulator): number {
  let n = 0;
  for (const name of emu.store.hosts.keys()) if (name.startsWith(PREFIX)) n++;
  return n;
}

export function peakRssMb(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

export interface AgentHandle {
  child: ChildProcess;
  lines: string[];
}

/** `firewalls`: how many start-up reconciliations to wait for (one per configured firewall). */
export async function startAgentProcess(config: string, firewalls = 1): Promise<AgentHandle> {
  const child = spawn(process.execPath, [CLI, "agent", "--configfile", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  child.stderr!.on("data", (c: Buffer) => {
    partial += c.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  const until = Date.now() + 30_000;
  while (lines.filter((l) => /^(firewall \S+: )?reconcile:/.test(l)).length < firewalls) {
    if (child.exitCode !== null || Date.now() > until)
      throw new Error(`agent did not start:\n${lines.join("\n")}`);
    await sleep(20);
  }
  await sleep(300);
  return { child, lines };
}

export async function stopAgent(agent: AgentHandle): Promise<void> {
  if (agent.child.exitCode !== null) return;
  agent.child.kill("SIGTERM");
  await new Promise((resolve) => agent.child.once("close", resolve));
}

export function pushLines(agent: AgentHandle): string[] {
  return agent.lines.filter((l) => l.startsWith("push:"));
}

/** A Markdown table, columns padded. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
