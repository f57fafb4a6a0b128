/**
 * The only file of the client that does I/O: one POST of `reqxml=<url-encoded XML>` per request,
 * over node:https with a keep-alive agent (a whole-process HTTPS POST costs 82 ms against 177 ms
 * for fetch, DESIGN.md). Sockets are created by the agent below, which hands a socket to the
 * request only after TLS verification or the pin check passed: no request byte ever reaches a
 * server that failed them.
 */
import type * as Http from "node:http";
import type * as Https from "node:https";
import type * as Net from "node:net";
import type * as Tls from "node:tls";
import { UsageError } from "../errors/index.ts";
import {
  ResponseFormatError,
  SophosError,
  TimeoutError,
  TlsError,
  TlsHints,
  TransportError,
} from "./errors.ts";
import { fingerprintOf, pinMatches, type TlsPlan, tlsPlan } from "./tls-options.ts";
import type { TlsMode, Transport, TransportResponse } from "./types.ts";

export interface HttpsTransportOptions {
  url: string;
  tls?: TlsMode | undefined;
  connectTimeoutMs?: number | undefined;
  requestTimeoutMs?: number | undefined;
  maxResponseBytes?: number | undefined;
  allowInsecureHttp?: boolean | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
// The SDK uses 30 s; writes to an object used by an active rule take 5–8 s (reference §6.9).
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const API_PATH = "/webconsole/APIController";

type CreateCallback = (err: Error | null, socket?: Net.Socket) => void;

interface NetworkModules {
  http: typeof Http;
  https: typeof Https;
  net: typeof Net;
  tls: typeof Tls;
}

let networkModules: Promise<NetworkModules> | undefined;

/**
 * The network modules load on the first request, not at start-up: with an agent running, a
 * Fail2ban hook only journals, and these modules cost a noticeable part of a process start.
 */
function loadNetworkModules(): Promise<NetworkModules> {
  networkModules ??= Promise.all([
    import("node:http"),
    import("node:https"),
    import("node:net"),
    import("node:tls"),
  ]).then(([http, https, net, tls]) => ({ http, https, net, tls }));
  return networkModules;
}

const TLS_VERIFY_CODE = /CERT|SELF_SIGNED|VERIFY|ISSUER|ALTNAME/;
const TLS_HANDSHAKE_CODE = /^ERR_SSL_|^ERR_TLS_|^EPROTO$/;

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed while sending",
  ENOTFOUND: "the host name was not found",
  EAI_AGAIN: "the host name could not be resolved (temporary DNS failure)",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
};

/** Positive integer option or its default; a bad value is a usage error, found at construction. */
export function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${name} must be a positive integer`);
  return value;
}

export class HttpsTransport implements Transport {
  /** `https://host:port`, for messages (never carries credentials). */
  readonly origin: string;
  private readonly endpoint: URL;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly tlsMode: TlsMode;
  private readonly secure: boolean;
  private agent: Http.Agent | undefined;
  private modules: NetworkModules | undefined;
  private closed = false;
  private readonly pending = new Set<Net.Socket>();

  constructor(options: HttpsTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new UsageError(`the firewall URL ${JSON.stringify(options.url)} is not a URL`, {
        hint: "write it as https://firewall.example:4444",
      });
    }
    if (url.username !== "" || url.password !== "") {
      throw new UsageError("the firewall URL must not contain a user name or password", {
        hint: "pass them as username and password",
      });
    }
    const secure = url.protocol === "https:";
    if (!secure && !(url.protocol === "http:" && options.allowInsecureHttp === true)) {
      throw new UsageError(`the firewall URL must start with https:// (got ${url.protocol}//)`, {
        hint: "plain http is only accepted with allowInsecureHttp (the emulator's --insecure-http)",
      });
    }
    this.origin = url.origin;
    const base = url.pathname.replace(/\/+$/, "");
    url.pathname = base.endsWith(API_PATH) ? base : `${base}${API_PATH}`;
    url.search = "";
    url.hash = "";
    this.endpoint = url;
    this.connectTimeoutMs = positiveInt(
      options.connectTimeoutMs,
      DEFAULT_CONNECT_TIMEOUT_MS,
      "connectTimeoutMs",
    );
    this.requestTimeoutMs = positiveInt(
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
      "requestTimeoutMs",
    );
    this.maxResponseBytes = positiveInt(
      options.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_BYTES,
      "maxResponseBytes",
    );
    this.secure = secure;
    this.tlsMode = options.tls ?? { mode: "system" };
    // Checked now so that a bad pin is a usage error at construction, not at the first request.
    tlsPlan(this.tlsMode);
  }

  async post(requestXml: string, options: { signal?: AbortSignal } = {}): Promise<TransportResponse> {
    const deadline = Date.now() + this.requestTimeoutMs;
    if (!this.modules) this.modules = await loadNetworkModules();
    if (this.closed) {
      throw new TransportError(`the connection to ${this.origin} was closed before the request`, {
        url: this.origin,
      });
    }
    this.agent ??= this.secure
      ? this.tlsAgent(this.modules, tlsPlan(this.tlsMode))
      : this.plainAgent(this.modules);
    return this.attempt(this.modules, requestXml, options.signal, deadline, true);
  }

  close(): void {
    this.closed = true;
    this.agent?.destroy();
    // With an error, so that a connection still in its handshake reports back (its request then
    // fails at once) instead of waiting for its timers and keeping the process alive.
    const closed = new TransportError(`the connection to ${this.origin} was closed`, { url: this.origin });
    for (const socket of [...this.pending]) socket.destroy(closed);
    this.pending.clear();
  }

  private attempt(
    modules: NetworkModules,
    requestXml: string,
    signal: AbortSignal | undefined,
    deadline: number,
    mayRetry: boolean,
  ): Promise<TransportResponse> {
    return new Promise<TransportResponse>((resolve, reject) => {
      const body = `reqxml=${encodeURIComponent(requestXml)}`;
      const request = (this.endpoint.protocol === "https:" ? modules.https : modules.http).request(
        this.endpoint,
        {
          method: "POST",
          agent: this.agent,
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": Buffer.byteLength(body),
            Accept: "application/xml",
          },
        },
      );
      let settled = false;
      let answered = false;
      const finish = (error: Error | undefined, value?: TransportResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) {
          resolve(value as TransportResponse);
          return;
        }
        request.destroy();
        const mapped = this.mapError(error);
        // A kept-alive socket the firewall closed while idle resets on reuse; the request never
        // reached it, so one fresh attempt is safe.
        if (
          mayRetry &&
          !answered &&
          request.reusedSocket &&
          mapped instanceof TransportError &&
          mapped.code === "ECONNRESET" &&
          Date.now() < deadline
        ) {
          this.attempt(modules, requestXml, signal, deadline, false).then(resolve, reject);
          return;
        }
        reject(mapped);
      };
      const remaining = Math.max(1, deadline - Date.now());
      // A deadline for the whole exchange, not an idle timeout: a 1-byte-per-100-ms drip still ends here.
      const timer = setTimeout(
        () =>
          finish(
            new TimeoutError(`the request to ${this.origin} took longer than ${this.requestTimeoutMs} ms`, {
              url: this.origin,
              timeout: "request",
              timeoutMs: this.requestTimeoutMs,
              hint: "the firewall is slow or unreachable; raise requestTimeoutMs if writes take long (5–8 s are normal)",
            }),
          ),
        remaining,
      );
      // The socket keeps the process alive while the exchange runs; the timer alone must not.
      timer.unref();
      const onAbort = (): void =>
        finish(
          new TransportError(`the request to ${this.origin} was aborted`, {
            url: this.origin,
            code: "ABORT_ERR",
          }),
        );
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });

      request.on("error", (error) => finish(error));
      request.on("response", (response) => {
        answered = true;
        const contentType = response.headers["content-type"];
        const tooLarge = (): ResponseFormatError =>
          new ResponseFormatError(
            `the answer from ${this.origin} is larger than ${this.maxResponseBytes} bytes`,
            {
              url: this.origin,
              reason: "too-large",
              httpStatus: response.statusCode,
              contentType,
              hint: "no Sophos answer for host objects is this large; check what answers at this address, or raise maxResponseBytes",
            },
          );
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
          finish(tooLarge());
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) finish(tooLarge());
          else chunks.push(chunk);
        });
        response.on("error", (error) => finish(error));
        response.on("aborted", () => finish(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
        response.on("end", () => {
          if (!response.complete) {
            finish(Object.assign(new Error("the answer was cut short"), { code: "ECONNRESET" }));
            return;
          }
          finish(undefined, {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      });
      request.end(body);
    });
  }

  /** Plain TCP for `http://` (emulator only); the connect timeout still applies. */
  private plainAgent({ http, net }: NetworkModules): Http.Agent {
    const agent = new http.Agent({ keepAlive: true });
    const connectTimeoutMs = this.connectTimeoutMs;
    // Node's Agent accepts createConnection(options, callback) and waits for the callback.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      options: Net.NetConnectOpts,
      callback: CreateCallback,
    ): undefined => {
      const socket = net.connect(options);
      this.watchConnect(socket, "connect", connectTimeoutMs, callback, () => callback(null, socket));
      return undefined;
    };
    return agent;
  }

  /**
   * The socket is handed to the HTTP request only on secureConnect, after Node's verification
   * (system, ca) or our fingerprint check (pin). Until then the request has no socket to write to.
   */
  private tlsAgent({ https, tls }: NetworkModules, plan: TlsPlan): Http.Agent {
    const agent = new https.Agent({ keepAlive: true });
    (agent as unknown as { createConnection: unknown }).createConnection = (
      options: Tls.ConnectionOptions,
      callback: CreateCallback,
    ): undefined => {
      const socket = tls.connect({ ...options, ...plan.connect });
      this.watchConnect(socket, "secureConnect", this.connectTimeoutMs, callback, () => {
        if (plan.pin !== undefined && !pinMatches(plan.pin, socket.getPeerCertificate())) {
          const actual = fingerprintOf(socket.getPeerCertificate());
          socket.destroy();
          callback(
            new TlsError(
              `the certificate of ${this.origin} (SHA-256 ${actual ?? "unknown"}) does not match the pinned fingerprint; nothing was sent`,
              {
                url: this.origin,
                reason: "pin-mismatch",
                actualSha256: actual,
                hint: this.hostHint(TlsHints.pin),
              },
            ),
          );
          return;
        }
        callback(null, socket);
      });
      return undefined;
    };
    return agent;
  }

  private watchConnect(
    socket: Net.Socket,
    readyEvent: "connect" | "secureConnect",
    timeoutMs: number,
    callback: CreateCallback,
    onReady: () => void,
  ): void {
    this.pending.add(socket);
    const cleanup = (): void => {
      clearTimeout(timer);
      this.pending.delete(socket);
      socket.removeListener("error", onError);
      socket.removeListener(readyEvent, ready);
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      callback(error);
    };
    const ready = (): void => {
      cleanup();
      onReady();
    };
    const timer = setTimeout(() => {
      onError(
        new TimeoutError(`connecting to ${this.origin} took longer than ${timeoutMs} ms`, {
          url: this.origin,
          timeout: "connect",
          timeoutMs,
          hint: "check that the firewall is up, that this host may reach its admin port (device access / zone), and the URL's port",
        }),
      );
    }, timeoutMs);
    timer.unref();
    socket.once("error", onError);
    socket.once(readyEvent, ready);
  }

  private hostHint(hint: string): string {
    return hint.replace(
      "HOST:PORT",
      this.endpoint.host.includes(":") ? this.endpoint.host : `${this.endpoint.host}:443`,
    );
  }

  private mapError(error: Error): SophosError {
    if (error instanceof SophosError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && (TLS_VERIFY_CODE.test(code) || TLS_HANDSHAKE_CODE.test(code))) {
      const verification = TLS_VERIFY_CODE.test(code);
      return new TlsError(
        `the TLS ${verification ? "certificate of" : "handshake with"} ${this.origin} was not accepted (${code}); nothing was sent`,
        {
          url: this.origin,
          reason: verification ? "verification" : "handshake",
          code,
          cause: error,
          hint: verification
            ? this.hostHint(TlsHints.verification)
            : "check that the URL's port is the HTTPS web admin port (default 4444)",
        },
      );
    }
    const words = (code !== undefined && NETWORK_WORDS[code]) || error.message;
    return new TransportError(`the request to ${this.origin} failed: ${words}`, {
      url: this.origin,
      code,
      cause: error,
      hint: "check that the firewall is up and reachable from this host on its admin port; the request may or may not have been applied",
    });
  }
}
