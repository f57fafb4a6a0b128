/**
 * Shared test harness for everything above the client: a real emulator over HTTPS, a config
 * file pointing at it with a pinned certificate, and the built CLI run as a real process.
 * `npm test` builds dist/ first (scripts/run-tests.mjs), so the CLI under test is what ships.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../src/emulator/index.ts";
import type { IpHost, IpHostGroup } from "../../src/protocol/index.ts";

export const REPO = new URL("../..", import.meta.url).pathname;
export const CLI = join(REPO, "dist", "f2b-sophosxg.mjs");
export const ACTION_FILE = join(REPO, "action.d", "sophosxg.conf");

export const TEST_USER = "apiuser";
/** A marker password with XML and shell specials; tests check it never shows up in output. */
export const TEST_PASSWORD = "Mk9<&>\"pw'$(id)zQ";

export const PREFIX = "f2b_";
export const GROUP_V4 = "fail2ban";
export const GROUP_V6 = "fail2ban_v6";

export async function startFirewall(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, username: TEST_USER, password: TEST_PASSWORD, ...options });
}

/**
 * One emulator for the whole test file: started before the first test, closed after the last,
 * together with everything registered in `cleanups` (temp directories). Read `fw.emu` inside
 * tests (it exists once `before` ran).
 */
export function useFirewall(options: EmulatorOptions = {}): {
  readonly emu: RunningEmulator;
  cleanups: (() => void)[];
} {
  let emu: RunningEmulator | undefined;
  const cleanups: (() => void)[] = [];
  before(async () => {
    emu = await startFirewall(options);
  });
  after(async () => {
    await emu?.close();
    for (const cleanup of cleanups) cleanup();
  });
  return {
    get emu() {
      if (!emu) throw new Error("useFirewall: the emulator starts in before(); read fw.emu inside a test");
      return emu;
    },
    cleanups,
  };
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(label = "f2b-test"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a 0600 config for `emu` (pinned certificate) into `dir`; returns its path. */
export function writeConfig(
  dir: string,
  emu: RunningEmulator,
  overrides: Record<string, unknown> = {},
): string {
  const stateDir = join(dir, "state");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const config = {
    url: emu.url,
    user: TEST_USER,
    pass: TEST_PASSWORD,
    tls_pin_sha256: emu.fingerprint256,
    iphost_prefix: PREFIX,
    iphostgroup_name: GROUP_V4,
    iphostgroup_name_v6: GROUP_V6,
    state_dir: stateDir,
    connect_timeout_ms: 2000,
    request_timeout_ms: 5000,
    ...overrides,
  };
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs the built CLI as a process (as Fail2ban does). */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
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
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** The IP hosts with our prefix, by name. */
export function ourHosts(emu: RunningEmulator, prefix = PREFIX): Map<string, IpHost> {
  return new Map(
    emu
      .snapshot()
      .hosts.filter((h) => h.name.startsWith(prefix))
      .map((h) => [h.name, h]),
  );
}

export function groupMembers(emu: RunningEmulator, name: string): string[] {
  return emu.snapshot().groups.find((g) => g.name === name)?.hosts ?? [];
}

/** Everything that is not ours (other hosts, other groups), for before/after comparisons. */
export function foreignObjects(
  emu: RunningEmulator,
  prefix = PREFIX,
  ourGroups: string[] = [GROUP_V4, GROUP_V6],
): { hosts: IpHost[]; groups: IpHostGroup[] } {
  const snapshot = emu.snapshot();
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    hosts: snapshot.hosts.filter((h) => !h.name.startsWith(prefix)).sort(byName),
    groups: snapshot.groups.filter((g) => !ourGroups.includes(g.name)).sort(byName),
  };
}

/** The objects name of the hosts in our groups, per family, sorted. */
export function bannedOnFirewall(emu: RunningEmulator): { IPv4: string[]; IPv6: string[] } {
  return { IPv4: [...groupMembers(emu, GROUP_V4)].sort(), IPv6: [...groupMembers(emu, GROUP_V6)].sort() };
}
