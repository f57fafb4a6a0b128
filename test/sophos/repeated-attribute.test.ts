/**
 * A real answer can carry a repeated attribute (`transactionid="" transactionid=""`), which a
 * strict XML parser refuses. The client reads such answers; nothing else becomes tolerated.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { dropRepeatedAttributes, parseXml, XmlSyntaxError } from "../../src/protocol/index.ts";
import { SophosClient } from "../../src/sophos/client.ts";
import { ResponseFormatError } from "../../src/sophos/errors.ts";
import { clientOptions, type HostileServer, reply, responseXml, startServer } from "./hostile-server.ts";

const servers: HostileServer[] = [];
const clients: SophosClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

async function clientAnswering(body: string): Promise<SophosClient> {
  const server = await startServer({ onRequest: (socket) => reply(socket, body) });
  servers.push(server);
  const client = new SophosClient(await clientOptions(server.url));
  clients.push(client);
  return client;
}

const HOST =
  '<IPHost transactionid="" transactionid=""><Name>f2b_192.0.2.1</Name><IPFamily>IPv4</IPFamily><HostType>IP</HostType><IPAddress>192.0.2.1</IPAddress></IPHost>';

describe("a repeated attribute in an answer", () => {
  test("the strict parser refuses it; the answer parser keeps the first value", () => {
    assert.throws(() => parseXml(`<a x="1" x="2"/>`), XmlSyntaxError);
    const tree = parseXml(`<a x="1" x='2' y="3"/>`, undefined, { tolerateRepeatedAttributes: true });
    assert.deepEqual(tree.a, { "@x": "1", "@y": "3" });
    assert.equal(dropRepeatedAttributes(`<a b=">" b="c">t</a>`), `<a b=">">t</a>`);
    assert.equal(dropRepeatedAttributes(`<a b="1"/>`), `<a b="1"/>`);
  });

  test("the client reads a Get whose entities repeat transactionid", async () => {
    const client = await clientAnswering(responseXml(HOST));
    const hosts = await client.getIpHosts();
    assert.deepEqual(
      hosts.map((h) => [h.name, h.ipAddress]),
      [["f2b_192.0.2.1", "192.0.2.1"]],
    );
  });

  test("the client reads write statuses under a repeated attribute", async () => {
    const client = await clientAnswering(
      responseXml(
        '<IPHost transactionid="" transactionid=""><Status code="200">Configuration applied successfully.</Status></IPHost>',
      ),
    );
    const [outcome] = await client.removeIpHosts(["f2b_192.0.2.1"]);
    assert.equal(outcome?.ok, true);
  });

  test("other malformed XML is still refused", async () => {
    const client = await clientAnswering(
      responseXml('<IPHost transactionid="" transactionid=""><Name>x</IPHost>'),
    );
    await assert.rejects(client.getIpHosts(), ResponseFormatError);
  });
});
