/**
 * What Fail2ban's hook loads at every ban: the small entry (dist/f2b-sophosxg.cjs and .mjs)
 * carries none of the heavy libraries the rest of the program bundles. A config section's
 * schema imported by the resolver, or a whole package.json, would slip valibot or a dependency
 * list in and slow every ban (npm run bench -- --hook measures by how much).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO } from "../support/harness.ts";

const MARKERS: Array<[string, RegExp]> = [
  ["valibot (config schemas)", /\bstrictObject\b|\bsafeParse\b|\bpicklist\b/],
  ["prom-client (metrics)", /collectDefaultMetrics/],
  ["the Redis client (fleet)", /createClient|RESP3/],
  ["the XML parser", /XMLParser|XMLValidator/],
  ["package.json's dependency lists", /devDependencies/],
];

for (const entry of ["f2b-sophosxg.cjs", "f2b-sophosxg.mjs"]) {
  test(`the hook's entry ${entry} carries no heavy library`, () => {
    const bundle = readFileSync(join(REPO, "dist", entry), "utf8");
    for (const [what, marker] of MARKERS) assert.doesNotMatch(bundle, marker, `${what} is in ${entry}`);
    assert.match(bundle, /cli\.mjs/, "everything else is loaded from dist/cli.mjs");
  });
}
