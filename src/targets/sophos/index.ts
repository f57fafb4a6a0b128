export * from "./ip-host.ts";
export { maxPrefixLength, objectNameFor, prefixProblem } from "./names.ts";
