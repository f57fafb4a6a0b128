/**
 * Follows journal.jsonl from where it last stopped reading, for two things the folded state
 * does not keep: how many changes each source journaled, and when each pending change was
 * journaled (for the journal-to-firewall latency and the age of the oldest pending change).
 *
 * A compaction empties the file: the tail then starts again at 0. Records appended and folded
 * away between two looks are not counted; the agent looks before every push and every scrape,
 * and compacts only after its own pushes, so that is rare and only makes the counts low.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { familyOfTarget } from "../address/index.ts";
import { asJournalRecord, DEFAULT_SOURCE } from "../journal/index.ts";
import type { JournaledEvent } from "./types.ts";

/** Reads at most this much per look, so one look never holds the loop for long. */
const MAX_READ_BYTES = 8 * 1024 * 1024;

export class JournalTail {
  private offset = 0;
  /** Target → epoch ms of its latest ban or unban record not yet delivered. */
  private readonly changedAt = new Map<string, number>();
  /** Epoch ms of the latest flush (a flush releases many targets at once). */
  private lastFlushAt: number | undefined;

  constructor(
    private readonly path: string,
    private readonly onRecord: (event: JournaledEvent) => void,
  ) {}

  /** Reads what was appended since the last look. Never throws: metrics must not stop the agent. */
  catchUp(): void {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r");
      const size = fstatSync(fd).size;
      if (size < this.offset) this.offset = 0;
      const length = Math.min(size - this.offset, MAX_READ_BYTES);
      if (length <= 0) return;
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, this.offset);
      const text = buffer.subarray(0, read).toString("utf8");
      // Only whole lines: a write in progress is read at the next look.
      const end = text.lastIndexOf("\n");
      if (end < 0) return;
      this.offset += Buffer.byteLength(text.slice(0, end + 1));
      for (const line of text.slice(0, end).split("\n")) this.take(line);
    } catch {
      // No journal yet, or unreadable: the delivery reports that.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private take(line: string): void {
    if (line === "") return;
    let record: ReturnType<typeof asJournalRecord>;
    try {
      record = asJournalRecord(JSON.parse(line));
    } catch {
      return;
    }
    if (record === undefined) return;
    const source =
      (record.t === "ban" || record.t === "unban" || record.t === "flush" ? record.source : undefined) ??
      DEFAULT_SOURCE;
    switch (record.t) {
      case "ban":
        this.changedAt.set(record.target, record.at);
        this.onRecord({ source, action: "ban", family: record.family });
        return;
      case "unban":
        this.changedAt.set(record.target, record.at);
        this.onRecord({ source, action: "unban", family: familyOfTarget(record.target) });
        return;
      case "flush":
        this.lastFlushAt = record.at;
        this.onRecord({ source, action: "flush", family: record.family ?? "any" });
        return;
      default:
        return;
    }
  }

  /** When the change now pending for `target` was journaled; undefined when unknown. */
  journaledAt(target: string, action: "add" | "remove"): number | undefined {
    const at = this.changedAt.get(target);
    if (action === "remove" && this.lastFlushAt !== undefined) {
      return at === undefined ? this.lastFlushAt : Math.max(at, this.lastFlushAt);
    }
    return at;
  }

  /** The change reached the firewall: its time is no longer needed. */
  settled(target: string): void {
    this.changedAt.delete(target);
  }

  /** Forgets targets that are no longer pending (a ban and unban that cancelled out). */
  keepOnly(pending: ReadonlySet<string>): void {
    for (const target of this.changedAt.keys()) if (!pending.has(target)) this.changedAt.delete(target);
  }
}
