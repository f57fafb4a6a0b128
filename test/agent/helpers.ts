/**
 * The agent as a real process (`node dist/f2b-sophosxg.mjs agent --configfile …`), with its log
 * lines collected, plus what the agent tests compare: the desired state in the journal against
 * the hosts in our groups on the emulator.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBanTarget } from "../../src/address/index.ts";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { desiredTargets, Journal } from "../../src/journal/index.ts";
import { objectNameFor } from "../../src/targets/sophos/index.ts";
import {
  CLI,
  GROUP_V4,
  GROUP_V6,
  groupMembers,
  PREFIX,
  runCli,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { deliveryCheckedSince } from "../support/wait.ts";

export { deliveryAttempts, deliveryCheckedSince, sleep, waitUntil } from "../support/wait.ts";

/** Fast timings so that tests do not wait on production defaults. */
export const FAST_AGENT_ENV: NodeJS.ProcessEnv = {
  F2B_SOPHOSXG_AGENT_QUIET_MS: "50",
  F2B_SOPHOSXG_AGENT_MAX_DELAY_MS: "500",
  F2B_SOPHOSXG_AGENT_BACKOFF_BASE_MS: "100",
  F2B_SOPHOSXG_AGENT_BACKOFF_MAX_MS: "400",
  F2B_SOPHOSXG_AGENT_BREAKER_THRESHOLD: "4",
  F2B_SOPHOSXG_AGENT_BREAKER_COOLDOWN_MS: "600",
};

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  lines: string[];
  /** Resolves with the first log line (already seen or to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Sends `signal` and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startAgent(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  command: "agent" | "bouncer" = "agent",
): AgentProcess {
  const child = spawn(process.execPath, [CLI, command, "--configfile", configFile], {
    env: { ...process.env, ...FAST_AGENT_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let partial = "";
  const onData = (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
    for (const listener of listeners) listener();
  };
  child.stderr!.on("data", onData);
  child.stdout!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find((l) => pattern.test(l));
          if (hit === undefined) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no agent log line matched ${pattern} in ${timeoutMs} ms:\n${lines.join("\n")}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off("close", onClose);
        };
        const listener = () => {
          check();
        };
        const onClose = () => {
          if (!check()) {
            cleanup();
            reject(new Error(`agent exited before a line matched ${pattern}:\n${lines.join("\n")}`));
          }
        };
        if (check()) return;
        listeners.add(listener);
        child.on("close", onClose);
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The state directory a test config names. */
export function stateDirOfConfig(configFile: string): string {
  return (JSON.parse(readFileSync(configFile, "utf8")) as { state_dir: string }).state_dir;
}

/** An agent that has finished its start-up reconciliation and is idle. */
export async function startIdleAgent(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const spawnedAt = Date.now();
  const agent = startAgent(configFile, env);
  await agent.waitForLine(/^reconcile: /);
  // The reconciliation is followed by a (network-free) look at the journal, the agent's first
  // delivery (the reconcile itself is not one): wait until it is done.
  await deliveryCheckedSince(stateDirOfConfig(configFile), spawnedAt);
  return agent;
}

/** Runs a hook the way Fail2ban does; fails the test on a non-zero exit. */
export async function hook(
  configFile: string,
  action: "ban" | "unban",
  ip: string,
  extra: string[] = [],
): Promise<{ stdout: string; durationMs: number }> {
  const jail = extra.includes("--jail") ? [] : ["--jail", "j1"];
  const result = await runCli([action, "--configfile", configFile, ...jail, "--ip", ip, ...extra]);
  if (result.code !== 0) {
    throw new Error(`${action} ${ip} exited ${result.code}: ${result.stdout}${result.stderr}`);
  }
  return result;
}

/** The object names that the journal says should be in our groups now, sorted. */
export function desiredNames(stateDir: string): string[] {
  const { state } = new Journal(stateDir).load();
  return [...desiredTargets(state, Date.now() / 1000).keys()]
    .map((t) => objectNameFor(PREFIX, parseBanTarget(t)))
    .sort();
}

/** The object names in our groups on the emulator, sorted. */
export function namesOnFirewall(emu: RunningEmulator): string[] {
  return [...groupMembers(emu, GROUP_V4), ...groupMembers(emu, GROUP_V6)].sort();
}

export function nameOf(ip: string): string {
  return objectNameFor(PREFIX, parseBanTarget(ip));
}

/** Whether our groups hold every one of `targets` (addresses or networks, either family). */
export function allOnFirewall(emu: RunningEmulator, targets: string[]): boolean {
  const names = new Set(namesOnFirewall(emu));
  return targets.every((target) => names.has(nameOf(target)));
}

/** Whether our groups hold none of `targets`. */
export function noneOnFirewall(emu: RunningEmulator, targets: string[]): boolean {
  const names = new Set(namesOnFirewall(emu));
  return targets.every((target) => !names.has(nameOf(target)));
}

export function stateDirOf(dir: string): string {
  return join(dir, "state");
}

export async function statusJson(configFile: string): Promise<{
  mode: string;
  agent: { running: boolean; pid: number | null };
  pending: { add: number; remove: number };
}> {
  const result = await runCli(["status", "--json", "--configfile", configFile]);
  if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * A fresh start for one test: the emulator emptied (no latency), a new state directory and
 * config, and the groups created by `start`. `cleanups` collects what the test file removes at
 * the end.
 */
export async function freshSetup(
  emu: RunningEmulator,
  label: string,
  cleanups: (() => void)[],
  overrides: Record<string, unknown> = {},
): Promise<{ config: string; stateDir: string }> {
  await emu.reset();
  emu.setLatency({ readMs: 0, writeMs: 0, entityMs: 0, timeScale: 1 });
  const { dir, cleanup } = tempDir(label);
  cleanups.push(cleanup);
  const config = writeConfig(dir, emu, overrides);
  const started = await runCli(["start", "--configfile", config]);
  assert.equal(started.code, 0, started.stderr);
  return { config, stateDir: stateDirOf(dir) };
}
