/**
 * f2b-sophosxg as a library: the Sophos client, the Fail2ban address model, the config loader,
 * the journal and the actions. The CLI (`src/cli/`) is one user of it.
 */

export { type ActionOutcome, ban, check, flush, Session, start, stop, unban } from "./action/index.ts";
export { type BanTarget, FAMILIES, familyOfTarget, type IpFamily, parseBanTarget } from "./address/index.ts";
export { Agent } from "./agent/index.ts";
export { type Config, type LoadedConfig, loadConfig, resolveConfigPath } from "./config/index.ts";
export { type DeliveryOptions, type DeliveryReport, deliverPending } from "./delivery/index.ts";
export * from "./errors/index.ts";
export { familyOfFail2ban } from "./fail2ban/index.ts";
export { type BanState, DEFAULT_SOURCE, holdsOf, Journal, runningAgentPid } from "./journal/index.ts";
export type { GetFilter, HostType, IpHost, IpHostGroup, SetOperation } from "./protocol/index.ts";
export * from "./sophos/index.ts";
export { FileTarget } from "./targets/file-target.ts";
export { createTarget, TARGETS, type TargetContext, type TargetKind } from "./targets/registry.ts";
export {
  banTargetFromHost,
  ensureGroups,
  ipHostFor,
  type Naming,
  objectNameFor,
  planReconcile,
  reconcile,
  SophosTarget,
} from "./targets/sophos/index.ts";
export * from "./targets/target.ts";
