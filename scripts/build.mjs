#!/usr/bin/env node
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
// Bundles with esbuild:
//   dist/f2b-sophosxg.mjs  the CLI: everything a Fail2ban hook needs, in one file (no module
//                          resolution across node_modules at each ban)
//   dist/emulator.mjs      the emulator (certificate generation, HTTP server), loaded by the CLI
//                          with import() only for `f2b-sophosxg emulator`
//   dist/metrics.mjs       the agent's metrics endpoint (prom-client), loaded with import() only
//                          when `metrics_listen` is set
//   dist/index.mjs         the library
// The bundles are written to a temporary directory and renamed into dist/ one by one, so a CLI
// process that starts during a rebuild (tests, a running Fail2ban) never finds a file missing.
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

/** Keeps prom-client and the metrics endpoint out of the CLI bundle: loaded only when metrics are on. */
const metricsOutside = {
  name: "metrics-outside",
  setup(b) {
    b.onResolve({ filter: /(^|\/)exporter\/index\.ts$/ }, (args) =>
      args.importer.includes("/src/metrics/") ? { path: "./metrics.mjs", external: true } : undefined,
    );
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
    plugins: [emulatorOutside, metricsOutside],
  });
  await build({
    ...common,
    entryPoints: {
      emulator: "src/emulator/command.ts",
      index: "src/index.ts",
      metrics: "src/metrics/exporter/index.ts",
    },
  });
  chmodSync(join(staging, "f2b-sophosxg.mjs"), 0o755);
  const built = readdirSync(staging);
  for (const file of built) renameSync(join(staging, file), join(dist, file));
  for (const file of readdirSync(dist)) {
    if (!built.includes(file) && existsSync(join(dist, file)))
      rmSync(join(dist, file), { recursive: true, force: true });
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
