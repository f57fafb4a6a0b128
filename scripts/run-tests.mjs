#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test through tsx.
// An explicit file list is needed: on Node 20, `node --test <dir>` finds no tests and exits 0.
// Usage: npm test [-- <substring> ...] runs only files whose path contains one of the substrings.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith(".test.ts") ? [relative(root, path)] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests(join(root, "test"))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ") || "test/**/*.test.ts"}`);
  process.exitCode = 1;
} else {
  // Tests run the built CLI (what ships), so build first.
  const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=2", ...files],
    { cwd: root, stdio: "inherit" },
  );
  process.exitCode = result.status ?? 1;
}
