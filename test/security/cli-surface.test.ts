/**
 * The whole CLI surface, run as the built program with a marker password: every command and the
 * flag combinations that make sense, against a firewall that is up, down, refusing the login,
 * presenting another certificate, with the API disabled, and with good and bad configs (the
 * password inline, in a file, in the environment). Every byte of stdout and stderr is searched
 * for the password, its XML-escaped, URL-encoded and JSON-escaped forms, and distinctive pieces.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { fail2banDir, runUntilReady } from "../ops/fixtures.ts";
import {
  CLI,
  type CliResult,
  runCli,
  startFirewall,
  TEST_PASSWORD,
  tempDir,
  writeConfig,
} from "../support/harness.ts";
import { assertNoSecret } from "./marker.ts";

let emu: RunningEmulator;
const tmp = tempDir("f2b-surface");
const runs: Array<{ label: string; result: CliResult }> = [];

before(async () => {
  emu = await startFirewall({ seedForeign: 2 });
});
after(async () => {
  await emu.close();
  tmp.cleanup();
});

async function run(label: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runCli(args, {
    env: { F2B_SOPHOSXG_FAIL2BAN_DIR: join(tmp.dir, "fail2ban"), ...env },
  });
  runs.push({ label, result });
  assertNoSecret(`${label} (exit ${result.code})`, result.stdout + result.stderr);
  assert.notEqual(result.signal, "SIGKILL", `${label} hung`);
  return result;
}

function configs(): Record<string, { path: string; env?: NodeJS.ProcessEnv }> {
  const make = (name: string, overrides: Record<string, unknown> = {}) =>
    writeConfig(join(tmp.dir, name), emu, overrides);
  const passFile = join(tmp.dir, "password.txt");
  writeFileSync(passFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  chmodSync(passFile, 0o600);
  return {
    inline: { path: make("inline") },
    file: { path: make("file", { pass: undefined, pass_file: passFile }) },
    env: {
      path: make("env", { pass: undefined, pass_env: "F2B_SURFACE_PW" }),
      env: { F2B_SURFACE_PW: TEST_PASSWORD },
    },
  };
}

const COMMANDS: string[][] = [
  ["start"],
  ["check"],
  ["ban", "--ip", "192.0.2.1", "--jail", "sshd", "--time", "1700000000", "--bantime", "600"],
  ["ban", "--ip", "2001:db8::1", "--jail", "sshd"],
  ["ban", "--ip", "198.51.100.0/24", "--jail", "sshd", "--dry-run"],
  ["unban", "--ip", "192.0.2.1", "--jail", "sshd"],
  ["unban", "--ip", "192.0.2.99", "--jail", "sshd", "--dry-run"],
  ["flush", "--jail", "sshd", "--family", "inet4"],
  ["flush"],
  ["sync"],
  ["sync", "--dry-run"],
  ["status"],
  ["status", "--json"],
  ["list"],
  ["list", "--json"],
  ["doctor"],
  ["stop", "--jail", "sshd"],
];

test("every command with each password source, firewall up", async () => {
  fail2banDir(tmp.dir, { jail: "[sshd]\nbanaction = sophosxg\n" });
  for (const [source, { path, env }] of Object.entries(configs())) {
    for (const command of COMMANDS) {
      await run(`${source}: ${command.join(" ")}`, [...command, "--configfile", path], env);
    }
  }
  // Sanity: the runs really talked to the firewall and worked.
  const ok = runs.filter((r) => r.result.code === 0).length;
  assert.ok(ok >= runs.length - 3, `most runs succeed (${ok}/${runs.length})`);
  assert.ok(emu.counters.operations.Set > 0);
});

test("help, version, usage errors and hostile input", async () => {
  const config = writeConfig(join(tmp.dir, "inline"), emu);
  const cases: string[][] = [
    [],
    ["--help"],
    ["-h"],
    ["--version"],
    ["nonsense"],
    ["ban"],
    ["ban", "--ip", "<ip>", "--configfile", config],
    ["ban", "--ip", "192.0.2.1; rm -rf /", "--configfile", config],
    ["ban", "--ip", "192.0.2.1</IPAddress><IPAddress>10.0.0.1", "--configfile", config],
    ["ban", "--ip", "0.0.0.0/0", "--configfile", config],
    ["ban", "--ip", "192.0.2.1", "--jail", "<name>", "--configfile", config],
    ["ban", "--ip", "192.0.2.1", "--time", "soon", "--configfile", config],
    ["flush", "--ip", "192.0.2.1", "--configfile", config],
    ["status", "--configfile", "<configfile>"],
    ["install", "--root", join(tmp.dir, "installroot"), "--dry-run"],
    ["--bogus-flag"],
  ];
  for (const args of cases) await run(`argv ${JSON.stringify(args)}`, args);
});

test("bad configs: the password never appears in the problems", async () => {
  const dir = join(tmp.dir, "bad");
  writeConfig(dir, emu);
  const write = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  const good = {
    url: emu.url,
    user: "apiuser",
    pass: TEST_PASSWORD,
    tls_pin_sha256: emu.fingerprint256,
    state_dir: join(dir, "state"),
  };
  const files = [
    write("open.json", JSON.stringify(good), 0o644),
    write("syntax.json", `{"pass": ${JSON.stringify(TEST_PASSWORD)}, oops}`),
    write("syntax2.json", `{"pass": "${TEST_PASSWORD}`),
    write("single.json", `{'pass': '${TEST_PASSWORD}'}`),
    write("typo.json", JSON.stringify({ ...good, pas: TEST_PASSWORD })),
    write("passtype.json", JSON.stringify({ ...good, pass: [TEST_PASSWORD] })),
    write("userpw.json", JSON.stringify({ ...good, user: TEST_PASSWORD })),
    write("two.json", JSON.stringify({ ...good, pass_env: "NOPE" })),
    write("newline.json", JSON.stringify({ ...good, pass: `${TEST_PASSWORD}\nsecond` })),
    write("url.json", JSON.stringify({ ...good, url: `https://apiuser:${TEST_PASSWORD}@fw:4444` })),
    write(
      "url2.json",
      JSON.stringify({ ...good, url: `https://fw:4444/?p=${encodeURIComponent(TEST_PASSWORD)}` }),
    ),
    write("passfile.json", JSON.stringify({ ...good, pass: undefined, pass_file: "missing.txt" })),
    write("passenv.json", JSON.stringify({ ...good, pass: undefined, pass_env: "F2B_UNSET_PW" })),
    write("array.json", JSON.stringify([TEST_PASSWORD])),
    write("empty.json", ""),
  ];
  const openPw = write("open-pw.txt", TEST_PASSWORD, 0o644);
  files.push(write("openpw.json", JSON.stringify({ ...good, pass: undefined, pass_file: openPw })));
  for (const file of files) {
    for (const command of [["ban", "--ip", "192.0.2.5"], ["status"], ["list"], ["doctor"], ["start"]]) {
      const result = await run(`${file}: ${command[0]}`, [...command, "--configfile", file]);
      // userpw.json is valid (a user name may hold any printable text); the rest are refused.
      if (command[0] !== "doctor" && !file.endsWith("userpw.json"))
        assert.equal(result.code, 2, `${file} ${command[0]}: ${result.stderr}`);
    }
  }
});

test("firewall down, wrong credentials, wrong pin, API disabled, caller refused, bad answers", async () => {
  const config = writeConfig(join(tmp.dir, "faults"), emu);
  const wrongPin = writeConfig(join(tmp.dir, "faults"), emu, { tls_pin_sha256: "cd".repeat(32) });
  const faults: Array<[string, Parameters<RunningEmulator["setFaults"]>[0]]> = [
    ["down", { down: true }],
    ["wrong credentials", { wrongCredentials: true }],
    ["api disabled", { apiDisabled: true }],
    ["caller refused", { callerNotAllowed: true }],
    ["status 529", { statusCode: 529, count: 1000, scope: "top" }],
    ["http 500", { statusCode: 500, count: 1000, scope: "http" }],
    ["reset", { reset: true }],
  ];
  const commands = [
    ["start"],
    ["ban", "--ip", "192.0.2.77", "--jail", "sshd"],
    ["unban", "--ip", "192.0.2.77", "--jail", "sshd"],
    ["sync"],
    ["list", "--json"],
    ["doctor"],
  ];
  for (const [label, fault] of faults) {
    await emu.reset({ objects: false });
    await emu.setFaults(fault);
    for (const command of commands)
      await run(`${label}: ${command[0]}`, [...command, "--configfile", config]);
  }
  await emu.reset({ objects: false });
  for (const command of commands)
    await run(`wrong pin: ${command[0]}`, [...command, "--configfile", wrongPin]);
  // Against a firewall whose password differs: the client's login fails with our marker in the request.
  const other = await startFirewall({ password: "another-password" });
  try {
    const otherConfig = writeConfig(join(tmp.dir, "other"), other);
    for (const command of commands)
      await run(`other password: ${command[0]}`, [...command, "--configfile", otherConfig]);
  } finally {
    await other.close();
  }
});

test("emulator start-up with the password from a file: the ready line does not show it", async () => {
  const file = join(tmp.dir, "emu-pw.txt");
  writeFileSync(file, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  const result = await runUntilReady(
    process.execPath,
    [CLI, "emulator", "--port", "0", "--password-file", file, "--user", "apiuser"],
    /emulator ready/,
  );
  assertNoSecret("emulator --password-file", result.stdout + result.stderr);
  const help = await runCli(["emulator", "--help"]);
  assertNoSecret("emulator --help", help.stdout + help.stderr);
});
