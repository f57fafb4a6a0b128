/**
 * Small raw servers that play a (possibly hostile) firewall for the client tests. They are not
 * mocks of our client: they speak HTTP over TLS (or plain TCP) and answer whatever a test says.
 */
import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import net from "node:net";
import tls from "node:tls";
import { selfSignedIdentity } from "../../src/emulator/cert.ts";

export interface TestCert {
  key: string;
  cert: string;
  /** SHA-256 fingerprint as `AB:CD:…`. */
  fingerprint: string;
}

let certPromise: Promise<TestCert> | undefined;

/** One self-signed certificate for localhost / 127.0.0.1, shared by a test file. */
export function testCert(): Promise<TestCert> {
  // The emulator's own generator: a self-signed EC certificate for localhost, 127.0.0.1 and ::1.
  certPromise ??= selfSignedIdentity().then((identity) => ({
    key: identity.keyPem,
    cert: identity.certPem,
    fingerprint: new X509Certificate(identity.certPem).fingerprint256,
  }));
  return certPromise;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The decoded `reqxml` form field. */
  reqxml: string;
}

/** What the server does with a connection once a whole request has arrived (or, for `onConnect`, at once). */
export type Behaviour = (socket: net.Socket, request: RawRequest) => void;

export interface HostileServer {
  url: string;
  /** Connections accepted (TCP level, TLS handshake or not). */
  connections: number;
  /** Of those, the ones closed since (so a test can wait for the client to give up). */
  closed: number;
  /** Application bytes received after the TLS handshake (or on plain TCP). */
  bytesReceived: number;
  requests: RawRequest[];
  close(): Promise<void>;
}

/** Parses one HTTP/1.1 request with Content-Length out of `buffer`, or undefined while incomplete. */
function parseRequest(buffer: Buffer): { request: RawRequest; rest: Buffer } | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const [method = "", path = ""] = (head[0] ?? "").split(" ");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers["content-length"] ?? "0");
  if (buffer.length < end + 4 + length) return undefined;
  const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
  const reqxml = new URLSearchParams(body).get("reqxml") ?? "";
  return { request: { method, path, headers, body, reqxml }, rest: buffer.subarray(end + 4 + length) };
}

export interface ServerOptions {
  /** Default: TLS with the shared test certificate. */
  plain?: boolean;
  /** Runs when a connection is accepted, before any request (e.g. never answer, reset). */
  onConnect?: (socket: net.Socket) => void;
  /** Runs for each complete request. */
  onRequest?: Behaviour;
}

export async function startServer(options: ServerOptions): Promise<HostileServer> {
  const state = { connections: 0, closed: 0, bytesReceived: 0, requests: [] as RawRequest[] };
  const sockets = new Set<net.Socket>();
  const handle = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    options.onConnect?.(socket);
    let buffer: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      state.bytesReceived += chunk.length;
      buffer = Buffer.concat([buffer, chunk]);
      for (let parsed = parseRequest(buffer); parsed; parsed = parseRequest(buffer)) {
        buffer = parsed.rest;
        state.requests.push(parsed.request);
        options.onRequest?.(socket, parsed.request);
      }
    });
  };
  let server: net.Server;
  if (options.plain) {
    server = net.createServer(handle);
  } else {
    const cert = await testCert();
    server = tls.createServer({ key: cert.key, cert: cert.cert }, handle);
  }
  // Count TCP connections, whether or not the TLS handshake completes.
  server.on("connection", (socket: net.Socket) => {
    state.connections++;
    socket.on("close", () => {
      state.closed++;
    });
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.plain ? "http" : "https"}://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    get closed() {
      return state.closed;
    },
    get bytesReceived() {
      return state.bytesReceived;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes a whole HTTP/1.1 answer. */
export function reply(
  socket: net.Socket,
  body: string | Buffer,
  options: { status?: number; contentType?: string; headers?: Record<string, string> } = {},
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const status = options.status ?? 200;
  const lines = [
    `HTTP/1.1 ${status} ${status === 200 ? "OK" : "Error"}`,
    `Content-Type: ${options.contentType ?? "text/xml; charset=UTF-8"}`,
    `Content-Length: ${bytes.length}`,
    "Connection: keep-alive",
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ];
  socket.write(Buffer.concat([Buffer.from(lines.join("\r\n")), bytes]));
}

export const OK_LOGIN = "<Login><status>Authentication Successful</status></Login>";

export function responseXml(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response APIVersion="2000.2" IPS_CAT_VER="1">${OK_LOGIN}${inner}</Response>`;
}

/** Options for a client that trusts the test certificate (`ca` mode) with short timeouts. */
export async function clientOptions(url: string, extra: Record<string, unknown> = {}) {
  const cert = await testCert();
  return {
    url,
    username: "api-admin",
    password: "test-password-1",
    tls: { mode: "ca" as const, ca: cert.cert },
    connectTimeoutMs: 2000,
    requestTimeoutMs: 2000,
    ...extra,
  };
}

/** Resolves with what `fn` threw (fails when it did not throw) and how long it took. */
export async function failure(fn: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error("expected a failure");
}
