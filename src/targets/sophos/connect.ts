/** The Sophos client for a config, with timeouts that fit inside a command's time budget. */
import type { Config } from "../../config/types.ts";
import { type RequestEvent, SophosClient, type Transport } from "../../sophos/index.ts";
import type { Naming } from "./push.ts";

export function clientFor(
  config: Config,
  options: { deadline: number; transport?: Transport; onRequest?: (event: RequestEvent) => void },
): SophosClient {
  const remaining = Math.max(1000, options.deadline - Date.now());
  return new SophosClient({
    url: config.url,
    username: config.username,
    password: config.password,
    tls: config.tls.mode === "ca" ? { mode: "ca", ca: config.tls.ca } : config.tls,
    connectTimeoutMs: Math.min(config.connectTimeoutMs, remaining),
    requestTimeoutMs: Math.min(config.requestTimeoutMs, remaining),
    maxEntitiesPerRequest: config.maxEntitiesPerRequest,
    allowInsecureHttp: config.allowInsecureHttp,
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
}

export function namingFor(config: Config): Naming {
  return {
    prefix: config.prefix,
    groups: config.groups,
    layout: config.layout,
    shardSize: config.shardSize,
  };
}
