/**
 * A cross-process lock on a file, for any number of processes (Fail2ban's hooks, the agent,
 * a person running the CLI). Node has no flock, so the lock is a file created with O_EXCL that
 * holds the owner's pid. A lock whose owner is dead is taken over within a second; breaking it
 * is itself guarded by a short-lived "breaker" file, so two processes that both saw the dead
 * owner cannot end up deleting each other's fresh lock.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 15;
/** A breaker file older than this belongs to a process that died while breaking a lock. */
const BREAKER_STALE_MS = 2000;

export interface HeldLock {
  readonly path: string;
  release(): void;
}

function ownerRecord(): string {
  return `${process.pid} ${processStartTicks(process.pid) ?? "?"}\n`;
}

/** Field 22 of /proc/<pid>/stat: the start time, which tells a reused pid from the original owner. */
function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return afterName[19];
  } catch {
    return undefined;
  }
}

/** True when the process that wrote `record` is gone (or the record is unreadable garbage). */
function ownerIsDead(record: string): boolean {
  const [pidText, ticks] = record.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  const current = processStartTicks(pid);
  return ticks !== undefined && ticks !== "?" && current !== undefined && current !== ticks;
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, ownerRecord());
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: someone else finished the job.
  }
}

/** Removes the lock at `path` if its owner is dead. Returns true when it did. */
function breakIfStale(path: string): boolean {
  const seen = readOrUndefined(path);
  // An empty file is a lock being written right now by a live process: leave it.
  if (seen === undefined || seen === "" || !ownerIsDead(seen)) return false;
  const breaker = `${path}.break`;
  if (!tryCreate(breaker)) {
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) unlinkQuietly(breaker);
    } catch {
      // The breaker vanished meanwhile.
    }
    return false;
  }
  try {
    // Re-check under the breaker: the lock may have been broken and retaken meanwhile.
    if (readOrUndefined(path) === seen) {
      unlinkQuietly(path);
      return true;
    }
    return false;
  } finally {
    unlinkQuietly(breaker);
  }
}

function held(path: string): HeldLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      unlinkQuietly(path);
    },
  };
}

/** Takes the lock if it is free or stale, without waiting. */
export function tryLock(path: string): HeldLock | undefined {
  if (tryCreate(path)) return held(path);
  if (breakIfStale(path) && tryCreate(path)) return held(path);
  return undefined;
}

/** Waits for the lock until `deadline` (epoch ms); undefined when it stayed busy. */
export async function lockUntil(path: string, deadline: number): Promise<HeldLock | undefined> {
  for (;;) {
    const lock = tryLock(path);
    if (lock) return lock;
    if (Date.now() + POLL_MS > deadline) return undefined;
    await sleep(POLL_MS);
  }
}

/** Synchronous variant for very short critical sections (journal appends): spins with a tiny sleep. */
export function lockSyncUntil(path: string, deadline: number): HeldLock | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const lock = tryLock(path);
    if (lock) return lock;
    if (Date.now() + 2 > deadline) return undefined;
    Atomics.wait(pause, 0, 0, 2);
  }
}

/** Who holds the lock, if anyone alive does. */
export function lockOwner(path: string): number | undefined {
  const record = readOrUndefined(path);
  if (record === undefined || record === "" || ownerIsDead(record)) return undefined;
  return Number(record.trim().split(" ")[0]);
}
