#!/usr/bin/env node
// Bundles with esbuild (target: scripts/node-floor.mjs, the oldest Node.js the package supports):
//   dist/f2b-sophosxg.mjs  the entry: small, because Fail2ban starts it once per ban; answers
//                          --version and the hooks' fast path (ban/unban while the agent runs)
//   dist/f2b-sophosxg.cjs  the same entry as CommonJS, for the bin: Node starts a CommonJS file
//                          several ms faster than an ES module, a tenth of a bare start
//   dist/cli.mjs           the full command line, loaded by the entry with import() for the rest
//   dist/emulator.mjs      the emulator (certificate generation, HTTP server), loaded by the CLI
//                          with import() only for `f2b-sophosxg emulator`
//   dist/probe.mjs         `f2b-sophosxg probe`, loaded the same way
//   dist/metrics.mjs       the agent's metrics endpoint (prom-client), loaded with import() only
//                          when `metrics_listen` is set
//   dist/index.mjs         the library
//   dist/f2b-sophosxg.1    the manual page, from the command table (scripts/man.mjs)
//   dist/types/            the library's type declarations (tsc, tsconfig.types.json)
// The bundles are written to a temporary directory and renamed into dist/ one by one, so a CLI
// process that starts during a rebuild (tests, a running Fail2ban) never finds a file missing.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { writeManual } from "./man.mjs";
import { assertNodeFloor, ESBUILD_TARGET } from "./node-floor.mjs";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });
const staging = mkdtempSync(join(root, "dist-build-"));

/** Keeps the emulator out of the CLI bundle: its import() then loads dist/emulator.mjs at run time. */
const emulatorOutside = {
  name: "emulator-outside",
  setup(b) {
    b.onResolve({ filter: /\/emulator\/command\.ts$/ }, () => ({ path: "./emulator.mjs", external: true }));
    b.onResolve({ filter: /\/probe\/command\.ts$/ }, () => ({ path: "./probe.mjs", external: true }));
  },
};

/** Keeps the full CLI out of the entry: its import() then loads dist/cli.mjs at run time. */
const cliOutside = {
  name: "cli-outside",
  setup(b) {
    b.onResolve({ filter: /\/cli\/main\.ts$|^\.\/main\.ts$/ }, () => ({ path: "./cli.mjs", external: true }));
  },
};

/** Keeps prom-client and the metrics endpoint out of the CLI bundle: loaded only when metrics are on. */
const metricsOutside = {
  name: "metrics-outside",
  setup(b) {
    b.onResolve({ filter: /(^|\/)exporter\/index\.ts$/ }, (args) =>
      args.importer.includes("/src/metrics/") ? { path: "./metrics.mjs", external: true } : undefined,
    );
  },
};

/**
 * The code reads only `version` from package.json: bundle that alone, not the whole file (its
 * dependency list would ride along in every hook's bundle).
 */
const versionOnly = {
  name: "package-version-only",
  setup(b) {
    b.onLoad({ filter: /[/\\]package\.json$/ }, async (args) => {
      const { readFile } = await import("node:fs/promises");
      const { version } = JSON.parse(await readFile(args.path, "utf8"));
      return { contents: JSON.stringify({ version }), loader: "json" };
    });
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
  // Every bundle runs on the distributions' own Node.js (scripts/node-floor.mjs).
  target: ESBUILD_TARGET,
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
  plugins: [versionOnly],
};

try {
  await build({
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    plugins: [versionOnly, emulatorOutside, metricsOutside, fleetOutside],
  });
  // The entry needs no `require` (no CommonJS dependency): no banner, nothing more to load.
  // Whitespace and syntax minified (names kept): less for Node to read and parse at every ban.
  const entry = {
    ...common,
    banner: {},
    minifyWhitespace: true,
    minifySyntax: true,
    entryPoints: { "f2b-sophosxg": "src/cli/entry.ts" },
    plugins: [versionOnly, cliOutside],
  };
  await build(entry);
  await build({ ...entry, format: "cjs", outExtension: { ".js": ".cjs" } });
  await build({
    ...common,
    entryPoints: {
      emulator: "src/emulator/command.ts",
      probe: "src/probe/command.ts",
      index: "src/index.ts",
      metrics: "src/metrics/exporter/index.ts",
    },
  });
  await build({
    ...common,
    entryPoints: { fleet: "src/fleet/command.ts" },
    plugins: [versionOnly, emulatorOutside],
  });
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
  chmodSync(join(staging, "f2b-sophosxg.cjs"), 0o755);
  await writeManual(join(staging, "f2b-sophosxg.1"));
  const built = readdirSync(staging);
  assertNodeFloor(staging, built);
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
