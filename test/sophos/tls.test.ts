/**
 * TLS modes against a server with a self-signed certificate. The pin is checked before any
 * request byte is sent: with a wrong pin the server must receive zero application bytes.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { UsageError } from "../../src/errors/index.ts";
import { SophosClient } from "../../src/sophos/client.ts";
import { InvalidRequestValueError, TlsError } from "../../src/sophos/errors.ts";
import type { TlsMode } from "../../src/sophos/types.ts";
import { waitUntil } from "../support/wait.ts";
import {
  clientOptions,
  failure,
  type HostileServer,
  reply,
  responseXml,
  startServer,
  testCert,
} from "./hostile-server.ts";

const servers: HostileServer[] = [];
const clients: SophosClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

async function firewall(plain = false): Promise<HostileServer> {
  const server = await startServer({ plain, onRequest: (socket) => reply(socket, responseXml("")) });
  servers.push(server);
  return server;
}

async function client(
  url: string,
  tls: TlsMode | undefined,
  extra: Record<string, unknown> = {},
): Promise<SophosClient> {
  const options = { ...(await clientOptions(url, extra)) } as Record<string, unknown>;
  if (tls === undefined) delete options.tls;
  else options.tls = tls;
  const c = new SophosClient(options as unknown as ConstructorParameters<typeof SophosClient>[0]);
  clients.push(c);
  return c;
}

describe("TLS modes", () => {
  test("system (the default) rejects a self-signed certificate before sending", async () => {
    const server = await firewall();
    const { error } = await failure(async () => (await client(server.url, undefined)).login());
    assert.ok(error instanceof TlsError, String(error));
    assert.equal(error.reason, "verification");
    assert.match(error.hint ?? "", /openssl s_client -connect 127\.0\.0\.1:\d+/);
    assert.equal(server.bytesReceived, 0);
  });

  test("ca mode accepts the certificate it is given", async () => {
    const server = await firewall();
    await (await client(server.url, { mode: "ca", ca: (await testCert()).cert })).login();
    assert.equal(server.requests.length, 1);
  });

  test("pin mode with the right fingerprint works (colons, upper case)", async () => {
    const server = await firewall();
    await (await client(server.url, { mode: "pin", sha256: (await testCert()).fingerprint })).login();
    assert.equal(server.requests.length, 1);
  });

  test("pin mode accepts lower-case hex without colons", async () => {
    const server = await firewall();
    const sha256 = (await testCert()).fingerprint.replace(/:/g, "").toLowerCase();
    await (await client(server.url, { mode: "pin", sha256 })).login();
    assert.equal(server.requests.length, 1);
  });

  test("pin mode with a wrong fingerprint fails with TlsError and the server receives zero request bytes", async () => {
    const server = await firewall();
    const wrong = "00".repeat(32);
    const { error } = await failure(async () =>
      (await client(server.url, { mode: "pin", sha256: wrong })).login(),
    );
    assert.ok(error instanceof TlsError, String(error));
    assert.equal(error.reason, "pin-mismatch");
    assert.equal(error.actualSha256, (await testCert()).fingerprint);
    assert.match(error.hint ?? "", /fingerprint -sha256/);
    // The handshake happened (one connection), yet no byte of the request reached the server.
    await waitUntil("the server saw the connection close", () => server.closed >= 1, 2000);
    assert.equal(server.connections, 1);
    assert.equal(server.bytesReceived, 0);
    assert.equal(server.requests.length, 0);
  });

  test("a malformed pin is refused at construction", async () => {
    assert.throws(
      () =>
        new SophosClient({
          url: "https://fw:4444",
          username: "u",
          password: "p",
          tls: { mode: "pin", sha256: "AB:CD" },
        }),
      InvalidRequestValueError,
    );
  });

  test("insecure mode accepts anything", async () => {
    const server = await firewall();
    await (await client(server.url, { mode: "insecure" })).login();
    assert.equal(server.requests.length, 1);
  });

  test("http:// is refused unless allowInsecureHttp is set", async () => {
    const server = await firewall(true);
    assert.throws(() => new SophosClient({ url: server.url, username: "u", password: "pw-1" }), UsageError);
    await (await client(server.url, undefined, { allowInsecureHttp: true })).login();
    assert.equal(server.requests.length, 1);
  });

  test("a TLS client talking to a plain HTTP port fails as TLS handshake error", async () => {
    const server = await firewall(true);
    const { error } = await failure(async () =>
      (
        await client(server.url.replace("http:", "https:"), { mode: "insecure" }, { connectTimeoutMs: 1500 })
      ).login(),
    );
    // The plain server waits for a full HTTP request, so a ClientHello gets no answer: connect timeout
    // or a handshake error are both "nothing was sent".
    assert.ok(
      error instanceof TlsError || (error as { timeout?: string }).timeout === "connect",
      String(error),
    );
    assert.equal(server.requests.length, 0);
  });
});
