/**
 * A listening HTTP(S) server that can be taken down (the port really refuses connections:
 * the listener is closed and every open socket destroyed) and brought back on the same port.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { EmulatorError } from "./errors.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TlsPems {
  certPem: string;
  keyPem: string;
}

export class SwitchableServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  port: number;

  constructor(
    private readonly host: string,
    port: number,
    tls: TlsPems | undefined,
    handler: Handler,
  ) {
    this.port = port;
    const options = { keepAlive: true, keepAliveTimeout: 5000, requestTimeout: 0 };
    this.server = tls
      ? createHttpsServer({ ...options, cert: tls.certPem, key: tls.keyPem }, handler)
      : createHttpServer(options, handler);
    const track = (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    };
    // For HTTPS, "connection" gives the raw TCP socket; "secureConnection" the TLS one.
    this.server.on("connection", track);
    this.server.on("secureConnection", track);
    this.server.on("clientError", (_error, socket) => socket.destroy());
  }

  get isListening(): boolean {
    return this.listening;
  }

  async start(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        this.server.off("listening", onListening);
        reject(
          new EmulatorError(`Listening on ${this.host}:${this.port} failed: ${error.message}`, {
            cause: error,
            hint: "choose another --port (0 picks a free one) or stop what uses it",
          }),
        );
      };
      const onListening = () => {
        this.server.off("error", onError);
        resolve();
      };
      this.server.once("error", onError);
      this.server.once("listening", onListening);
      this.server.listen(this.port, this.host);
    });
    const address = this.server.address();
    if (address !== null && typeof address === "object") this.port = address.port;
    this.listening = true;
  }

  /** Stops listening and destroys every connection (including hanging requests). */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }
}

/** The URL host part: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
