/**
 * The model-based property of model.test.ts, rerun against the emulator under each shipped
 * profile and under the pessimistic switches a real firewall may have (removal of a member
 * refused with 504, IPv6 Subnet only as a mask, only as a prefix, a duplicate address refused):
 * whatever a firmware does among the known possibilities, bans must still land. Each set runs
 * model.test.ts in a child process (F2B_MODEL_EMULATOR carries the emulator options).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type EmulatorOptions, loadProfile, withProfile } from "../../src/emulator/index.ts";
import { REPO } from "../support/harness.ts";

const RUNS = process.env.F2B_MODEL_PROFILE_RUNS ?? "6";

function runModel(
  options: EmulatorOptions,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  // Without this, node:test in the child sees it runs inside a test and skips the file.
  const { NODE_TEST_CONTEXT: _inside, ...parentEnv } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--test", join(REPO, "test/action/model.test.ts")],
      {
        cwd: REPO,
        env: { ...parentEnv, F2B_MODEL_EMULATOR: JSON.stringify(options), F2B_MODEL_RUNS: RUNS, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

function failures(output: string): string {
  return output
    .split("\n")
    .filter((l) => /not ok|Counterexample|AssertionError|expected|actual/.test(l))
    .slice(0, 20)
    .join("\n");
}

/** The child really ran the property (at least one passing test, none failed). */
function assertRan(output: string): void {
  const passed = Number(/^# pass (\d+)$/m.exec(output)?.[1] ?? 0);
  assert.ok(passed > 0, `the model test did not run:\n${output.slice(-500)}`);
  assert.match(output, /^# fail 0$/m);
}

describe("the model property under each shipped profile", () => {
  for (const name of ["sfos-20", "sfos-22"]) {
    test(name, async () => {
      const options = withProfile(await loadProfile(join(REPO, "profiles", `${name}.json`)), {
        latency: { timeScale: 0 },
      });
      const { code, output } = await runModel(options);
      assert.equal(code, 0, failures(output));
      assertRan(output);
    });
  }
});

describe("the model property under pessimistic switches", () => {
  const sets: Array<[string, EmulatorOptions, Record<string, string>]> = [
    ["member removal refused with 504", { behaviour: { removeMember: 504, updateMissing: 500 } }, {}],
    ["IPv6 Subnet only as a mask", { behaviour: { ipv6Subnet: "mask" } }, {}],
    ["IPv6 Subnet only as a prefix length", { behaviour: { ipv6Subnet: "prefix" } }, {}],
    // Both layouts: in iplist, shards emptied together must not become the same list.
    ["a duplicate address refused", { behaviour: { rejectDuplicateAddress: true } }, {}],
  ];
  for (const [name, options, env] of sets) {
    test(name, async () => {
      const { code, output } = await runModel(options, env);
      assert.equal(code, 0, failures(output));
      assertRan(output);
    });
  }
});
