#!/usr/bin/env node
// Bundles the CLI and the library into single files with esbuild.
// One file keeps the per-ban process start fast (no module resolution across node_modules);
// heavy parts (emulator, agent) stay behind dynamic import() and land in separate chunks.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  splitting: true,
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: false,
  legalComments: "none",
  // ESM output that bundles CommonJS dependencies needs a real `require`.
  banner: { js: "import { createRequire as __f2bCreateRequire } from 'node:module'; const require = __f2bCreateRequire(import.meta.url);" },
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { "f2b-sophosxg": "src/cli/main.ts", index: "src/index.ts" },
});
chmodSync(`${root}dist/f2b-sophosxg.mjs`, 0o755);
