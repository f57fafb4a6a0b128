#!/usr/bin/env node
/**
 * The program's entry (dist/f2b-sophosxg.mjs, and dist/f2b-sophosxg.cjs for the bin): small on
 * purpose, because Fail2ban starts it once per ban. It answers `--version` and the hooks' fast
 * path (hook-fast-path.ts) itself and loads the full command line (dist/cli.mjs) for the rest.
 */
import { FD_STREAMS } from "./output.ts";
import { VERSION } from "./version.ts";

// Nothing here touches process.stdout: creating it loads Node's stream modules (see output.ts).

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  FD_STREAMS.out(`${VERSION}\n`);
} else {
  // Loaded only here (still inside this file once bundled): --version runs none of its set-up.
  import("./hook-fast-path.ts")
    .then(({ hookFastPath }) => hookFastPath(argv))
    .catch(() => undefined)
    .then(async (code) => {
      if (code !== undefined) process.exitCode = code;
      else await (await import("./main.ts")).runMain(argv);
    });
}
