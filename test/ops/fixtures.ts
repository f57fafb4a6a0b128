/** A fake Fail2ban configuration directory for `doctor` (F2B_SOPHOSXG_FAIL2BAN_DIR). */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ACTION_FILE } from "../support/harness.ts";

export function fail2banDir(root: string, options: { action?: boolean; jail?: string } = {}): string {
  const dir = join(root, "fail2ban");
  mkdirSync(join(dir, "action.d"), { recursive: true });
  mkdirSync(join(dir, "jail.d"), { recursive: true });
  if (options.action !== false) copyFileSync(ACTION_FILE, join(dir, "action.d", "sophosxg.conf"));
  if (options.jail !== undefined) writeFileSync(join(dir, "jail.d", "sshd.local"), options.jail);
  return dir;
}

/** The doctor's line for `step`, e.g. `ok    tls: …`. */
export function stepLine(stdout: string, step: string): string {
  const line = stdout.split("\n").find((l) => new RegExp(`^\\S+\\s+${step}: `).test(l));
  if (line === undefined) throw new Error(`no "${step}" line in:\n${stdout}`);
  return line;
}

export function statusOf(stdout: string, step: string): string {
  return stepLine(stdout, step).split(/\s+/)[0] ?? "";
}

/**
 * Starts `command args`, waits for a stdout line matching `ready`, then SIGTERMs it and waits
 * for its exit. Returns everything it printed and its exit code.
 */
export function runUntilReady(
  command: string,
  args: string[],
  ready: RegExp,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ line: string; stdout: string; stderr: string; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let line: string | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no ready line within ${options.timeoutMs ?? 20_000} ms: ${stdout}${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = stdout.split("\n").find((l) => ready.test(l));
      if (found !== undefined && line === undefined) {
        line = found;
        // A moment after the ready line: the emulator installs its signal handlers just after printing it.
        setTimeout(() => child.kill("SIGTERM"), 300);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (line === undefined)
        reject(new Error(`exited (${code ?? signal}) before ready: ${stdout}${stderr}`));
      else resolve({ line, stdout, stderr, code, signal });
    });
  });
}

/** Runs a program to its end without blocking the event loop (an in-process emulator must answer). */
export function runProgram(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
