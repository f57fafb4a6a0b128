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
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
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

  constructor(dir: string) {
    this.dir = dir;
    this.journalPath = join(dir, "journal.jsonl");
    this.snapshotPath = join(dir, "state.json");
    this.lockPath = join(dir, "journal.lock");
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
    const text = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const lock = this.lock("append");
    try {
      const isNew = !existsSync(this.journalPath);
      let fd: number | undefined;
      let sizeBefore = 0;
      try {
        fd = openSync(this.journalPath, "a", 0o600);
        sizeBefore = fstatSync(fd).size;
        writeSync(fd, text);
        fsyncSync(fd);
      } catch (error) {
        // Cut a torn write back off, so the next append does not glue onto half a line.
        if (fd !== undefined) {
          try {
            ftruncateSync(fd, sizeBefore);
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
      if (isNew) this.syncDirectory();
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
          writeSync(fd, JSON.stringify(stateToJson(state)));
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
        throw new JournalError(`cannot compact the journal in ${this.dir}: ${(error as Error).message}`, {
          hint: storageHint(error, this.dir),
          cause: error,
        });
      }
    } finally {
      lock.release();
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
