/**
 * `--help` is derived from the command table: a golden copy makes every change to it visible in
 * review (regenerate with `node dist/f2b-sophosxg.mjs --help > test/fixtures/cli/help.txt`).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { COMMANDS } from "../../src/cli/table.ts";
import { REPO, runCli } from "../support/harness.ts";

const GOLDEN = join(REPO, "test", "fixtures", "cli", "help.txt");

test("--help is exactly the golden copy", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(GOLDEN, "utf8"));
});

test("every command of the table has its line in --help, under its section", async () => {
  const { stdout } = await runCli(["--help"]);
  const [hooks, rest] = stdout.split("\nOperations:\n");
  for (const command of COMMANDS) {
    const section = command.hook ? hooks : rest;
    assert.match(
      section ?? "",
      new RegExp(`^  ${command.name}\\b.* ${escapeRegExp(command.help)}$`, "m"),
      command.name,
    );
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
