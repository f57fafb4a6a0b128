export * from "./family.ts";
export * from "./ip-host.ts";
export { hasAnyControlCharacter, maxPrefixLength, objectNameFor, prefixProblem } from "./names.ts";
export { parseBanTarget, parseTargetSyntax } from "./parse.ts";
export { MIN_PREFIX_LENGTH, type PolicyProblem, policyProblem, REFUSED_RANGES } from "./policy.ts";
export type { BanTarget } from "./target.ts";
