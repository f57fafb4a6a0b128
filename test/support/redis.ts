/**
 * A real redis-server for tests: on a free loopback port, in its own directory, with
 * `appendonly yes` (every write fsynced) so a kill and restart keeps what it acknowledged,
 * and an ACL user with a password (the default user is switched off). Stopped by pid.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { waitUntil } from "./wait.ts";

export const REDIS_MISSING = spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0;
export const REDIS_SKIP_REASON = "skipped: redis-server not installed (apt-get install -y redis-server)";

/** In a test file that needs Redis: under CI=true a missing redis-server is a failure, not a skip. */
export function requireRedisUnderCi(test: (name: string, fn: () => void) => unknown): void {
  if (!REDIS_MISSING || process.env.CI !== "true") return;
  test("redis-server is installed (required under CI=true)", () => {
    assert.fail(
      "redis-server not installed (apt-get install -y redis-server); under CI=true this is a failure",
    );
  });
}

export const REDIS_USER = "fleet";
/** A marker password; tests check it never shows in output. */
export const REDIS_PASSWORD = "Rd5<&>pw$(id)%Q";

export class TestRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(dir: string, options: { appendonly?: boolean } = {}): Promise<TestRedis> {
    const redis = new TestRedis(dir, await freePort());
    writeFileSync(
      join(dir, "redis.conf"),
      [
        "bind 127.0.0.1",
        `port ${redis.port}`,
        `dir ${dir}`,
        `appendonly ${options.appendonly === false ? "no" : "yes"}`,
        "appendfsync always",
        'save ""',
        "daemonize no",
        "loglevel warning",
        `logfile ${join(dir, "redis.log")}`,
        "user default off",
        `user ${REDIS_USER} on >${REDIS_PASSWORD} ~f2b:* +@all`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    await redis.restart();
    return redis;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** (Re)starts on the same port and directory; resolves once it answers. */
  async restart(): Promise<void> {
    const child = spawn("redis-server", [join(this.dir, "redis.conf")], { stdio: "ignore" });
    this.child = child;
    await waitUntil(`redis-server answers on ${this.port}`, () => this.answers(), 10_000);
  }

  private answers(): Promise<boolean> {
    const result = spawnSync(
      "redis-cli",
      ["-p", String(this.port), "--user", REDIS_USER, "--no-auth-warning", "PING"],
      { env: { ...process.env, REDISCLI_AUTH: REDIS_PASSWORD }, encoding: "utf8" },
    );
    return Promise.resolve(result.stdout.trim() === "PONG");
  }

  /** One command through redis-cli (the password through the environment, never argv). */
  cli(...args: string[]): string {
    const result = spawnSync(
      "redis-cli",
      ["-p", String(this.port), "--user", REDIS_USER, "--no-auth-warning", ...args],
      { env: { ...process.env, REDISCLI_AUTH: REDIS_PASSWORD }, encoding: "utf8" },
    );
    return result.stdout.trim();
  }

  /** SIGKILL (default) or SIGTERM; resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }
}
