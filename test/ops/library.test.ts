/**
 * The package as a library, as a user gets it: a TypeScript program that imports
 * `f2b-sophosxg` type-checks against the shipped declarations (dist/types, through package.json's
 * `exports`), and the same program, run against dist/index.mjs, starts the emulator, writes a
 * host through the client and delivers a ban through a target of its own choosing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { REPO, tempDir } from "../support/harness.ts";

const tmp = tempDir("f2b-library");
after(() => tmp.cleanup());

const PROGRAM = `
import { readFileSync } from "node:fs";
import {
  deliverPending,
  FileTarget,
  Journal,
  parseBanTarget,
  SophosClient,
  startEmulator,
  type Target,
} from "f2b-sophosxg";

const emulator = await startEmulator({ port: 0, username: "api", password: "library-secret" });
const client = new SophosClient({
  url: emulator.url,
  username: "api",
  password: "library-secret",
  tls: { mode: "pin", sha256: emulator.fingerprint256 },
});
try {
  const address = parseBanTarget("2001:db8::7");
  const written = await client.setIpHosts(
    [{ name: "lib_host", ipFamily: address.family, hostType: "IP", ipAddress: address.address, hostGroups: [] }],
    "add",
  );
  const stateDir = process.argv[2] as string;
  const journal = new Journal(stateDir);
  journal.ensureDirectory();
  journal.append([{ t: "ban", at: Date.now(), target: "192.0.2.9", family: "IPv4", jail: "library", expiresAt: null }]);
  const target: Target = new FileTarget(\`\${stateDir}/desired.txt\`);
  const report = await deliverPending({ target, journal, batchSize: 10, deadline: Date.now() + 10_000 });
  target.close();
  const hosts = await client.getIpHosts();
  console.log(JSON.stringify({ written: written.map((o) => o.ok), hosts: hosts.map((h) => h.name), added: report.added, file: readFileSync(\`\${stateDir}/desired.txt\`, "utf8") }));
} finally {
  client.close();
  await emulator.close();
}
`;

test("a TypeScript user type-checks against the shipped declarations and runs the library", () => {
  const project = join(tmp.dir, "user");
  mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
  symlinkSync(REPO, join(project, "node_modules", "f2b-sophosxg"));
  symlinkSync(join(REPO, "node_modules", "@types", "node"), join(project, "node_modules", "@types", "node"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(project, "main.ts"), PROGRAM);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        strict: true,
        // The declarations themselves are checked too: a broken one fails here, not in a user's build.
        skipLibCheck: false,
        types: ["node"],
        outDir: "out",
      },
      files: ["main.ts"],
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", project],
    {
      encoding: "utf8",
    },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  const stateDir = join(tmp.dir, "state");
  mkdirSync(stateDir, { mode: 0o700 });
  const run = spawnSync(process.execPath, [join(project, "out", "main.js"), stateDir], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as {
    written: boolean[];
    hosts: string[];
    added: number;
    file: string;
  };
  assert.deepEqual(result.written, [true]);
  assert.ok(result.hosts.includes("lib_host"), run.stdout);
  assert.equal(result.added, 1);
  assert.equal(result.file.trim(), "192.0.2.9");
  assert.ok(!run.stdout.includes("library-secret") && !run.stderr.includes("library-secret"));
});
