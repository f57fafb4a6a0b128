/**
 * The firewall as the pusher sees it: every call that may write passes the lease's gate first,
 * so a pusher that lost its lease sends no further request.
 */
import type { IpFamily } from "../address/index.ts";
import type {
  GroupCheck,
  PushPlan,
  PushResult,
  ReconcileOptions,
  ReconcileReport,
  Target,
} from "../targets/target.ts";
import { WrappedTarget } from "../targets/wrapped-target.ts";
import type { Lease } from "./lease.ts";

export class FencedTarget extends WrappedTarget {
  constructor(
    inner: Target,
    private readonly lease: Lease,
  ) {
    super(inner, `${inner.kind} (fleet pusher)`);
  }

  override async ensureGroups(options: {
    create: boolean;
    families?: readonly IpFamily[];
  }): Promise<GroupCheck[]> {
    if (options.create) await this.lease.gate();
    return this.inner.ensureGroups(options);
  }

  override async push(
    plan: PushPlan,
    result: PushResult,
    believed: ReadonlyMap<string, string[]>,
  ): Promise<void> {
    await this.lease.gate();
    return this.inner.push(plan, result, believed);
  }

  override async reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    if (!options.dryRun) await this.lease.gate();
    return this.inner.reconcile(options);
  }
}
