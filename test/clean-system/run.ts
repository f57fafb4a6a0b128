/**
 * Clean-system tests of the Debian package (docs/packaging.md). Run by .ci/run after npm test, as
 * root; not part of npm test:
 *   node --import tsx test/clean-system/run.ts [--suite bookworm] [--refresh] [--keep]
 * For each suite (bookworm, trixie): a fresh Debian made with debootstrap (cached as a tarball in
 * /var/cache/f2b-sophosxg-ci), the package installed with apt (which pulls Debian's own nodejs and
 * fail2ban), then with the emulator running here on loopback: a real fail2ban-server inside bans
 * from a log line onto the emulator and unbans, the unit passes systemd-analyze verify, doctor is
 * green, an upgrade from a lower version keeps config and state, remove keeps them, purge leaves
 * nothing. Every step is timed; the times are printed at the end.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import {
  GROUP_V4,
  GROUP_V6,
  PREFIX,
  REPO,
  startFirewall,
  TEST_PASSWORD,
  TEST_USER,
} from "../support/harness.ts";
import { Chroot } from "./chroot.ts";
import { debianMirror, suiteReachable } from "./mirror.ts";

const { values } = parseArgs({
  options: {
    suite: { type: "string", multiple: true, default: ["bookworm", "trixie"] },
    refresh: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    work: { type: "string", default: "/var/tmp/f2b-sophosxg-clean-system" },
    cache: { type: "string", default: "/var/cache/f2b-sophosxg-ci" },
  },
});

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
const NEW_VERSION = `${pkg.version}-1`;
/** Lower than NEW_VERSION for dpkg ("~" sorts first): the version an upgrade starts from. */
const OLD_VERSION = `${pkg.version}~previous-1`;
const NODE_FLOOR = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1] ?? "";
const BANNED = "192.0.2.77";
const MANUAL = "198.51.100.9";
const AGENT_BANNED = "198.51.100.10";

interface Timing {
  suite: string;
  step: string;
  seconds: number;
  ok: boolean;
}
const timings: Timing[] = [];

async function step<T>(suite: string, name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await body();
    record(true);
    return result;
  } catch (error) {
    record(false);
    throw error;
  }
  function record(ok: boolean) {
    const seconds = (performance.now() - started) / 1000;
    timings.push({ suite, step: name, seconds, ok });
    console.log(`[${suite}] ${ok ? "ok  " : "FAIL"} ${name} (${seconds.toFixed(1)} s)`);
  }
}

function preconditions(): string | undefined {
  if (process.getuid?.() !== 0) return "clean-system tests need root (debootstrap, chroot, mount)";
  for (const [tool, pkgName] of [
    ["debootstrap", "debootstrap"],
    ["dpkg-deb", "dpkg"],
    ["lintian", "lintian"],
  ]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} not installed (apt-get install -y ${pkgName})`;
  }
  return undefined;
}

function sh(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")}: exit ${result.status}\n${result.stderr}`);
  return result.stdout;
}

/** Waits on a condition (the emulator's state, a process's answer), polling; fails with `what`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A dpkg-query --showformat field: `${Name}` (built so no linter takes it for a template). */
const dpkgField = (name: string) => `$${"{"}${name}}`;

const members = (emu: RunningEmulator, group: string) =>
  emu.snapshot().groups.find((g) => g.name === group)?.hosts ?? [];
const hostNamed = (emu: RunningEmulator, name: string) => emu.snapshot().hosts.some((h) => h.name === name);

/** Every file below `dir` with its mode and content hash: equal before and after an upgrade. */
function fingerprint(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .sort()
    .map((rel) => {
      const full = join(dir, rel);
      const info = lstatSync(full);
      const hash = info.isFile()
        ? createHash("sha256").update(readFileSync(full)).digest("hex").slice(0, 16)
        : "";
      return `${rel} ${(info.mode & 0o7777).toString(8)} ${hash}`;
    });
}

function noSecret(text: string, where: string) {
  assert.ok(!text.includes(TEST_PASSWORD), `${where} shows the password`);
}

async function buildPackages(out: string): Promise<{ current: string; previous: string; lintian: string }> {
  mkdirSync(out, { recursive: true });
  const script = join(REPO, "scripts", "package-deb.mjs");
  sh(process.execPath, [script, "--out", out]);
  sh(process.execPath, [script, "--no-build", "--out", out, "--version", OLD_VERSION]);
  const current = join(out, `f2b-sophosxg_${NEW_VERSION}_all.deb`);
  const lint = spawnSync("lintian", ["--pedantic", "--display-info", "--display-experimental", current], {
    encoding: "utf8",
  });
  const lintian = `${lint.stdout}${lint.stderr}`.replace(
    /^running with root privileges is not recommended!\n/m,
    "",
  );
  const errors = lintian.split("\n").filter((line) => line.startsWith("E:"));
  assert.equal(errors.length, 0, `lintian errors:\n${lintian}`);
  return { current, previous: join(out, `f2b-sophosxg_${OLD_VERSION}_all.deb`), lintian };
}

async function testSuite(suite: string, mirror: string, debs: { current: string; previous: string }) {
  const reach = await step(suite, "mirror has the suite", async () => suiteReachable(mirror, suite));
  if (!reach.ok) throw new Error(`${suite} is not reachable from the mirror: ${reach.detail}`);

  const { chroot, cached } = await step(suite, "debootstrap (cached or made)", () =>
    Chroot.create({ suite, mirror, workDir: values.work, cacheDir: values.cache, refresh: values.refresh }),
  );
  timings[timings.length - 1]!.step = cached ? "debootstrap, cached base unpacked" : "debootstrap, uncached";
  const stop = () => chroot.close(values.keep);
  const onSignal = () => {
    stop();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const emu = await startFirewall();
  const archives = join(values.cache, `archives-${suite}`);
  try {
    chroot.mountProc();
    for (const deb of [debs.current, debs.previous])
      copyFileSync(deb, chroot.path(`tmp/${deb.split("/").pop()}`));
    // Downloaded .debs from earlier runs: apt checks each against the index and fetches what differs.
    mkdirSync(archives, { recursive: true });
    for (const f of readdirSync(archives))
      copyFileSync(join(archives, f), chroot.path(`var/cache/apt/archives/${f}`));

    await step(suite, "apt-get update", () => chroot.ok(["apt-get", "update"]));
    const installed = await step(
      suite,
      `install ${OLD_VERSION} with apt (pulls nodejs, fail2ban)`,
      async () => {
        const out = await chroot.ok(["apt-get", "install", "-y", `/tmp/f2b-sophosxg_${OLD_VERSION}_all.deb`]);
        for (const f of readdirSync(chroot.path("var/cache/apt/archives")).filter((n) => n.endsWith(".deb")))
          copyFileSync(chroot.path(`var/cache/apt/archives/${f}`), join(archives, f));
        return out;
      },
    );
    assert.match(installed, /Setting up nodejs /, "apt pulled the distribution's nodejs");
    assert.match(installed, /Setting up fail2ban /, "apt pulled fail2ban (Recommends)");

    await step(suite, "installed files, Node.js version, idempotent postinst", async () => {
      const node = (await chroot.ok(["node", "--version"])).trim();
      const [major = 0, minor = 0] = node.replace(/^v/, "").split(".").map(Number);
      const [floorMajor = 0, floorMinor = 0] = NODE_FLOOR.split(".").map(Number);
      assert.ok(
        major > floorMajor || (major === floorMajor && minor >= floorMinor),
        `${node} >= ${NODE_FLOOR}`,
      );
      const origin = await chroot.ok([
        "dpkg-query",
        "-W",
        "-f",
        `${dpkgField("Version")} ${dpkgField("Maintainer")}`,
        "nodejs",
      ]);
      console.log(`[${suite}] nodejs ${node} (Debian package ${origin.trim()})`);
      assert.equal((await chroot.ok(["f2b-sophosxg", "--version"])).trim(), pkg.version);
      assert.equal(statSync(chroot.path("etc/f2b-sophosxg")).mode & 0o777, 0o700);
      assert.equal(statSync(chroot.path("etc/f2b-sophosxg/config.json")).mode & 0o777, 0o600);
      assert.equal(statSync(chroot.path("var/lib/f2b-sophosxg")).mode & 0o777, 0o700);
      assert.match(
        chroot.read("etc/fail2ban/action.d/sophosxg.conf"),
        /^f2b_sophosxg = \/usr\/bin\/f2b-sophosxg$/m,
      );
      const before = fingerprint(chroot.path("etc/f2b-sophosxg")).concat(
        fingerprint(chroot.path("var/lib/f2b-sophosxg")),
      );
      for (let i = 0; i < 2; i++)
        await chroot.ok(["/var/lib/dpkg/info/f2b-sophosxg.postinst", "configure", OLD_VERSION]);
      const after = fingerprint(chroot.path("etc/f2b-sophosxg")).concat(
        fingerprint(chroot.path("var/lib/f2b-sophosxg")),
      );
      assert.deepEqual(after, before, "postinst run again changes nothing");
      // Nothing was started: no fail2ban-server, no agent (their pids would be below /proc).
      const running = await chroot.exec(["sh", "-c", "ls /run/fail2ban/fail2ban.sock 2>/dev/null"]);
      assert.notEqual(running.code, 0, "fail2ban was not started by the installation");
    });

    // The operator's part: the config (a conffile, edited), the password file, a jail.
    const config = {
      url: emu.url,
      user: TEST_USER,
      pass_file: "/etc/f2b-sophosxg/password",
      tls_pin_sha256: emu.fingerprint256,
      iphost_prefix: PREFIX,
      iphostgroup_name: GROUP_V4,
      iphostgroup_name_v6: GROUP_V6,
    };
    writeFileSync(chroot.path("etc/f2b-sophosxg/config.json"), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(chroot.path("etc/f2b-sophosxg/password"), TEST_PASSWORD, { mode: 0o600 });
    copyFileSync(join(FIXTURES, "jail.local"), chroot.path("etc/fail2ban/jail.d/clean-system.local"));
    copyFileSync(join(FIXTURES, "filter.conf"), chroot.path("etc/fail2ban/filter.d/clean-system.conf"));
    writeFileSync(chroot.path("var/log/clean-system.log"), "");

    await step(suite, `state under ${OLD_VERSION}: start and a manual ban`, async () => {
      noSecret(await chroot.ok(["f2b-sophosxg", "start"]), "start");
      noSecret(await chroot.ok(["f2b-sophosxg", "ban", "--jail", "manual", "--ip", MANUAL]), "ban");
      assert.ok(hostNamed(emu, `${PREFIX}${MANUAL}`), "the manual ban reached the emulator");
    });
    const kept = () => [
      ...fingerprint(chroot.path("etc/f2b-sophosxg")).map((l) => `etc: ${l}`),
      ...fingerprint(chroot.path("var/lib/f2b-sophosxg")).map((l) => `state: ${l}`),
    ];
    const beforeUpgrade = kept();
    assert.ok(
      beforeUpgrade.some((l) => l.startsWith("state: ")),
      "the state directory has the journal",
    );

    await step(suite, `upgrade ${OLD_VERSION} -> ${NEW_VERSION} with apt`, async () => {
      // stdin is closed: a conffile prompt would fail the upgrade instead of waiting.
      const out = await chroot.ok(["apt-get", "install", "-y", `/tmp/f2b-sophosxg_${NEW_VERSION}_all.deb`]);
      assert.match(
        out,
        new RegExp(`Unpacking f2b-sophosxg \\(${NEW_VERSION.replaceAll(".", "\\.")}\\) over`),
      );
      assert.equal(
        (await chroot.ok(["dpkg-query", "-W", "-f", dpkgField("Version"), "f2b-sophosxg"])).trim(),
        NEW_VERSION,
      );
      assert.deepEqual(kept(), beforeUpgrade, "config and state are the same after the upgrade");
      // The journal still holds the ban made before the upgrade, with its jail.
      const list = JSON.parse(await chroot.ok(["f2b-sophosxg", "list", "--json"]));
      const manual = list.objects.find((o: { address: string }) => o.address === MANUAL);
      assert.deepEqual(
        manual?.jails.map((j: { jail: string }) => j.jail),
        ["manual"],
      );
    });

    await step(suite, "e2e: fail2ban-server bans from its log, unbanip removes", async () => {
      mkdirSync(chroot.path("run/fail2ban"), { recursive: true });
      const server = chroot.start(["fail2ban-server", "-f", "-x"]);
      let serverOutput = "";
      server.stdout?.on("data", (c: Buffer) => {
        serverOutput += c.toString();
      });
      server.stderr?.on("data", (c: Buffer) => {
        serverOutput += c.toString();
      });
      const exited = new Promise<void>((resolve) => server.on("exit", () => resolve()));
      try {
        await waitFor(
          "fail2ban-server to run the clean-system jail",
          async () => {
            if (server.exitCode !== null) throw new Error(`fail2ban-server exited: ${serverOutput}`);
            return (await chroot.exec(["fail2ban-client", "status", "clean-system"])).code === 0;
          },
          60_000,
        );
        const now = Math.floor(Date.now() / 1000);
        appendFileSync(
          chroot.path("var/log/clean-system.log"),
          `${now} AUTH FAIL user=alice from ${BANNED}\n`.repeat(3),
        );
        await waitFor(
          `${BANNED} in ${GROUP_V4} on the emulator`,
          () => members(emu, GROUP_V4).includes(`${PREFIX}${BANNED}`),
          60_000,
        );
        await chroot.ok(["fail2ban-client", "set", "clean-system", "unbanip", BANNED]);
        await waitFor(
          `${BANNED} gone from the emulator`,
          () => !hostNamed(emu, `${PREFIX}${BANNED}`),
          60_000,
        );
        assert.ok(hostNamed(emu, `${PREFIX}${MANUAL}`), "another source's ban is untouched");
        await chroot.ok(["fail2ban-client", "stop"]);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
        assert.notEqual(server.exitCode, null, "fail2ban-server stopped");
      } finally {
        if (server.exitCode === null && server.pid !== undefined) process.kill(server.pid, "SIGKILL");
      }
      const log = chroot.read("var/log/fail2ban.log");
      noSecret(log, "fail2ban.log");
      const failures = log
        .split("\n")
        .filter((l) => /-- exec:|-- returned|Failed to execute|timed out after/.test(l));
      assert.deepEqual(failures, [], "no action failed");
    });

    await step(suite, "systemd-analyze verify on the units (the agent's, the bouncer's)", async () => {
      const units = ["f2b-sophosxg.service", "f2b-sophosxg-bouncer.service"].map(
        (name) => `/usr/lib/systemd/system/${name}`,
      );
      if (!existsSync(chroot.path("usr/bin/systemd-analyze"))) {
        console.log(`[${suite}] systemd-analyze not in this system: not verified`);
        return;
      }
      // No man-db in a minimal system: the man page is checked by its file, not by man(1).
      const man = existsSync(chroot.path("usr/bin/man")) ? [] : ["--man=no"];
      const result = await chroot.exec(["systemd-analyze", "verify", ...man, ...units]);
      const complaints = `${result.stdout}${result.stderr}`.trim();
      assert.equal(result.code, 0, complaints);
      assert.equal(complaints, "", `systemd-analyze verify has remarks:\n${complaints}`);
      assert.ok(existsSync(chroot.path("usr/share/man/man1/f2b-sophosxg.1.gz")));
    });

    await step(suite, "doctor: green but for what it cannot know", async () => {
      const result = await chroot.exec(["f2b-sophosxg", "doctor"]);
      const out = `${result.stdout}${result.stderr}`;
      noSecret(out, "doctor");
      console.log(out.replace(/^/gm, `[${suite}]   `).trimEnd());
      assert.equal(result.code, 0, out);
      const notOk = out.split("\n").filter((l) => /^(FAIL|warn|skip)/.test(l));
      assert.deepEqual(notOk, [], "no FAIL, warn or skip line");
    });

    await step(suite, "the bundles on this Node.js: emulator, library, list, agent", async () => {
      const emulatorRun = chroot.start(["f2b-sophosxg", "emulator", "--port", "0"]);
      let out = "";
      emulatorRun.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      emulatorRun.stderr?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      try {
        await waitFor(
          "the emulator's ready line",
          () => {
            if (emulatorRun.exitCode !== null) throw new Error(`the emulator exited: ${out}`);
            return /emulator ready url=https:/.test(out);
          },
          60_000,
        );
      } finally {
        if (emulatorRun.pid !== undefined) process.kill(emulatorRun.pid, "SIGTERM");
      }
      const lib = await chroot.ok([
        "node",
        "--input-type=module",
        "-e",
        "const m = await import('/usr/share/f2b-sophosxg/dist/index.mjs'); console.log(Object.keys(m).length)",
      ]);
      assert.ok(Number(lib.trim()) > 5, `the library exports: ${lib}`);
      const list = await chroot.ok(["f2b-sophosxg", "list", "--json"]);
      assert.ok(list.includes(MANUAL));

      // The agent: hooks only journal while it runs, and it delivers; SIGTERM stops it.
      const agent = chroot.start(["f2b-sophosxg", "agent"]);
      let agentOut = "";
      for (const stream of [agent.stdout, agent.stderr])
        stream?.on("data", (c: Buffer) => {
          agentOut += c.toString();
        });
      const agentExit = new Promise<number | null>((resolve) => agent.on("exit", (code) => resolve(code)));
      try {
        await waitFor(
          "status to show the agent running",
          async () => {
            if (agent.exitCode !== null) throw new Error(`the agent exited: ${agentOut}`);
            const status = JSON.parse(await chroot.ok(["f2b-sophosxg", "status", "--json"]));
            return status.mode === "agent";
          },
          30_000,
        );
        await chroot.ok(["f2b-sophosxg", "ban", "--jail", "manual", "--ip", AGENT_BANNED]);
        await waitFor(
          `the agent to deliver ${AGENT_BANNED}`,
          () => members(emu, GROUP_V4).includes(`${PREFIX}${AGENT_BANNED}`),
          30_000,
        );
      } finally {
        if (agent.pid !== undefined && agent.exitCode === null) process.kill(agent.pid, "SIGTERM");
      }
      const code = await Promise.race([
        agentExit,
        new Promise<string>((r) => setTimeout(() => r("still running"), 30_000)),
      ]);
      assert.equal(code, 0, `the agent stops cleanly on SIGTERM: ${agentOut}`);
      noSecret(agentOut, "agent output");
    });

    await step(suite, "remove keeps config and state", async () => {
      // Both units enabled, as a host that ran each at some time: purge must take both links.
      await chroot.ok(["systemctl", "enable", "f2b-sophosxg.service", "f2b-sophosxg-bouncer.service"]);
      for (const unit of ["f2b-sophosxg.service", "f2b-sophosxg-bouncer.service"]) {
        const link = chroot.path(`etc/systemd/system/multi-user.target.wants/${unit}`);
        assert.ok(lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink(), `${unit} is enabled`);
      }
      const beforeRemove = kept();
      await chroot.ok(["apt-get", "remove", "-y", "f2b-sophosxg"]);
      assert.ok(!existsSync(chroot.path("usr/bin/f2b-sophosxg")));
      assert.ok(!existsSync(chroot.path("usr/share/f2b-sophosxg")));
      assert.deepEqual(kept(), beforeRemove, "config and state are kept");
      assert.ok(existsSync(chroot.path("etc/fail2ban/action.d/sophosxg.conf")), "the conffile stays");
      const state = await chroot.ok([
        "dpkg-query",
        "-W",
        "-f",
        dpkgField("db:Status-Abbrev"),
        "f2b-sophosxg",
      ]);
      assert.equal(state.trim(), "rc");
    });

    await step(suite, "purge leaves nothing", async () => {
      await chroot.ok(["apt-get", "purge", "-y", "f2b-sophosxg"]);
      const left = chroot.find(/sophosxg/, ["/tmp", "/var/log", "/var/cache/apt/archives"]);
      assert.deepEqual(left, [], "nothing named after us is left");
      const known = await chroot.exec(["dpkg-query", "-W", "f2b-sophosxg"]);
      assert.notEqual(known.code, 0, "dpkg no longer knows the package");
    });
  } finally {
    await emu.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    stop();
  }
}

async function main(): Promise<number> {
  const missing = preconditions();
  if (missing !== undefined) {
    console.log(`skipped: ${missing}`);
    return process.env.CI === "true" ? 1 : 0;
  }
  const mirror = debianMirror();
  console.log(`mirror: ${mirror} (from this machine's apt sources)`);
  const out = join(values.work, "debs");
  const debs = await step("all", "build the packages (npm run build, package:deb twice, lintian)", () =>
    buildPackages(out),
  );
  console.log(
    `lintian --pedantic --display-info --display-experimental on ${debs.current.split("/").pop()}:`,
  );
  console.log(debs.lintian.trim() === "" ? "  (nothing)" : debs.lintian.replace(/^/gm, "  ").trimEnd());
  let failed = 0;
  for (const suite of values.suite) {
    try {
      await testSuite(suite, mirror, debs);
    } catch (error) {
      failed++;
      console.log(`[${suite}] FAILED: ${(error as Error).stack ?? error}`);
    }
  }
  console.log("\nstep times:");
  for (const t of timings)
    console.log(
      `  ${t.suite.padEnd(9)} ${t.seconds.toFixed(1).padStart(7)} s  ${t.ok ? "" : "FAIL "}${t.step}`,
    );
  const passed = values.suite.length - failed;
  console.log(`clean-system: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
