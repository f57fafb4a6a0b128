#!/usr/bin/env node
// Writes the manual page (roff) from the command table: `node scripts/man.mjs OUT_FILE`
// (scripts/build.mjs calls it). The table is TypeScript, so src/cli/manual.ts is bundled into a
// temporary module first and imported from there.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

export async function writeManual(outFile) {
  const work = mkdtempSync(join(root, "man-build-"));
  try {
    const module = join(work, "manual.mjs");
    await build({
      absWorkingDir: root,
      entryPoints: ["src/cli/manual.ts"],
      outfile: module,
      bundle: true,
      platform: "node",
      format: "esm",
      // Only the tables are needed; their commands load their heavy modules lazily anyway.
      packages: "external",
      logLevel: "warning",
    });
    const { manual } = await import(pathToFileURL(module).href);
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    writeFileSync(outFile, manual(version));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await writeManual(process.argv[2] ?? join(root, "dist", "f2b-sophosxg.1"));
}
