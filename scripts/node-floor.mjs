import { readFileSync } from "node:fs";
import { join } from "node:path";

// The oldest Node.js the shipped bundles run on: what Debian 12 (18.20) and Ubuntu 24.04 (18.19)
// ship as `nodejs`. package.json's engines and the Debian package's Depends say the same.
export const NODE_FLOOR = "18.19";
export const ESBUILD_TARGET = `node${NODE_FLOOR}`;

// esbuild lowers syntax to the target but passes API calls through unchanged: a bundle that calls
// one of these would build fine and fail on a user's ban. Each entry is the first Node.js with it.
const NEWER_APIS = [
  [/\.toSorted\(/, "Array.prototype.toSorted", "20"],
  [/\.toReversed\(/, "Array.prototype.toReversed", "20"],
  [/\.toSpliced\(/, "Array.prototype.toSpliced", "20"],
  [/\.(isWellFormed|toWellFormed)\(/, "String.prototype.isWellFormed/toWellFormed", "20"],
  [/\bimport\.meta\.(dirname|filename)\b/, "import.meta.dirname/filename", "20.11"],
  [/\bAbortSignal\.any\(/, "AbortSignal.any", "20.3"],
  [/\bstyleText\(/, "util.styleText", "20.12"],
  [/\bloadEnvFile\(/, "process.loadEnvFile", "20.12"],
  [/\b(Object|Map)\.groupBy\(/, "Object.groupBy/Map.groupBy", "21"],
  [/\bPromise\.withResolvers\(/, "Promise.withResolvers", "22"],
  [/\bArray\.fromAsync\(/, "Array.fromAsync", "22"],
  [
    /\.(union|intersection|symmetricDifference|isSubsetOf|isSupersetOf|isDisjointFrom)\(/,
    "Set methods",
    "22",
  ],
  [/\bIterator\.from\(/, "Iterator.from", "22"],
  [/\bURL\.parse\(/, "URL.parse", "22.1"],
  [/\bgetBuiltinModule\(/, "process.getBuiltinModule", "22.3"],
  [/["']node:sqlite["']/, "node:sqlite", "22.5"],
  [/\bRegExp\.escape\(/, "RegExp.escape", "24"],
];

/**
 * A use guarded by a feature test on the same line or the one before (`"getBuiltinModule" in
 * process ? process.getBuiltinModule(…) : …`, as the Redis client does) runs on older Node.js too.
 */
function guarded(lines, index, api) {
  const name = api.split(".").pop();
  const near = `${lines[index - 1] ?? ""}\n${lines[index]}`;
  return new RegExp(`["']${name}["'] in |typeof [\\w.]*${name}\\b`).test(near);
}

/** One line per use of an API newer than the floor, as `file:line: API (Node N)`. */
export function newerApiUses(name, text) {
  const found = [];
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    for (const [pattern, api, since] of NEWER_APIS) {
      if (pattern.test(line) && !guarded(lines, index, api))
        found.push(`${name}:${index + 1}: ${api} needs Node.js ${since}`);
    }
  });
  return found;
}

/** Throws, naming every use, when a bundle in `dir` calls an API newer than the floor. */
export function assertNodeFloor(dir, files) {
  const newer = files
    .filter((file) => /\.(mjs|cjs|js)$/.test(file))
    .flatMap((file) => newerApiUses(file, readFileSync(join(dir, file), "utf8")));
  if (newer.length === 0) return;
  throw new Error(
    `the bundles use APIs newer than Node.js ${NODE_FLOOR}, the oldest supported runtime:\n  ${newer.join("\n  ")}\n` +
      "use an older equivalent, or raise NODE_FLOOR in scripts/node-floor.mjs (with engines in package.json and Depends in packaging/debian/control)",
  );
}
