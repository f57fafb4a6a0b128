/**
 * `install --root DIR`: every file in place with its mode, the config never overwritten, a second
 * run changes nothing and says so, --dry-run writes nothing, and the installed program runs
 * (through the bin symlink: --version, the emulator, and install again from the installed copy).
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CONFIG_TEMPLATE } from "../../src/ops/install.ts";
import { REPO, runCli, tempDir } from "../support/harness.ts";
import { runUntilReady } from "./fixtures.ts";

const tmp = tempDir("f2b-install");
after(() => tmp.cleanup());

const FILES: Array<[string, number, string | undefined]> = [
  ["usr/local/lib/f2b-sophosxg/dist/f2b-sophosxg.mjs", 0o755, "dist/f2b-sophosxg.mjs"],
  ["usr/local/lib/f2b-sophosxg/dist/f2b-sophosxg.cjs", 0o755, "dist/f2b-sophosxg.cjs"],
  ["usr/local/lib/f2b-sophosxg/dist/cli.mjs", 0o644, "dist/cli.mjs"],
  ["usr/local/lib/f2b-sophosxg/dist/emulator.mjs", 0o644, "dist/emulator.mjs"],
  ["usr/local/lib/f2b-sophosxg/dist/probe.mjs", 0o644, "dist/probe.mjs"],
  ["usr/local/lib/f2b-sophosxg/dist/metrics.mjs", 0o644, "dist/metrics.mjs"],
  ["usr/local/lib/f2b-sophosxg/profiles/sfos-20.json", 0o644, "profiles/sfos-20.json"],
  ["usr/local/lib/f2b-sophosxg/profiles/sfos-22.json", 0o644, "profiles/sfos-22.json"],
  ["usr/local/lib/f2b-sophosxg/dist/fleet.mjs", 0o644, "dist/fleet.mjs"],
  ["usr/local/lib/f2b-sophosxg/action.d/sophosxg.conf", 0o644, "action.d/sophosxg.conf"],
  ["usr/local/lib/f2b-sophosxg/systemd/f2b-sophosxg.service", 0o644, "systemd/f2b-sophosxg.service"],
  ["etc/fail2ban/action.d/sophosxg.conf", 0o644, "action.d/sophosxg.conf"],
  ["etc/systemd/system/f2b-sophosxg.service", 0o644, "systemd/f2b-sophosxg.service"],
  ["etc/f2b-sophosxg/config.json", 0o600, undefined],
];

function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

test("--dry-run says what it would do and writes nothing", async () => {
  const root = join(tmp.dir, "dry");
  const result = await runCli(["install", "--root", root, "--dry-run"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(tree(root).length, 0, "nothing written");
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, FILES.length + 2, "one line per file, the bin link, a summary");
  for (const [path] of FILES)
    assert.match(result.stdout, new RegExp(`^would be created +${join(root, path)}`, "m"));
  assert.match(lines.at(-1) ?? "", /dry run, 15 file\(s\) would change, nothing was written/);
});

test("install places every file with its mode; a second run changes nothing; the config is never overwritten", async () => {
  const root = join(tmp.dir, "root");
  const first = await runCli(["install", "--root", root]);
  assert.equal(first.code, 0, first.stderr);
  for (const [path, mode, from] of FILES) {
    const full = join(root, path);
    assert.equal(statSync(full).mode & 0o777, mode, path);
    if (from !== undefined) assert.ok(readFileSync(full).equals(readFileSync(join(REPO, from))), path);
    assert.match(first.stdout, new RegExp(`^created +${full}`, "m"));
  }
  assert.equal(readFileSync(join(root, "etc/f2b-sophosxg/config.json"), "utf8"), CONFIG_TEMPLATE);
  assert.equal(statSync(join(root, "etc/f2b-sophosxg")).mode & 0o777, 0o700);
  const bin = join(root, "usr/local/bin/f2b-sophosxg");
  assert.ok(lstatSync(bin).isSymbolicLink());
  assert.match(first.stdout, /next: edit .*config\.json/);

  const second = await runCli(["install", "--root", root]);
  assert.equal(second.code, 0);
  assert.doesNotMatch(second.stdout, /^(created|updated)/m);
  assert.match(second.stdout, /^install: nothing to do, everything is in place$/m);
  assert.match(second.stdout, /^kept +.*config\.json \(exists: never overwritten\)/m);

  // The operator's config stays, even when the package's files change.
  const config = join(root, "etc/f2b-sophosxg/config.json");
  writeFileSync(config, '{"url":"https://fw:4444"}');
  writeFileSync(join(root, "etc/fail2ban/action.d/sophosxg.conf"), "# edited\n");
  const third = await runCli(["install", "--root", root]);
  assert.equal(readFileSync(config, "utf8"), '{"url":"https://fw:4444"}');
  assert.match(third.stdout, /^updated +.*etc\/fail2ban\/action\.d\/sophosxg\.conf/m);
  assert.ok(
    readFileSync(join(root, "etc/fail2ban/action.d/sophosxg.conf")).equals(
      readFileSync(join(REPO, "action.d/sophosxg.conf")),
    ),
  );
});

test("the installed program runs through its bin link: --version, the emulator, install from itself", async () => {
  const root = join(tmp.dir, "run");
  assert.equal((await runCli(["install", "--root", root])).code, 0);
  const bin = join(root, "usr/local/bin/f2b-sophosxg");
  const version = await runUntilReady(process.execPath, [bin, "--version"], /^\d+\.\d+\.\d+/);
  assert.equal(version.line, JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
  const emulator = await runUntilReady(
    process.execPath,
    [bin, "emulator", "--port", "0"],
    /emulator ready url=https:/,
  );
  assert.match(emulator.line, /sha256=[0-9a-f]{64}/);
  const again = await runUntilReady(
    process.execPath,
    [bin, "install", "--root", root, "--dry-run"],
    /^install: /,
  );
  assert.match(again.line, /nothing to do/, again.stdout);
});
