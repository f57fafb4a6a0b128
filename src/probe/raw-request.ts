/**
 * The two probe requests the client cannot send: a GET with `reqxml` in the query string, and
 * the same request as a POST, both without a Login block (no credentials ever go into a URL).
 * The TLS check is the client's own (tlsPlan): the socket is verified or its pin matched before
 * a single request byte is written.
 */
import { request as httpRequest } from "node:http";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Config } from "../config/types.ts";
import { API_PATH } from "../sophos/index.ts";
import { fingerprintOf, normalizeSha256, tlsPlan } from "../sophos/tls-options.ts";

export interface RawAnswer {
  status: number;
  body: string;
  ms: number;
}

export type RawRequester = (method: "GET" | "POST", query: string, body?: string) => Promise<RawAnswer>;

function tlsModeOf(config: Config) {
  return config.tls.mode === "ca" ? { mode: "ca" as const, ca: config.tls.ca } : config.tls;
}

function connected(config: Config, url: URL): Promise<Socket> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${url.origin} timed out`));
    }, config.connectTimeoutMs);
    let socket: Socket;
    if (url.protocol === "http:") {
      socket = netConnect({ host, port }, () => {
        clearTimeout(timer);
        resolve(socket);
      });
    } else {
      const plan = tlsPlan(tlsModeOf(config));
      const tlsSocket = tlsConnect(
        { host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...plan.connect },
        () => {
          clearTimeout(timer);
          if (plan.pin !== undefined) {
            const seen = fingerprintOf(tlsSocket.getPeerCertificate());
            if (seen === undefined || normalizeSha256(seen) !== plan.pin) {
              tlsSocket.destroy();
              reject(new Error(`the certificate of ${url.origin} does not match the pin; nothing was sent`));
              return;
            }
          }
          resolve(tlsSocket);
        },
      );
      socket = tlsSocket;
    }
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function rawRequester(config: Config): RawRequester {
  const base = new URL(config.url);
  return async (method, query, body) => {
    const started = Date.now();
    const socket = await connected(config, base);
    const path = `${base.pathname.replace(/\/+$/, "")}${API_PATH}${query}`;
    return new Promise<RawAnswer>((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path,
          host: base.host,
          createConnection: () => socket,
          headers: {
            Connection: "close",
            ...(body === undefined
              ? {}
              : {
                  "Content-Type": "application/x-www-form-urlencoded",
                  "Content-Length": Buffer.byteLength(body),
                }),
          },
          timeout: config.requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 1024 * 1024) chunks.push(chunk);
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              ms: Date.now() - started,
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer from ${base.origin} in time`)));
      req.on("error", reject);
      req.end(body);
    });
  };
}
