/**
 * `npm run package:deb` (scripts/package-deb.mjs) gives a Debian package with the right control
 * fields, every file in its place with its mode, the two conffiles, maintainer scripts that never
 * start anything, and the same bytes when built twice. Read back with dpkg-deb itself. Installing
 * it on real Debian systems is test/clean-system/ (run by .ci/run, not by npm test).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CONFIG_TEMPLATE } from "../../src/ops/install.ts";
import { REPO, tempDir } from "../support/harness.ts";

const MISSING = spawnSync("dpkg-deb", ["--version"]).status !== 0;
const SKIP_REASON = "skipped: dpkg-deb not installed (apt-get install dpkg)";
if (MISSING && process.env.CI === "true") {
  test("dpkg-deb is installed (required under CI=true)", () => {
    assert.fail("dpkg-deb not installed (apt-get install dpkg); under CI=true this is a failure");
  });
}

const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
const VERSION = `${pkg.version}-1`;
const tmp = tempDir("f2b-deb");
after(() => tmp.cleanup());

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

function buildDeb(out: string): string {
  // npm test has built dist/; --no-build packs it as it is.
  run(process.execPath, [join(REPO, "scripts", "package-deb.mjs"), "--no-build", "--out", out]);
  const debs = readdirSync(out).filter((f) => f.endsWith(".deb"));
  assert.deepEqual(debs, [`f2b-sophosxg_${VERSION}_all.deb`]);
  return join(out, debs[0] as string);
}

interface Entry {
  mode: string;
  owner: string;
  path: string;
  link?: string;
}

/** `dpkg-deb -c`: one entry per path, "./" stripped, directories without their trailing "/". */
function contents(deb: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const line of run("dpkg-deb", ["-c", deb]).trim().split("\n")) {
    const match = /^(\S+) (\S+)\s+\d+ \S+ \S+ \.\/(.*?)(?: -> (.*))?$/.exec(line);
    assert.ok(match, `unexpected dpkg-deb -c line: ${line}`);
    const [, mode = "", owner = "", path = "", link] = match;
    if (path === "") continue;
    entries.set(path.replace(/\/$/, ""), { mode, owner, path, ...(link ? { link } : {}) });
  }
  return entries;
}

describe("the Debian package", { skip: MISSING ? SKIP_REASON : false }, () => {
  let deb = "";
  let files = new Map<string, Entry>();
  const control = join(tmp.dir, "control");
  const data = join(tmp.dir, "data");

  before(() => {
    deb = buildDeb(join(tmp.dir, "out"));
    files = contents(deb);
    run("dpkg-deb", ["-e", deb, control]);
    run("dpkg-deb", ["-x", deb, data]);
  });

  test("control fields: architecture all, the Node.js range of engines, fail2ban recommended", () => {
    const field = (name: string) => run("dpkg-deb", ["-f", deb, name]).trim();
    assert.equal(field("Package"), "f2b-sophosxg");
    assert.equal(field("Version"), VERSION);
    assert.equal(field("Architecture"), "all");
    const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    assert.ok(floor, `engines.node is a plain lower bound: ${pkg.engines.node}`);
    assert.equal(field("Depends"), `nodejs (>= ${floor})`);
    assert.equal(field("Recommends"), "fail2ban");
    assert.match(field("Maintainer"), /^.+ <[^@\s]+@[^@\s]+>$/);
    const size = Number(field("Installed-Size"));
    assert.ok(size > 500 && size < 20_000, `Installed-Size ${size} KiB`);
  });

  test("every bundle, the launcher, the action file, the config template, both units, docs and man page, with their modes", () => {
    const expect = (path: string, mode: string) => {
      const entry = files.get(path);
      assert.ok(entry, `${path} is in the package`);
      assert.equal(entry.mode, mode, path);
    };
    const dist = readdirSync(join(REPO, "dist"));
    const bundles = dist.filter((f) => /\.(mjs|cjs)$/.test(f));
    assert.ok(bundles.length >= 2);
    for (const file of bundles) {
      const executable = (statSync(join(REPO, "dist", file)).mode & 0o111) !== 0;
      expect(`usr/share/f2b-sophosxg/dist/${file}`, executable ? "-rwxr-xr-x" : "-rw-r--r--");
    }
    expect("usr/bin/f2b-sophosxg", "-rwxr-xr-x");
    expect("usr/share/f2b-sophosxg/profiles/sfos-22.json", "-rw-r--r--");
    expect("etc/fail2ban/action.d/sophosxg.conf", "-rw-r--r--");
    expect("etc/f2b-sophosxg", "drwx------");
    expect("etc/f2b-sophosxg/config.json", "-rw-------");
    expect("usr/lib/systemd/system/f2b-sophosxg.service", "-rw-r--r--");
    expect("usr/lib/systemd/system/f2b-sophosxg-bouncer.service", "-rw-r--r--");
    expect("usr/share/doc/f2b-sophosxg/copyright", "-rw-r--r--");
    expect("usr/share/doc/f2b-sophosxg/changelog.Debian.gz", "-rw-r--r--");
    expect("usr/share/doc/f2b-sophosxg/changelog.gz", "-rw-r--r--");
    expect("usr/share/man/man1/f2b-sophosxg.1.gz", "-rw-r--r--");
    for (const page of dist.filter((f) => /\.[1-8]$/.test(f)))
      expect(`usr/share/man/man${page.slice(-1)}/${page}.gz`, "-rw-r--r--");
    for (const entry of files.values()) {
      assert.equal(entry.owner, "root/root", entry.path);
      assert.match(entry.path, /^(etc|usr)(\/|$)/, `${entry.path}: only /etc and /usr`);
    }
    // The state directory is made by postinst, so that `remove` keeps it without dpkg warnings.
    assert.ok(![...files.keys()].some((p) => p.startsWith("var")));
  });

  test("the packaged files name the packaged program and carry install's config template", () => {
    const text = (path: string) => readFileSync(join(data, path), "utf8");
    assert.equal(text("etc/f2b-sophosxg/config.json"), CONFIG_TEMPLATE);
    assert.match(text("etc/fail2ban/action.d/sophosxg.conf"), /^f2b_sophosxg = \/usr\/bin\/f2b-sophosxg$/m);
    const unit = text("usr/lib/systemd/system/f2b-sophosxg.service");
    assert.match(unit, /^ExecStart=\/usr\/bin\/f2b-sophosxg agent /m);
    assert.doesNotMatch(unit, /\/usr\/local/);
    const bouncer = text("usr/lib/systemd/system/f2b-sophosxg-bouncer.service");
    assert.match(bouncer, /^ExecStart=\/usr\/bin\/f2b-sophosxg bouncer /m);
    assert.match(bouncer, /^Documentation=man:f2b-sophosxg\(1\)$/m);
    assert.match(bouncer, /^After=.*\bcrowdsec\.service\b/m);
    assert.doesNotMatch(
      bouncer,
      /\/usr\/local|^# (Install|cp systemd)/m,
      "no npm-layout paths or install hints",
    );
    const cli = /^exec \/usr\/bin\/node (\/usr\/share\/f2b-sophosxg\/\S+) "\$@"$/m.exec(
      text("usr/bin/f2b-sophosxg"),
    );
    assert.ok(cli?.[1], "the launcher runs the distribution's node on a packaged bundle");
    assert.ok(files.has(cli[1].slice(1)), `${cli[1]} is in the package`);
    const version = run(process.execPath, [join(data, cli[1]), "--version"]).trim();
    assert.equal(version, pkg.version);
    const copyright = text("usr/share/doc/f2b-sophosxg/copyright");
    assert.match(
      copyright,
      /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m,
    );
    assert.match(copyright, /^Files: node_modules\/fast-xml-parser\/\*$/m, "bundled packages are listed");
  });

  test("conffiles, md5sums, and maintainer scripts that start nothing", () => {
    const conffiles = readFileSync(join(control, "conffiles"), "utf8").trim().split("\n").sort();
    assert.deepEqual(conffiles, ["/etc/f2b-sophosxg/config.json", "/etc/fail2ban/action.d/sophosxg.conf"]);
    const summed = new Set(
      readFileSync(join(control, "md5sums"), "utf8")
        .trim()
        .split("\n")
        .map((line) => line.replace(/^[0-9a-f]{32} {2}/, "")),
    );
    for (const entry of files.values()) {
      const regular = entry.mode.startsWith("-");
      const conffile = conffiles.includes(`/${entry.path}`);
      assert.equal(summed.has(entry.path), regular && !conffile, `md5sums and ${entry.path}`);
    }
    for (const script of ["postinst", "prerm", "postrm"]) {
      assert.equal(statSync(join(control, script)).mode & 0o777, 0o755, script);
      const text = readFileSync(join(control, script), "utf8");
      assert.match(text, /^#!\/bin\/sh\n/);
      const code = text.replace(/^\s*#.*$/gm, "");
      assert.doesNotMatch(
        code,
        /\b(systemctl|deb-systemd-invoke)\s+(--\S+\s+)*(start|restart|enable)\b/,
        script,
      );
      assert.doesNotMatch(code, /deb-systemd-helper\s+enable/, script);
      assert.equal(spawnSync("sh", ["-n", join(control, script)]).status, 0, `${script} parses`);
      // Whatever a script does to the agent's unit, it does to the bouncer's.
      if (/f2b-sophosxg\.service/.test(code))
        assert.match(code, /f2b-sophosxg-bouncer\.service/, `${script} handles the bouncer's unit too`);
    }
    assert.match(
      readFileSync(join(control, "postrm"), "utf8"),
      /rm -rf \/etc\/f2b-sophosxg \/var\/lib\/f2b-sophosxg/,
    );
  });

  test("the same sources give the same bytes", () => {
    const again = buildDeb(join(tmp.dir, "again"));
    assert.ok(readFileSync(again).equals(readFileSync(deb)), "a second build is byte for byte the same");
  });
});
