/**
 * `npm pack` gives a tarball that `npm install -g --prefix DIR --offline` turns into a working
 * `f2b-sophosxg`: --version, the emulator (ready line, then SIGTERM), a ban against an emulator,
 * and `install --dry-run` finding its files inside the installed package. Skipped, with the
 * reason, when npm cannot install offline (no cache for the declared dependencies).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { REPO, startFirewall, TEST_PASSWORD, tempDir, writeConfig } from "../support/harness.ts";
import { runProgram, runUntilReady } from "./fixtures.ts";

const tmp = tempDir("f2b-pack");
after(() => tmp.cleanup());

function npm(args: string[], cwd: string) {
  return spawnSync("npm", args, {
    cwd,
    encoding: "utf8",
    timeout: 90_000,
    env: {
      ...process.env,
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
    },
  });
}

test("npm pack + npm install -g --offline gives a working f2b-sophosxg", async (t) => {
  // dist/ is built by `npm test`; --ignore-scripts keeps pack from rebuilding it.
  const packed = npm(["pack", "--ignore-scripts", "--pack-destination", tmp.dir], REPO);
  if (packed.error || packed.status !== 0) {
    t.skip(`npm pack is not available here: ${packed.error?.message ?? packed.stderr.slice(0, 300)}`);
    return;
  }
  const tarball = readdirSync(tmp.dir).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, packed.stdout);
  const prefix = join(tmp.dir, "prefix");
  const installed = npm(
    ["install", "-g", "--offline", "--ignore-scripts", "--prefix", prefix, join(tmp.dir, tarball)],
    tmp.dir,
  );
  if (installed.status !== 0) {
    t.skip(
      `npm cannot install offline here (dependencies not in the npm cache): ${installed.stderr.slice(0, 300)}`,
    );
    return;
  }
  const bin = join(prefix, "bin", "f2b-sophosxg");
  assert.ok(existsSync(bin), installed.stdout + installed.stderr);
  const pkg = join(prefix, "lib", "node_modules", "f2b-sophosxg");
  for (const file of [
    "dist/f2b-sophosxg.mjs",
    "dist/f2b-sophosxg.cjs",
    "dist/cli.mjs",
    "dist/emulator.mjs",
    "dist/f2b-sophosxg.1",
    "dist/probe.mjs",
    "profiles/sfos-22.json",
    "dist/fleet.mjs",
    "action.d/sophosxg.conf",
    "systemd/f2b-sophosxg.service",
  ]) {
    assert.ok(existsSync(join(pkg, file)), `${file} is in the package`);
  }

  const version = spawnSync(bin, ["--version"], { encoding: "utf8" });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);

  const emulator = await runUntilReady(bin, ["emulator", "--port", "0"], /emulator ready url=https:/);
  assert.match(emulator.line, /sha256=[0-9a-f]{64}/);
  assert.match(emulator.stderr + emulator.stdout, /stopped \(SIGTERM\)/);

  const emu = await startFirewall();
  try {
    const config = writeConfig(tmp.dir, emu);
    const start = await runProgram(bin, ["start", "--configfile", config]);
    assert.equal(start.code, 0, start.stderr);
    const ban = await runProgram(bin, [
      "ban",
      "--configfile",
      config,
      "--jail",
      "sshd",
      "--ip",
      "192.0.2.44",
    ]);
    assert.equal(ban.code, 0, ban.stderr);
    assert.ok(!(ban.stdout + ban.stderr).includes(TEST_PASSWORD));
    assert.ok(
      emu.snapshot().hosts.some((h) => h.name === "f2b_192.0.2.44"),
      "the ban reached the firewall",
    );
  } finally {
    await emu.close();
  }

  const dry = spawnSync(bin, ["install", "--root", join(tmp.dir, "root"), "--dry-run"], { encoding: "utf8" });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would be created +.*etc\/fail2ban\/action\.d\/sophosxg\.conf/);
});
