export * from "./family.ts";
export { ipv4MaskToPrefix, prefixToIPv4Mask } from "./ipv4.ts";
export { parseBanTarget, parseTargetSyntax } from "./parse.ts";
export { MIN_PREFIX_LENGTH, type PolicyProblem, policyProblem, REFUSED_RANGES } from "./policy.ts";
export { ADDRESS_BITS, type BanTarget, parseAddress, targetOf, targetValue } from "./target.ts";
export { hasAnyControlCharacter } from "./text.ts";
