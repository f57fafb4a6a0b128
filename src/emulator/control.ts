/**
 * The control endpoint under /_emulator/, guarded by its own bearer secret (never the API
 * password): inspect state, switch faults, change latency, reset, seed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { FaultError } from "./faults.ts";
import type { LatencySettings } from "./options.ts";
import { readBody } from "./request-reader.ts";
import type { StoreSnapshot } from "./store.ts";

export interface ResetWhat {
  objects?: boolean;
  counters?: boolean;
  faults?: boolean;
}

export interface ControlApi {
  secret: string;
  state(): unknown;
  faults(): unknown;
  setFaults(partial: Record<string, unknown>): Promise<unknown>;
  setLatency(partial: Record<string, unknown>): LatencySettings;
  reset(what: ResetWhat): Promise<void>;
  seed(objects: Partial<StoreSnapshot>): Promise<void>;
  seedForeign(count: number): Promise<void>;
  page(): string;
}

export const CONTROL_PREFIX = "/_emulator";
const MAX_CONTROL_BODY = 10 * 1024 * 1024;

export function isControlPath(path: string): boolean {
  return path === "/" || path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function sendJson(res: ServerResponse, code: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(code, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(body);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req, MAX_CONTROL_BODY)).toString("utf8").trim();
  if (text === "") return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new FaultError("expected a JSON object");
  return value as Record<string, unknown>;
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  api: ControlApi,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const authorised = bearer !== undefined && sameSecret(bearer, api.secret);
  const isPage = path === "/" || path === CONTROL_PREFIX;
  if (isPage && req.method === "GET") {
    // The page is read-only: free on loopback, elsewhere it needs the secret (?secret= or bearer).
    const querySecret = url.searchParams.get("secret");
    const ok =
      authorised ||
      isLoopback(req.socket.remoteAddress) ||
      (querySecret !== null && sameSecret(querySecret, api.secret));
    if (!ok) {
      sendJson(res, 401, { error: "add ?secret=<control secret> or use the emulator from loopback" });
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(api.page());
    return;
  }
  if (!authorised) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="f2b-sophosxg emulator"');
    sendJson(res, 401, { error: "send Authorization: Bearer <control secret>" });
    return;
  }
  try {
    const route = `${req.method} ${path.slice(CONTROL_PREFIX.length)}`;
    switch (route) {
      case "GET /state":
        return sendJson(res, 200, api.state());
      case "GET /faults":
        return sendJson(res, 200, api.faults());
      case "POST /faults":
        return sendJson(res, 200, await api.setFaults(await jsonBody(req)));
      case "POST /latency":
        return sendJson(res, 200, api.setLatency(await jsonBody(req)));
      case "POST /reset": {
        const body = await jsonBody(req);
        const flag = (k: string) => body[k] !== false;
        await api.reset({ objects: flag("objects"), counters: flag("counters"), faults: flag("faults") });
        return sendJson(res, 200, { reset: true });
      }
      case "POST /seed": {
        const body = await jsonBody(req);
        if (typeof body.foreign === "number") await api.seedForeign(body.foreign);
        else await api.seed(body as Partial<StoreSnapshot>);
        return sendJson(res, 200, { seeded: true });
      }
      default:
        return sendJson(res, 404, { error: `no control route ${route}` });
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    sendJson(res, 400, { error: message });
  }
}
