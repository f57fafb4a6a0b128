/**
 * A fresh Debian system in a directory: made by debootstrap (or unpacked from a cached tarball of
 * one), entered with chroot(8), which shares our network namespace, so the emulator on loopback
 * outside is reachable inside. /proc is the only mount; it is unmounted by `close()`, which the
 * runner also calls on SIGINT/SIGTERM, and the directory is deleted only when nothing is mounted
 * below it any more.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/** Bump when the base system's recipe changes, so an old cached tarball is not reused. */
const RECIPE = "1";
/** A cached base older than this is made again (the mirror moves on). */
const CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** systemd: systemd-analyze for the unit, and the deb-systemd-helper paths a real server takes. */
const INCLUDE = ["systemd"];

/** What a command inside sees: no variable of ours or of the host leaks in. */
export const CHROOT_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  HOME: "/root",
  DEBIAN_FRONTEND: "noninteractive",
};

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Chroot {
  private mounted: string[] = [];
  private children = new Set<ChildProcess>();

  private constructor(
    readonly suite: string,
    readonly dir: string,
  ) {}

  /**
   * A fresh `suite` in a new directory under `workDir`: unpacked from `cacheDir` when a base made
   * with the same recipe and mirror is there and young enough, else made with debootstrap (and
   * then cached). `cached` says which.
   */
  static async create(options: {
    suite: string;
    mirror: string;
    workDir: string;
    cacheDir: string;
    refresh: boolean;
  }): Promise<{ chroot: Chroot; cached: boolean }> {
    const { suite, mirror, cacheDir } = options;
    mkdirSync(options.workDir, { recursive: true });
    const dir = mkdtempSync(join(options.workDir, `${suite}-`));
    chmodSync(dir, 0o755);
    const chroot = new Chroot(suite, dir);
    const key = createHash("sha256")
      .update(JSON.stringify([RECIPE, suite, mirror, INCLUDE]))
      .digest("hex");
    const tarball = join(cacheDir, `${suite}-minbase-${key.slice(0, 12)}.tar.gz`);
    const fresh = existsSync(tarball) && Date.now() - statSync(tarball).mtimeMs < CACHE_MAX_AGE_MS;
    if (fresh && !options.refresh) {
      must(spawnSync("tar", ["-xzpf", tarball, "-C", dir], { encoding: "utf8" }), `unpack ${tarball}`);
      return { chroot, cached: true };
    }
    const made = await run("debootstrap", [
      "--variant=minbase",
      `--include=${INCLUDE.join(",")}`,
      suite,
      dir,
      mirror,
    ]);
    must(made, `debootstrap ${suite} from ${mirror}`);
    // Packages installed here must not start their services (fail2ban's postinst would): the
    // tests start exactly the processes they need, by pid.
    writeFileSync(join(dir, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    rmSync(join(dir, "var/cache/apt/archives"), { recursive: true, force: true });
    mkdirSync(join(dir, "var/cache/apt/archives/partial"), { recursive: true });
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const partial = `${tarball}.partial-${process.pid}`;
    must(spawnSync("tar", ["-czpf", partial, "-C", dir, "."], { encoding: "utf8" }), `cache ${tarball}`);
    renameSync(partial, tarball);
    return { chroot, cached: false };
  }

  path(inside: string): string {
    return join(this.dir, inside);
  }

  /** Mounts /proc inside (Node and Python read /proc/self); undone by close(). */
  mountProc(): void {
    const target = this.path("proc");
    must(spawnSync("mount", ["-t", "proc", "proc", target], { encoding: "utf8" }), `mount ${target}`);
    this.mounted.push(target);
  }

  /** Runs `command` inside and waits for it; stdin is closed (a prompt fails instead of hanging). */
  exec(command: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
    return run("chroot", [this.dir, ...command], { ...CHROOT_ENV, ...options.env }, options.timeoutMs);
  }

  /** Like exec, but throws with the output when the command fails. */
  async ok(
    command: string[],
    options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    return must(await this.exec(command, options), command.join(" ")).stdout;
  }

  /** Starts a long-running process inside; close() stops it by pid if it is still running. */
  start(command: string[]): ChildProcess {
    const child = spawn("chroot", [this.dir, ...command], {
      env: CHROOT_ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.add(child);
    child.on("exit", () => this.children.delete(child));
    return child;
  }

  /** Files named like `pattern` anywhere inside, minus the directories listed in `except`. */
  find(pattern: RegExp, except: string[]): string[] {
    const found: string[] = [];
    const walk = (rel: string) => {
      for (const entry of readdirSync(join(this.dir, rel), { withFileTypes: true })) {
        const path = `${rel}/${entry.name}`;
        if (except.some((e) => path === e || path.startsWith(`${e}/`))) continue;
        if (pattern.test(entry.name)) found.push(path);
        if (entry.isDirectory() && !entry.isSymbolicLink()) walk(path);
      }
    };
    for (const top of readdirSync(this.dir)) {
      if (["proc", "sys", "dev"].includes(top)) continue;
      const path = `/${top}`;
      if (except.includes(path)) continue;
      if (pattern.test(top)) found.push(path);
      if (statSync(join(this.dir, top), { throwIfNoEntry: false })?.isDirectory()) walk(path);
    }
    return found.sort();
  }

  read(inside: string): string {
    return readFileSync(this.path(inside), "utf8");
  }

  /** Stops what we started (by pid), unmounts, and deletes the directory unless `keep`. */
  close(keep = false): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {}
      }
    }
    for (const target of this.mounted.reverse()) {
      if (spawnSync("umount", [target]).status !== 0) spawnSync("umount", ["-l", target]);
    }
    this.mounted = [];
    const stillMounted = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter((target) => target === this.dir || target.startsWith(`${this.dir}/`));
    if (stillMounted.length > 0) {
      throw new Error(`not deleting ${this.dir}: still mounted below it: ${stillMounted.join(", ")}`);
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 900_000) {
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function must<T extends { status?: number | null; code?: number | null; stdout: string; stderr: string }>(
  result: T,
  what: string,
): T {
  const code = "code" in result ? result.code : result.status;
  if (code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(`${what}: exit ${code}\n${tail}`);
  }
  return result;
}
