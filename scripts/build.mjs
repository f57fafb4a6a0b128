#!/usr/bin/env node
import { chmodSync, rmSync } from "node:fs";
// Bundles with esbuild:
//   dist/f2b-sophosxg.mjs  the CLI: everything a Fail2ban hook needs, in one file (no module
//                          resolution across node_modules at each ban)
//   dist/emulator.mjs      the emulator (certificate generation, HTTP server), loaded by the CLI
//                          with import() only for `f2b-sophosxg emulator`
//   dist/index.mjs         the library
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });

/** Keeps the emulator out of the CLI bundle: its import() then loads dist/emulator.mjs at run time. */
const emulatorOutside = {
  name: "emulator-outside",
  setup(b) {
    b.onResolve({ filter: /\/emulator\/command\.ts$/ }, () => ({ path: "./emulator.mjs", external: true }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  sourcemap: false,
  legalComments: "none",
  // ESM output that bundles CommonJS dependencies needs a real `require`.
  banner: {
    js: "import { createRequire as __f2bCreateRequire } from 'node:module'; const require = __f2bCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
};

await build({ ...common, entryPoints: { "f2b-sophosxg": "src/cli/main.ts" }, plugins: [emulatorOutside] });
await build({ ...common, entryPoints: { emulator: "src/emulator/command.ts", index: "src/index.ts" } });
chmodSync(`${root}dist/f2b-sophosxg.mjs`, 0o755);
