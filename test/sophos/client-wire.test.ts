/**
 * What the client puts on the wire and how it maps answers back, against a scripted firewall
 * that parses each reqxml with the project's XML parser (it plays the firewall, not our client).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type IpHost, listOf, parseXml, textOf, type XmlNode } from "../../src/protocol/index.ts";
import { SophosClient } from "../../src/sophos/client.ts";
import { InvalidRequestValueError } from "../../src/sophos/errors.ts";
import type { RequestEvent } from "../../src/sophos/types.ts";
import {
  clientOptions,
  failure,
  type HostileServer,
  type RawRequest,
  reply,
  responseXml,
  startServer,
} from "./hostile-server.ts";

const servers: HostileServer[] = [];
const clients: SophosClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

const OK = '<Status code="200">Configuration applied successfully.</Status>';

/** A firewall whose answer body (inside Response, after Login) is computed from the parsed request. */
async function scripted(
  answer: (request: XmlNode, raw: RawRequest) => string,
  extra: Record<string, unknown> = {},
): Promise<{ client: SophosClient; server: HostileServer }> {
  const server = await startServer({
    onRequest: (socket, raw) => {
      const doc = parseXml(raw.reqxml).Request as XmlNode;
      reply(socket, responseXml(answer(doc, raw)));
    },
  });
  servers.push(server);
  const client = new SophosClient(await clientOptions(server.url, extra));
  clients.push(client);
  return { client, server };
}

function requestOf(server: HostileServer, i = 0): XmlNode {
  return parseXml(server.requests[i]!.reqxml).Request as XmlNode;
}

/** One success element per entity written in the request's Set. */
function okPerSetEntity(doc: XmlNode): string {
  const set = listOf(doc.Set)[0] as XmlNode;
  return listOf(set.IPHost)
    .map(() => `<IPHost transactionid="">${OK}</IPHost>`)
    .join("");
}

function host(name: string, groups: string[] = ["grp"]): IpHost {
  return { name, ipFamily: "IPv4", hostType: "IP", ipAddress: "192.0.2.1", hostGroups: groups };
}

describe("client on the wire", () => {
  test("POSTs url-encoded reqxml to /webconsole/APIController with Accept: application/xml", async () => {
    const { client, server } = await scripted(() => "");
    await client.login();
    const raw = server.requests[0]!;
    assert.equal(raw.method, "POST");
    assert.equal(raw.path, "/webconsole/APIController");
    assert.equal(raw.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(raw.headers.accept, "application/xml");
    assert.match(raw.body, /^reqxml=%3CRequest%3E/);
  });

  test("password, user name and object names with <&>\"' reach the server escaped and round-trip", async () => {
    const password = `p<&>"'w&amp;0rd`;
    const name = `f2b_<&>"'x`;
    const { client, server } = await scripted(okPerSetEntity, {
      username: `adm"<in>&'`,
      password,
    });
    const [outcome] = await client.setIpHosts([{ ...host(name), description: `d<&>"'` }], "add");
    assert.equal(outcome?.ok, true);
    const raw = server.requests[0]!.reqxml;
    assert.ok(!raw.includes(password), "password is escaped, not raw");
    const doc = requestOf(server);
    const login = doc.Login as XmlNode;
    assert.equal(textOf(login.Password), password);
    assert.equal(textOf(login.Username), `adm"<in>&'`);
    const sent = listOf((listOf(doc.Set)[0] as XmlNode).IPHost)[0] as XmlNode;
    assert.equal(textOf(sent.Name), name);
    assert.equal(textOf(sent.Description), `d<&>"'`);
  });

  test("control characters are refused before connecting", async () => {
    const { client, server } = await scripted(okPerSetEntity);
    const { error } = await failure(() => client.setIpHosts([host("ok"), host("bad\u0001name")], "add"));
    assert.ok(error instanceof InvalidRequestValueError, String(error));
    assert.equal(error.field, "IPHost[1].Name");
    assert.equal(server.connections, 0);
    await assert.rejects(
      () => client.getIpHosts({ key: "Name", criteria: "=", value: "a\u0007b" }),
      InvalidRequestValueError,
    );
    assert.throws(
      () => new SophosClient({ url: server.url, username: "u", password: "pass\u0000word" }),
      (e: unknown) => e instanceof InvalidRequestValueError && e.field === "Password",
    );
    assert.equal(server.connections, 0);
  });

  test("250 hosts with maxEntitiesPerRequest 100 go in 3 requests, outcomes in input order", async () => {
    const events: RequestEvent[] = [];
    const { client, server } = await scripted(okPerSetEntity, {
      maxEntitiesPerRequest: 100,
      onRequest: (e: RequestEvent) => events.push(e),
    });
    const hosts = Array.from({ length: 250 }, (_, i) => host(`f2b_h${i}`));
    const outcomes = await client.setIpHosts(hosts, "upsert");
    assert.equal(server.requests.length, 3);
    assert.deepEqual(
      server.requests.map((_, i) => listOf((listOf(requestOf(server, i).Set)[0] as XmlNode).IPHost).length),
      [100, 100, 50],
    );
    assert.deepEqual(
      outcomes.map((o) => o.name),
      hosts.map((h) => h.name),
    );
    assert.ok(outcomes.every((o) => o.ok));
    assert.deepEqual(
      events.map((e) => [e.kind, e.entityType, e.entityCount]),
      [
        ["set", "IPHost", 100],
        ["set", "IPHost", 100],
        ["set", "IPHost", 50],
      ],
    );
    // Keep-alive: one TLS connection for all three.
    assert.equal(server.connections, 1);
  });

  test("Set operations: add and update carry the attribute, upsert none", async () => {
    const { client, server } = await scripted(okPerSetEntity);
    await client.setIpHosts([host("a")], "add");
    await client.setIpHosts([host("a")], "update");
    await client.setIpHosts([host("a")], "upsert");
    const ops = server.requests.map((r) => /<Set( operation="(\w+)")?>/.exec(r.reqxml)?.[2] ?? "none");
    assert.deepEqual(ops, ["add", "update", "none"]);
  });

  test("unlinkIpHosts updates each whole host without HostGroupList", async () => {
    const { client, server } = await scripted(okPerSetEntity);
    const [outcome] = await client.unlinkIpHosts([host("f2b_x", ["g1", "g2"])]);
    assert.equal(outcome?.ok, true);
    const xml = server.requests[0]!.reqxml;
    assert.match(
      xml,
      /<Set operation="update"><IPHost><Name>f2b_x<\/Name><IPFamily>IPv4<\/IPFamily><HostType>IP<\/HostType><IPAddress>192\.0\.2\.1<\/IPAddress><\/IPHost><\/Set>/,
    );
    assert.ok(!xml.includes("HostGroupList"));
  });

  test("removeIpHosts sends several <Name> in one <IPHost> and maps N statuses to N names", async () => {
    const { client, server } = await scripted(
      () =>
        '<IPHost transactionid=""><Status code="200">Configuration applied successfully.</Status>' +
        '<Status code="528">Trying to update default entities which are not editable.</Status>' +
        '<Status code="200">Configuration applied successfully.</Status></IPHost>',
    );
    const outcomes = await client.removeIpHosts(["a", "b", "c"]);
    assert.match(
      server.requests[0]!.reqxml,
      /<Remove><IPHost><Name>a<\/Name><Name>b<\/Name><Name>c<\/Name><\/IPHost><\/Remove>/,
    );
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.ok, o.code]),
      [
        ["a", true, 200],
        ["b", false, 528],
        ["c", true, 200],
      ],
    );
    assert.equal(outcomes[1]?.error?.code, 528);
  });

  test("a status count that does not match the names marks every name not ok", async () => {
    const { client } = await scripted(() => `<IPHost transactionid="">${OK}</IPHost>`);
    const outcomes = await client.removeIpHosts(["a", "b"]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [false, false],
    );
  });

  test("getIpHostsByNamePrefix sends a like filter and keeps only names that start with the prefix", async () => {
    const hostXml = (n: string) =>
      `<IPHost transactionid=""><Name>${n}</Name><IPFamily>IPv4</IPFamily><HostType>IP</HostType><IPAddress>1.2.3.4</IPAddress></IPHost>`;
    const { client, server } = await scripted(() => hostXml("f2b_1") + hostXml("x_f2b_2") + hostXml("f2b_3"));
    const found = await client.getIpHostsByNamePrefix("f2b_");
    assert.deepEqual(
      found.map((h) => h.name),
      ["f2b_1", "f2b_3"],
    );
    assert.match(
      server.requests[0]!.reqxml,
      /<Get><IPHost><Filter><key name="Name" criteria="like">f2b_<\/key><\/Filter><\/IPHost><\/Get>/,
    );
  });

  test("getIpHostGroup filters by = and returns only the exact name, or undefined", async () => {
    const { client, server } = await scripted(
      () =>
        '<IPHostGroup transactionid=""><Name>grp</Name><Description/><HostList><Host>a</Host><Host>b</Host></HostList><IPFamily>IPv6</IPFamily></IPHostGroup>',
    );
    assert.deepEqual(await client.getIpHostGroup("grp"), {
      name: "grp",
      ipFamily: "IPv6",
      hosts: ["a", "b"],
    });
    assert.equal(await client.getIpHostGroup("other"), undefined);
    assert.match(server.requests[0]!.reqxml, /<key name="Name" criteria="=">grp<\/key>/);
  });

  test("setIpHostGroups writes every field", async () => {
    const { client, server } = await scripted(() => `<IPHostGroup transactionid="">${OK}</IPHostGroup>`);
    const [outcome] = await client.setIpHostGroups(
      [{ name: "g", ipFamily: "IPv4", description: "bans", hosts: ["h1"] }],
      "update",
    );
    assert.equal(outcome?.ok, true);
    assert.match(
      server.requests[0]!.reqxml,
      /<Set operation="update"><IPHostGroup><Name>g<\/Name><IPFamily>IPv4<\/IPFamily><Description>bans<\/Description><HostList><Host>h1<\/Host><\/HostList><\/IPHostGroup><\/Set>/,
    );
  });

  test("sendRaw wraps operations with Login and returns the parsed answer", async () => {
    const { client, server } = await scripted(() => `<FQDNHost transactionid="">${OK}</FQDNHost>`);
    const response = await client.sendRaw("<Remove><FQDNHost><Name>x</Name></FQDNHost></Remove>");
    assert.deepEqual(
      response.entities.map((e) => [e.entity, e.statuses]),
      [["FQDNHost", [{ code: 200, text: "Configuration applied successfully." }]]],
    );
    assert.match(server.requests[0]!.reqxml, /^<Request><Login>.*<\/Login><Remove>/);
    await assert.rejects(() => client.sendRaw("<Get><IPHost></Get>"), InvalidRequestValueError);
  });

  test("empty writes send nothing", async () => {
    const { client, server } = await scripted(okPerSetEntity);
    assert.deepEqual(await client.setIpHosts([], "add"), []);
    assert.deepEqual(await client.removeIpHosts([]), []);
    assert.equal(server.requests.length, 0);
  });
});
