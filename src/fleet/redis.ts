/**
 * The only file that knows the Redis client (@redis/client 5, see docs/fleet.md for why). The
 * rest of the fleet talks to `FleetRedis`: a handful of commands as plain strings, each with a
 * time limit, so a Redis that hangs looks like one that is down.
 */

import type { FleetConfig } from "../config/index.ts";
import { F2bError, registerSecret } from "../errors/base.ts";

export class FleetRedisError extends F2bError {
  override name = "FleetRedisError";
}

export type Reply = string | number | null | Reply[];

export interface FleetRedis {
  /** One command; throws FleetRedisError when Redis cannot be reached or refuses it. */
  command(args: string[]): Promise<Reply>;
  /** Several commands in one MULTI/EXEC transaction. */
  transaction(commands: string[][]): Promise<Reply[]>;
  close(): Promise<void>;
}

const COMMAND_TIMEOUT_MS = 3000;

function redisHint(config: FleetConfig): string {
  return `check that Redis runs at ${config.redisUrl}, and the fleet's "redis_url", ACL user and password`;
}

/** Connects lazily: the first command waits for the connection (at most the command timeout). */
export async function connectFleetRedis(config: FleetConfig): Promise<FleetRedis> {
  if (config.redisPassword !== undefined) registerSecret(config.redisPassword);
  const { createClient } = await import("@redis/client");
  const tls = config.redisUrl.startsWith("rediss:");
  const client = createClient({
    url: config.redisUrl,
    ...(config.redisUser === undefined ? {} : { username: config.redisUser }),
    ...(config.redisPassword === undefined ? {} : { password: config.redisPassword }),
    // Fail at once while disconnected: the caller keeps its work journaled and retries.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: COMMAND_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
      ...(tls ? { tls: true as const, ...(config.redisCa === undefined ? {} : { ca: config.redisCa }) } : {}),
    },
  });
  let lastError: string | undefined;
  client.on("error", (error: Error) => {
    lastError = error.message;
  });
  const connected = client.connect().catch((error: Error) => {
    lastError = error.message;
  });
  // The connect, for at most the command timeout; the timer must not keep a finished command
  // line alive that long (a command's own timer rejects at the timeout).
  const handshake = () =>
    Promise.race([connected, new Promise((r) => setTimeout(r, COMMAND_TIMEOUT_MS).unref())]);
  const fail = (what: string, error: unknown) =>
    new FleetRedisError(`Redis ${what} failed: ${(error as Error)?.message ?? lastError ?? error}`, {
      hint: redisHint(config),
      cause: error,
    });
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        (async () => {
          if (!client.isReady) {
            await handshake();
            if (!client.isReady) throw new Error(lastError ?? "not connected");
          }
          return work();
        })(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`)),
            COMMAND_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      throw fail(what, error);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    command: (args) => timed(args[0] ?? "command", () => client.sendCommand(args) as Promise<Reply>),
    transaction: (commands) =>
      timed("MULTI", async () => {
        const multi = client.multi();
        for (const args of commands) multi.addCommand(args);
        return (await multi.exec()) as unknown as Reply[];
      }),
    close: async () => {
      if (!client.isOpen) return;
      // A client destroyed in the middle of its handshake goes on to open its socket anyway
      // (@redis/client 5) and the process never ends: let a handshake under way finish first.
      // One that keeps failing is not in a handshake and is destroyed at once.
      if (!client.isReady && lastError === undefined) {
        await handshake();
      }
      // quit() waits for an answer that a disconnected client never gets (and then nothing
      // keeps the process alive, so it would end without a word): destroy when not ready.
      if (client.isReady) {
        try {
          await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 1000).unref())]);
        } catch {
          // Destroyed below.
        }
      }
      if (client.isOpen) client.destroy();
    },
  };
}
