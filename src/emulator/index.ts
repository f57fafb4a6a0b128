/**
 * The embedded Sophos Firewall emulator, as a library: `startEmulator(options)` for tests and
 * for the CLI (`f2b-sophosxg emulator`, see command.ts).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { registerSecret } from "../errors/base.ts";
import { StatusCode, StatusText } from "../protocol/index.ts";
import { fingerprintOf, selfSignedIdentity } from "./cert.ts";
import { type ControlApi, handleControl, isControlPath, type ResetWhat } from "./control.ts";
import { type Counters, newCounters, type RequestLogEntry } from "./counters.ts";
import { type DispatchContext, dispatch } from "./dispatcher.ts";
import { FaultError, FaultState } from "./faults.ts";
import { latencyFor, SerialQueue, sleep } from "./latency.ts";
import { LoginLockout } from "./login-lockout.ts";
import {
  type BehaviourSwitches,
  DEFAULT_BEHAVIOUR,
  type EmulatorOptions,
  type Faults,
  type LatencySettings,
  NO_FAULTS,
  NO_LATENCY,
} from "./options.ts";
import { renderPage } from "./page.ts";
import { loadState, saveState } from "./persistence.ts";
import { readReqxml } from "./request-reader.ts";
import { responseDocument, topLevelStatus } from "./response-xml.ts";
import { foreignObjects, normaliseObjects } from "./seed.ts";
import { SwitchableServer, urlHost } from "./server.ts";
import { Store, type StoreSnapshot } from "./store.ts";

export type { Counters, RequestLogEntry } from "./counters.ts";
export { EmulatorError } from "./errors.ts";
export { FaultError } from "./faults.ts";
export type { BehaviourSwitches, EmulatorOptions, Faults, LatencySettings } from "./options.ts";
export {
  DEFAULT_BEHAVIOUR,
  KNOWN_UNMODELLED_TYPES,
  NO_FAULTS,
  NO_LATENCY,
  REALISTIC_LATENCY,
} from "./options.ts";
export type { EmulatorProfile } from "./profile.ts";
export { loadProfile, ProfileError, parseProfile, withProfile } from "./profile.ts";
export type { StoreSnapshot } from "./store.ts";
export { Store } from "./store.ts";

export const API_PATH = "/webconsole/APIController";
const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

/** Fault changes may carry `downForMs`: bring the API back up by itself after that long. */
export type FaultUpdate = Partial<Faults> & { downForMs?: number };

export interface RunningEmulator {
  /** Base URL, e.g. https://127.0.0.1:4444 (the API is at `${url}/webconsole/APIController`). */
  readonly url: string;
  readonly port: number;
  /** Base URL of the separate control port, when one was asked for. */
  readonly controlUrl: string | undefined;
  /** SHA-256 of the certificate, 64 lowercase hex digits without colons ("" over plain HTTP). */
  readonly fingerprint256: string;
  readonly certPem: string;
  readonly controlSecret: string;
  readonly store: Store;
  readonly counters: Counters;
  snapshot(): StoreSnapshot;
  requestLog(): RequestLogEntry[];
  faults(): Faults;
  setFaults(update: FaultUpdate): Promise<Faults>;
  latency(): LatencySettings;
  setLatency(partial: Partial<LatencySettings>): LatencySettings;
  /** The behaviour switches in force. */
  behaviour(): BehaviourSwitches;
  /** Flips behaviour switches from the next request on (a firmware upgrade, in a test). */
  setBehaviour(partial: Partial<BehaviourSwitches>): BehaviourSwitches;
  /** Adds objects without the API's checks (groups before hosts; unknown members dropped). */
  seed(objects: Partial<StoreSnapshot>): Promise<void>;
  seedForeign(count: number): Promise<void>;
  /** Back to system hosts (and a profile's seeded objects) / zero counters / no faults (all three by default). */
  reset(what?: ResetWhat): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(options);
  await emulator.init();
  return emulator;
}

class Emulator implements RunningEmulator {
  readonly store = new Store();
  counters: Counters = newCounters();
  readonly controlSecret: string;
  certPem = "";
  fingerprint256 = "";
  private readonly faultState = new FaultState();
  private readonly queue = new SerialQueue();
  private readonly log: RequestLogEntry[] = [];
  private readonly switches: BehaviourSwitches;
  private readonly lockout: LoginLockout;
  private latencySettings: LatencySettings;
  private api!: SwitchableServer;
  private control: SwitchableServer | undefined;
  private downTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly host: string;

  constructor(private readonly options: EmulatorOptions) {
    this.host = options.host ?? "127.0.0.1";
    this.switches = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
    this.lockout = new LoginLockout(() => this.switches.loginLockout);
    this.latencySettings = { ...NO_LATENCY, ...options.latency };
    this.controlSecret = options.controlSecret ?? randomBytes(24).toString("base64url");
    registerSecret(options.password);
    for (const user of options.extraUsers ?? []) registerSecret(user.password);
  }

  async init(): Promise<void> {
    let tls: { certPem: string; keyPem: string } | undefined;
    if (!this.options.insecureHttp) {
      if (this.options.certPem !== undefined && this.options.keyPem !== undefined) {
        tls = { certPem: this.options.certPem, keyPem: this.options.keyPem };
        this.fingerprint256 = fingerprintOf(tls.certPem);
      } else {
        const identity = await selfSignedIdentity();
        tls = identity;
        this.fingerprint256 = identity.fingerprint256;
      }
      this.certPem = tls.certPem;
    }
    if (this.options.statePath !== undefined) {
      const saved = await loadState(this.options.statePath);
      if (saved !== undefined) this.store.load(normaliseObjects(saved));
    }
    if (this.options.seedForeign) this.store.load(foreignObjects(this.options.seedForeign));
    if (this.options.seedObjects) this.store.load(normaliseObjects(this.options.seedObjects));
    this.faultState.set({ ...this.options.faults, down: false });
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, true);
    this.api = new SwitchableServer(this.host, this.options.port ?? 4444, tls, handler);
    await this.api.start();
    if (this.options.controlPort !== undefined) {
      const controlOnly = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res, false);
      this.control = new SwitchableServer(this.host, this.options.controlPort, tls, controlOnly);
      try {
        await this.control.start();
      } catch (error) {
        await this.api.stop();
        throw error;
      }
    }
    if (this.options.faults?.down) await this.setFaults({ down: true });
  }

  private base(port: number): string {
    return `${this.options.insecureHttp ? "http" : "https"}://${urlHost(this.host)}:${port}`;
  }

  get url(): string {
    return this.base(this.api.port);
  }

  get port(): number {
    return this.api.port;
  }

  get controlUrl(): string | undefined {
    return this.control ? this.base(this.control.port) : undefined;
  }

  snapshot(): StoreSnapshot {
    return this.store.snapshot();
  }

  requestLog(): RequestLogEntry[] {
    return [...this.log];
  }

  faults(): Faults {
    return this.faultState.get();
  }

  async setFaults(update: FaultUpdate): Promise<Faults> {
    const { downForMs, ...partial } = update;
    if (downForMs !== undefined && !(Number.isFinite(downForMs) && downForMs > 0)) {
      throw new FaultError("downForMs must be a positive number of milliseconds");
    }
    const faults = this.faultState.set(partial);
    clearTimeout(this.downTimer);
    this.downTimer = undefined;
    if (faults.down) {
      await this.api.stop();
      if (downForMs !== undefined) {
        this.downTimer = setTimeout(
          () => void this.setFaults({ down: false }).catch(() => undefined),
          downForMs,
        );
        this.downTimer.unref();
      }
    } else if (!this.closed) {
      await this.api.start();
    }
    return faults;
  }

  latency(): LatencySettings {
    return { ...this.latencySettings };
  }

  setLatency(partial: Partial<LatencySettings>): LatencySettings {
    const next = { ...this.latencySettings };
    for (const [key, value] of Object.entries(partial)) {
      if (!(key in next)) throw new FaultError(`unknown latency setting "${key}"`);
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw new FaultError(`${key} must be a number ≥ 0`);
      }
      next[key as keyof LatencySettings] = value;
    }
    this.latencySettings = next;
    return this.latency();
  }

  behaviour(): BehaviourSwitches {
    return structuredClone(this.switches);
  }

  setBehaviour(partial: Partial<BehaviourSwitches>): BehaviourSwitches {
    for (const key of Object.keys(partial)) {
      if (!(key in this.switches)) throw new FaultError(`unknown behaviour switch "${key}"`);
    }
    // In place: the dispatcher and the login lockout hold this object.
    Object.assign(this.switches, partial);
    return this.behaviour();
  }

  async seed(objects: Partial<StoreSnapshot>): Promise<void> {
    this.store.load(normaliseObjects(objects));
    await this.persist();
  }

  async seedForeign(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new FaultError("foreign must be a whole number ≥ 0");
    await this.seed(foreignObjects(count));
  }

  async reset(what: ResetWhat = {}): Promise<void> {
    if (what.objects !== false) {
      this.store.clear();
      // A profile's objects (SFOS 22's apiconfig_ hosts) belong to the firewall, like its system hosts.
      if (this.options.seedObjects) this.store.load(normaliseObjects(this.options.seedObjects));
      await this.persist();
    }
    if (what.counters !== false) {
      this.counters = newCounters();
      this.lockout.clear();
      this.log.length = 0;
    }
    if (what.faults !== false) await this.setFaults({ ...NO_FAULTS });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.downTimer);
    await Promise.all([this.api.stop(), this.control?.stop()]);
  }

  private async persist(): Promise<void> {
    const path = this.options.statePath;
    if (path === undefined) return;
    await this.queue.run(() => saveState(path, this.store.userObjects()));
  }

  private controlApi(): ControlApi {
    return {
      secret: this.controlSecret,
      state: () => ({
        url: this.url,
        objects: this.snapshot(),
        counters: this.counters,
        faults: this.faults(),
        latency: this.latency(),
        behaviour: this.switches,
        queueLength: this.queue.length,
        recentRequests: this.requestLog(),
      }),
      faults: () => this.faults(),
      setFaults: (partial) => this.setFaults(partial as FaultUpdate),
      setLatency: (partial) => this.setLatency(partial as Partial<LatencySettings>),
      reset: (what) => this.reset(what),
      seed: (objects) => this.seed(objects),
      seedForeign: (count) => this.seedForeign(count),
      page: () => renderPage(this.snapshot(), this.counters, this.faults()),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse, apiAllowed: boolean): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (isControlPath(path)) {
      handleControl(req, res, this.controlApi()).catch(() => res.destroy());
      return;
    }
    if (apiAllowed && path === API_PATH) {
      this.handleApi(req, res).catch(() => res.destroy());
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("not found\n");
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests += 1;
    const started = Date.now();
    const caller = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    if (this.faultState.takeReset()) {
      this.record(caller, "none", "read", "fault-reset", 0, started);
      req.socket.destroy();
      return;
    }
    if (this.faultState.takeHang()) {
      this.record(caller, "none", "read", "fault-hang", 0, started);
      return;
    }
    const injected = this.faultState.peekStatus();
    if (injected?.scope === "http") {
      this.faultState.consumeStatus();
      this.record(caller, "none", "read", `http-${injected.code}`, 0, started);
      res.writeHead(injected.code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`${injected.text}\n`);
      return;
    }
    const maxUrl = this.switches.maxUrlBytes;
    if (maxUrl !== null && Buffer.byteLength(`${req.method ?? ""} ${req.url ?? ""}`) > maxUrl) {
      this.counters.refused += 1;
      this.record(caller, "none", "read", "http-414", 0, started);
      res.writeHead(414, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
      res.end("Request-URI Too Long\n");
      return;
    }
    const maxBody = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const read = await readReqxml(req, maxBody);
    // Some firmware may take reqxml only from a POST (an open question for SFOS 20+).
    if (read.via === "query" && req.method !== "POST" && this.switches.getRequests === "refuse") {
      read.reqxml = undefined;
      read.via = "none";
    }
    if (read.tooLarge) {
      this.counters.refused += 1;
      this.record(caller, "none", "read", "529-too-large", 0, started);
      const body = responseDocument(undefined, [
        topLevelStatus(StatusCode.requestInvalid, StatusText.requestInvalid),
      ]);
      res.writeHead(200, { "Content-Type": "text/xml; charset=UTF-8", Connection: "close" });
      res.end(body);
      return;
    }
    await this.queue.run(async () => {
      const result = dispatch(this.dispatchContext(maxBody), read.reqxml, caller);
      if (result.changed) await this.persistNow();
      const wait = latencyFor(this.latencySettings, result.kind, result.entities);
      await sleep(wait);
      this.record(caller, read.via, result.kind, result.outcome, result.entities, started, result.user);
      if (res.destroyed) return;
      res.writeHead(200, { "Content-Type": "text/xml; charset=UTF-8" });
      res.end(result.body);
    });
  }

  private async persistNow(): Promise<void> {
    if (this.options.statePath !== undefined)
      await saveState(this.options.statePath, this.store.userObjects());
  }

  private dispatchContext(maxBodyBytes: number): DispatchContext {
    return {
      store: this.store,
      behaviour: this.switches,
      username: this.options.username ?? "admin",
      password: this.options.password ?? "admin",
      extraUsers: this.options.extraUsers ?? [],
      apiVersion: this.options.apiVersion ?? "2000.2",
      faults: this.faultState,
      counters: this.counters,
      callers: { entries: this.options.allowedCallers, hostNames: this.options.allowedCallerHosts },
      lockout: this.lockout,
      maxBodyBytes,
    };
  }

  private record(
    caller: string,
    via: string,
    kind: "read" | "write",
    outcome: string,
    entities: number,
    started: number,
    user?: string,
  ) {
    this.log.push({
      at: new Date(started).toISOString(),
      caller,
      ...(user === undefined ? {} : { user }),
      via,
      kind,
      outcome,
      entities,
      latencyMs: Date.now() - started,
    });
    const max = this.options.logSize ?? 200;
    if (this.log.length > max) this.log.splice(0, this.log.length - max);
  }
}
