/**
 * `f2b-sophosxg doctor`: walks the chain from the config file to the Fail2ban jail and prints one
 * line per step: `ok`, `warn`, `info`, `FAIL` (with the fix) or `skip` (an earlier step that the
 * step needs failed). Exit 0 without a FAIL, 1 otherwise. It writes nothing on the firewall except
 * one IP host of our own prefix (`<prefix>doctor_probe`, in no group), created and deleted again to
 * prove the write permission, and, while this firewall's IPv6 network form is not known yet, one
 * IPv6 network (`<prefix>doctor_probe6`, in no group), created and deleted to learn it; and nothing
 * locally except a probe file in the state directory and what it learned (learned.json).
 */
import type * as Dns from "node:dns/promises";
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import type * as Net from "node:net";
import { dirname, join } from "node:path";
import type * as Tls from "node:tls";
import type { ActionOutcome } from "../action/outcome.ts";
import { firewallConfigs } from "../config/firewall-configs.ts";
import { loadConfig, resolveConfigPath } from "../config/index.ts";
import { octalMode } from "../config/permissions.ts";
import type { Config } from "../config/types.ts";
import { ConfigError, F2bError } from "../errors/base.ts";
import { deliveryDirOf, runningAgentPid } from "../journal/index.ts";
import { Hints } from "../sophos/errors.ts";
import {
  ApiDisabledError,
  AuthenticationError,
  CallerNotAllowedError,
  SophosClient,
  TlsError,
} from "../sophos/index.ts";
import { ensureGroups, shardFromHost } from "../targets/sophos/index.ts";
import type { GroupCheck } from "../targets/target.ts";
import { IPV6_STEP, ipv6NetworkStep } from "./doctor-ipv6.ts";
import { addProbe, PROBE_DESCRIPTION } from "./doctor-probe.ts";

export const FAIL2BAN_DIR_ENV = "F2B_SOPHOSXG_FAIL2BAN_DIR";
export const DEFAULT_FAIL2BAN_DIR = "/etc/fail2ban";
/** The IP host the write probe creates and deletes: ours (our prefix), never in a group. */
export const PROBE_SUFFIX = "doctor_probe";
/** TEST-NET-1 (RFC 5737): documentation only, never a real source of traffic. */
export const PROBE_ADDRESS = "192.0.2.254";

export interface DoctorOptions {
  configFile: string | undefined;
  print: (line: string) => void;
  /** `--firewall NAME`: check only this one of several firewalls. */
  firewall?: string;
  /** Environment for the config search and `pass_env`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Fail2ban's configuration directory; default `$F2B_SOPHOSXG_FAIL2BAN_DIR` or /etc/fail2ban. */
  fail2banDir?: string;
}

type Status = "ok" | "warn" | "info" | "FAIL" | "skip";

class Report {
  failed = false;
  constructor(private readonly print: (line: string) => void) {}
  line(status: Status, step: string, what: string, fix?: string): void {
    if (status === "FAIL") this.failed = true;
    const text = `${status.padEnd(4)}  ${step}: ${oneLine(what)}`;
    this.print(fix === undefined ? text : `${text} -> fix: ${oneLine(fix)}`);
  }
  skip(step: string, because: string): void {
    this.line("skip", step, `not checked (${because})`);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").slice(0, 1200);
}

function describe(error: unknown): string {
  if (error instanceof F2bError) return error.message;
  return String((error as Error)?.message ?? error);
}

function hintOf(error: unknown, fallback: string): string {
  return error instanceof F2bError && error.hint !== undefined ? error.hint : fallback;
}

export async function doctor(options: DoctorOptions): Promise<ActionOutcome> {
  const env = options.env ?? process.env;
  const report = new Report(options.print);
  const config = await configSteps(report, options.configFile, env);
  if (config === undefined) {
    for (const step of ["resolve", ...FIREWALL_STEPS]) {
      report.skip(step, "no usable config");
    }
    report.skip("state dir", "no usable config");
    report.skip("agent", "no usable config");
  } else {
    // Several firewalls: the network-to-groups steps for each (or the one asked for).
    const all = firewallConfigs(config);
    const chosen = options.firewall === undefined ? all : all.filter((f) => f.name === options.firewall);
    if (chosen.length === 0) {
      report.line(
        "FAIL",
        "firewall",
        `no firewall named ${JSON.stringify(options.firewall)} in the config`,
        `use one of: ${all.map((f) => f.name).join(", ")}`,
      );
    }
    for (const fw of chosen) {
      if (config.firewalls !== undefined) options.print(`firewall ${fw.name} (${fw.config.url}):`);
      await firewallSteps(report, fw.config, deliveryDirOf(fw.config.stateDir, fw.name));
    }
    stateSteps(report, config);
    if (config.crowdsec) {
      const { crowdsecDoctorSteps } = await import("../sources/crowdsec/doctor-steps.ts");
      await crowdsecDoctorSteps((...line) => report.line(...line), config.crowdsec, config.stateDir);
    }
    // Fleet hook point: Redis reachable, auth, persistence, pusher, members (src/fleet/).
    if (config.fleet) {
      const fleet = await (await import("../fleet/command.ts")).fleetDoctor(config.fleet);
      for (const line of fleet.lines) report.line(line.ok ? "ok" : "FAIL", "fleet", line.text);
    }
  }
  const fail2banDir = options.fail2banDir ?? env[FAIL2BAN_DIR_ENV] ?? DEFAULT_FAIL2BAN_DIR;
  // A CrowdSec bouncer needs no Fail2ban at all.
  if (config?.crowdsec && !existsSync(fail2banDir))
    report.line("info", "fail2ban", `${fail2banDir} does not exist: CrowdSec alone feeds the firewall`);
  else fail2banSteps(report, fail2banDir);
  return { exitCode: report.failed ? 1 : 0, lines: [] };
}

// ---- config -------------------------------------------------------------------------------------

async function configSteps(
  report: Report,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Config | undefined> {
  const path = resolveConfigPath(configFile, { env });
  let mode: number | undefined;
  try {
    const info = statSync(path);
    mode = info.mode & 0o777;
  } catch {
    // loadConfig below says what is wrong (not found, permission denied) and what to do.
  }
  let loaded: Awaited<ReturnType<typeof loadConfig>> | undefined;
  let problems: string[] = [];
  try {
    loaded = await loadConfig(configFile === undefined ? { env } : { path: configFile, env });
  } catch (error) {
    problems = error instanceof ConfigError && error.problems.length > 0 ? error.problems : [describe(error)];
  }
  const permissionLine = (p: string) => p.includes("is accessible by group or others");
  if (mode !== undefined) {
    if ((mode & 0o077) === 0) report.line("ok", "permissions", `${path} is mode ${octalMode(mode)}`);
    else if (loaded?.config.allowWorldReadable)
      report.line(
        "warn",
        "permissions",
        `${path} is mode ${octalMode(mode)}, accepted by "allow_world_readable"`,
        `chmod 600 ${path} and remove "allow_world_readable"`,
      );
    else
      report.line(
        "FAIL",
        "permissions",
        `${path} is mode ${octalMode(mode)}: group or others can read the credentials`,
        `chmod 600 ${path}`,
      );
  }
  for (const problem of problems.filter(permissionLine).filter((p) => !p.startsWith(`${path}:`))) {
    report.line("FAIL", "permissions", problem, "chmod 600 the file named");
  }
  if (loaded === undefined) {
    const rest = problems.filter((p) => !permissionLine(p));
    if (rest.length > 0)
      report.line("FAIL", "config", rest.join("; "), "fix the keys listed; see docs/configuration.md");
    else report.line("FAIL", "config", `${path} is refused for its permissions`, `chmod 600 ${path}`);
    return undefined;
  }
  const c = loaded.config;
  report.line(
    "ok",
    "config",
    `${loaded.path} loads: ${c.url}, user ${c.username}, password from "${c.passwordSource}", TLS mode ${c.tls.mode}, prefix ${c.prefix}, groups ${c.groups.IPv4}/${c.groups.IPv6}`,
  );
  for (const warning of loaded.warnings) report.line("warn", "config", warning);
  return c;
}

// ---- the firewall -------------------------------------------------------------------------------

const FIREWALL_STEPS = ["connect", "tls", "api", "caller", "login", "read", "groups", "write", IPV6_STEP];

function skipFrom(report: Report, step: string, because: string): void {
  for (const s of FIREWALL_STEPS.slice(FIREWALL_STEPS.indexOf(step))) report.skip(s, because);
}

// The network modules load only when doctor reaches the firewall steps: imported at the top, the
// bundler would hoist them into the CLI's start-up, which every Fail2ban hook pays for.
let lookup: typeof Dns.lookup;
let net: typeof Net;
let tls: typeof Tls;

async function loadNetworking(): Promise<void> {
  const [dns, netModule, tlsModule] = await Promise.all([
    import("node:dns/promises"),
    import("node:net"),
    import("node:tls"),
  ]);
  lookup = dns.lookup;
  net = netModule;
  tls = tlsModule;
}

/** `firewallDir`: where this firewall's delivery state (and what was learned of it) lives. */
async function firewallSteps(report: Report, config: Config, firewallDir: string): Promise<void> {
  await loadNetworking();
  const url = new URL(config.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  let address = host;
  if (net.isIP(host) !== 0) {
    report.line("ok", "resolve", `${host} is an address`);
  } else {
    try {
      const found = await withTimeout(lookup(host, { all: true }), config.connectTimeoutMs, "name lookup");
      address = found[0]?.address ?? host;
      report.line("ok", "resolve", `${host} -> ${found.map((a) => a.address).join(", ")}`);
    } catch (error) {
      report.line(
        "FAIL",
        "resolve",
        `cannot resolve ${host} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`,
        `check the host name in "url" and this host's DNS (/etc/resolv.conf), or use the firewall's address`,
      );
      skipFrom(report, "connect", "name not resolved");
      return;
    }
  }
  try {
    await tcpConnect(address, port, config.connectTimeoutMs);
    report.line("ok", "connect", `TCP ${address} port ${port}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    report.line(
      "FAIL",
      "connect",
      `cannot connect to ${address} port ${port} (${code || describe(error)})`,
      code === "ECONNREFUSED"
        ? `nothing listens there: check the port in "url" (the web admin console, default 4444)`
        : `check routing and firewall rules between this host and the firewall, and that the web admin console is reachable from this zone (Administration > Device access)`,
    );
    skipFrom(report, "tls", "no connection");
    return;
  }
  if (url.protocol !== "https:") {
    report.line(
      "warn",
      "tls",
      "plain http://: no TLS, the password crosses the network in clear text",
      `use https:// and remove "allow_insecure_http"`,
    );
  } else if (!(await tlsStep(report, config, host, address, port))) {
    skipFrom(report, "api", "TLS failed");
    return;
  }
  const client = new SophosClient({
    url: config.url,
    username: config.username,
    password: config.password,
    tls: config.tls.mode === "ca" ? { mode: "ca", ca: config.tls.ca } : config.tls,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxEntitiesPerRequest: config.maxEntitiesPerRequest,
    allowInsecureHttp: config.allowInsecureHttp,
  });
  try {
    if (!(await loginSteps(report, client))) {
      skipFrom(report, "read", "not logged in");
      return;
    }
    await objectSteps(report, client, config, firewallDir);
  } finally {
    client.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { code: "ETIMEDOUT" })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function tcpConnect(address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

interface Handshake {
  fingerprint: string | undefined;
  authorized: boolean;
  authorizationError: string | undefined;
  identityError: string | undefined;
}

/** A TLS handshake only: no byte of any request is written. */
function handshake(
  host: string,
  address: string,
  port: number,
  ca: string | undefined,
  timeoutMs: number,
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      ...(ca !== undefined ? { ca } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      const identity = cert && Object.keys(cert).length > 0 ? tls.checkServerIdentity(host, cert) : undefined;
      resolve({
        fingerprint: typeof cert?.fingerprint256 === "string" ? cert.fingerprint256.toUpperCase() : undefined,
        authorized: socket.authorized,
        authorizationError:
          socket.authorizationError === undefined || socket.authorizationError === null
            ? undefined
            : String(socket.authorizationError),
        identityError: identity?.message,
      });
      socket.destroy();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function plainHex(fingerprint: string): string {
  return fingerprint.replaceAll(":", "").toLowerCase();
}

async function tlsStep(
  report: Report,
  config: Config,
  host: string,
  address: string,
  port: number,
): Promise<boolean> {
  const mode = config.tls;
  let shake: Handshake;
  try {
    shake = await handshake(
      host,
      address,
      port,
      mode.mode === "ca" ? mode.ca : undefined,
      config.connectTimeoutMs,
    );
  } catch (error) {
    report.line(
      "FAIL",
      "tls",
      `no TLS handshake with ${address} port ${port} (${(error as NodeJS.ErrnoException).code ?? describe(error)})`,
      `check that "url" names the web admin console (https, default port 4444)`,
    );
    return false;
  }
  const actual = shake.fingerprint ?? "(none)";
  const pinFix = (why: string) =>
    `${why}; if ${actual} is the certificate shown on the firewall (Certificates, or its console), set "tls_pin_sha256": "${plainHex(actual)}"`;
  switch (mode.mode) {
    case "pin":
      if (shake.fingerprint !== undefined && plainHex(shake.fingerprint) === mode.sha256) {
        report.line("ok", "tls", `certificate matches the pinned SHA-256 ${actual}`);
        return true;
      }
      report.line(
        "FAIL",
        "tls",
        `certificate SHA-256 is ${actual}, the pin is ${mode.sha256}: nothing was sent`,
        pinFix("the certificate was renewed or something is in between"),
      );
      return false;
    case "insecure":
      report.line(
        "warn",
        "tls",
        `certificate not checked (insecure mode); the firewall presented SHA-256 ${actual}`,
        pinFix("turn the check on"),
      );
      return true;
    default: {
      const problem = !shake.authorized
        ? `not trusted (${shake.authorizationError ?? "unknown reason"})`
        : shake.identityError;
      if (problem === undefined) {
        report.line(
          "ok",
          "tls",
          `certificate trusted (${mode.mode === "ca" ? "tls_ca_file" : "system CAs"}), SHA-256 ${actual}`,
        );
        return true;
      }
      report.line(
        "FAIL",
        "tls",
        `certificate ${problem}; SHA-256 ${actual}`,
        pinFix(mode.mode === "ca" ? "check tls_ca_file" : 'set "tls_ca_file" to the CA that issued it'),
      );
      return false;
    }
  }
}

/** api (532), caller (534) and login, from one login request. */
async function loginSteps(report: Report, client: SophosClient): Promise<boolean> {
  let apiVersion: string | undefined;
  try {
    // A login-only request, as client.login() sends, keeping the answer for its APIVersion.
    apiVersion = (await client.sendRaw("")).apiVersion;
  } catch (error) {
    if (error instanceof ApiDisabledError) {
      report.line("FAIL", "api", `API access is disabled (532): ${describe(error)}`, Hints.apiDisabled);
      report.skip("caller", "API disabled");
      report.skip("login", "API disabled");
      return false;
    }
    if (error instanceof CallerNotAllowedError) {
      report.line("ok", "api", "the API answers");
      report.line("FAIL", "caller", `this host is not allowed to use the API (534)`, Hints.callerNotAllowed);
      report.skip("login", "caller not allowed");
      return false;
    }
    if (error instanceof AuthenticationError) {
      report.line("ok", "api", "the API answers");
      report.line("ok", "caller", "this host may use the API");
      report.line("FAIL", "login", `login refused: ${describe(error)}`, Hints.auth);
      return false;
    }
    const step = error instanceof TlsError ? "tls" : "api";
    report.line(
      "FAIL",
      step,
      describe(error),
      hintOf(error, "check the URL and the firewall's API settings"),
    );
    if (step === "api") {
      report.skip("caller", "no API answer");
      report.skip("login", "no API answer");
    }
    return false;
  }
  report.line("ok", "api", "the API answers");
  report.line("ok", "caller", "this host may use the API");
  report.line("ok", "login", "logged in");
  report.line(
    "ok",
    "firmware",
    apiVersion === undefined
      ? "the firewall reports no APIVersion"
      : `APIVersion ${apiVersion} (f2b-sophosxg probe measures what this firmware answers; docs/probe.md)`,
  );
  return true;
}

async function objectSteps(
  report: Report,
  client: SophosClient,
  config: Config,
  firewallDir: string,
): Promise<void> {
  const permissionFix =
    "give the API user's administrator profile read-write on Objects (IP hosts and groups) and Network";
  let groups: GroupCheck[] | undefined;
  let groupError: unknown;
  try {
    const ours = await client.getIpHostsByNamePrefix(config.prefix);
    try {
      groups = await ensureGroups(client, config.groups, { create: false });
    } catch (error) {
      groupError = error;
    }
    const shards = ours.map((h) => shardFromHost(config.prefix, h)).filter((s) => s !== undefined);
    const inShards = shards.reduce((sum, s) => sum + s.addresses.length, 0);
    const shardNote =
      shards.length > 0 ? `, of them ${shards.length} IP list shard(s) holding ${inShards} address(es)` : "";
    report.line(
      "ok",
      "read",
      `read IP hosts and groups (${ours.length} IP host(s) named ${config.prefix}*${shardNote}; layout ${config.layout})`,
    );
  } catch (error) {
    report.line("FAIL", "read", `cannot read IP hosts: ${describe(error)}`, hintOf(error, permissionFix));
    report.skip("groups", "cannot read");
    report.skip("write", "cannot read");
    report.skip(IPV6_STEP, "cannot read");
    return;
  }
  if (groups === undefined) {
    report.line("FAIL", "groups", describe(groupError), hintOf(groupError, permissionFix));
  } else {
    const missing = groups.filter((g) => g.state === "missing");
    const text = groups
      .map((g) => `${g.name} (${g.family}, ${g.state === "missing" ? "missing" : `${g.members} member(s)`})`)
      .join(", ");
    if (missing.length === 0) report.line("ok", "groups", text);
    else
      report.line(
        "warn",
        "groups",
        text,
        "Fail2ban's actionstart creates them: restart Fail2ban, or run f2b-sophosxg start; then use them in a firewall rule",
      );
  }
  const wrote = await writeProbe(report, client, config, permissionFix);
  await ipv6NetworkStep(report, client, config, firewallDir, wrote);
}

/** The write probe; true when it created and deleted its IP host. */
async function writeProbe(
  report: Report,
  client: SophosClient,
  config: Config,
  fix: string,
): Promise<boolean> {
  const name = `${config.prefix}${PROBE_SUFFIX}`;
  const probe = {
    name,
    ipFamily: "IPv4" as const,
    hostType: "IP" as const,
    ipAddress: PROBE_ADDRESS,
    description: PROBE_DESCRIPTION,
    hostGroups: [],
  };
  try {
    const added = await addProbe(client, probe, async (host) => (await client.setIpHosts([host], "add"))[0]);
    if (added === "foreign") {
      report.line(
        "FAIL",
        "write",
        `an IP host named ${name} exists and is not doctor's probe; left alone`,
        `rename or delete ${name} on the firewall, or change "iphost_prefix"`,
      );
      return false;
    }
    if (added !== undefined && !added.ok) {
      report.line("FAIL", "write", `cannot create IP host ${name}: ${added.text}`, fix);
      return false;
    }
    const [removed] = await client.removeIpHosts([name]);
    if (removed !== undefined && !removed.ok) {
      report.line(
        "FAIL",
        "write",
        `created IP host ${name} but cannot delete it: ${removed.text}`,
        `${fix}; then delete ${name} on the firewall`,
      );
      return false;
    }
    report.line("ok", "write", `created and deleted IP host ${name}`);
    return true;
  } catch (error) {
    report.line("FAIL", "write", `write probe ${name}: ${describe(error)}`, hintOf(error, fix));
    return false;
  }
}

// ---- local state ----------------------------------------------------------------------------------

function stateSteps(report: Report, config: Config): void {
  const dir = config.stateDir;
  let exists = false;
  try {
    const info = statSync(dir);
    if (!info.isDirectory()) {
      report.line("FAIL", "state dir", `${dir} is not a directory`, `remove it, or set "state_dir"`);
      report.skip("agent", "no state directory");
      return;
    }
    exists = true;
    const probe = join(dir, `.doctor-probe-${process.pid}`);
    writeFileSync(probe, "", { mode: 0o600 });
    unlinkSync(probe);
    const mode = info.mode & 0o777;
    if ((mode & 0o077) !== 0)
      report.line(
        "warn",
        "state dir",
        `${dir} is writable but mode ${octalMode(mode)} (it lists banned addresses)`,
        `chmod 700 ${dir}`,
      );
    else report.line("ok", "state dir", `${dir} is writable`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (!exists && code === "ENOENT") {
      let parentOk = false;
      try {
        parentOk = statSync(dirname(dir)).isDirectory();
      } catch {}
      if (parentOk)
        report.line(
          "info",
          "state dir",
          `${dir} does not exist yet: the first command creates it (mode 0700)`,
        );
      else
        report.line(
          "FAIL",
          "state dir",
          `${dir} and its parent do not exist`,
          `mkdir -p -m 700 ${dir}, or set "state_dir"`,
        );
    } else {
      report.line(
        "FAIL",
        "state dir",
        `${dir} is not writable (${code || describe(error)})`,
        `run as root, or fix the owner of ${dir}`,
      );
    }
  }
  const pid = runningAgentPid(dir);
  if (pid !== undefined) report.line("ok", "agent", `running (pid ${pid})`);
  else
    report.line(
      "info",
      "agent",
      "not running: each Fail2ban hook delivers its own change (optional: systemctl enable --now f2b-sophosxg)",
    );
}

// ---- Fail2ban --------------------------------------------------------------------------------------

function fail2banSteps(report: Report, dir: string): void {
  const actionFile = join(dir, "action.d", "sophosxg.conf");
  let action: string | undefined;
  try {
    action = readFileSync(actionFile, "utf8");
  } catch {
    report.line(
      "FAIL",
      "action file",
      `${actionFile} is missing`,
      "run f2b-sophosxg install (or copy action.d/sophosxg.conf from the package)",
    );
  }
  if (action !== undefined) {
    const program = /^\s*f2b_sophosxg\s*=\s*(\S+)/m.exec(action)?.[1];
    let runnable = program === undefined;
    if (program !== undefined) {
      try {
        runnable = (statSync(program).mode & 0o111) !== 0;
      } catch {}
    }
    if (runnable) report.line("ok", "action file", `${actionFile}${program ? ` runs ${program}` : ""}`);
    else
      report.line(
        "warn",
        "action file",
        `${actionFile} runs ${program}, which is not an executable file here`,
        "run f2b-sophosxg install, or set f2b_sophosxg in action.d/sophosxg.local",
      );
  }
  const jailFiles = [join(dir, "jail.conf"), join(dir, "jail.local")];
  try {
    for (const name of readdirSync(join(dir, "jail.d")).sort()) {
      if (name.endsWith(".conf") || name.endsWith(".local")) jailFiles.push(join(dir, "jail.d", name));
    }
  } catch {}
  const users: string[] = [];
  for (const file of jailFiles) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const uses = text.split("\n").some((line) => !/^\s*[#;]/.test(line) && /\bsophosxg\b/.test(line));
    if (uses) users.push(file);
  }
  if (users.length > 0) report.line("ok", "jail", `sophosxg is used in ${users.join(", ")}`);
  else
    report.line(
      "FAIL",
      "jail",
      `no jail uses the sophosxg action (looked in ${dir}/jail.conf, jail.local, jail.d/*.conf, jail.d/*.local)`,
      `set "banaction = sophosxg" in ${dir}/jail.local ([DEFAULT] or a jail), then fail2ban-client reload`,
    );
}
