/**
 * The durable record of every accepted ban, unban, flush and delivery, in a state directory:
 *
 *   journal.jsonl   records appended since the last compaction, one JSON object per line
 *   state.json      the snapshot the journal continues from
 *   journal.lock    held for a few milliseconds around each append, load and compaction
 *
 * An append is one write() with O_APPEND followed by fsync, so a command reports success only
 * once its intent is on disk. A compaction writes the new snapshot to a temp file, fsyncs it,
 * renames it over state.json, fsyncs the directory, then empties the journal; a crash at any
 * point leaves either the old pair or a snapshot whose records are replayed once more, which is
 * harmless because every record is idempotent.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { agentLockPath, deliveryLockPath } from "./agent-alive.ts";
import { applyRecord, type BanState, emptyState, stateFromJson, stateToJson } from "./ban-state.ts";
import { JournalError, storageHint } from "./errors.ts";
import { type HeldLock, lockSyncUntil } from "./lock.ts";
import { asJournalRecord, type JournalRecord } from "./records.ts";

/** How long an append waits for another process's append or compaction. */
const JOURNAL_LOCK_WAIT_MS = 5000;

export interface LoadedJournal {
  state: BanState;
  /** Records in journal.jsonl (what a compaction would fold away). */
  records: number;
  /** Lines that could not be read back (reported by `status`, never fatal). */
  unreadable: number;
}

export class Journal {
  readonly dir: string;
  readonly journalPath: string;
  readonly snapshotPath: string;
  readonly lockPath: string;
  /** Held while delivering to the firewall (see agent-alive.ts). */
  readonly deliveryLockPath: string;
  readonly agentLockPath: string;
  /**
   * Where this journal's delivery facts live (status.json, delivery.lock): the state directory,
   * or a firewall's own directory when several firewalls share the desired state
   * (firewall-journal.ts).
   */
  readonly deliveryDir: string;

  constructor(dir: string, options: { deliveryDir?: string } = {}) {
    this.dir = dir;
    this.deliveryDir = options.deliveryDir ?? dir;
    this.journalPath = join(dir, "journal.jsonl");
    this.snapshotPath = join(dir, "state.json");
    this.lockPath = join(dir, "journal.lock");
    this.deliveryLockPath = deliveryLockPath(this.deliveryDir);
    this.agentLockPath = agentLockPath(dir);
  }

  /**
   * Makes sure the state directory exists (creating only its last component, mode 0700, so a
   * mistyped path is reported rather than silently created) and is writable.
   */
  ensureDirectory(): void {
    try {
      if (!existsSync(this.dir)) {
        if (!existsSync(dirname(this.dir))) {
          throw Object.assign(new Error(`${dirname(this.dir)} does not exist`), { code: "ENOENT" });
        }
        mkdirSync(this.dir, { mode: 0o700 });
      } else if (!statSync(this.dir).isDirectory()) {
        throw Object.assign(new Error(`${this.dir} is not a directory`), { code: "ENOTDIR" });
      }
    } catch (error) {
      throw new JournalError(`cannot use state directory ${this.dir}: ${(error as Error).message}`, {
        hint: storageHint(error, this.dir),
        cause: error,
      });
    }
  }

  private lock(what: string): HeldLock {
    let lock: HeldLock | undefined;
    try {
      lock = lockSyncUntil(this.lockPath, Date.now() + JOURNAL_LOCK_WAIT_MS);
    } catch (error) {
      throw new JournalError(
        `cannot lock the journal in ${this.dir} to ${what}: ${(error as Error).message}`,
        {
          hint: storageHint(error, this.dir),
          cause: error,
        },
      );
    }
    if (!lock) {
      throw new JournalError(`the journal in ${this.dir} stayed locked for ${JOURNAL_LOCK_WAIT_MS} ms`, {
        hint: `another f2b-sophosxg process is stuck; see ${this.lockPath}`,
      });
    }
    return lock;
  }

  /** Appends records durably (write + fsync). Throws JournalError; never leaves half a record. */
  append(records: JournalRecord[]): void {
    if (records.length === 0) return;
    const lock = this.lock("append");
    try {
      const isNew = !existsSync(this.journalPath);
      let fd: number | undefined;
      let sizeBefore = 0;
      try {
        fd = openSync(this.journalPath, "a+", 0o600);
        sizeBefore = fstatSync(fd).size;
        // A crash (power loss) mid-write can leave a torn last line without its newline: start on
        // a fresh line, so our record is not glued onto it and lost with it.
        const torn = sizeBefore > 0 && !endsWithNewline(fd, sizeBefore);
        const text = `${torn ? "\n" : ""}${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
        writeFully(fd, Buffer.from(text, "utf8"));
        fsyncSync(fd);
      } catch (error) {
        // Cut a short or failed write back off, so no half record stays behind.
        if (fd !== undefined) {
          try {
            ftruncateSync(fd, sizeBefore);
            fsyncSync(fd);
          } catch {
            // Nothing more we can do; the reader skips an unreadable line.
          }
        }
        throw new JournalError(`cannot write the journal ${this.journalPath}: ${(error as Error).message}`, {
          hint: storageHint(error, this.dir),
          cause: error,
        });
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (isNew) this.syncDirectoryQuietly();
    } finally {
      lock.release();
    }
  }

  /** Reads the snapshot and replays the journal. */
  load(): LoadedJournal {
    const lock = this.lock("read");
    try {
      return this.loadUnlocked();
    } finally {
      lock.release();
    }
  }

  private loadUnlocked(): LoadedJournal {
    let state = emptyState();
    const snapshot = readIfExists(this.snapshotPath, this.dir);
    if (snapshot !== undefined) {
      try {
        state = stateFromJson(JSON.parse(snapshot));
      } catch (error) {
        throw new JournalError(
          `the state snapshot ${this.snapshotPath} is unreadable: ${(error as Error).message}`,
          {
            hint: "restore it from a backup, or move it away and run `f2b-sophosxg sync --from-fail2ban`",
            cause: error,
          },
        );
      }
    }
    const log = readIfExists(this.journalPath, this.dir) ?? "";
    const lines = log.split("\n");
    // The text after the last newline is a write that never completed.
    lines.pop();
    let unreadable = 0;
    let records = 0;
    for (const line of lines) {
      if (line === "") continue;
      let record: JournalRecord | undefined;
      try {
        record = asJournalRecord(JSON.parse(line));
      } catch {
        record = undefined;
      }
      if (record) {
        applyRecord(state, record);
        records++;
      } else {
        unreadable++;
      }
    }
    return { state, records, unreadable };
  }

  /**
   * Folds the journal into a new snapshot. `transform` may drop what no longer matters
   * (expired holds). Runs under the journal lock so no append is lost.
   */
  compact(transform: (state: BanState) => void = () => {}): void {
    const lock = this.lock("compact");
    try {
      const { state } = this.loadUnlocked();
      transform(state);
      const temp = `${this.snapshotPath}.tmp`;
      try {
        const fd = openSync(temp, "w", 0o600);
        try {
          writeFully(fd, Buffer.from(JSON.stringify(stateToJson(state)), "utf8"));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(temp, this.snapshotPath);
        this.syncDirectory();
        if (existsSync(this.journalPath)) {
          const fd2 = openSync(this.journalPath, "r+");
          try {
            ftruncateSync(fd2, 0);
            fsyncSync(fd2);
          } finally {
            closeSync(fd2);
          }
        }
      } catch (error) {
        try {
          unlinkSync(temp);
        } catch {
          // Never written, or already renamed.
        }
        throw new JournalError(`cannot compact the journal in ${this.dir}: ${(error as Error).message}`, {
          hint: storageHint(error, this.dir),
          cause: error,
        });
      }
    } finally {
      lock.release();
    }
  }

  /** The record is already fsynced; a directory fsync that fails must not turn it into an error. */
  private syncDirectoryQuietly(): void {
    try {
      this.syncDirectory();
    } catch {
      // Best effort.
    }
  }

  private syncDirectory(): void {
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/** writeSync may write less than asked (a disk filling up): loop, and fail on no progress. */
function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const written = writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
    offset += written;
  }
}

function readIfExists(path: string, dir: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new JournalError(`cannot read ${path}: ${(error as Error).message}`, {
      hint: storageHint(error, dir),
      cause: error,
    });
  }
}
