/**
 * Hostile or broken firewalls: each answer must end in the right typed error, within the
 * configured timeouts, without buffering absurd bodies.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, test } from "node:test";
import { SophosClient } from "../../src/sophos/client.ts";
import {
  ResponseFormatError,
  type ResponseFormatReason,
  TimeoutError,
  TransportError,
} from "../../src/sophos/errors.ts";
import {
  type Behaviour,
  clientOptions,
  failure,
  type HostileServer,
  reply,
  startServer,
} from "./hostile-server.ts";

const servers: HostileServer[] = [];
const clients: SophosClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

async function against(
  behaviour: { onRequest?: Behaviour; onConnect?: (s: net.Socket) => void; plain?: boolean },
  extra: Record<string, unknown> = {},
): Promise<{ client: SophosClient; server: HostileServer }> {
  const server = await startServer(behaviour);
  servers.push(server);
  const client = new SophosClient(await clientOptions(server.url, extra));
  clients.push(client);
  return { client, server };
}

async function expectFormat(
  onRequest: Behaviour,
  reason: ResponseFormatReason,
): Promise<ResponseFormatError> {
  const { client } = await against({ onRequest });
  const { error, ms } = await failure(() => client.getIpHosts());
  assert.ok(error instanceof ResponseFormatError, String(error));
  assert.equal(error.reason, reason);
  assert.ok(error.hint, "has a hint");
  assert.ok(ms < 2000, `took ${ms} ms`);
  return error;
}

describe("hostile answers", () => {
  test("entity expansion (billion laughs) is refused without expanding", async () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Response><Login><status>&lol3;</status></Login></Response>';
    await expectFormat((s) => reply(s, laughs), "entities");
  });

  test("a DOCTYPE with an external entity is refused", async () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Response>&x;</Response>';
    await expectFormat((s) => reply(s, xxe), "entities");
  });

  test("a 50 MB body ends in ResponseFormatError quickly, without reading it all", async () => {
    let written = 0;
    const { client } = await against(
      {
        onRequest: (socket) => {
          // No Content-Length: the cap must be enforced while streaming.
          socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n<Response>");
          const chunk = Buffer.alloc(1024 * 1024, "a");
          const pump = (): void => {
            while (written < 50 && !socket.destroyed) {
              written++;
              if (!socket.write(chunk)) {
                socket.once("drain", pump);
                return;
              }
            }
            socket.end();
          };
          pump();
        },
      },
      { maxResponseBytes: 1024 * 1024, requestTimeoutMs: 10_000 },
    );
    const { error, ms } = await failure(() => client.getIpHosts());
    assert.ok(error instanceof ResponseFormatError, String(error));
    assert.equal(error.reason, "too-large");
    assert.ok(ms < 3000, `took ${ms} ms`);
    assert.ok(written < 50, `server wrote ${written} MB`);
  });

  test("a declared Content-Length over the cap fails before the body", async () => {
    const { client } = await against({
      onRequest: (socket) =>
        socket.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 52428800\r\n\r\n<Response>",
        ),
    });
    const { error } = await failure(() => client.getIpHosts());
    assert.ok(error instanceof ResponseFormatError && error.reason === "too-large", String(error));
  });

  test("truncated XML", async () => {
    await expectFormat(
      (s) =>
        reply(
          s,
          '<?xml version="1.0"?><Response><Login><status>Authentication Successful</status></Login><IPHost><Na',
        ),
      "malformed",
    );
  });

  test("a login page as text/html", async () => {
    await expectFormat(
      (s) => reply(s, "<html><body><form>Login</form></body></html>", { contentType: "text/html" }),
      "html",
    );
  });

  test("an HTML page with 200 and an XML content type", async () => {
    await expectFormat((s) => reply(s, "<!DOCTYPE html><html><head><title>x</title></head></html>"), "html");
  });

  test("a wrong content type (a tar download)", async () => {
    await expectFormat(
      (s) => reply(s, "<Response/>", { contentType: "application/octet-stream" }),
      "content-type",
    );
  });

  test("HTTP 500", async () => {
    const error = await expectFormat(
      (s) => reply(s, "oops", { status: 500, contentType: "text/plain" }),
      "http-status",
    );
    assert.equal(error.httpStatus, 500);
  });

  test("HTTP 404", async () => {
    const error = await expectFormat((s) => reply(s, "", { status: 404 }), "http-status");
    assert.equal(error.httpStatus, 404);
  });

  test("XML that is not a Sophos answer", async () => {
    await expectFormat((s) => reply(s, "<Other><x/></Other>"), "shape");
  });

  test("a slow drip of 1 byte per 100 ms hits the total deadline", async () => {
    const timers: NodeJS.Timeout[] = [];
    const { client } = await against(
      {
        onRequest: (socket) => {
          const text = Buffer.from(
            `HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 500\r\n\r\n${" ".repeat(500)}`,
          );
          let i = 0;
          const t = setInterval(() => {
            if (socket.destroyed || i >= text.length) return clearInterval(t);
            socket.write(text.subarray(i, i + 1));
            i++;
          }, 100);
          timers.push(t);
        },
      },
      { requestTimeoutMs: 900 },
    );
    const { error, ms } = await failure(() => client.getIpHosts());
    for (const t of timers) clearInterval(t);
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(error.timeout, "request");
    assert.equal(error.timeoutMs, 900);
    assert.ok(ms >= 850 && ms < 2500, `took ${ms} ms`);
  });

  test("a connection reset", async () => {
    // A TLS socket cannot send an RST itself; reset its TCP socket underneath.
    const { client } = await against({
      onRequest: (socket) =>
        ((socket as unknown as { _parent?: net.Socket })._parent ?? socket).resetAndDestroy(),
    });
    const { error } = await failure(() => client.getIpHosts());
    assert.ok(error instanceof TransportError && !(error instanceof TimeoutError), String(error));
    assert.equal(error.code, "ECONNRESET");
    assert.equal(error.retryable, true);
  });

  test("a server that accepts and never answers", async () => {
    const { client, server } = await against({ onRequest: () => {} }, { requestTimeoutMs: 600 });
    const { error, ms } = await failure(() => client.getIpHosts());
    assert.ok(error instanceof TimeoutError && error.timeout === "request", String(error));
    assert.ok(ms >= 550 && ms < 2000, `took ${ms} ms`);
    assert.equal(server.requests.length, 1);
  });

  test("a server that accepts TCP but never does the TLS handshake: connect timeout", async () => {
    const server = await startServer({ plain: true });
    servers.push(server);
    const client = new SophosClient(
      await clientOptions(server.url.replace("http:", "https:"), {
        connectTimeoutMs: 400,
        requestTimeoutMs: 5000,
      }),
    );
    clients.push(client);
    const { error, ms } = await failure(() => client.login());
    assert.ok(error instanceof TimeoutError && error.timeout === "connect", String(error));
    assert.ok(ms >= 350 && ms < 2000, `took ${ms} ms`);
  });

  test("connection refused", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = new SophosClient(await clientOptions(`https://127.0.0.1:${port}`));
    clients.push(client);
    const { error, ms } = await failure(() => client.login());
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.code, "ECONNREFUSED");
    assert.match(error.message, /refused/);
    assert.ok(ms < 2000);
  });
});
