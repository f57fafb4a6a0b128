/**
 * TCP forwarders on free loopback ports, for tests that take a server away from one client
 * while every other client keeps it: point each client at its own proxy. A cut drops every
 * connection through that proxy and meets new ones with a reset (`"reset"`, a refused server)
 * or with silence (`"blackhole"`, a path that drops packets: connected, never answered); a
 * restore forwards again. A delay holds every chunk for a while each way (a slow link: each
 * round trip takes twice the delay). The server itself is never touched.
 *
 * The proxies run in a child process of their own (this file, forked): in the test's process
 * they would stall whenever it does (an emulator making its certificate, a spawnSync), and a
 * fleet member behind a stalled proxy loses its lease to a pause that is the test's, not its.
 */
import { type ChildProcess, fork } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";

export type CutMode = "reset" | "blackhole";

class TcpProxy {
  /** Both sides of every forwarded connection: a cut destroys them. */
  private readonly open = new Set<Socket>();
  /** Connections accepted during a blackhole, unread: restore() forwards what they sent. */
  private readonly held = new Set<Socket>();
  private mode: CutMode | undefined;
  /** Each way, per chunk (ms); 0 = straight through. */
  private delayMs = 0;
  /** Connections that arrived while cut: shows that the client kept retrying. */
  turnedAway = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  /** Listens on port 0 itself, so no other test can take the port between asking and binding. */
  static start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : 0;
        const proxy = new TcpProxy(server, port, targetPort);
        server.on("connection", (socket) => proxy.accept(socket));
        resolve(proxy);
      });
    });
  }

  cut(mode: CutMode): void {
    this.mode = mode;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.mode = undefined;
    // As a path that stopped dropping packets: what a held client sent now reaches the server.
    for (const socket of [...this.held]) {
      this.held.delete(socket);
      if (!socket.destroyed) this.forward(socket);
    }
  }

  delay(ms: number): void {
    this.delayMs = ms;
  }

  close(): void {
    for (const socket of [...this.open, ...this.held]) socket.destroy();
    this.server.close();
  }

  private accept(client: Socket): void {
    // A reset from either side is what this proxy is for, not a failure.
    client.on("error", () => undefined);
    if (this.mode === undefined) {
      this.forward(client);
      return;
    }
    this.turnedAway++;
    if (this.mode === "reset") {
      client.resetAndDestroy();
      return;
    }
    // No 'data' listener: the socket stays paused and whatever the client sends waits unread.
    this.held.add(client);
    client.once("close", () => this.held.delete(client));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    upstream.on("error", () => undefined);
    for (const socket of [client, upstream]) {
      this.open.add(socket);
      socket.once("close", () => this.open.delete(socket));
    }
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    this.relay(client, upstream);
    this.relay(upstream, client);
  }

  /** Like pipe(), but each chunk waits the delay of the moment; the order of the bytes is kept. */
  private relay(from: Socket, to: Socket): void {
    /** null: the end of the stream, passed on in its turn. */
    const queue: { due: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.due <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (chunk) to.write(chunk);
        else to.end();
      }
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.due - Date.now());
    };
    const enqueue = (chunk: Buffer | null) => {
      queue.push({ due: Math.max(queue.at(-1)?.due ?? 0, Date.now() + this.delayMs), chunk });
      if (!timer) drain();
    };
    from.on("data", (chunk: Buffer) => enqueue(chunk));
    from.once("end", () => enqueue(null));
    from.once("close", () => clearTimeout(timer));
  }
}

type Command = { index: number } & (
  | { op: "cut"; mode: CutMode }
  | { op: "delay"; ms: number }
  | { op: "restore" | "count" }
);
type Request = Command & { id: number };
interface Reply {
  id: number;
  turnedAway: number;
}

/** One proxy in the child process, as the test sees it; every call resolves once it is done there. */
export interface ProxyHandle {
  readonly port: number;
  cut(mode: CutMode): Promise<void>;
  restore(): Promise<void>;
  /** Holds every chunk `ms` each way from now on (0 = none). */
  delay(ms: number): Promise<void>;
  /** Connections turned away by cuts so far. */
  turnedAway(): Promise<number>;
}

export class TcpProxies {
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly proxies: ProxyHandle[],
  ) {}

  /** `count` proxies to the loopback port `targetPort`, in one child process. */
  static async start(targetPort: number, count: number): Promise<TcpProxies> {
    const child = fork(fileURLToPath(import.meta.url), [String(targetPort), String(count)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const ports = await new Promise<number[]>((resolve, reject) => {
      child.once("message", (message) => resolve((message as { ports: number[] }).ports));
      child.once("exit", (code) => reject(new Error(`the proxy process exited (${code}) before listening`)));
    });
    child.removeAllListeners("exit");
    let self: TcpProxies | undefined;
    const call = (request: Command) => self!.call(request);
    const proxies = ports.map(
      (port, index): ProxyHandle => ({
        port,
        cut: async (mode) => {
          await call({ op: "cut", index, mode });
        },
        restore: async () => {
          await call({ op: "restore", index });
        },
        delay: async (ms) => {
          await call({ op: "delay", index, ms });
        },
        turnedAway: async () => (await call({ op: "count", index })).turnedAway,
      }),
    );
    self = new TcpProxies(child, proxies);
    child.on("message", (message) => {
      const reply = message as Reply;
      self?.pending.get(reply.id)?.(reply);
      self?.pending.delete(reply.id);
    });
    return self;
  }

  private call(request: Command): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.child.send({ ...request, id }, (error) => {
        if (error) {
          this.pending.delete(id);
          reject(error);
        }
      });
    });
  }

  /** Ends the child (ours, by its handle) and waits for it to go. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** The child: listens, says on which ports, then does what the parent asks. */
async function serve(targetPort: number, count: number): Promise<void> {
  const proxies: TcpProxy[] = [];
  for (let i = 0; i < count; i++) proxies.push(await TcpProxy.start(targetPort));
  process.on("message", (message) => {
    const request = message as Request;
    const proxy = proxies[request.index]!;
    if (request.op === "cut") proxy.cut(request.mode);
    else if (request.op === "restore") proxy.restore();
    else if (request.op === "delay") proxy.delay(request.ms);
    const reply: Reply = { id: request.id, turnedAway: proxy.turnedAway };
    process.send?.(reply);
  });
  // The parent went away without closing us: go too, rather than outlive the test.
  process.on("disconnect", () => {
    for (const proxy of proxies) proxy.close();
    process.exit(0);
  });
  process.send?.({ ports: proxies.map((p) => p.port) });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void serve(Number(process.argv[2]), Number(process.argv[3]));
}
