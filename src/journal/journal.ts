/**
 * The durable record of every accepted ban, unban, flush and delivery, in a state directory:
 *
 *   journal.jsonl   records appended since the last compaction, one JSON object per line
 *   state.json      the snapshot the journal continues from
 *   journal.lock    held for a few milliseconds around each append, load and compaction
 *
 * An append is written with O_APPEND under the lock (a large one in slices, cut back off whole
 * if any slice fails) followed by fsync, so a command reports success only once its intent is
 * on disk. A compaction writes the new snapshot to a temp file, fsyncs it,
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

/** Records serialised per write() of an append. */
const APPEND_SLICE_RECORDS = 2_000;
/** Bytes read per slice when the view catches up with the journal. */
const REPLAY_SLICE_BYTES = 1 << 20;

/** How long an append waits for another process's append or compaction. */
const JOURNAL_LOCK_WAIT_MS = 5000;

export interface LoadedJournal {
  /**
   * The journal's live view: the next `load()` of the same Journal brings it up to date in
   * place (or replaces it after another process compacted). Read it; do not keep it across a
   * later load expecting the old content.
   */
  state: BanState;
  /** Records in journal.jsonl (what a compaction would fold away). */
  records: number;
  /** Lines that could not be read back (reported by `status`, never fatal). */
  unreadable: number;
}

/**
 * What this process has already read: the state after the snapshot it last read and the first
 * `offset` bytes of journal.jsonl. A long-running agent holding 100,000 decisions would
 * otherwise parse the whole state again on every load (several times per round).
 */
interface JournalView {
  /** Identity of the snapshot that was read (undefined: there was none). */
  snapshot: string | undefined;
  journalIno: bigint | undefined;
  offset: number;
  state: BanState;
  records: number;
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

  private view: JournalView | undefined;
  private changes = 0;

  /**
   * Moves whenever this Journal's view of the state may have changed (a record read or
   * appended, a reread, a compaction): the same revision of one Journal is the same state, so a
   * caller can keep what it derived from it (the fleet's forwarder, at every heartbeat).
   */
  get revision(): number {
    return this.changes;
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
        if (torn) writeFully(fd, Buffer.from("\n"));
        // In slices: a full CrowdSec pull appends 100,000 records, and one text of them all
        // (with its buffer) would be the agent's biggest allocation. The cut-off below still
        // takes back every slice if any of them fails.
        for (let at = 0; at < records.length; at += APPEND_SLICE_RECORDS) {
          const slice = records.slice(at, at + APPEND_SLICE_RECORDS);
          writeFully(fd, Buffer.from(`${slice.map((r) => JSON.stringify(r)).join("\n")}\n`, "utf8"));
        }
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

  /**
   * Brings the view up to date: only the records appended since the last load are read, unless
   * the snapshot changed (a compaction, here or in another process) or journal.jsonl was
   * replaced or cut, and then everything is read again. Equivalent to a full replay, because
   * records are applied in the same order to the same state.
   */
  private loadUnlocked(): LoadedJournal {
    try {
      const snapshot = fileIdentity(this.snapshotPath, this.dir);
      const fd = openIfExists(this.journalPath, this.dir);
      try {
        const stat = fd === undefined ? undefined : fstatSync(fd, { bigint: true });
        let view = this.view;
        const size = stat === undefined ? 0 : Number(stat.size);
        if (
          view === undefined ||
          view.snapshot !== snapshot ||
          // Replaced by another file (a view that saw no file yet reads any new one from the start).
          (view.journalIno !== undefined && view.journalIno !== stat?.ino) ||
          size < view.offset
        ) {
          view = {
            snapshot,
            journalIno: stat?.ino,
            offset: 0,
            state: this.readSnapshot(),
            records: 0,
            unreadable: 0,
          };
        }
        view.journalIno = stat?.ino;
        if (view !== this.view || size > view.offset) this.changes++;
        this.view = view;
        if (fd !== undefined && size > view.offset) replayTail(view, fd, size);
        return { state: view.state, records: view.records, unreadable: view.unreadable };
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    } catch (error) {
      // A read that failed half-way leaves no half-updated view behind.
      this.view = undefined;
      throw error instanceof JournalError
        ? error
        : new JournalError(`cannot read ${this.journalPath}: ${(error as Error).message}`, {
            hint: storageHint(error, this.dir),
            cause: error,
          });
    }
  }

  private readSnapshot(): BanState {
    const snapshot = readIfExists(this.snapshotPath, this.dir);
    if (snapshot === undefined) return emptyState();
    try {
      return stateFromJson(JSON.parse(snapshot));
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

  /**
   * Folds the journal into a new snapshot. `transform` may drop what no longer matters
   * (expired holds). Runs under the journal lock so no append is lost.
   */
  compact(transform: (state: BanState) => void = () => {}): void {
    const lock = this.lock("compact");
    try {
      const { state } = this.loadUnlocked();
      // The transform changes the view's state in place.
      this.changes++;
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
        // The view now stands for the new snapshot (the state just written) and an empty journal.
        this.view = {
          snapshot: fileIdentity(this.snapshotPath, this.dir),
          journalIno: existsSync(this.journalPath)
            ? statSync(this.journalPath, { bigint: true }).ino
            : undefined,
          offset: 0,
          state,
          records: 0,
          unreadable: 0,
        };
      } catch (error) {
        this.view = undefined;
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

/**
 * Reads journal.jsonl from the view's offset to `size` and applies every complete line, a
 * slice at a time, so that reading back a large append never holds all of it at once.
 */
function replayTail(view: JournalView, fd: number, size: number): void {
  let carry = Buffer.alloc(0);
  let position = view.offset;
  while (position < size) {
    const chunk = Buffer.alloc(Math.min(REPLAY_SLICE_BYTES, size - position));
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n <= 0) break;
    position += n;
    const text = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    // The text after the last newline is either the start of the next slice's first line or a
    // write that never completed (or is still being written): that one is read again, whole,
    // at the next load.
    const end = text.lastIndexOf(0x0a);
    if (end < 0) {
      carry = text;
      continue;
    }
    applyLines(view, text.toString("utf8", 0, end));
    view.offset += end + 1;
    carry = Buffer.from(text.subarray(end + 1));
  }
}

function applyLines(view: JournalView, text: string): void {
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let record: JournalRecord | undefined;
    try {
      record = asJournalRecord(JSON.parse(line));
    } catch {
      record = undefined;
    }
    if (record) {
      applyRecord(view.state, record);
      view.records++;
    } else {
      view.unreadable++;
    }
  }
}

/** Changes whenever the file is replaced or rewritten (a compaction renames a new one in). */
function fileIdentity(path: string, dir: string): string | undefined {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new JournalError(`cannot read ${path}: ${(error as Error).message}`, {
      hint: storageHint(error, dir),
      cause: error,
    });
  }
}

function openIfExists(path: string, dir: string): number | undefined {
  try {
    return openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new JournalError(`cannot read ${path}: ${(error as Error).message}`, {
      hint: storageHint(error, dir),
      cause: error,
    });
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
