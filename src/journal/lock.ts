/**
 * A cross-process lock on a file, for any number of processes (Fail2ban's hooks, the agent,
 * a person running the CLI). Node has no flock, so the lock is a file that holds the owner's
 * pid and start time. It is written to a private temp file first and then hard-linked into
 * place (link() fails atomically when the lock exists), so a lock file is never seen empty or
 * half-written, even when its creator is killed or the disk is full. A lock whose owner is dead
 * (or a zombie) is taken over at once; breaking it is itself guarded by a short-lived "breaker"
 * file, so two processes that both saw the dead owner cannot end up deleting each other's
 * fresh lock.
 */
import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const POLL_MS = 5;
/**
 * A breaker whose owner is dead is cleared at once; one older than this is cleared whatever it
 * says (it is normally held for microseconds).
 */
const BREAKER_STALE_MS = 5000;
/**
 * An empty lock file can only come from a filesystem without hard links (fallback below) or an
 * older version, whose creator died between create and write. Older than this, it is stale.
 */
const EMPTY_STALE_MS = 500;

export interface HeldLock {
  readonly path: string;
  release(): void;
}

function ownerRecord(): string {
  return `${process.pid} ${processFacts(process.pid)?.startTicks ?? "?"}\n`;
}

/**
 * From /proc/<pid>/stat: field 3 (state; "Z" = zombie, dead but not yet reaped) and field 22
 * (start time, which tells a reused pid from the original owner).
 */
function processFacts(pid: number): { state: string; startTicks: string | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: afterName[0] ?? "?", startTicks: afterName[19] };
  } catch {
    return undefined;
  }
}

/** True when the process that wrote `record` is gone (or the record is unreadable garbage). */
export function ownerIsDead(record: string): boolean {
  const [pidText, ticks] = record.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  const facts = processFacts(pid);
  if (facts === undefined) return false;
  if (facts.state === "Z" || facts.state === "X") return true;
  return ticks !== undefined && ticks !== "?" && facts.startTicks !== undefined && facts.startTicks !== ticks;
}

let linkUnsupported = false;

/** Creates `path` holding our owner record, atomically; false when it already exists. */
function tryCreate(path: string): boolean {
  if (linkUnsupported) return tryCreateExclusive(path);
  // Cheap answer for the common busy case (many waiters polling); the link below decides.
  if (existsSync(path)) return false;
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, ownerRecord(), { mode: 0o600 });
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      // A filesystem without hard links: O_EXCL create, then write (may briefly show empty).
      linkUnsupported = true;
      return tryCreateExclusive(path);
    }
    throw error;
  } finally {
    unlinkQuietly(temp);
  }
}

function tryCreateExclusive(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, ownerRecord());
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(path);
    throw error;
  }
  closeSync(fd);
  return true;
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

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale(path: string, record: string): boolean {
  if (record === "") return ageMs(path) > EMPTY_STALE_MS;
  return ownerIsDead(record);
}

/** Removes the lock at `path` if its owner is dead. Returns true when it did. */
function breakIfStale(path: string): boolean {
  const seen = readOrUndefined(path);
  if (seen === undefined || !isStale(path, seen)) return false;
  const breaker = `${path}.break`;
  if (!tryCreate(breaker)) {
    const owner = readOrUndefined(breaker);
    // A breaker is held for microseconds; one left behind by a dead process is cleared.
    if (ageMs(breaker) > BREAKER_STALE_MS || (owner !== undefined && isStale(breaker, owner))) {
      if (readOrUndefined(breaker) === owner) unlinkQuietly(breaker);
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
