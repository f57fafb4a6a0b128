#!/usr/bin/env node
// Builds f2b-sophosxg_<version>_all.deb with dpkg-deb from the built bundles (docs/packaging.md).
//   node scripts/package-deb.mjs [--out DIR] [--version DEBIAN_VERSION] [--no-build]
// --out: where the .deb goes (default: the repository). --version: the Debian version (default:
// package.json's version with revision -1; the clean-system tests build a lower one to upgrade
// from). --no-build: use dist/ as it is (npm test has just built it).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { copyrightFile } from "./deb/copyright.mjs";
import { fallbackManPage } from "./deb/fallback-man.mjs";
import { NODE_FLOOR } from "./node-floor.mjs";

const root = new URL("..", import.meta.url).pathname;
const debian = join(root, "packaging", "debian");
const NAME = "f2b-sophosxg";
const SHARE = `/usr/share/${NAME}`;
const DOC = `/usr/share/doc/${NAME}`;
const BIN = `/usr/bin/${NAME}`;
const UNITS = [`${NAME}.service`, `${NAME}-bouncer.service`];
const CONFFILES = [`/etc/${NAME}/config.json`, "/etc/fail2ban/action.d/sophosxg.conf"];

const { values } = parseArgs({
  options: {
    out: { type: "string", default: root },
    version: { type: "string" },
    "no-build": { type: "boolean", default: false },
  },
});

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
// Debian sorts "~" before anything: 1.0.0-rc.1 becomes 1.0.0~rc.1, which is lower than 1.0.0.
const version = values.version ?? `${pkg.version.replace("-", "~")}-1`;
if (!/^[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$/.test(version)) {
  fail(`--version ${JSON.stringify(version)} is not a Debian version (e.g. 0.1.0-1)`);
}
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? gitCommitTime() ?? Math.floor(Date.now() / 1000));

function fail(message) {
  console.error(`package-deb: ${message}`);
  process.exit(2);
}

function gitCommitTime() {
  const result = spawnSync("git", ["log", "-1", "--format=%ct"], { cwd: root, encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() !== "" ? result.stdout.trim() : undefined;
}

if (spawnSync("dpkg-deb", ["--version"]).status !== 0) {
  fail("dpkg-deb not found (apt-get install dpkg)");
}
if (!values["no-build"]) {
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) fail("npm run build failed");
}

const dist = join(root, "dist");
const cliEntry = typeof pkg.bin === "string" ? pkg.bin : pkg.bin[NAME];
const bundles = existsSync(dist) ? readdirSync(dist).filter((f) => /\.(mjs|cjs)$/.test(f)) : [];
if (!bundles.includes(cliEntry.replace(/^dist\//, ""))) fail(`${cliEntry} is missing: run npm run build`);

const stage = mkdtempSync(join(tmpdir(), "f2b-deb-"));
chmodSync(stage, 0o755);
const at = (path) => join(stage, path);

function put(path, content, mode) {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), content);
  chmodSync(at(path), mode);
}

/** Replaces `from` with `to` in `text`, failing the build when the source no longer has it. */
function rewrite(text, from, to, what) {
  if (!(typeof from === "string" ? text.includes(from) : from.test(text)))
    fail(`${what}: expected ${from} in the source file; update scripts/package-deb.mjs`);
  return typeof from === "string" ? text.replaceAll(from, to) : text.replace(from, to);
}

try {
  // The program: every bundle (the CLI loads its siblings with import()), and the launcher.
  // The mode as built: the CLI entry is a script (#!), the rest are modules.
  for (const file of bundles) {
    const mode = lstatSync(join(dist, file)).mode & 0o111 ? 0o755 : 0o644;
    put(`${SHARE}/dist/${file}`, readFileSync(join(dist, file)), mode);
  }
  // The emulator's profiles of known firmware (`f2b-sophosxg emulator --profile FILE`).
  for (const file of readdirSync(join(root, "profiles")).filter((f) => f.endsWith(".json")))
    put(`${SHARE}/profiles/${file}`, readFileSync(join(root, "profiles", file)), 0o644);
  put(BIN, readFileSync(join(debian, "launcher.sh"), "utf8").replace("@CLI@", `${SHARE}/${cliEntry}`), 0o755);

  // The action file and the unit name the packaged program, not the one `install` puts in /usr/local.
  let action = readFileSync(join(root, "action.d", "sophosxg.conf"), "utf8");
  action = rewrite(action, /^f2b_sophosxg = .*$/m, `f2b_sophosxg = ${BIN}`, "action.d/sophosxg.conf");
  put("/etc/fail2ban/action.d/sophosxg.conf", action, 0o644);
  // Both units ship, neither enabled: the agent's, and the bouncer's (CrowdSec without Fail2ban).
  for (const name of UNITS) {
    let unit = readFileSync(join(root, "systemd", name), "utf8");
    unit = rewrite(unit, "/usr/local/bin/f2b-sophosxg", BIN, `systemd/${name} ExecStart`);
    unit = rewrite(
      unit,
      /^Documentation=.*$/m,
      `Documentation=man:${NAME}(1)`,
      `systemd/${name} Documentation`,
    );
    unit = unit.replace(/^# (Install|Adjust ExecStart|cp systemd\/).*\n/gm, "");
    unit = unit.replace(/^(# Details: )docs\/agent\.md/m, `$1${DOC}/docs/agent.md.gz`);
    put(`/usr/lib/systemd/system/${name}`, unit, 0o644);
  }

  // The config template is the one `install` writes: made by the program itself.
  const installed = mkdtempSync(join(tmpdir(), "f2b-deb-install-"));
  try {
    execFileSync(
      process.execPath,
      [join(dist, cliEntry.replace(/^dist\//, "")), "install", "--root", installed],
      {
        stdio: "ignore",
      },
    );
    put(`/etc/${NAME}/config.json`, readFileSync(join(installed, "etc", NAME, "config.json")), 0o600);
  } finally {
    rmSync(installed, { recursive: true, force: true });
  }
  chmodSync(at(`/etc/${NAME}`), 0o700);

  // Man pages: what the build made, or a minimal one from --help until it makes one.
  const manPages = readdirSync(dist).filter((f) => /\.[1-8]$/.test(f));
  const date = new Date(epoch * 1000).toISOString().slice(0, 10);
  if (!manPages.includes(`${NAME}.1`)) {
    const help = execFileSync(process.execPath, [join(root, cliEntry), "--help"], { encoding: "utf8" });
    put(
      `/usr/share/man/man1/${NAME}.1.gz`,
      gzipSync(fallbackManPage({ help, version, date }), { level: 9 }),
      0o644,
    );
  }
  for (const page of manPages) {
    const section = page.slice(-1);
    put(
      `/usr/share/man/man${section}/${page}.gz`,
      gzipSync(readFileSync(join(dist, page)), { level: 9 }),
      0o644,
    );
  }

  // Documentation, compressed as dh_compress does (over 4 KiB, and every changelog).
  const doc = (name, content, compress = content.length > 4096) =>
    put(
      `${DOC}/${name}${compress ? ".gz" : ""}`,
      compress ? gzipSync(content, { level: 9 }) : content,
      0o644,
    );
  doc("copyright", copyrightFile({ root, bundles: bundles.map((f) => join(dist, f)) }), false);
  doc("README.md", readFileSync(join(root, "README.md")));
  doc("changelog", readFileSync(join(root, "CHANGELOG.md")), true);
  doc("changelog.Debian", debianChangelog(), true);
  for (const file of readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")))
    doc(`docs/${file}`, readFileSync(join(root, "docs", file)));
  for (const file of readdirSync(join(root, "examples")))
    doc(`examples/${file}`, readFileSync(join(root, "examples", file)));
  put(`/usr/share/lintian/overrides/${NAME}`, readFileSync(join(debian, "lintian-overrides")), 0o644);

  // Control: the maintainer scripts, the conffiles, md5sums of everything else, the fields.
  for (const script of ["postinst", "prerm", "postrm"])
    put(`/DEBIAN/${script}`, readFileSync(join(debian, script)), 0o755);
  put("/DEBIAN/conffiles", `${CONFFILES.join("\n")}\n`, 0o644);
  const files = walk(stage).filter((p) => !p.startsWith("DEBIAN/"));
  const md5 = files
    .filter((p) => lstatSync(at(p)).isFile() && !CONFFILES.includes(`/${p}`))
    .map(
      (p) =>
        `${createHash("md5")
          .update(readFileSync(at(p)))
          .digest("hex")}  ${p}`,
    );
  put("/DEBIAN/md5sums", `${md5.join("\n")}\n`, 0o644);
  put(
    "/DEBIAN/control",
    readFileSync(join(debian, "control.in"), "utf8")
      .replace("@VERSION@", version)
      .replace(
        "@MAINTAINER@",
        process.env.DEB_MAINTAINER ?? "f2b-sophosxg developers <f2b-sophosxg@example.org>",
      )
      .replace("@INSTALLED_SIZE@", String(installedSize(files)))
      .replace("@NODE_FLOOR@", NODE_FLOOR),
    0o644,
  );

  // The same inputs give the same .deb: every time stamp is the commit's.
  for (const p of [...walk(stage), "."].reverse()) utimesSync(at(p), epoch, epoch);
  mkdirSync(values.out, { recursive: true });
  const output = join(values.out, `${NAME}_${version}_all.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", stage, output], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
  console.log(
    `${relative(process.cwd(), output) || output} (${Math.round(lstatSync(output).size / 1024)} KiB)`,
  );
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function debianChangelog() {
  const when = new Date(epoch * 1000).toUTCString().replace("GMT", "+0000");
  const maintainer = process.env.DEB_MAINTAINER ?? "f2b-sophosxg developers <f2b-sophosxg@example.org>";
  return [
    `${NAME} (${version}) unstable; urgency=medium`,
    "",
    `  * Package of f2b-sophosxg ${pkg.version}; the changes are in`,
    `    ${DOC}/changelog.gz.`,
    "",
    ` -- ${maintainer}  ${when}`,
    "",
  ].join("\n");
}

/** Every path below the stage, relative, parents before children. */
function walk(dir, base = "") {
  return readdirSync(join(dir, base), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = base === "" ? entry.name : `${base}/${entry.name}`;
      return entry.isDirectory() ? [path, ...walk(dir, path)] : [path];
    });
}

/** As dpkg-gencontrol counts it: KiB per file rounded up, one per directory or link. */
function installedSize(paths) {
  return paths.reduce((sum, p) => {
    const info = lstatSync(at(p));
    return sum + (info.isFile() ? Math.ceil(info.size / 1024) : 1);
  }, 0);
}
