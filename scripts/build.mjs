#!/usr/bin/env node
// Bundles with esbuild:
//   dist/f2b-sophosxg.mjs  the CLI: everything a Fail2ban hook needs, in one file (no module
//                          resolution across node_modules at each ban)
//   dist/emulator.mjs      the emulator (certificate generation, HTTP server), loaded by the CLI
//                          with import() only for `f2b-sophosxg emulator`
//   dist/index.mjs         the library
//   dist/types/            the library's type declarations (tsc, tsconfig.types.json)
// The bundles are written to a temporary directory and renamed into dist/ one by one, so a CLI
// process that starts during a rebuild (tests, a running Fail2ban) never finds a file missing.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });
const staging = mkdtempSync(join(root, "dist-build-"));

/** Keeps the emulator out of the CLI bundle: its import() then loads dist/emulator.mjs at run time. */
const emulatorOutside = {
  name: "emulator-outside",
  setup(b) {
    b.onResolve({ filter: /\/emulator\/command\.ts$/ }, () => ({ path: "./emulator.mjs", external: true }));
  },
};

/** Keeps the fleet (and its Redis client) out of the CLI bundle: only the agent and `fleet` load dist/fleet.mjs. */
const fleetOutside = {
  name: "fleet-outside",
  setup(b) {
    b.onResolve({ filter: /\/fleet\/command\.ts$/ }, () => ({ path: "./fleet.mjs", external: true }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outdir: staging,
  outExtension: { ".js": ".mjs" },
  sourcemap: false,
  legalComments: "none",
  // ESM output that bundles CommonJS dependencies needs a real `require`.
  banner: {
    js: "import { createRequire as __f2bCreateRequire } from 'node:module'; const require = __f2bCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
};

try {
  await build({
    ...common,
    entryPoints: { "f2b-sophosxg": "src/cli/main.ts" },
    plugins: [emulatorOutside, fleetOutside],
  });
  await build({ ...common, entryPoints: { emulator: "src/emulator/command.ts", index: "src/index.ts" } });
  await build({ ...common, entryPoints: { fleet: "src/fleet/command.ts" }, plugins: [emulatorOutside] });
  const tsc = spawnSync(
    process.execPath,
    [
      join(root, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.types.json",
      "--outDir",
      join(staging, "types"),
    ],
    { cwd: root, stdio: "inherit" },
  );
  if (tsc.status !== 0) throw new Error("the type declarations did not build (tsc -p tsconfig.types.json)");
  chmodSync(join(staging, "f2b-sophosxg.mjs"), 0o755);
  const built = readdirSync(staging);
  for (const file of built) {
    // A directory cannot be renamed over a full one: move the old one aside first. Only the
    // declarations are a directory, and no running process reads them.
    const target = join(dist, file);
    if (file === "types" && existsSync(target)) renameSync(target, join(staging, "types-old"));
    renameSync(join(staging, file), target);
  }
  for (const file of readdirSync(dist)) {
    if (!built.includes(file) && existsSync(join(dist, file)))
      rmSync(join(dist, file), { recursive: true, force: true });
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
