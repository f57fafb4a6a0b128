/**
 * Helpers for the durability tests: worker processes that run many actions through the built
 * library, an independent replay of journal.jsonl (the record order is the truth), and the
 * comparison of the firewall with a desired set.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBanTarget } from "../../src/address/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { objectNameFor } from "../../src/targets/sophos/index.ts";
import { GROUP_V4, GROUP_V6, groupMembers, PREFIX, REPO } from "../support/harness.ts";

export const WORKER = join(REPO, "test", "durability", "worker.mjs");

export interface Op {
  op: "ban" | "unban" | "flush";
  ip?: string;
  jail?: string;
  family?: "IPv4" | "IPv6";
  bantime?: number;
  time?: number;
}

export interface OpResult {
  i: number;
  exitCode: number;
  ms: number;
  error?: string;
}

export interface WorkerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  results: OpResult[];
  stderr: string;
  wallMs: number;
}

/**
 * Starts a worker; `killAfterMs` sends SIGKILL after that long, `killWhen` as soon as it holds
 * (polled every 2 ms: for a kill on an event, e.g. a write reaching the firewall).
 */
export function runWorker(
  config: string,
  ops: Op[],
  options: { env?: NodeJS.ProcessEnv; killAfterMs?: number; killWhen?: () => boolean } = {},
): Promise<WorkerRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, config, JSON.stringify(ops)], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const killer =
      options.killAfterMs !== undefined
        ? setTimeout(() => child.kill("SIGKILL"), options.killAfterMs)
        : undefined;
    const watcher =
      options.killWhen !== undefined
        ? setInterval(() => {
            if (options.killWhen!()) child.kill("SIGKILL");
          }, 2)
        : undefined;
    const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    // "close" comes after the child was reaped: no zombie is left to look alive.
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      clearInterval(watcher);
      clearTimeout(guard);
      const results = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as OpResult);
      resolve({ code, signal, results, stderr, wallMs: Date.now() - started });
    });
  });
}

export function journalLines(stateDir: string): string[] {
  const path = join(stateDir, "journal.jsonl");
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  lines.pop();
  return lines.filter((l) => l !== "");
}

/**
 * Our own replay of journal.jsonl, independent of src/journal: jail holds per target, in the
 * order the journal accepted them. Only valid without a snapshot (no compaction happened).
 */
export function replayHolds(stateDir: string, nowSeconds = Date.now() / 1000): Set<string> {
  if (existsSync(join(stateDir, "state.json"))) throw new Error("a compaction happened; replay is partial");
  const holds = new Map<string, Map<string, number | null>>();
  for (const line of journalLines(stateDir)) {
    const r = JSON.parse(line);
    if (r.t === "ban") {
      if (!holds.has(r.target)) holds.set(r.target, new Map());
      holds.get(r.target)!.set(r.jail, r.expiresAt);
    } else if (r.t === "unban") {
      holds.get(r.target)?.delete(r.jail);
    } else if (r.t === "flush") {
      for (const [target, jails] of holds) {
        const family = target.includes(":") ? "IPv6" : "IPv4";
        if (r.family !== undefined && r.family !== family) continue;
        if (r.jail === undefined) jails.clear();
        else jails.delete(r.jail);
      }
    }
  }
  const desired = new Set<string>();
  for (const [target, jails] of holds) {
    if ([...jails.values()].some((e) => e === null || e > nowSeconds)) desired.add(target);
  }
  return desired;
}

export function nameOf(target: string): string {
  return objectNameFor(PREFIX, parseBanTarget(target));
}

/**
 * The firewall's view of our bans: every host with our prefix, and the members of our groups.
 * Fails when a host of ours is outside its group or a member is not one of our hosts.
 */
export function firewallView(emu: RunningEmulator): {
  hosts: string[];
  members: string[];
  orphans: string[];
  duplicates: string[];
} {
  const hostList = emu.snapshot().hosts.filter((h) => h.name.startsWith(PREFIX));
  const hosts = hostList.map((h) => h.name).sort();
  const duplicates = hosts.filter((n, i) => i > 0 && hosts[i - 1] === n);
  const members = [...groupMembers(emu, GROUP_V4), ...groupMembers(emu, GROUP_V6)].sort();
  const memberSet = new Set(members);
  const orphans = hosts.filter((n) => !memberSet.has(n));
  return { hosts, members, orphans, duplicates };
}

export function expectedNames(desired: Iterable<string>): string[] {
  return [...desired].map(nameOf).sort();
}

/** A tiny seeded PRNG, so a failing run can be repeated (the seed is in the test name). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `tasks` with at most `width` at a time. */
export async function inWaves<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}
