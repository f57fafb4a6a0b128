/**
 * The password never appears in an error message, util.inspect of the error (hidden properties
 * included), JSON.stringify of the error, its cause, nor in onRequest events or the client itself.
 * The marker contains XML and URL special characters so that every encoded form is checked too.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { inspect } from "node:util";
import { SophosClient } from "../../src/sophos/client.ts";
import { AuthenticationError, SophosError } from "../../src/sophos/errors.ts";
import type { RequestEvent } from "../../src/sophos/types.ts";
import { clientOptions, failure, type HostileServer, reply, startServer } from "./hostile-server.ts";

const MARKER = `Mark3r<&>"'pw-7f1e9`;
// Any remnant of the distinctive tail counts, whatever encoding surrounds it.
const FORMS = [MARKER, encodeURIComponent(MARKER), "Mark3r&lt;&amp;&gt;", "7f1e9"];

const servers: HostileServer[] = [];
const clients: SophosClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

function assertClean(value: unknown, label: string): void {
  const views = [
    String(value),
    inspect(value, { depth: 20, showHidden: true }),
    JSON.stringify(value, Object.getOwnPropertyNames(value as object)),
    JSON.stringify(value),
  ];
  if (value instanceof Error && value.cause !== undefined) {
    views.push(inspect(value.cause, { depth: 20, showHidden: true }), String(value.cause));
  }
  for (const view of views) {
    for (const form of FORMS)
      assert.ok(!view.includes(form), `${label}: found a form of the password in ${view.slice(0, 300)}`);
  }
}

async function erroring(onRequest: Parameters<typeof startServer>[0]["onRequest"], extra = {}) {
  const server = await startServer(onRequest === undefined ? {} : { onRequest });
  servers.push(server);
  const events: RequestEvent[] = [];
  const client = new SophosClient(
    await clientOptions(server.url, {
      password: MARKER,
      onRequest: (e: RequestEvent) => events.push(e),
      ...extra,
    }),
  );
  clients.push(client);
  const { error } = await failure(() => client.getIpHosts());
  assert.ok(error instanceof SophosError, String(error));
  for (const event of events) assertClean(event, "onRequest event");
  return error;
}

describe("the password stays secret", () => {
  test("a hostile server echoing the request body in an HTTP 500", async () => {
    const error = await erroring((socket, req) =>
      reply(socket, req.body + req.reqxml, { status: 500, contentType: "text/plain" }),
    );
    assertClean(error, "http-status error");
  });

  test("a firewall status text that quotes the password", async () => {
    const error = await erroring((socket, req) =>
      reply(
        socket,
        `<Response><Status code="529">Invalid ${req.reqxml.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Status></Response>`,
      ),
    );
    assertClean(error, "529 error");
  });

  test("an authentication failure", async () => {
    const error = await erroring((socket) =>
      reply(socket, "<Response><Login><status>Authentication Failure</status></Login></Response>"),
    );
    assert.ok(error instanceof AuthenticationError);
    assertClean(error, "auth error");
  });

  test("a reset, a timeout and a TLS failure", async () => {
    assertClean(await erroring((socket) => socket.destroy()), "reset");
    assertClean(await erroring(() => {}, { requestTimeoutMs: 300 }), "timeout");
    assertClean(await erroring(undefined, { tls: { mode: "system" } }), "tls");
  });

  test("the client object itself does not show the password", () => {
    const client = new SophosClient({ url: "https://fw.test:4444", username: "u", password: MARKER });
    assert.ok(!inspect(client, { depth: 5 }).includes(MARKER));
    assert.ok(!JSON.stringify(client).includes(MARKER));
    client.close();
  });
});
