/**
 * A target that adds something around another one (the fleet pusher's lease gate, the agent's
 * metrics): every call goes to the inner target unless a subclass overrides it, so a wrapper
 * states only what it adds.
 */
import type { IpFamily } from "../address/index.ts";
import type { BanState } from "../journal/index.ts";
import type {
  GroupCheck,
  PushPlan,
  PushResult,
  ReconcileOptions,
  ReconcileReport,
  Target,
} from "./target.ts";

export class WrappedTarget implements Target {
  readonly kind: string;

  constructor(
    protected readonly inner: Target,
    kind: string = inner.kind,
  ) {
    this.kind = kind;
  }

  bulk(target: string): boolean {
    return this.inner.bulk(target);
  }

  needsReconcile(state: BanState): string | undefined {
    return this.inner.needsReconcile(state);
  }

  ensureGroups(options: { create: boolean; families?: readonly IpFamily[] }): Promise<GroupCheck[]> {
    return this.inner.ensureGroups(options);
  }

  push(plan: PushPlan, result: PushResult, believed: ReadonlyMap<string, string[]>): Promise<void> {
    return this.inner.push(plan, result, believed);
  }

  reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
    return this.inner.reconcile(options);
  }

  close(): void {
    this.inner.close();
  }
}
