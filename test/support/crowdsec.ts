/**
 * A real CrowdSec Local API (LAPI) for tests: Debian bookworm's crowdsec 1.4.6, unpacked from its
 * .deb (never `dpkg -i`: the package's post-install script registers with CrowdSec's online API,
 * fails offline and leaves dpkg broken; .ci/run unpacks it the same way), run with `-no-cs` (the
 * API only, no log processing, no hub) on a free loopback port, with its own config, sqlite
 * database and log under one temporary directory. A bouncer key is created with `cscli bouncers
 * add`; decisions are added and deleted with `cscli`, as an operator would. Decisions of other
 * origins (`crowdsec`, `CAPI`, `lists`) come in as alerts from a registered machine, as the
 * agents send them (`postAlerts`, see there). Stopped by its pid.
 *
 * Where the binaries are: CROWDSEC_ROOT (the directory the .deb was unpacked into, default
 * /opt/crowdsec), or a system-wide installation (/usr/bin/crowdsec and /etc/crowdsec).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CrowdsecConfig } from "../../src/config/types.ts";
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

/**
 * One alert from a machine. With `origin` and `duration`, the alert carries its decision and the
 * LAPI stores that origin as given (1.4.6 does: this is how `CAPI`/`lists` decisions look to a
 * bouncer, which cannot reach the online API offline). Without them, the LAPI's profiles decide,
 * as for a real agent's alert: a 4 h ban of origin `crowdsec` (the package's profiles.yaml).
 */
export interface AlertSpec {
  ip: string;
  origin?: string;
  duration?: string;
  scenario?: string;
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
  /** POST /v1/alerts as a registered machine (`cscli machines add`, then /v1/watchers/login). */
  postAlerts(alerts: AlertSpec[]): Promise<void>;
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

interface Machine {
  id: string;
  /** A secret: never printed. */
  password: string;
}

/** A machine (a watcher, as an agent is) with a password of our own, validated by cscli. */
async function registerMachine(cscli: (args: string[]) => Promise<string>, dir: string): Promise<Machine> {
  const machine = { id: "feeder", password: randomBytes(24).toString("hex") };
  const file = join(dir, "feeder-credentials.yaml");
  await cscli(["machines", "add", machine.id, "--password", machine.password, "-f", file, "--force"]);
  return machine;
}

// The LAPI refuses a login whose User-Agent is not "name/version" (Node's default is "node"),
// and says only "incorrect Username or Password".
const USER_AGENT = "f2b-sophosxg-test/1";

async function postAlerts(url: string, machine: Machine, alerts: AlertSpec[]): Promise<void> {
  const login = await fetch(`${url}/v1/watchers/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": USER_AGENT },
    body: JSON.stringify({ machine_id: machine.id, password: machine.password, scenarios: [] }),
  });
  const { token } = (await login.json()) as { token?: string };
  if (!login.ok || token === undefined)
    throw new Error(`the LAPI refused the machine's login: HTTP ${login.status}`);
  const now = new Date().toISOString();
  const body = alerts.map((a) => {
    const scenario = a.scenario ?? `f2b-test/${a.origin ?? "agent"}`;
    return {
      scenario,
      scenario_hash: "",
      scenario_version: "",
      message: `test alert on ${a.ip}`,
      events_count: 1,
      start_at: now,
      stop_at: now,
      capacity: 0,
      leakspeed: "0",
      simulated: false,
      remediation: true,
      events: [],
      source: { scope: "Ip", value: a.ip, ip: a.ip },
      ...(a.origin !== undefined
        ? {
            decisions: [
              {
                origin: a.origin,
                type: "ban",
                scope: "Ip",
                value: a.ip,
                duration: a.duration ?? "1h",
                scenario,
              },
            ],
          }
        : {}),
    };
  });
  const posted = await fetch(`${url}/v1/alerts`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(body),
  });
  if (posted.status !== 201) throw new Error(`POST /v1/alerts: HTTP ${posted.status} ${await posted.text()}`);
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
  let machine: Machine | undefined;
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
    async postAlerts(alerts) {
      machine ??= await registerMachine(cscli, dir);
      await postAlerts(`http://127.0.0.1:${port}`, machine, alerts);
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

/** The source's resolved config for a LAPI at `lapiUrl`: every filter off, `overrides` on top. */
export function sourceConfig(
  lapiUrl: string,
  apiKey: string,
  overrides: Partial<CrowdsecConfig> = {},
): CrowdsecConfig {
  return {
    lapiUrl,
    apiKey,
    apiKeyFile: "/dev/null",
    pollIntervalMs: 1000,
    origins: [],
    scenariosContaining: [],
    scenariosNotContaining: [],
    minDurationMs: 0,
    maxDecisions: 1000,
    onlyBanType: true,
    requestTimeoutMs: 3000,
    ...overrides,
  };
}
