/**
 * The command line as Fail2ban and people use it (the built CLI, as a process): --help,
 * --version, --dry-run, and everything that must be refused with exit 2 before a single request
 * is sent (bad --ip, unresolved tags, metacharacters, control characters, bad config).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { runCli, startFirewall, TEST_PASSWORD, tempDir, writeConfig } from "../support/harness.ts";

let emu: RunningEmulator;
let config: string;
const dirs = tempDir("f2b-cli");

before(async () => {
  emu = await startFirewall({ seedForeign: 10 });
  config = writeConfig(dirs.dir, emu);
});
after(async () => {
  await emu?.close();
  dirs.cleanup();
});
beforeEach(async () => {
  await emu.reset({ objects: false });
});

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

test("--help and -h print the usage with the six actions and the exit codes, exit 0, send nothing", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: f2b-sophosxg <command>/);
    for (const action of ["start", "stop", "check", "ban", "unban", "flush"]) {
      assert.match(r.stdout, new RegExp(`\\n  ${action} `), action);
    }
    for (const option of [
      "--ip",
      "--configfile",
      "--jail",
      "--family",
      "--time",
      "--bantime",
      "--restored",
      "--dry-run",
    ]) {
      assert.ok(r.stdout.includes(option), option);
    }
    assert.match(r.stdout, /Exit codes: 0 .*1 .*2 /);
    assert.equal(r.stderr, "");
  }
  assert.equal(emu.counters.requests, 0);
});

test("--version prints the package version only", async () => {
  const { version } = (await import("../../package.json", { with: { type: "json" } })).default;
  for (const flag of ["--version", "-V"]) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${version}\n`);
  }
});

test("ban --dry-run prints the request XML with the password masked, sends and journals nothing", async () => {
  const r = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", config, "--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /<Request><Login><Username>apiuser<\/Username><Password>\*\*\*<\/Password><\/Login>/,
  );
  assert.match(r.stdout, /<Set[^>]*><IPHost><Name>f2b_192\.0\.2\.1<\/Name>/);
  assert.match(r.stdout, /<HostGroup>fail2ban<\/HostGroup>/);
  assert.match(r.stdout, /dry run: nothing was sent/);
  assert.ok(!r.stdout.includes(TEST_PASSWORD) && !r.stderr.includes(TEST_PASSWORD));
  assert.ok(!r.stdout.includes("Mk9"), "no part of the password");
  assert.equal(emu.counters.requests, 0);
  const status = await runCli(["status", "--configfile", config]);
  assert.match(status.stdout, /0 banned target\(s\), 0 journal record\(s\)/);
});

test("unban, start, check and flush --dry-run send nothing and exit 0", async () => {
  const unban = await runCli(["unban", "--ip", "2001:db8::1", "--configfile", config, "--dry-run"]);
  assert.equal(unban.code, 0);
  assert.match(unban.stdout, /<Remove><IPHost><Name>f2b_2001_db8__1<\/Name><\/IPHost><\/Remove>/);
  assert.match(unban.stdout, /<Password>\*\*\*<\/Password>/);
  const start = await runCli(["start", "--configfile", config, "--dry-run"]);
  assert.equal(start.code, 0);
  assert.match(start.stdout, /<Set operation="add"><IPHostGroup><Name>fail2ban<\/Name><IPFamily>IPv4/);
  assert.match(start.stdout, /<IPHostGroup><Name>fail2ban_v6<\/Name><IPFamily>IPv6/);
  const check = await runCli(["check", "--configfile", config, "--dry-run"]);
  assert.equal(check.code, 0, check.stdout);
  assert.match(check.stdout, /dry run/);
  const flush = await runCli(["flush", "--configfile", config, "--dry-run"]);
  assert.equal(flush.code, 0);
  assert.match(flush.stdout, /dry run/);
  for (const r of [unban, start, check, flush]) assert.ok(!`${r.stdout}${r.stderr}`.includes(TEST_PASSWORD));
  assert.equal(emu.counters.requests, 0);
  assert.equal(
    emu.snapshot().groups.some((g) => g.name === "fail2ban"),
    false,
  );
});

const BAD_INPUT: { args: string[]; message: RegExp }[] = [
  { args: ["ban"], message: /ban needs --ip/ },
  { args: ["unban"], message: /unban needs --ip/ },
  { args: ["ban", "--ip", ""], message: /no address given/ },
  { args: ["ban", "--ip", "<ip>"], message: /unresolved Fail2ban tag/ },
  { args: ["unban", "--ip", "<ip>"], message: /unresolved Fail2ban tag/ },
  { args: ["ban", "--ip", "192.0.2.1;id"], message: /metacharacter/ },
  { args: ["ban", "--ip", "$(reboot)"], message: /metacharacter|not/ },
  { args: ["ban", "--ip", "192.0.2.1 192.0.2.2"], message: /metacharacter/ },
  { args: ["ban", "--ip", "192.0.2.1\n"], message: /control character/ },
  { args: ["ban", "--ip", "192.0.2.1\u001b[0m"], message: /control character/ },
  { args: ["ban", "--ip", "\t192.0.2.1"], message: /control character/ },
  { args: ["ban", "--ip", "300.1.2.3"], message: /not a valid IPv4 address/ },
  { args: ["ban", "--ip", "example.com"], message: /host name/ },
  { args: ["ban", "--ip", "192.0.2.1", "--jail", "<name>"], message: /not a jail name/ },
  { args: ["ban", "--ip", "192.0.2.1", "--jail", "a;b"], message: /not a jail name/ },
  { args: ["ban", "--ip", "192.0.2.1", "--family", "inet6"], message: /IPv4, but --family/ },
  { args: ["ban", "--ip", "192.0.2.1", "--time", "<time>"], message: /not a/ },
  { args: ["ban", "--ip", "192.0.2.1", "--bantime", "soon"], message: /not a/ },
  { args: ["ban", "--ip", "192.0.2.1", "--bogus"], message: /bogus/ },
  { args: ["ban", "--ip", "192.0.2.1", "extra"], message: /unexpected argument/ },
  { args: ["start", "--ip", "192.0.2.1"], message: /only for ban and unban/ },
  { args: ["nonsense"], message: /unknown command/ },
  { args: [], message: /no command given/ },
];

test("bad input exits 2 with one clear line and nothing is sent", async () => {
  for (const { args, message } of BAD_INPUT) {
    const r = await runCli([...args, "--configfile", config]);
    const label = JSON.stringify(args);
    assert.equal(r.code, 2, `${label}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, "", label);
    assert.equal(lines(r.stderr).length, 1, `${label}: ${r.stderr}`);
    assert.match(r.stderr, message, label);
    assert.equal(emu.counters.requests, 0, `${label} sent a request`);
  }
  const status = await runCli(["status", "--configfile", config]);
  assert.match(status.stdout, /0 journal record\(s\)/, "nothing was journaled");
});

test("an odd --restored (informational only) never drops the ban", async () => {
  for (const restored of ["2", "<restored>", "yes"]) {
    const r = await runCli(["ban", "--ip", "192.0.2.1", "--restored", restored, "--configfile", config]);
    assert.equal(r.code, 0, `${restored}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /ban 192\.0\.2\.1 .*journaled/, restored);
  }
});

test("an --configfile that is an unresolved tag, or missing, exits 2 before anything is sent", async () => {
  const tag = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", "<configfile>"]);
  assert.equal(tag.code, 2);
  assert.match(tag.stderr, /not a path/);
  const missing = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", join(dirs.dir, "nope.json")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json/);
  assert.equal(emu.counters.requests, 0);
});

test("config problems: one line per problem, exit 2, nothing sent", async () => {
  const cases: { overrides: Record<string, unknown>; problems: RegExp[] }[] = [
    { overrides: { colour: "blue" }, problems: [/"colour"/] },
    { overrides: { verifySslCertificate: "no" }, problems: [/"verifySslCertificate".*true or false/] },
    { overrides: { url: "http://127.0.0.1:1" }, problems: [/"url"/] },
    { overrides: { iphost_prefix: "" }, problems: [/"iphost_prefix"/] },
    { overrides: { iphost_prefix: "a:b" }, problems: [/"iphost_prefix"/] },
    { overrides: { iphost_prefix: "#f2b_" }, problems: [/"iphost_prefix"/] },
    {
      overrides: { colour: "blue", max_entities_per_request: "many", iphost_prefix: "x".repeat(40) },
      problems: [/"colour"/, /"max_entities_per_request"/, /"iphost_prefix"/],
    },
  ];
  for (const [i, { overrides, problems }] of cases.entries()) {
    const dir = join(dirs.dir, `bad-${i}`);
    const path = writeConfig(dir, emu, overrides);
    for (const command of [["ban", "--ip", "192.0.2.1"], ["start"], ["check"]]) {
      const r = await runCli([...command, "--configfile", path]);
      const label = `${JSON.stringify(overrides)} ${command[0]}`;
      assert.equal(r.code, 2, `${label}: ${r.stderr}`);
      const err = lines(r.stderr);
      // A headline, then one line per problem.
      assert.match(
        err[0]!,
        new RegExp(`${problems.length === 1 ? "1 problem" : `${problems.length} problems`}`),
        label,
      );
      assert.equal(err.length, 1 + problems.length, `${label}: ${r.stderr}`);
      problems.forEach((p, k) => {
        assert.ok(
          err.slice(1).some((line) => p.test(line)),
          `${label}: no line for ${p} (${err[k + 1]})`,
        );
      });
      assert.ok(!r.stderr.includes(TEST_PASSWORD));
    }
  }
  // Not JSON at all.
  const broken = join(dirs.dir, "broken.json");
  writeFileSync(broken, "{ url: nope", { mode: 0o600 });
  const r = await runCli(["ban", "--ip", "192.0.2.1", "--configfile", broken]);
  assert.equal(r.code, 2);
  assert.equal(emu.counters.requests, 0);
});
