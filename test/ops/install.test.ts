/**
 * `install --root DIR`: every file in place with its mode, the config never overwritten, a second
 * run changes nothing and says so, --dry-run writes nothing, and the installed program runs
 * (through the bin symlink: --version, the emulator, and install again from the installed copy).
 * The bouncer's unit only with a `crowdsec` section in the config (or once installed), and a
 * `skipped` line saying why otherwise.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { CONFIG_TEMPLATE } from "../../src/ops/install.ts";
import { REPO, runCli, tempDir } from "../support/harness.ts";
import { runUntilReady } from "./fixtures.ts";

const tmp = tempDir("f2b-install");
after(() => tmp.cleanup());

const BOUNCER_UNIT = "etc/systemd/system/f2b-sophosxg-bouncer.service";

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
  [
    "usr/local/lib/f2b-sophosxg/systemd/f2b-sophosxg-bouncer.service",
    0o644,
    "systemd/f2b-sophosxg-bouncer.service",
  ],
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
  assert.equal(
    lines.length,
    FILES.length + 3,
    "one line per file, the bin link, the bouncer's unit (skipped), a summary",
  );
  for (const [path] of FILES)
    assert.match(result.stdout, new RegExp(`^would be created +${join(root, path)}`, "m"));
  assert.match(
    result.stdout,
    new RegExp(`^skipped +${join(root, BOUNCER_UNIT)} \\(no "crowdsec" section`, "m"),
  );
  assert.match(lines.at(-1) ?? "", /dry run, 16 file\(s\) would change, nothing was written/);
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
  assert.ok(!existsSync(join(root, BOUNCER_UNIT)), "no bouncer unit without a crowdsec section");

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

/** The lines of a unit file that are settings (no comments, no blanks). */
function settings(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

test("a config with a crowdsec section gets the bouncer's unit: ordered after crowdsec, hardened like the agent's, kept current", async () => {
  const root = join(tmp.dir, "bouncer");
  const config = join(root, "etc/f2b-sophosxg/config.json");
  const unit = join(root, BOUNCER_UNIT);
  // The operator's config, as docs/crowdsec.md writes it (install reads it, never rewrites it).
  const operator = `${JSON.stringify({
    url: "https://fw:4444",
    crowdsec: { lapi_url: "http://127.0.0.1:8080", api_key_file: "/etc/f2b-sophosxg/crowdsec.key" },
  })}\n`;
  mkdirSync(dirname(config), { recursive: true, mode: 0o700 });
  writeFileSync(config, operator, { mode: 0o600 });

  const dry = await runCli(["install", "--root", root, "--dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    new RegExp(`^would be created +${unit} \\(mode 0644\\); the CrowdSec bouncer`, "m"),
  );
  assert.ok(!existsSync(unit), "--dry-run writes nothing");

  const first = await runCli(["install", "--root", root]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    new RegExp(`^created +${unit} \\(mode 0644\\); .*systemctl enable --now f2b-sophosxg-bouncer`, "m"),
  );
  assert.equal(statSync(unit).mode & 0o777, 0o644);
  const text = readFileSync(unit, "utf8");
  assert.equal(text, readFileSync(join(REPO, "systemd/f2b-sophosxg-bouncer.service"), "utf8"));
  assert.equal(readFileSync(config, "utf8"), operator, "the config is untouched");
  // What the unit says, setting by setting.
  const lines = settings(text);
  assert.ok(
    lines.includes(
      "ExecStart=/usr/local/bin/f2b-sophosxg bouncer --configfile /etc/f2b-sophosxg/config.json",
    ),
  );
  assert.match(text, /^After=.*\bcrowdsec\.service\b/m);
  assert.match(text, /^After=.*\bnetwork-online\.target\b/m);
  assert.match(text, /^Wants=.*\bcrowdsec\.service\b/m, "a local LAPI is pulled in");
  assert.doesNotMatch(text, /^(Requires|BindsTo|PartOf)=/m, "a crowdsec restart must not stop the bouncer");
  assert.ok(lines.includes("Conflicts=f2b-sophosxg.service"), "one agent per state directory");
  // Every sandboxing and stop setting of the agent's unit is in the bouncer's.
  const agent = settings(readFileSync(join(REPO, "systemd/f2b-sophosxg.service"), "utf8"));
  const from = agent.indexOf("[Service]");
  for (const line of agent.slice(from)) {
    if (line.startsWith("ExecStart=")) continue;
    assert.ok(lines.includes(line), `the bouncer's unit has ${line}`);
  }

  const second = await runCli(["install", "--root", root]);
  assert.match(second.stdout, new RegExp(`^unchanged +${unit}`, "m"));
  assert.match(second.stdout, /^install: nothing to do, everything is in place$/m);

  // An edited unit is put back and the line says so (local changes belong in a drop-in).
  writeFileSync(unit, text.replace("RestartSec=5s", "RestartSec=1s"));
  const third = await runCli(["install", "--root", root]);
  assert.match(
    third.stdout,
    new RegExp(
      `^updated +${unit} .*replaced \\(keep changes in a drop-in: systemctl edit f2b-sophosxg-bouncer\\); then systemctl daemon-reload$`,
      "m",
    ),
  );
  assert.equal(readFileSync(unit, "utf8"), text);

  // Once installed, the unit is kept current even when the config loses its section (an
  // upgrade must not leave an enabled unit on old paths); install never removes it.
  writeFileSync(config, '{"url":"https://fw:4444"}\n');
  writeFileSync(unit, "# old\n");
  const fourth = await runCli(["install", "--root", root]);
  assert.match(fourth.stdout, new RegExp(`^updated +${unit}`, "m"));
  assert.equal(readFileSync(unit, "utf8"), text);
});

test("without a crowdsec section, or with a config that is not JSON, the bouncer's unit is skipped and the line says why", async () => {
  const root = join(tmp.dir, "no-bouncer");
  const config = join(root, "etc/f2b-sophosxg/config.json");
  mkdirSync(dirname(config), { recursive: true, mode: 0o700 });
  writeFileSync(config, '{"url": "https://fw:4444",', { mode: 0o600 });
  const broken = await runCli(["install", "--root", root]);
  assert.equal(broken.code, 0, broken.stderr);
  assert.match(
    broken.stdout,
    new RegExp(
      `^skipped +${join(root, BOUNCER_UNIT)} \\(${config} is not valid JSON .*run install again\\)$`,
      "m",
    ),
  );
  assert.ok(!existsSync(join(root, BOUNCER_UNIT)));
  const again = await runCli(["install", "--root", root]);
  assert.match(again.stdout, /^install: nothing to do, everything is in place$/m, "a skip is not a change");
});
