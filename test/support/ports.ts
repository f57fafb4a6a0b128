/**
 * Loopback ports for the servers a test starts (LAPI, Redis, Prometheus) and what a port
 * answers to a TCP connection.
 */
import { connect, createServer } from "node:net";

/** A loopback port free at the time of asking (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** What a TCP connection to the loopback port meets: `"accepted"`, or the error code. */
export function tcpAnswer(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("accepted");
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
