/**
 * A real CrowdSec Local API (LAPI) for tests: Debian bookworm's crowdsec 1.4.6, unpacked from its
 * .deb (never `dpkg -i`: the package's post-install script registers with CrowdSec's online API,
 * fails offline and leaves dpkg broken; .ci/run unpacks it the same way), run with `-no-cs` (the
 * API only, no log processing, no hub) on a free loopback port, with its own config, sqlite
 * database and log under one temporary directory. A bouncer key is created with `cscli bouncers
 * add`; decisions are added and deleted with `cscli`, as an operator would. Stopped by its pid.
 *
 * Where the binaries are: CROWDSEC_ROOT (the directory the .deb was unpacked into, default
 * /opt/crowdsec), or a system-wide installation (/usr/bin/crowdsec and /etc/crowdsec).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, tcpAnswer } from "./ports.ts";
import { waitUntil } from "./wait.ts";

export interface CrowdsecInstall {
  crowdsec: string;
  cscli: string;
  /** The package's /etc/crowdsec (profiles.yaml, simulation.yaml…), copied for each LAPI. */
  etc: string;
}

/** The installation to use, or undefined when crowdsec is not installed. */
export function findCrowdsec(env: NodeJS.ProcessEnv = process.env): CrowdsecInstall | undefined {
  const roots = env.CROWDSEC_ROOT !== undefined ? [env.CROWDSEC_ROOT] : ["/opt/crowdsec", "/"];
  for (const root of roots) {
    const install = {
      crowdsec: join(root, "usr/bin/crowdsec"),
      cscli: join(root, "usr/bin/cscli"),
      etc: join(root, "etc/crowdsec"),
    };
    if (
      existsSync(install.crowdsec) &&
      existsSync(install.cscli) &&
      existsSync(join(install.etc, "profiles.yaml"))
    )
      return install;
  }
  return undefined;
}

export const CROWDSEC = findCrowdsec();
export const CROWDSEC_SKIP =
  "skipped: crowdsec not installed (apt-get download crowdsec && dpkg-deb -x crowdsec_*.deb /opt/crowdsec; see .ci/run)";

export interface DecisionSpec {
  ip?: string;
  range?: string;
  duration?: string;
  type?: string;
  reason?: string;
}

export interface RunningLapi {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** A bouncer API key (a secret: tests never print it). */
  bouncerKey: string;
  /** Runs cscli against this LAPI; resolves with its standard output, rejects on a non-zero exit. */
  cscli(args: string[]): Promise<string>;
  addDecision(spec: DecisionSpec): Promise<void>;
  deleteDecision(spec: { ip?: string; range?: string; id?: number }): Promise<void>;
  /** `cscli decisions import` of a CSV file (origin `cscli-import`). */
  importDecisions(csvPath: string): Promise<void>;
  /** Stops the LAPI process (the database stays); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.slice(2).join(" ")} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

function configYaml(dir: string, port: number): string {
  return `common: {daemonize: false, log_media: stdout, log_level: info, working_dir: .}
config_paths:
  config_dir: ${dir}/cfg/
  data_dir: ${dir}/data/
  simulation_path: ${dir}/cfg/simulation.yaml
  hub_dir: ${dir}/hub/
  index_path: ${dir}/hub/.index.json
  notification_dir: ${dir}/cfg/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service: {enable: false, acquisition_path: ${dir}/cfg/acquis.yaml}
cscli: {output: human}
db_config: {type: sqlite, db_path: ${dir}/data/crowdsec.db, use_wal: true}
api:
  client: {credentials_path: ${dir}/cfg/local_api_credentials.yaml}
  server: {listen_uri: "127.0.0.1:${port}", profiles_path: ${dir}/cfg/profiles.yaml, trusted_ips: [127.0.0.1]}
prometheus: {enabled: false}
`;
}

/** Starts a private LAPI; throws when crowdsec is not installed or does not come up in 20 s. */
export async function startLapi(install: CrowdsecInstall | undefined = CROWDSEC): Promise<RunningLapi> {
  if (!install) throw new Error(CROWDSEC_SKIP);
  const dir = mkdtempSync(join(tmpdir(), "f2b-lapi-"));
  for (const sub of ["cfg", "data", "hub"]) mkdirSync(join(dir, sub), { recursive: true });
  cpSync(install.etc, join(dir, "cfg"), { recursive: true });
  const port = await freePort();
  const configPath = join(dir, "cfg", "config.yaml");
  writeFileSync(configPath, configYaml(dir, port));
  writeFileSync(join(dir, "hub", ".index.json"), "{}");
  const cscli = (args: string[]) => run(install.cscli, ["-c", configPath, ...args]);
  await cscli([
    "machines",
    "add",
    "local",
    "--auto",
    "--force",
    "-f",
    join(dir, "cfg", "local_api_credentials.yaml"),
  ]);

  let child: ChildProcess | undefined;
  let log = "";
  const start = async () => {
    log = "";
    const proc = spawn(install.crowdsec, ["-c", configPath, "-no-cs"], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`the CrowdSec LAPI did not start in 20 s:\n${log}`));
      }, 20_000);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("Local API listening")) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on("data", onData);
      proc.stderr.on("data", onData);
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the CrowdSec LAPI exited (${code}) while starting:\n${log}`));
      });
    });
    // crowdsec logs "Local API listening" just before it binds the port, so a request right
    // after the line can still be refused (seen on a loaded CI machine after a restart).
    await waitUntil(
      `the CrowdSec LAPI accepts connections on ${port}`,
      async () => (await tcpAnswer(port)) === "accepted",
      20_000,
    );
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  // A test process that ends without close() (a failed before(), an interrupted bench) must
  // not leave its LAPI running.
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);
  await start();
  const bouncerKey = (await cscli(["bouncers", "add", `sophos-test-${process.pid}`, "-o", "raw"])).trim();
  const lapi: RunningLapi = {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid ?? 0;
    },
    bouncerKey,
    cscli,
    async addDecision(spec) {
      const args = ["decisions", "add"];
      if (spec.ip !== undefined) args.push("--ip", spec.ip);
      if (spec.range !== undefined) args.push("--range", spec.range);
      args.push("--duration", spec.duration ?? "1h");
      if (spec.type !== undefined) args.push("--type", spec.type);
      if (spec.reason !== undefined) args.push("--reason", spec.reason);
      await cscli(args);
    },
    async deleteDecision(spec) {
      const args = ["decisions", "delete"];
      if (spec.ip !== undefined) args.push("--ip", spec.ip);
      if (spec.range !== undefined) args.push("--range", spec.range);
      if (spec.id !== undefined) args.push("--id", String(spec.id));
      await cscli(args);
    },
    async importDecisions(csvPath) {
      await cscli(["decisions", "import", "-i", csvPath]);
    },
    stop,
    start,
    async close() {
      process.off("exit", killOnExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lapi;
}
