/**
 * The metrics endpoint (`metrics_listen`): Prometheus text on /metrics, the agent's health on
 * /healthz (200 `ok`, or 503 with one line per reason). Its own bundle (dist/metrics.mjs),
 * loaded by the agent only when metrics are on; see src/metrics/types.ts for why it imports
 * nothing else of ours.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AgentSnapshot, ExporterOptions, RunningExporter } from "../types.ts";
import { AgentMetrics } from "./registry.ts";

/** Why the agent is unhealthy, one line each; empty when healthy. */
export function unhealthyReasons(snapshot: AgentSnapshot): string[] {
  const reasons: string[] = [];
  if (!snapshot.loopRunning) reasons.push("the agent's loop is not running");
  if (snapshot.error !== undefined) reasons.push(`the state cannot be read: ${snapshot.error}`);
  for (const fw of snapshot.firewalls) {
    if (fw.behind !== undefined) reasons.push(`firewall ${fw.firewall}: ${fw.behind}`);
  }
  return reasons;
}

export async function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const metrics = new AgentMetrics(options.version);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      metrics.update(options.snapshot());
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body);
      return;
    }
    if (path === "/healthz") {
      const reasons = unhealthyReasons(options.snapshot());
      const ok = reasons.length === 0;
      res
        .writeHead(ok ? 200 : 503, {
          "content-type": "text/plain; charset=utf-8",
          "cache-control": "no-store",
        })
        .end(ok ? "ok\n" : `${reasons.join("\n")}\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("try /metrics or /healthz\n");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  // A scraper keeps its connection alive; it must not keep the agent from stopping.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    sink: metrics,
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
