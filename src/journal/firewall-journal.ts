/**
 * One firewall's view of a state directory shared by several firewalls. The desired state (the
 * holds that hooks and sources journal) is shared: it is read from, and written to, the state
 * directory's journal exactly as with one firewall, so the hook path does not change. What each
 * firewall is believed to hold (`applied`, `sending`, the shards), its status.json and its
 * delivery lock live in `<state_dir>/firewalls/<name>/`, a journal of its own: one firewall
 * down never holds a lock, a record or a backoff that another one waits for.
 *
 * The firewall named `default` keeps today's single-firewall files (its delivery records in the
 * state directory's own journal), so a single-firewall setup moved into a `firewalls` list
 * under that name keeps what it knows.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BanState, emptyState } from "./ban-state.ts";
import { JournalError, storageHint } from "./errors.ts";
import { Journal, type LoadedJournal } from "./journal.ts";
import type { JournalRecord } from "./records.ts";

export const DEFAULT_FIREWALL = "default";

export function firewallDir(stateDir: string, firewall: string): string {
  return join(stateDir, "firewalls", firewall);
}

function isDeliveryRecord(record: JournalRecord): boolean {
  return record.t === "applied" || record.t === "sending";
}

export class FirewallJournal extends Journal {
  readonly firewall: string;
  /** The firewall's own records (what it is believed to hold). */
  readonly own: Journal;

  constructor(stateDir: string, firewall: string) {
    const dir = firewallDir(stateDir, firewall);
    super(stateDir, { deliveryDir: dir });
    this.firewall = firewall;
    this.own = new Journal(dir);
  }

  override ensureDirectory(): void {
    super.ensureDirectory();
    try {
      mkdirSync(this.own.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new JournalError(`cannot create ${this.own.dir}: ${(error as Error).message}`, {
        hint: storageHint(error, this.own.dir),
        cause: error,
      });
    }
  }

  /** The shared holds with this firewall's applied state. */
  override load(): LoadedJournal {
    const shared = super.load();
    // A firewall just added to the config has no directory yet: it holds nothing we know of.
    const own = existsSync(this.own.dir)
      ? this.own.load()
      : { state: emptyState(), records: 0, unreadable: 0 };
    const state: BanState = {
      holds: shared.state.holds,
      applied: own.state.applied,
      uncertain: own.state.uncertain,
      shards: own.state.shards,
    };
    return { state, records: shared.records + own.records, unreadable: shared.unreadable + own.unreadable };
  }

  override append(records: JournalRecord[]): void {
    const own = records.filter(isDeliveryRecord);
    const shared = records.filter((r) => !isDeliveryRecord(r));
    if (shared.length > 0) super.append(shared);
    if (own.length > 0) this.own.append(own);
  }

  override compact(transform: (state: BanState) => void = () => {}): void {
    super.compact(transform);
    this.own.compact();
  }
}

/** Where a firewall's delivery state lives (`Journal.deliveryDir`): the state directory for `default`. */
export function deliveryDirOf(stateDir: string, firewall: string): string {
  return firewall === DEFAULT_FIREWALL ? stateDir : firewallDir(stateDir, firewall);
}

/** The journal a firewall delivers from: the state directory's own for `default`. */
export function journalFor(stateDir: string, firewall: string): Journal {
  return firewall === DEFAULT_FIREWALL ? new Journal(stateDir) : new FirewallJournal(stateDir, firewall);
}
