/**
 * Failure of our own storage: a clear error, a non-zero exit, and no record (half or whole).
 * Real CLI processes; the read-only and disk-full cases mount a tiny tmpfs (root only).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { runCli, startFirewall, tempDir, writeConfig } from "../support/harness.ts";

function tryMount(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]).status === 0;
}
function unmount(dir: string): void {
  spawnSync("umount", [dir]);
}

describe("storage failures", { timeout: 60_000 }, () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startFirewall();
  });
  after(async () => {
    await emu.close();
  });

  const banWith = async (dir: string, stateDir: string) => {
    const config = writeConfig(dir, emu, { state_dir: stateDir });
    return runCli(["ban", "--ip", "192.0.2.1", "--jail", "sshd", "--configfile", config]);
  };

  it("state directory's parent missing → non-zero exit, clear message, nothing created", async () => {
    const { dir, cleanup } = tempDir("f2b-store");
    try {
      const stateDir = join(dir, "missing", "state");
      const r = await banWith(dir, stateDir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot use state directory .*missing\/state/);
      assert.match(r.stderr, /mkdir -p/);
      assert.equal(existsSync(join(dir, "missing")), false);
      assert.equal(
        emu.snapshot().hosts.some((h) => h.name.startsWith("f2b_")),
        false,
      );
    } finally {
      cleanup();
    }
  });

  it("state_dir is a regular file → ENOTDIR, non-zero exit", async () => {
    const { dir, cleanup } = tempDir("f2b-store");
    try {
      const file = join(dir, "a-file");
      writeFileSync(file, "x");
      const r = await banWith(dir, file);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not a directory/);
      assert.equal(readFileSync(file, "utf8"), "x");
    } finally {
      cleanup();
    }
  });

  it("state_dir under /proc (not creatable) → non-zero exit", async () => {
    const { dir, cleanup } = tempDir("f2b-store");
    try {
      const r = await banWith(dir, "/proc/f2b-sophosxg-state");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot use state directory \/proc\/f2b-sophosxg-state/);
    } finally {
      cleanup();
    }
  });

  it("read-only state directory → non-zero exit, journal untouched", async (t) => {
    const { dir, cleanup } = tempDir("f2b-store");
    const mountPoint = join(dir, "ro");
    if (!tryMount(mountPoint, "size=64k,mode=0700")) {
      cleanup();
      t.skip("cannot mount a tmpfs here (needs root)");
      return;
    }
    try {
      const stateDir = join(mountPoint, "state");
      mkdirSync(stateDir);
      writeFileSync(join(stateDir, "journal.jsonl"), "");
      assert.equal(spawnSync("mount", ["-o", "remount,ro", mountPoint]).status, 0);
      const r = await banWith(dir, stateDir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot lock the journal|cannot write the journal/);
      assert.match(r.stderr, /read-only|EROFS/);
      assert.equal(readFileSync(join(stateDir, "journal.jsonl"), "utf8"), "");
    } finally {
      unmount(mountPoint);
      cleanup();
    }
  });

  it("disk full → non-zero exit, no half record, the journal still loads and accepts later", async (t) => {
    const { dir, cleanup } = tempDir("f2b-store");
    const mountPoint = join(dir, "full");
    if (!tryMount(mountPoint, "size=64k,mode=0700")) {
      cleanup();
      t.skip("cannot mount a tmpfs here (needs root)");
      return;
    }
    try {
      const stateDir = join(mountPoint, "state");
      mkdirSync(stateDir);
      // A journal that fills its last page exactly, so the next record needs a new block.
      const first = `${JSON.stringify({ t: "ban", at: 1, jail: "old", target: "192.0.2.200", family: "IPv4", expiresAt: null })}\n`;
      const journalText = first + "\n".repeat(4096 - first.length);
      writeFileSync(join(stateDir, "journal.jsonl"), journalText);
      // Fill what is left but one page (the lock file needs it; it is freed again before the append).
      const { bavail, bsize } = statfsSync(mountPoint);
      writeFileSync(join(mountPoint, "filler"), Buffer.alloc(Math.max(0, (bavail - 1) * bsize)));
      const r = await banWith(dir, stateDir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ENOSPC|no space/i);
      assert.match(r.stderr, /free disk space/);
      console.log(`# disk full: ${r.stderr.trim()}`);
      assert.equal(readFileSync(join(stateDir, "journal.jsonl"), "utf8"), journalText, "no half record");
      // Space again: the next command works, and the earlier hold is intact.
      spawnSync("rm", [join(mountPoint, "filler")]);
      const ok = await banWith(dir, stateDir);
      assert.equal(ok.code, 0, ok.stderr);
      const lines = readFileSync(join(stateDir, "journal.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
      assert.ok(lines.some((l) => l.includes("192.0.2.200")));
      assert.ok(lines.some((l) => l.includes('"target":"192.0.2.1"')));
    } finally {
      unmount(mountPoint);
      cleanup();
    }
  });
});
