/**
 * A target that reports what reached the firewall: each confirmed add and remove, its family
 * and layout, and how long it took from the journal. It wraps any target, so the delivery core
 * and the hooks stay untouched; only the agent uses it, and only with metrics on.
 */
import { familyOfTarget } from "../address/index.ts";
import type { PushPlan, PushResult, ReconcileOptions, ReconcileReport, Target } from "../targets/target.ts";
import { WrappedTarget } from "../targets/wrapped-target.ts";
import type { JournalTail } from "./journal-tail.ts";
import type { MetricsSink } from "./types.ts";

export class MeteredTarget extends WrappedTarget {
  constructor(
    inner: Target,
    private readonly firewall: string,
    private readonly tail: JournalTail,
    private readonly sink: () => MetricsSink | undefined,
  ) {
    super(inner);
  }

  override async push(
    plan: PushPlan,
    result: PushResult,
    believed: ReadonlyMap<string, string[]>,
  ): Promise<void> {
    this.tail.catchUp();
    try {
      await this.inner.push(plan, result, believed);
    } finally {
      this.report(result);
    }
  }

  override async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    this.tail.catchUp();
    const report = await this.inner.reconcile(options);
    if (!options.dryRun) this.report(report.result);
    return report;
  }

  private report(result: PushResult): void {
    const sink = this.sink();
    const now = Date.now();
    const one = (target: string, action: "add" | "remove") => {
      const at = this.tail.journaledAt(target, action);
      this.tail.settled(target);
      sink?.delivered({
        firewall: this.firewall,
        family: familyOfTarget(target),
        layout: this.inner.bulk(target) ? "iplist" : "hosts",
        action,
        latencySeconds: at === undefined ? undefined : (now - at) / 1000,
      });
    };
    for (const target of result.present) one(target, "add");
    for (const target of result.absent) one(target, "remove");
    sink?.refused(this.firewall, result.failures.length);
  }
}
