/**
 * A private fail2ban-server for the end-to-end suite: its own conf dir, socket, pidfile, sqlite
 * database and log under one temporary directory, started in the foreground (`-f`) so that we
 * know its pid, and driven with `fail2ban-client -c DIR -s SOCK`. Nothing of the system's
 * Fail2ban (/etc/fail2ban, /run/fail2ban) is read or touched.
 * Recipe: shared/reference/fail2ban-e2e-example (run.sh).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  accessSync,
  appendFileSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join } from "node:path";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/**
 * The absolute path of `name` on PATH or in the usual system directories, if executable; with
 * `override` (an environment variable's value), only that path is tried.
 */
export function findExecutable(name: string, override?: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"];
  const candidates = override !== undefined ? [override] : dirs.filter(Boolean).map((dir) => join(dir, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Polls `condition` every `intervalMs` until it holds; fails with `what` (and `details()`) after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  details: () => string = () => "",
  intervalMs = 100,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      const more = details();
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${more ? `\n${more}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Copies the built program (the entry and the bundles it loads beside it: dist/cli.mjs, and
 * dist/emulator.mjs for `emulator`) into `dir`, so that a concurrent `npm run build` (which
 * deletes dist/ first) cannot pull the program from under Fail2ban's hooks halfway through the
 * suite. Waits for dist/ to be there. Returns the copy of the bin's entry
 * (f2b-sophosxg.cjs), which is what Fail2ban runs through the installed link.
 */
/** What the program needs at run time (see scripts/build.mjs). */
const DIST_FILES = ["f2b-sophosxg.cjs", "f2b-sophosxg.mjs", "cli.mjs", "emulator.mjs"];

export async function privateCopyOfCli(built: string, dir: string): Promise<string> {
  await waitFor(
    `${built} to exist and be executable (npm run build)`,
    () => {
      try {
        accessSync(built, constants.X_OK);
        return readFileSync(built, "utf8").startsWith("#!/usr/bin/env node");
      } catch {
        return false;
      }
    },
    60_000,
    () => "",
    250,
  );
  mkdirSync(dir, { recursive: true });
  for (const file of DIST_FILES) copyFileSync(join(dirname(built), file), join(dir, file));
  const copy = join(dir, "f2b-sophosxg.cjs");
  chmodSync(copy, 0o755);
  return copy;
}

export interface PrivateFail2banOptions {
  work: string;
  server: string;
  client: string;
  /** Replaces @CONFIG@ in jail.local: our JSON config. */
  configFile: string;
  /** Replaces @CLI@ in jail.local: the built CLI (see `privateCopyOfCli`). */
  cli: string;
  /** The repository's action file, copied byte for byte into action.d/. */
  actionFile: string;
  /** Strings that must never show up in what we print (the test password). */
  secrets: string[];
  /** The fixture written as conf/jail.local (default `jail.local`). */
  jailFixture?: string;
}

export class PrivateFail2ban {
  readonly work: string;
  readonly conf: string;
  readonly socket: string;
  readonly pidFile: string;
  readonly log: string;
  readonly serverOut: string;
  readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(private readonly options: PrivateFail2banOptions) {
    this.work = options.work;
    this.conf = join(options.work, "conf");
    this.socket = join(options.work, "fail2ban.sock");
    this.pidFile = join(options.work, "fail2ban.pid");
    this.log = join(options.work, "fail2ban.log");
    this.serverOut = join(options.work, "server.out");
    // Fail2ban runs the action with its own environment; the CLI's shebang is
    // `#!/usr/bin/env node`, so node must be on that PATH. Nothing else of ours leaks in
    // (no F2B_SOPHOSXG_* variables).
    const path = [dirname(process.execPath), ...(process.env.PATH ?? "/usr/bin:/bin").split(delimiter)];
    this.env = { PATH: [...new Set(path)].join(delimiter), LANG: "C.UTF-8" };
  }

  /** Writes the private conf dir: fail2ban.conf, jail.local, the filter, and our action file unchanged. */
  writeConfig(): void {
    mkdirSync(join(this.conf, "action.d"), { recursive: true });
    mkdirSync(join(this.conf, "filter.d"), { recursive: true });
    const render = (text: string) =>
      text
        .replaceAll("@WORK@", this.work)
        .replaceAll("@CONFIG@", this.options.configFile)
        .replaceAll("@CLI@", this.options.cli);
    const fixtures = [
      ["fail2ban.conf", "fail2ban.conf"],
      ["jail.local", this.options.jailFixture ?? "jail.local"],
    ] as const;
    for (const [name, fixture] of fixtures) {
      writeFileSync(join(this.conf, name), render(readFileSync(join(FIXTURES, fixture), "utf8")));
    }
    for (const name of readdirSync(join(FIXTURES, "filter.d"))) {
      copyFileSync(join(FIXTURES, "filter.d", name), join(this.conf, "filter.d", name));
    }
    copyFileSync(this.options.actionFile, join(this.conf, "action.d", "sophosxg.conf"));
  }

  /** Runs our CLI (the same copy the hooks run), like the harness's runCli. */
  runCli(args: string[], timeoutMs = 60_000): Promise<ClientResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [this.options.cli, ...args],
        { env: { ...process.env }, timeout: timeoutMs },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") return reject(error);
          const code = error ? (error.code as number) : 0;
          resolve({
            code,
            stdout: String(stdout),
            stderr: this.redact(String(stderr)),
            ms: Date.now() - started,
          });
        },
      );
    });
  }

  logFile(jail: string): string {
    return join(this.work, `${jail}.log`);
  }

  /** Appends `count` failure lines for `ip` (time = now) to the jail's log. */
  fail(jail: string, ip: string, count = 3): void {
    const now = Math.floor(Date.now() / 1000);
    appendFileSync(this.logFile(jail), `${now} AUTH FAIL user=alice from ${ip}\n`.repeat(count));
  }

  /** Runs fail2ban-client against our socket. Rejects on a non-zero exit unless `allowFailure`. */
  client(args: string[], allowFailure = false, timeoutMs = 150_000): Promise<ClientResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      execFile(
        this.options.client,
        ["-c", this.conf, "-s", this.socket, ...args],
        { env: this.env, timeout: timeoutMs, cwd: this.work },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          const result = { code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started };
          if (code !== 0 && !allowFailure) {
            reject(
              new Error(
                `fail2ban-client ${args.join(" ")} exited ${code}: ${this.redact(result.stdout + result.stderr).trim()}`,
              ),
            );
          } else resolve(result);
        },
      );
    });
  }

  /** The addresses Fail2ban reports as banned in `jail` (`get <jail> banip`). */
  async banned(jail: string): Promise<string[]> {
    const { stdout } = await this.client(["get", jail, "banip"]);
    return stdout.split(/\s+/).filter(Boolean).sort();
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts fail2ban-server in the foreground (we keep its pid) and waits for `ping`. */
  async start(timeoutMs = 20_000): Promise<number> {
    if (this.running) throw new Error("fail2ban-server is already running");
    const started = Date.now();
    const out = openSync(this.serverOut, "a");
    try {
      // -f: foreground, so the pid is the server's; -x: remove a stale socket after a crash.
      const child = spawn(
        this.options.server,
        ["-f", "-x", "-c", this.conf, "-s", this.socket, "-p", this.pidFile, "start"],
        { cwd: this.work, env: this.env, stdio: ["ignore", out, out] },
      );
      this.child = child;
      this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    } finally {
      closeSync(out);
    }
    await waitFor(
      "fail2ban-server to answer ping",
      async () => {
        if (!this.running) throw new Error(`fail2ban-server exited at start\n${this.tail()}`);
        return (await this.client(["ping"], true, 5000)).code === 0;
      },
      timeoutMs,
      () => this.tail(),
      200,
    );
    return Date.now() - started;
  }

  /** `fail2ban-client stop`, then waits for our pid to exit. */
  async stop(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    if (!this.running) return 0;
    await this.client(["stop"], true, timeoutMs);
    await waitFor(
      "fail2ban-server to exit after stop",
      () => !this.running,
      timeoutMs,
      () => this.tail(),
    );
    await this.exited;
    return Date.now() - started;
  }

  /** Best effort for `after`: stop through the client, then SIGTERM/SIGKILL our pid only. */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    try {
      await this.stop(30_000);
      return;
    } catch {
      // fall through to signals
    }
    const child = this.child!;
    child.kill("SIGTERM");
    const gone = await Promise.race([
      this.exited!.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!gone && this.running) {
      child.kill("SIGKILL");
      await this.exited;
    }
  }

  /** The end of fail2ban's log and the server's output, password redacted. */
  tail(lines = 40): string {
    const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
    const text = [
      `--- ${this.log} (last ${lines} lines)`,
      ...read(this.log).trimEnd().split("\n").slice(-lines),
      `--- ${this.serverOut}`,
      ...read(this.serverOut).trimEnd().split("\n").slice(-10),
    ].join("\n");
    return this.redact(text);
  }

  /** Fail2ban's log from byte `from` on (for "nothing failed since" checks). */
  logSince(from: number): string {
    if (!existsSync(this.log)) return "";
    return this.redact(readFileSync(this.log).subarray(from).toString("utf8"));
  }

  logSize(): number {
    return existsSync(this.log) ? statSync(this.log).size : 0;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.options.secrets) if (secret) out = out.replaceAll(secret, "[redacted]");
    return out;
  }
}
