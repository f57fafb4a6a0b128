/** The cross-process lock: stale takeover within a second, one winner when several break it. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { lockOwner, lockUntil, tryLock } from "../../src/journal/index.ts";
import { REPO, tempDir } from "../support/harness.ts";

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
        const startAt = Date.now() + 2500;
        const script = `
          const { tryLock } = await import(${JSON.stringify(LOCK_URL)});
          while (Date.now() < ${startAt}) {}
          const lock = tryLock(${JSON.stringify(path)});
          const late = Date.now() - ${startAt} > 1500;
          process.stdout.write(late ? "late" : lock ? "won" : "lost");
          if (lock) { await new Promise((r) => setTimeout(r, 1500)); lock.release(); }
        `;
        const outcomes = await Promise.all(
          Array.from(
            { length: 6 },
            () =>
              new Promise<string>((resolve, reject) => {
                const child = spawn(
                  process.execPath,
                  ["--import", "tsx", "--input-type=module", "-e", script],
                  {
                    cwd: REPO,
                    stdio: ["ignore", "pipe", "inherit"],
                  },
                );
                let out = "";
                child.stdout.on("data", (c: Buffer) => {
                  out += c.toString();
                });
                child.on("error", reject);
                child.on("close", () => resolve(out));
              }),
          ),
        );
        // Every racer tried while the winner held the lock (a late start would prove nothing).
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
