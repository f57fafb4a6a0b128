/**
 * f2b-sophosxg as a library: the Sophos client, the emulator, the address model, the config
 * loader, the journal, the delivery core and its target interface, and the actions. The CLI
 * (`src/cli/`) is one user of it. docs/library.md documents it; dist/types has the declarations.
 */

export { type ActionOutcome, ban, check, flush, Session, start, stop, unban } from "./action/index.ts";
export { type BanTarget, FAMILIES, familyOfTarget, type IpFamily, parseBanTarget } from "./address/index.ts";
export { Agent } from "./agent/index.ts";
// From the files themselves, not the folder's index: the schema's types are valibot's, which is
// bundled, not a dependency a user of the declarations has.
export { loadConfig } from "./config/load.ts";
export { resolveConfigPath } from "./config/paths.ts";
export type { Config, LoadedConfig } from "./config/types.ts";
export { type DeliveryOptions, type DeliveryReport, deliverPending } from "./delivery/index.ts";
export {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from "./emulator/index.ts";
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
  FirewallMemory,
  ipHostFor,
  type Naming,
  objectNameFor,
  planReconcile,
  reconcile,
  SophosTarget,
} from "./targets/sophos/index.ts";
export * from "./targets/target.ts";
