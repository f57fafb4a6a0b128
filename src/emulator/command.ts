/**
 * `f2b-sophosxg emulator [flags]`: starts the emulator, prints one ready line, runs until
 * SIGINT/SIGTERM. The CLI imports this lazily; it returns the exit code and never exits itself.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { F2bError } from "../errors/base.ts";
import { parseCallerSpan } from "./caller-allowed.ts";
import { type EmulatorOptions, REALISTIC_LATENCY, startEmulator } from "./index.ts";
import type { BehaviourSwitches, LatencySettings } from "./options.ts";
import { loadProfile, withProfile } from "./profile.ts";

export interface CommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export const EMULATOR_USAGE = `Usage: f2b-sophosxg emulator [options]

Runs a local Sophos Firewall XML API emulator (IPHost, IPHostGroup) until SIGINT/SIGTERM.
Prints one ready line: url=..., sha256=<certificate SHA-256, 64 lowercase hex digits, no colons>.

Profile
  --profile FILE              behave like a known firmware (profiles/sfos-20.json, sfos-22.json) or like the
                              firewall of a probe report (f2b-sophosxg probe --json FILE); flags below win
Listening
  --host ADDR                 listen address (default 127.0.0.1)
  --port N                    port (default 4444; 0 picks a free one)
  --cert FILE --key FILE      PEM certificate and key (default: self-signed EC, localhost/127.0.0.1/::1)
  --insecure-http             plain HTTP instead of HTTPS
  --control-port N            also serve /_emulator/ on this port (reachable while the API is down)
  --allow-ip ADDR             callers allowed to use the API: address, CIDR or a-b range (repeatable; others get 534)
  --allow-host NAME           SFOS 22 style: an IP host object whose addresses may use the API (repeatable)
Login
  --user NAME                 accepted API user (default admin)
  --password TEXT             accepted API password (default admin: a local toy only)
  --password-file FILE        read the password from FILE (first line), keeps it out of argv
Objects
  --state FILE                persist objects as JSON (atomic writes); in memory without it
  --seed-foreign N            seed N foreign IP hosts and two foreign groups
Latency (per request, ms; multiplied by --time-scale)
  --latency-read-ms N  --latency-write-ms N  --latency-entity-ms N
  --realistic                 1000 ms reads, 6000 ms writes
  --time-scale X              multiply all latencies (0.01 = 100x faster)
Faults (also switchable at run time: POST /_emulator/faults)
  --down  --reset  --hang  --api-disabled  --caller-not-allowed  --wrong-credentials
  --fail-status CODE  --fail-count N  --fail-scope auto|top|http
Control
  --control-secret TEXT       bearer secret for /_emulator/ (default: random, printed)
  --control-secret-file FILE  write the generated secret here (mode 600) instead of printing it
Firmware answers (open questions, see docs/emulator.md)
  --api-version V             Response APIVersion (default 2000.2)
  --no-records-text no|number "No. of records Zero." (default) or "Number of records Zero."
  --remove-member CODE|allow  removing a host still in a group (default 510)
  --missing-group-code CODE   IPHost naming a missing group (default 500)
  --update-missing CODE|add   update of a missing object (default 500)
  --remove-group-hostlist reject|mimic   <Remove><IPHostGroup> with a HostList (default reject)
  --ipv6-subnet prefix|mask|both         IPv6 Network subnet form (default both)
  --reject-duplicate-address  refuse a second host with the same address (503)
  --transactionid echo|empty  echo a request's transactionid per entity (default echo)
  --unmodelled-get no-records|transaction-fail  Get of FQDNHost, MACHost, … (default no-records)
  --tag-case sensitive|insensitive       element name case (default sensitive)
  --login-lockout N:M         block a caller's logins after N failures for M minutes (default off)
  --get-requests allow|refuse reqxml in a GET query string (default allow; refuse answers 529)
  --max-url-bytes N           longer request lines answer HTTP 414 (default no cap)
  --remove-missing-group-code CODE       Remove of a missing IPHostGroup (default 528)
  --invalid-enum-code CODE    invalid HostType or IPFamily (default 501)
  --iplist-max N              most addresses in one IPList (default 1000)
  --help                      this text
`;

class UsageProblem extends Error {}

const OPTIONS = {
  profile: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  "password-file": { type: "string" },
  state: { type: "string" },
  "latency-read-ms": { type: "string" },
  "latency-write-ms": { type: "string" },
  "latency-entity-ms": { type: "string" },
  realistic: { type: "boolean" },
  "time-scale": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  "insecure-http": { type: "boolean" },
  "seed-foreign": { type: "string" },
  "control-secret": { type: "string" },
  "control-secret-file": { type: "string" },
  "control-port": { type: "string" },
  "allow-ip": { type: "string", multiple: true },
  "allow-host": { type: "string", multiple: true },
  down: { type: "boolean" },
  reset: { type: "boolean" },
  hang: { type: "boolean" },
  "api-disabled": { type: "boolean" },
  "caller-not-allowed": { type: "boolean" },
  "wrong-credentials": { type: "boolean" },
  "fail-status": { type: "string" },
  "fail-count": { type: "string" },
  "fail-scope": { type: "string" },
  "api-version": { type: "string" },
  "no-records-text": { type: "string" },
  "remove-member": { type: "string" },
  "missing-group-code": { type: "string" },
  "update-missing": { type: "string" },
  "remove-group-hostlist": { type: "string" },
  "ipv6-subnet": { type: "string" },
  "reject-duplicate-address": { type: "boolean" },
  transactionid: { type: "string" },
  "unmodelled-get": { type: "string" },
  "tag-case": { type: "string" },
  "login-lockout": { type: "string" },
  "get-requests": { type: "string" },
  "max-url-bytes": { type: "string" },
  "remove-missing-group-code": { type: "string" },
  "invalid-enum-code": { type: "string" },
  "iplist-max": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>["values"];

function num(
  values: Values,
  key: keyof Values,
  opts: { integer?: boolean; min?: number; max?: number } = {},
) {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const bad =
    typeof raw !== "string" ||
    raw.trim() === "" ||
    !Number.isFinite(n) ||
    (opts.integer && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max);
  if (bad)
    throw new UsageProblem(
      `--${key} must be a ${opts.integer ? "whole " : ""}number${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}, got "${String(raw)}"`,
    );
  return n;
}

function codeOr<T extends string>(raw: string | undefined, word: T, flag: string): number | T | undefined {
  if (raw === undefined) return undefined;
  if (raw === word) return word;
  if (/^[1-9]\d\d$/.test(raw)) return Number(raw);
  throw new UsageProblem(`--${flag} must be a status code or "${word}", got "${raw}"`);
}

function oneOf<T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  flag: string,
): T | undefined {
  if (raw === undefined) return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageProblem(`--${flag} must be one of ${allowed.join(", ")}, got "${raw}"`);
}

async function toOptions(values: Values): Promise<EmulatorOptions> {
  if ((values.cert === undefined) !== (values.key === undefined))
    throw new UsageProblem("--cert and --key go together");
  if (values.password !== undefined && values["password-file"] !== undefined) {
    throw new UsageProblem("give --password or --password-file, not both");
  }
  const options: EmulatorOptions = {
    host: values.host ?? "127.0.0.1",
    port: num(values, "port", { integer: true, min: 0, max: 65535 }) ?? 4444,
  };
  if (values.user !== undefined) options.username = values.user;
  if (values.password !== undefined) options.password = values.password;
  if (values["password-file"] !== undefined) {
    const text = await readFile(values["password-file"], "utf8");
    options.password = text.split(/\r?\n/)[0] ?? "";
  }
  if (values.state !== undefined) options.statePath = values.state;
  const latency: Partial<LatencySettings> = values.realistic ? { ...REALISTIC_LATENCY } : {};
  const read = num(values, "latency-read-ms", { min: 0 });
  const write = num(values, "latency-write-ms", { min: 0 });
  const entity = num(values, "latency-entity-ms", { min: 0 });
  const scale = num(values, "time-scale", { min: 0 });
  if (read !== undefined) latency.readMs = read;
  if (write !== undefined) latency.writeMs = write;
  if (entity !== undefined) latency.entityMs = entity;
  if (scale !== undefined) latency.timeScale = scale;
  options.latency = latency;
  if (values.cert !== undefined && values.key !== undefined) {
    options.certPem = await readFile(values.cert, "utf8");
    options.keyPem = await readFile(values.key, "utf8");
  }
  if (values["insecure-http"]) options.insecureHttp = true;
  const seed = num(values, "seed-foreign", { integer: true, min: 0 });
  if (seed !== undefined) options.seedForeign = seed;
  if (values["control-secret"] !== undefined) options.controlSecret = values["control-secret"];
  const controlPort = num(values, "control-port", { integer: true, min: 0, max: 65535 });
  if (controlPort !== undefined) options.controlPort = controlPort;
  if (values["allow-ip"] !== undefined) {
    for (const entry of values["allow-ip"]) {
      if (parseCallerSpan(entry) === undefined)
        throw new UsageProblem(`--allow-ip "${entry}" is not an address, a CIDR or a range a-b`);
    }
    options.allowedCallers = values["allow-ip"];
  }
  if (values["allow-host"] !== undefined) options.allowedCallerHosts = values["allow-host"];
  const failStatus = num(values, "fail-status", { integer: true, min: 100, max: 999 });
  const failCount = num(values, "fail-count", { integer: true, min: 0 });
  options.faults = {
    down: values.down ?? false,
    reset: values.reset ?? false,
    hang: values.hang ?? false,
    apiDisabled: values["api-disabled"] ?? false,
    callerNotAllowed: values["caller-not-allowed"] ?? false,
    wrongCredentials: values["wrong-credentials"] ?? false,
    ...(failStatus !== undefined ? { statusCode: failStatus, count: failCount ?? 1 } : {}),
    scope: oneOf(values["fail-scope"], ["auto", "top", "http"] as const, "fail-scope") ?? "auto",
  };
  if (values["api-version"] !== undefined) options.apiVersion = values["api-version"];
  options.behaviour = behaviourFrom(values);
  return options;
}

function behaviourFrom(values: Values): Partial<BehaviourSwitches> {
  const b: Partial<BehaviourSwitches> = {};
  const text = oneOf(values["no-records-text"], ["no", "number"] as const, "no-records-text");
  if (text !== undefined)
    b.noRecordsText = text === "no" ? "No. of records Zero." : "Number of records Zero.";
  const removeMember = codeOr(values["remove-member"], "allow", "remove-member");
  if (removeMember !== undefined) b.removeMember = removeMember;
  const missingGroup = num(values, "missing-group-code", { integer: true, min: 100, max: 999 });
  if (missingGroup !== undefined) b.missingGroupCode = missingGroup;
  const updateMissing = codeOr(values["update-missing"], "add", "update-missing");
  if (updateMissing !== undefined) b.updateMissing = updateMissing;
  const hostList = oneOf(
    values["remove-group-hostlist"],
    ["reject", "mimic"] as const,
    "remove-group-hostlist",
  );
  if (hostList !== undefined) b.removeGroupWithHostList = hostList;
  const v6 = oneOf(values["ipv6-subnet"], ["prefix", "mask", "both"] as const, "ipv6-subnet");
  if (v6 !== undefined) b.ipv6Subnet = v6;
  if (values["reject-duplicate-address"]) b.rejectDuplicateAddress = true;
  const tid = oneOf(values.transactionid, ["echo", "empty"] as const, "transactionid");
  if (tid !== undefined) b.echoTransactionId = tid === "echo";
  const unmodelled = oneOf(
    values["unmodelled-get"],
    ["no-records", "transaction-fail"] as const,
    "unmodelled-get",
  );
  if (unmodelled !== undefined) b.unmodelledGet = unmodelled;
  const tagCase = oneOf(values["tag-case"], ["sensitive", "insensitive"] as const, "tag-case");
  if (tagCase !== undefined) b.tagCase = tagCase;
  const lockout = values["login-lockout"];
  if (lockout !== undefined) {
    const match = /^([1-9]\d*):([1-9]\d*)$/.exec(lockout);
    if (match === null) throw new UsageProblem(`--login-lockout must be FAILURES:MINUTES, got "${lockout}"`);
    b.loginLockout = { failures: Number(match[1]), minutes: Number(match[2]) };
  }
  const get = oneOf(values["get-requests"], ["allow", "refuse"] as const, "get-requests");
  if (get !== undefined) b.getRequests = get;
  const maxUrl = num(values, "max-url-bytes", { integer: true, min: 16 });
  if (maxUrl !== undefined) b.maxUrlBytes = maxUrl;
  const removeMissing = num(values, "remove-missing-group-code", { integer: true, min: 100, max: 999 });
  if (removeMissing !== undefined) b.removeMissingGroupCode = removeMissing;
  const invalidEnum = num(values, "invalid-enum-code", { integer: true, min: 100, max: 999 });
  if (invalidEnum !== undefined) b.invalidEnumCode = invalidEnum;
  const ipListMax = num(values, "iplist-max", { integer: true, min: 1 });
  if (ipListMax !== undefined) b.ipListMax = ipListMax;
  return b;
}

/** Resolves when SIGINT or SIGTERM arrives (or `stop` is aborted, for tests). */
function waitForSignal(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (name: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(name);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    signal?.addEventListener("abort", () => done("abort"), { once: true });
  });
}

export async function runEmulatorCommand(args: string[], io: CommandIo, stop?: AbortSignal): Promise<number> {
  let values: Values;
  let options: EmulatorOptions;
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
    if (values.help) {
      for (const line of EMULATOR_USAGE.trimEnd().split("\n")) io.stdout(line);
      return 0;
    }
    options = await toOptions(values);
    if (values.profile !== undefined) options = withProfile(await loadProfile(values.profile), options);
  } catch (error) {
    const message =
      error instanceof F2bError ? error.toLine() : error instanceof Error ? error.message : String(error);
    io.stderr(`f2b-sophosxg emulator: ${message}`);
    io.stderr("Run f2b-sophosxg emulator --help for the options.");
    return 2;
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    io.stderr(`f2b-sophosxg emulator: ${error instanceof F2bError ? error.toLine() : String(error)}`);
    return 1;
  }
  let secretNote = `control-secret=${emulator.controlSecret}`;
  if (values["control-secret"] !== undefined) secretNote = "(control secret as given)";
  else if (values["control-secret-file"] !== undefined) {
    await writeFile(values["control-secret-file"], `${emulator.controlSecret}\n`, { mode: 0o600 });
    secretNote = `(control secret in ${values["control-secret-file"]})`;
  }
  const sha = options.insecureHttp ? "sha256=none(plain-http)" : `sha256=${emulator.fingerprint256}`;
  const control = `control=${emulator.controlUrl ?? emulator.url}/_emulator/`;
  const login =
    values.password === undefined && values["password-file"] === undefined
      ? " (default login admin/admin)"
      : "";
  const shaNote = options.insecureHttp
    ? ""
    : " (sha256 = certificate SHA-256, 64 lowercase hex digits, no colons)";
  // Listen for signals before saying "ready": a caller may send SIGTERM as soon as it reads the line.
  const stopped = waitForSignal(stop);
  io.stdout(
    `f2b-sophosxg emulator ready url=${emulator.url} ${sha} ${control} ${secretNote}${login}${shaNote}`,
  );
  const signal = await stopped;
  await emulator.close();
  io.stderr(`f2b-sophosxg emulator: stopped (${signal})`);
  return 0;
}
