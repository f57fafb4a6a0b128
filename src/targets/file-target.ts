/**
 * A toy target, and the walkthrough's example (docs/architecture.md): the desired state as a
 * text file, one canonical address per line, replaced atomically on every write. Something
 * else (an nftables set loader, a web server's deny list) can read it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { FAMILIES, familyOfTarget, type IpFamily } from "../address/index.ts";
import { type BanState, desiredTargets } from "../journal/index.ts";
import {
  emptyPushResult,
  type GroupCheck,
  type PushPlan,
  type PushResult,
  type ReconcileOptions,
  type ReconcileReport,
  type Target,
} from "./target.ts";

export class FileTarget implements Target {
  readonly kind = "file";

  constructor(readonly path: string) {}

  /** One file write covers any number of changes. */
  bulk(): boolean {
    return true;
  }

  needsReconcile(_state: BanState): string | undefined {
    return undefined;
  }

  async ensureGroups(_options: { create: boolean; families?: readonly IpFamily[] }): Promise<GroupCheck[]> {
    return [];
  }

  async push(plan: PushPlan, result: PushResult): Promise<void> {
    const lines = this.read();
    for (const target of plan.add) lines.add(target);
    for (const target of plan.remove) lines.delete(target);
    this.write(lines);
    result.present.push(...plan.add);
    result.absent.push(...plan.remove);
  }

  async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    const now = options.now ?? Date.now;
    const families = new Set(options.families ?? FAMILIES);
    const inFamily = (t: string) => families.has(familyOfTarget(t));
    const { state } = options.journal.load();
    const desired = [...desiredTargets(state, now() / 1000).keys()].filter(inFamily);
    const there = this.read();
    const wanted = new Set(desired);
    const plan = {
      add: desired.filter((t) => !there.has(t)),
      remove: [...there].filter((t) => inFamily(t) && !wanted.has(t)),
      inPlace: desired.filter((t) => there.has(t)),
      migrate: [],
      unrecognised: [],
      shardWrites: [],
      shardRemovals: [],
    };
    const result = emptyPushResult();
    if (options.dryRun) return { plan, result };
    await this.push(plan, result);
    const believed = [...state.applied.keys(), ...state.uncertain].filter(
      (t) => inFamily(t) && !wanted.has(t),
    );
    options.journal.append([
      { t: "applied", at: now(), present: desired, absent: [...new Set([...plan.remove, ...believed])] },
    ]);
    return { plan, result };
  }

  close(): void {}

  private read(): Set<string> {
    if (!existsSync(this.path)) return new Set();
    return new Set(
      readFileSync(this.path, "utf8")
        .split("\n")
        .filter((line) => line !== ""),
    );
  }

  private write(lines: Set<string>): void {
    const temp = `${this.path}.tmp`;
    writeFileSync(
      temp,
      [...lines]
        .sort()
        .map((l) => `${l}\n`)
        .join(""),
      { mode: 0o600 },
    );
    renameSync(temp, this.path);
  }
}
