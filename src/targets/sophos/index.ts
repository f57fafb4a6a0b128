export * from "./dry-run.ts";
export * from "./groups.ts";
export * from "./ip-host.ts";
export { maxPrefixLength, objectNameFor, prefixProblem } from "./names.ts";
export * from "./push.ts";
export * from "./reconcile.ts";
export * from "./shards.ts";
export * from "./target.ts";
