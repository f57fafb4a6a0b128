import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runEmulatorCommand } from "../../src/emulator/command.ts";
import { waitUntil } from "../support/wait.ts";
import { api, ipHostXml, startTestEmulator, statusesOf } from "./helpers.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) } };
}

describe("emulator command", () => {
  test("prints one ready line with url and sha256, stops on abort and returns 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emu-cmd-"));
    try {
      await writeFile(join(dir, "pw"), "file-password\n");
      const { out, err, io } = capture();
      const stop = new AbortController();
      const args = [
        "--port",
        "0",
        "--password-file",
        join(dir, "pw"),
        "--control-secret-file",
        join(dir, "secret"),
      ];
      const done = runEmulatorCommand(args, io, stop.signal);
      await waitUntil("the ready line is printed", () => out.length > 0, 2000);
      const line = out[0] ?? "";
      assert.match(
        line,
        /^f2b-sophosxg emulator ready url=https:\/\/127\.0\.0\.1:\d+ sha256=[0-9a-f]{64} control=\S+\/_emulator\/ \(control secret in .+\) \(sha256 = certificate SHA-256, 64 lowercase hex digits, no colons\)$/,
      );
      assert.equal(out.length, 1);
      assert.ok(!line.includes("file-password"));
      assert.match(await readFile(join(dir, "secret"), "utf8"), /^\S{20,}\n$/);
      stop.abort();
      assert.equal(await done, 0);
      assert.match(err.join("\n"), /stopped/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("usage errors go to stderr and return 2; --help prints usage", async () => {
    for (const args of [
      ["--bogus"],
      ["--port", "x"],
      ["--cert", "a"],
      ["--ipv6-subnet", "hex"],
      ["--update-missing", "maybe"],
    ]) {
      const { err, io } = capture();
      assert.equal(await runEmulatorCommand(args, io), 2, args.join(" "));
      assert.ok(err.length > 0);
    }
    const { out, io } = capture();
    assert.equal(await runEmulatorCommand(["--help"], io), 0);
    assert.match(out.join("\n"), /--latency-write-ms/);
  });

  test("--state persists objects atomically and loads them at start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emu-state-"));
    const statePath = join(dir, "state.json");
    try {
      const first = await startTestEmulator({ statePath });
      await api(
        first,
        `<Set><IPHostGroup><Name>g</Name><IPFamily>IPv4</IPFamily></IPHostGroup>${ipHostXml("a", "192.0.2.1", ["g"])}</Set>`,
      );
      await first.close();
      const saved = JSON.parse(await readFile(statePath, "utf8")) as { version: number; hosts: unknown[] };
      assert.equal(saved.version, 1);
      assert.equal(saved.hosts.length, 1);
      const second = await startTestEmulator({ statePath });
      try {
        assert.deepEqual(second.snapshot().groups[0]?.hosts, ["a"]);
        const doc = await api(second, "<Remove><IPHost><Name>a</Name></IPHost></Remove>");
        assert.equal(statusesOf(doc, "IPHost")[0]?.code, "510");
      } finally {
        await second.close();
      }
      await writeFile(statePath, "{oops");
      await assert.rejects(startTestEmulator({ statePath }), /not valid/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
