/** The cross-process lock: stale takeover within a second, one winner when several break it. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lockOwner, lockUntil, tryLock } from "../../src/journal/index.ts";
import { REPO, tempDir } from "../support/harness.ts";
import { waitUntil } from "../support/wait.ts";

/** A pid that certainly belonged to a process that is gone now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

const LOCK_URL = new URL("../../src/journal/lock.ts", import.meta.url).href;

describe("lock", () => {
  it("takes over a lock whose owner is dead within a second", async () => {
    const { dir, cleanup } = tempDir("f2b-lock");
    try {
      const path = join(dir, "journal.lock");
      writeFileSync(path, `${deadPid()} 12345\n`);
      const started = Date.now();
      const lock = await lockUntil(path, Date.now() + 5000);
      assert.ok(lock);
      assert.ok(Date.now() - started < 1000);
      assert.equal(lockOwner(path), process.pid);
      lock.release();
      assert.equal(existsSync(path), false);
    } finally {
      cleanup();
    }
  });

  it("does not take a lock held by a live process, nor one whose pid was reused", async () => {
    const { dir, cleanup } = tempDir("f2b-lock");
    try {
      const path = join(dir, "a.lock");
      const mine = tryLock(path);
      assert.ok(mine);
      assert.equal(tryLock(path), undefined, "held by us, alive");
      mine.release();
      // Our pid with another start time: a reused pid, so the original owner is dead.
      writeFileSync(path, `${process.pid} 1\n`);
      const taken = tryLock(path);
      assert.ok(taken);
      taken.release();
    } finally {
      cleanup();
    }
  });

  it("treats an empty lock file (creator died before writing) as stale once it is old", async () => {
    const { dir, cleanup } = tempDir("f2b-lock");
    try {
      const path = join(dir, "b.lock");
      writeFileSync(path, "");
      assert.equal(tryLock(path), undefined, "a fresh empty file may be a lock being written");
      const old = new Date(Date.now() - 2000);
      utimesSync(path, old, old);
      const lock = tryLock(path);
      assert.ok(lock);
      lock.release();
    } finally {
      cleanup();
    }
  });

  it("several processes racing to break the same stale lock: exactly one wins", {
    timeout: 60_000,
  }, async () => {
    const { dir, cleanup } = tempDir("f2b-lock-race");
    try {
      for (let round = 0; round < 2; round++) {
        const path = join(dir, `race${round}.lock`);
        writeFileSync(path, `${deadPid()} 777\n`);
        // A barrier instead of a start time: every racer says it is ready, then spins until
        // the go file exists; the winner holds the lock until every racer has answered.
        const go = join(dir, `go${round}`);
        const release = join(dir, `release${round}`);
        const script = `
          const { existsSync } = await import("node:fs");
          const { tryLock } = await import(${JSON.stringify(LOCK_URL)});
          process.stdout.write("ready\\n");
          while (!existsSync(${JSON.stringify(go)})) {}
          const lock = tryLock(${JSON.stringify(path)});
          process.stdout.write(lock ? "won\\n" : "lost\\n");
          if (lock) {
            while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 5));
            lock.release();
          }
        `;
        const racers = Array.from({ length: 6 }, () => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
            cwd: REPO,
            stdio: ["ignore", "pipe", "inherit"],
          });
          const lines: string[] = [];
          child.stdout.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter(Boolean)));
          const closed = new Promise<void>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", () => resolve());
          });
          return { lines, closed };
        });
        await waitUntil("every racer is ready", () => racers.every((r) => r.lines.includes("ready")), 45_000);
        writeFileSync(go, "");
        await waitUntil("every racer has tried", () => racers.every((r) => r.lines.length >= 2), 30_000);
        writeFileSync(release, "");
        await Promise.all(racers.map((r) => r.closed));
        const outcomes = racers.map((r) => r.lines[1] ?? "none");
        // Every racer tried while the winner held the lock.
        assert.deepEqual(
          outcomes.slice().sort(),
          ["lost", "lost", "lost", "lost", "lost", "won"],
          `round ${round}: ${outcomes.join(",")}`,
        );
        assert.equal(existsSync(path), false, "the winner released it");
        assert.equal(existsSync(`${path}.break`), false, "no breaker left behind");
      }
    } finally {
      cleanup();
    }
  });
});
