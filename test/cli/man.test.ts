/**
 * The manual page (dist/f2b-sophosxg.1, built from the command table) names every command and
 * option, and groff renders it without a warning.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { OPTION_NAMES } from "../../src/cli/options.ts";
import { COMMANDS } from "../../src/cli/table.ts";
import { REPO } from "../support/harness.ts";

const MANUAL = join(REPO, "dist", "f2b-sophosxg.1");
const roff = (text: string) => text.replaceAll("-", "\\-");

test("the manual names every command of the table and every option", () => {
  const page = readFileSync(MANUAL, "utf8");
  assert.match(page, /^\.TH F2B\\-SOPHOSXG 1 /);
  for (const command of COMMANDS) {
    assert.ok(page.includes(`.TP\n\\fB${roff(command.name)}\\fR`), `command ${command.name}`);
    assert.ok(page.includes(roff(command.help)), `help of ${command.name}`);
  }
  for (const name of OPTION_NAMES) assert.ok(page.includes(`\\fB${roff(`--${name}`)}\\fR`), `--${name}`);
});

test("groff renders the manual without warnings", (t) => {
  const probe = spawnSync("groff", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    if (process.env.CI === "true") assert.fail("groff not installed (apt-get install groff-base)");
    t.skip("skipped: groff not installed (apt-get install groff-base)");
    return;
  }
  const rendered = spawnSync("groff", ["-man", "-Tutf8", "-ww", "-z", MANUAL], { encoding: "utf8" });
  assert.equal(rendered.status, 0, rendered.stderr);
  assert.equal(rendered.stderr, "", "no warnings");
  const text = spawnSync("groff", ["-man", "-Tutf8", "-P-cbou", MANUAL], { encoding: "utf8" }).stdout;
  for (const command of COMMANDS)
    assert.match(text, new RegExp(`^ {7}${command.name}\\b`, "m"), command.name);
});
