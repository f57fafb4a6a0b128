/**
 * `f2b-sophosxg probe` against the emulator under each shipped profile and two pessimistic ones:
 * it must report exactly the profile's behaviour (it measures rather than assumes), its report
 * loaded back with --profile must give the same answers, and the firewall must be left exactly
 * as it was (our ban objects, other prefixes and look-alike names untouched), also when the run
 * is interrupted with SIGTERM or killed with SIGKILL and run again.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  type BehaviourSwitches,
  DEFAULT_BEHAVIOUR,
  type EmulatorProfile,
  loadProfile,
  parseProfile,
  type RunningEmulator,
  withProfile,
} from "../../src/emulator/index.ts";
import type { StoreSnapshot } from "../../src/emulator/store.ts";
import { runProbeCommand } from "../../src/probe/command.ts";
import type { ProbeReport } from "../../src/probe/report.ts";
import { CLI, REPO, runCli, startFirewall, TEST_PASSWORD, tempDir, writeConfig } from "../support/harness.ts";

const temp = tempDir("f2b-probe");
const open: RunningEmulator[] = [];
after(async () => {
  await Promise.all(open.map((e) => e.close()));
  temp.cleanup();
});

/** What was there before the probe: a ban object of ours, another prefix, a look-alike name. */
const EXISTING: Partial<StoreSnapshot> = {
  groups: [{ name: "fail2ban", ipFamily: "IPv4", description: "", hosts: ["f2b_192.0.2.9"] }],
  hosts: [
    {
      name: "f2b_192.0.2.9",
      ipFamily: "IPv4",
      hostType: "IP",
      ipAddress: "192.0.2.9",
      hostGroups: ["fail2ban"],
    },
    { name: "other_probe_h1", ipFamily: "IPv4", hostType: "IP", ipAddress: "198.51.100.1", hostGroups: [] },
    { name: "x_f2b_probe_h1", ipFamily: "IPv4", hostType: "IP", ipAddress: "198.51.100.2", hostGroups: [] },
  ],
};

/** Switches a probe cannot or must not measure on a real firewall. */
const UNMEASURED: Array<keyof BehaviourSwitches> = ["loginLockout", "removeGroupWithHostList"];

function expectedBehaviour(profile: EmulatorProfile): Record<string, unknown> {
  const full: Record<string, unknown> = { ...DEFAULT_BEHAVIOUR, ...profile.behaviour };
  for (const key of UNMEASURED) delete full[key];
  // The URL cap is only measured where GET is answered at all.
  if (full.getRequests === "refuse") delete full.maxUrlBytes;
  return full;
}

const PESSIMISTIC: Record<string, EmulatorProfile> = {
  "pessimistic-a": {
    apiVersion: "1905.3",
    behaviour: {
      removeMember: 504,
      updateMissing: "add",
      ipv6Subnet: "mask",
      echoTransactionId: false,
      tagCase: "insensitive",
      getRequests: "refuse",
      invalidEnumCode: 500,
      rejectDuplicateAddress: true,
      removeMissingGroupCode: 500,
      unmodelledGet: "transaction-fail",
      noRecordsText: "Number of records Zero.",
      missingGroupCode: 501,
      ipListMax: 1001,
    },
  },
  "pessimistic-b": {
    behaviour: { removeMember: "allow", ipv6Subnet: "prefix", maxUrlBytes: 4096, updateMissing: 510 },
  },
};

async function profiles(): Promise<Array<[string, EmulatorProfile]>> {
  const shipped = await Promise.all(
    ["sfos-20", "sfos-22"].map(
      async (name) =>
        [name, await loadProfile(join(REPO, "profiles", `${name}.json`))] as [string, EmulatorProfile],
    ),
  );
  return [...shipped, ...Object.entries(PESSIMISTIC)];
}

async function firewall(profile: EmulatorProfile, latency = { timeScale: 0 }): Promise<RunningEmulator> {
  const emu = await startFirewall(withProfile(profile, { latency }));
  open.push(emu);
  await emu.seed(EXISTING);
  return emu;
}

function sorted(snapshot: StoreSnapshot): StoreSnapshot {
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return { hosts: [...snapshot.hosts].sort(byName), groups: [...snapshot.groups].sort(byName) };
}

async function probeInProcess(
  emu: RunningEmulator,
  label: string,
): Promise<{ code: number; report: ProbeReport; out: string[] }> {
  const dir = join(temp.dir, label);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  const config = writeConfig(dir, emu);
  const json = join(dir, "probe-result.json");
  const out: string[] = [];
  const code = await runProbeCommand(
    ["--configfile", config, "--yes", "--interval-ms", "0", "--json", json],
    {
      stdout: (l) => out.push(l),
      stderr: (l) => out.push(l),
    },
  );
  return { code, report: JSON.parse(readFileSync(json, "utf8")) as ProbeReport, out };
}

describe("probe measures each profile and leaves nothing behind", async () => {
  for (const [name, profile] of await profiles()) {
    test(name, async () => {
      const emu = await firewall(profile);
      const before = sorted(emu.snapshot());
      const started = Date.now();
      const { code, report, out } = await probeInProcess(emu, name);
      const ms = Date.now() - started;
      assert.equal(code, 0, out.join("\n"));
      assert.equal(report.complete, true);
      assert.deepEqual(report.leftBehind, []);
      assert.deepEqual(
        report.profile.behaviour,
        expectedBehaviour(profile),
        "the probe reports the profile's behaviour",
      );
      assert.equal(report.profile.apiVersion, profile.apiVersion ?? "2000.2");
      assert.deepEqual(sorted(emu.snapshot()), before, "the firewall is as it was");
      const text = JSON.stringify(report);
      assert.ok(!text.includes(TEST_PASSWORD), "no password in the report");
      assert.ok(!text.includes(emu.url) && !text.includes("127.0.0.1"), "no firewall address in the report");
      assert.ok(
        !/admin_|apiconfig_|other_probe|x_f2b_probe|192\.0\.2\.9/.test(text),
        "no foreign object in the report",
      );
      console.log(`# probe against ${name}: ${ms} ms, ${emu.counters.requests} requests`);

      // Round trip: the report as a profile gives a firewall the probe measures the same.
      const again = await firewall(parseProfile(report, "probe-result.json"));
      const second = await probeInProcess(again, `${name}-again`);
      assert.equal(second.code, 0, second.out.join("\n"));
      assert.deepEqual(second.report.profile.behaviour, report.profile.behaviour);
      assert.deepEqual(
        second.report.steps.map((s) => [s.id, s.code, s.text, s.facts?.echoed, s.facts?.get]),
        report.steps.map((s) => [s.id, s.code, s.text, s.facts?.echoed, s.facts?.get]),
      );
    });
  }
});

describe("probe command line", () => {
  test("without --yes it refuses, exits 2 and sends nothing; --dry-run prints the plan", async () => {
    const emu = await firewall({});
    const config = writeConfig(join(temp.dir, "refuse"), emu);
    const refused = await runCli(["probe", "--configfile", config]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /without --yes; nothing was sent/);
    const plan = await runCli(["probe", "--configfile", config, "--dry-run"]);
    assert.equal(plan.code, 0);
    assert.match(plan.stdout, /f2b_probe_h1/);
    assert.equal(emu.counters.requests, 0);
  });

  test("--profile-out writes the profile alone, which emulator --profile accepts", async () => {
    const emu = await firewall({});
    const dir = join(temp.dir, "profile-out");
    const config = writeConfig(dir, emu);
    const out = join(dir, "profile.json");
    const run = await runCli([
      "probe",
      "--configfile",
      config,
      "--yes",
      "--interval-ms",
      "0",
      "--profile-out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /removeMember = 510/);
    assert.ok(!run.stdout.includes(TEST_PASSWORD) && !run.stderr.includes(TEST_PASSWORD));
    const profile = await loadProfile(out);
    assert.equal(profile.behaviour?.echoTransactionId, true);
  });
});

/** Starts the built CLI's probe; resolves its exit once it ends. */
function spawnProbe(config: string) {
  const child = spawn(
    process.execPath,
    [CLI, "probe", "--configfile", config, "--yes", "--interval-ms", "5"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, output })),
  );
  return { child, exited };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const probeObjects = (emu: RunningEmulator) =>
  [...emu.snapshot().hosts, ...emu.snapshot().groups].filter((o) => o.name.startsWith("f2b_probe_")).length;

describe("interrupted probes", () => {
  test("SIGTERM mid-run: the probe cleans up and exits 1", async () => {
    const emu = await firewall({}, { timeScale: 1 });
    emu.setLatency({ writeMs: 20, readMs: 5 });
    const before = sorted(emu.snapshot());
    const config = writeConfig(join(temp.dir, "sigterm"), emu);
    const { child, exited } = spawnProbe(config);
    await until(() => probeObjects(emu) >= 50, "the 100-host write");
    child.kill("SIGTERM");
    const { code, output } = await exited;
    assert.equal(code, 1, output);
    assert.match(output, /interrupted \(SIGTERM\)/);
    assert.deepEqual(sorted(emu.snapshot()), before);
  });

  test("SIGKILL at random points: the next run removes what was left", async () => {
    const emu = await firewall({}, { timeScale: 1 });
    emu.setLatency({ writeMs: 3, readMs: 1 });
    const before = sorted(emu.snapshot());
    const config = writeConfig(join(temp.dir, "sigkill"), emu);
    for (let round = 0; round < 3; round++) {
      const start = emu.counters.requests;
      const at = start + 3 + Math.floor(Math.random() * 20);
      const { child, exited } = spawnProbe(config);
      await until(() => emu.counters.requests >= at || child.exitCode !== null, `request ${at}`);
      child.kill("SIGKILL");
      await exited;
    }
    const { child, exited } = spawnProbe(config);
    void child;
    const last = await exited;
    assert.equal(last.code, 0, last.output);
    assert.deepEqual(sorted(emu.snapshot()), before);
  });

  test("a login refused after a successful one stops the probe at once (lockout); the next run cleans up", async () => {
    const emu = await firewall(
      { behaviour: { loginLockout: { failures: 1, minutes: 1 } } },
      { timeScale: 1 },
    );
    emu.setLatency({ writeMs: 20 });
    const before = sorted(emu.snapshot());
    const config = writeConfig(join(temp.dir, "lockout"), emu);
    const { exited } = spawnProbe(config);
    await until(() => probeObjects(emu) >= 1, "the first probe object");
    await emu.setFaults({ wrongCredentials: true });
    const { code, output } = await exited;
    assert.equal(code, 1);
    assert.match(output, /lockout/);
    const requestsAfterRefusal = emu.requestLog().filter((r) => r.outcome === "auth-failure").length;
    assert.equal(requestsAfterRefusal, 1, "no request after the refused login");
    await emu.reset({ objects: false });
    const next = await runCli(["probe", "--configfile", config, "--yes", "--interval-ms", "0"]);
    assert.equal(next.code, 0, next.stderr + next.stdout);
    assert.deepEqual(sorted(emu.snapshot()), before);
  });
});
